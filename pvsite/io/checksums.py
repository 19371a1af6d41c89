"""File checksums recorded in every run's provenance (footprints, weather)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path


def sha256_of(files: str | os.PathLike | Iterable[str | os.PathLike]) -> str:
    """SHA-256 of one file, or of several files read one after the other.

    Parameters
    ----------
    files : path or iterable of paths
        A file, or the parts of one dataset in a fixed order (a Shapefile's
        ``.shp``, ``.dbf``, ``.prj``, ``.cpg``).

    Returns
    -------
    str
        Hex digest (64 characters).
    """
    paths = [files] if isinstance(files, (str, os.PathLike)) else list(files)
    digest = hashlib.sha256()
    for f in paths:
        with open(Path(f), "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()
