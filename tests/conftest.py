"""Shared fixtures.

``shared_data`` locates the real third-party data in ``../shared/data``
(beside the repository, read-only in CI).  Tests that need it skip with a
clear reason only when the folder is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def _find_shared_data() -> Path | None:
    env = os.environ.get("PVSITE_SHARED_DATA")
    candidates = [Path(env)] if env else []
    candidates += [REPO_ROOT.parent / "shared" / "data", REPO_ROOT / ".." / ".." / "shared" / "data"]
    for c in candidates:
        if (c / "README.md").is_file():
            return c.resolve()
    return None


SHARED_DATA = _find_shared_data()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ``../shared/data`` (real third-party data)."""
    if SHARED_DATA is None:
        pytest.skip("../shared/data (real reference data) is not beside this checkout")
    return SHARED_DATA


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
