"""Where pvsite's default inputs and default outputs live.

pvsite runs in one of two situations, told apart by where the imported
``pvsite`` package sits:

* **source tree** — a git checkout (``make setup`` installs it editable;
  ``PYTHONPATH=<repo>`` does the same).  The default inputs are the
  repository's own files, where the product card puts them:

  - ``<repo>/footprints/sample_district.gpkg`` — the synthetic sample district;
  - ``<repo>/irradiance/shanghai_default_year.csv`` — the synthetic Shanghai
    typical year;

  runs write to ``<repo>/outputs/`` (``make run``) and ``pvsite weather fetch``
  stores PVGIS downloads in ``<repo>/irradiance/``.
* **installed** — ``pip install .`` or a wheel.  The build (``setup.py``)
  copies the two inputs and their READMEs into the package as
  ``pvsite/_defaults/footprints/`` and ``pvsite/_defaults/irradiance/`` (these
  copies are build products, never committed); they are found with
  :mod:`importlib.resources`.  Runs write to ``./outputs/`` **of the current
  directory** and PVGIS downloads go to ``./irradiance/`` of the current
  directory (never into ``site-packages``).

The module names :data:`SAMPLE_FOOTPRINTS` and :data:`DEFAULT_WEATHER` are
fixed at import; :data:`OUTPUTS_DIR` and :data:`IRRADIANCE_DIR` are looked up
on every access, because outside the source tree they follow the current
directory.  The functions of the same meaning are the API for new code.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.resources
from pathlib import Path

__all__ = [
    "DEFAULT_WEATHER",
    "DEFAULTS_PACKAGE_DIR",
    "IRRADIANCE_DIR",
    "OUTPUTS_DIR",
    "REPO_ROOT",
    "SAMPLE_FOOTPRINTS",
    "default_weather_file",
    "irradiance_dir",
    "outputs_dir",
    "sample_footprints",
    "source_root",
]

#: Folder, inside the installed package, that the build fills with the default inputs.
DEFAULTS_PACKAGE_DIR = "_defaults"

#: Default inputs, as paths relative to the repository root (and to ``pvsite/_defaults/``).
SAMPLE_FOOTPRINTS_REL = ("footprints", "sample_district.gpkg")
DEFAULT_WEATHER_REL = ("irradiance", "shanghai_default_year.csv")

_PACKAGE_DIR = Path(__file__).resolve().parent
_extracted = contextlib.ExitStack()  # files unpacked from a zipped install, removed at exit
atexit.register(_extracted.close)


def source_root() -> Path | None:
    """The repository root when ``pvsite`` is imported from its source tree.

    Returns
    -------
    pathlib.Path or None
        The folder holding ``setup.cfg``, ``pvsite/``, ``footprints/`` and
        ``irradiance/``; ``None`` for an installed (non-editable) package.
    """
    root = _PACKAGE_DIR.parent
    if (root / "setup.cfg").is_file() and (root / "footprints").is_dir() and (root / "irradiance").is_dir():
        return root
    return None


def _default_input(rel: tuple[str, str]) -> Path:
    """A default input: the repository file in the source tree, else the package resource."""
    root = source_root()
    if root is not None:
        return root.joinpath(*rel)
    resource = importlib.resources.files("pvsite") / DEFAULTS_PACKAGE_DIR / rel[0] / rel[1]
    if isinstance(resource, Path):
        return resource
    # a zipped install: GDAL needs a real file, so unpack it once for this process
    return _extracted.enter_context(importlib.resources.as_file(resource))


def sample_footprints() -> Path:
    """Path of the embedded synthetic sample district (GeoPackage).

    Returns
    -------
    pathlib.Path
        ``<repo>/footprints/sample_district.gpkg`` in the source tree, the
        package resource ``pvsite/_defaults/footprints/sample_district.gpkg``
        when installed.  The file may be missing (a broken install); callers
        check and say how to regenerate it.
    """
    return _default_input(SAMPLE_FOOTPRINTS_REL)


def default_weather_file() -> Path:
    """Path of the embedded synthetic Shanghai typical year (hourly CSV).

    Returns
    -------
    pathlib.Path
        ``<repo>/irradiance/shanghai_default_year.csv`` in the source tree, the
        package resource ``pvsite/_defaults/irradiance/shanghai_default_year.csv``
        when installed.
    """
    return _default_input(DEFAULT_WEATHER_REL)


def outputs_dir() -> Path:
    """Folder a run writes to when no ``--out`` is given.

    Returns
    -------
    pathlib.Path
        ``<repo>/outputs`` in the source tree; ``./outputs`` of the current
        directory (absolute) for an installed package.  Not created here.
    """
    root = source_root()
    return root / "outputs" if root is not None else Path.cwd() / "outputs"


def irradiance_dir() -> Path:
    """Folder ``pvsite weather fetch`` stores PVGIS downloads in by default.

    Returns
    -------
    pathlib.Path
        ``<repo>/irradiance`` in the source tree; ``./irradiance`` of the
        current directory (absolute) for an installed package.
    """
    root = source_root()
    return root / "irradiance" if root is not None else Path.cwd() / "irradiance"


#: Repository root in the source tree, ``None`` when installed.
REPO_ROOT: Path | None = source_root()
#: The embedded sample district (see :func:`sample_footprints`).
SAMPLE_FOOTPRINTS: Path = sample_footprints()
#: The embedded default weather year (see :func:`default_weather_file`).
DEFAULT_WEATHER: Path = default_weather_file()

_DYNAMIC = {"OUTPUTS_DIR": outputs_dir, "IRRADIANCE_DIR": irradiance_dir}


def __getattr__(name: str) -> Path:
    """``OUTPUTS_DIR`` and ``IRRADIANCE_DIR``, evaluated at access (they follow the cwd when installed)."""
    try:
        return _DYNAMIC[name]()
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_DYNAMIC))
