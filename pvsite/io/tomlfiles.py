"""TOML files: the run configuration and the presets, read as UTF-8.

Both are configuration, so a file that cannot be read is a
:class:`~pvsite.errors.ConfigError` naming it and the position of the
syntax error.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pvsite.errors import ConfigError


#: Chinese names of the ``what`` labels of :func:`read_toml`, for the Chinese message.
_WHAT_ZH = {"Config file": "配置文件", "Preset file": "预设文件"}


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
        raise ConfigError(f"{what} {path} does not exist.", fix="Check the path given to --config.",
                          zh=f"找不到{_WHAT_ZH.get(what, what)} {path}。",
                          fix_zh="请检查 --config 给出的路径。")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{what} {path} is not valid UTF-8 TOML: {exc}.",
            fix="Fix the syntax at the position given (TOML strings need quotes).",
            zh=f"{_WHAT_ZH.get(what, what)} {path} 不是有效的 UTF-8 TOML：{exc}。",
            fix_zh="请改正所示位置的语法（TOML 字符串需要加引号）。",
        ) from None
