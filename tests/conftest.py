"""Shared fixtures and marker rules.

``shared_data`` locates the real third-party data in ``../shared/data``
(beside the repository, read-only in CI).  Tests that need it skip with a
clear reason only when the folder is absent.

Markers (declared in setup.cfg): every test that uses the ``shared_data``
fixture, directly or through another fixture, is marked ``shared_data`` here
automatically (nothing to forget); ``slow`` (more than ~3 s) and ``qgis`` are
set by hand on the tests.  The fast lane is ``pytest -m "not slow"``;
``make test`` runs everything.
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


def pytest_configure(config: pytest.Config) -> None:
    """Tests keep pvsite's on-disk cache (:mod:`pvsite.io.iam_cache`) to themselves, not the user's ~/.cache."""
    if "PVSITE_CACHE_DIR" not in os.environ:
        import tempfile

        os.environ["PVSITE_CACHE_DIR"] = tempfile.mkdtemp(prefix="pvsite-test-cache-")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ``../shared/data`` (real third-party data)."""
    if SHARED_DATA is None:
        pytest.skip("../shared/data (real reference data) is not beside this checkout")
    return SHARED_DATA


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that needs the real data ``shared_data`` (from its fixture closure)."""
    for item in items:
        if "shared_data" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.shared_data)
