"""TOML files: the run configuration and the presets, read as UTF-8.

Both are configuration, so a file that cannot be read is a
:class:`~pvsite.errors.ConfigError` naming it and the position of the
syntax error.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pvsite.errors import ConfigError


def read_toml(path: str | Path, what: str = "Config file") -> dict:
    """Parse a UTF-8 TOML file.

    Parameters
    ----------
    path : str or Path
        The file.
    what : str
        How the message names it (``Config file``, ``Preset file``).

    Raises
    ------
    ConfigError
        Missing, not UTF-8, or not valid TOML.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{what} {path} does not exist.", fix="Check the path given to --config.")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{what} {path} is not valid UTF-8 TOML: {exc}.",
            fix="Fix the syntax at the position given (TOML strings need quotes).",
        ) from None
