"""Build step that carries pvsite's default inputs into the package.

All metadata lives in ``setup.cfg``; this file only adds one step to
``build_py``.  The default inputs stay where the product card puts them, at
the top of the repository (``footprints/``, ``irradiance/``), and are committed
there only.  A wheel (``pip install .``, ``pip wheel .``) gets a copy of each
under ``pvsite/_defaults/`` so that an installed pvsite finds them through
:mod:`importlib.resources` (see ``pvsite/resources.py``).  Editable installs
skip the copy: they read the repository files directly.
"""

from __future__ import annotations

import os
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent

#: Files copied to ``pvsite/_defaults/<same relative path>`` (paths relative to the repository root).
DEFAULT_INPUTS = (
    "footprints/sample_district.gpkg",
    "footprints/README.md",
    "irradiance/shanghai_default_year.csv",
    "irradiance/README.md",
)


class BuildPyWithDefaults(build_py):
    """``build_py`` that also copies :data:`DEFAULT_INPUTS` into ``pvsite/_defaults/``."""

    def _default_targets(self) -> list[tuple[Path, str]]:
        if getattr(self, "editable_mode", False):
            return []
        return [(HERE / rel, os.path.join(self.build_lib, "pvsite", "_defaults", *rel.split("/")))
                for rel in DEFAULT_INPUTS]

    def run(self) -> None:
        super().run()
        for src, dst in self._default_targets():
            if not src.is_file():
                raise FileNotFoundError(
                    f"default input {src} is missing; regenerate it (`make sample` / `make weather`) "
                    "before building pvsite")
            self.mkpath(os.path.dirname(dst))
            self.copy_file(str(src), dst, preserve_mode=False)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return list(super().get_outputs(include_bytecode)) + [dst for _, dst in self._default_targets()]


setup(cmdclass={"build_py": BuildPyWithDefaults})
