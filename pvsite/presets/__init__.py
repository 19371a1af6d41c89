"""Presets: policy rules, classification rules, modules and losses as data.

Each preset is a TOML file under ``pvsite/presets/<kind>/<name>.toml`` that
states its units and cites its source.  A preset is chosen by name (one of
the shipped files) or by a path to the user's own file of the same shape.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from pvsite.errors import ConfigError

PRESET_DIR = Path(__file__).resolve().parent
KINDS = ("policy", "classify", "module", "losses")


def available(kind: str) -> list[str]:
    """Names of the shipped presets of one kind."""
    return sorted(p.stem for p in (PRESET_DIR / kind).glob("*.toml"))


def preset_path(kind: str, name_or_path: str) -> Path:
    """Resolve a preset name or a path to the TOML file."""
    if kind not in KINDS:
        raise ValueError(f"unknown preset kind {kind!r}; expected one of {KINDS}")
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" and candidate.is_file():
        return candidate
    shipped = PRESET_DIR / kind / f"{name_or_path}.toml"
    if shipped.is_file():
        return shipped
    raise ConfigError(
        f"Unknown {kind} preset '{name_or_path}'.",
        fix=f"Use one of: {', '.join(available(kind))}, or a path to a .toml file.",
    )


@lru_cache(maxsize=64)
def _load(path: str) -> dict:
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Preset file {path} is not valid UTF-8 TOML: {exc}.") from None


def load_preset(kind: str, name_or_path: str) -> dict:
    """Load a preset as a dict (a fresh copy each call).

    Parameters
    ----------
    kind : {'policy', 'classify', 'module', 'losses'}
    name_or_path : str
        Shipped preset name or path to a TOML file.
    """
    import copy

    path = preset_path(kind, name_or_path)
    data = copy.deepcopy(_load(str(path)))
    data.setdefault("_path", str(path))
    return data
