"""The on-disk Marion diffuse-IAM cache: same numbers as computing them, robust to a bad file."""

from __future__ import annotations

import numpy as np
import pvlib
import pytest

from pvsite.io import iam_cache
from pvsite.solar import energy

GLAZING = (1.526, 4.0, 0.002)


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    """A private cache directory and no tilts known to the process."""
    monkeypatch.setenv("PVSITE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(energy, "_MARION_KNOWN", {})
    return tmp_path / "cache"


def test_cached_values_equal_computed(fresh, monkeypatch):
    tilts = np.array([0.0, 7.3, 30.0, 59.5, 90.0])
    computed = energy.diffuse_iam(tilts, *GLAZING)
    files = list(fresh.glob("marion-diffuse-*.json"))
    assert len(files) == 1
    stored = iam_cache.load_marion(*GLAZING, pvlib.__version__)
    assert sorted(stored) == [0.0, 7.0, 8.0, 30.0, 59.0, 60.0, 90.0]
    # A new process (empty memory) reads the file and never calls pvlib.
    monkeypatch.setattr(energy, "_MARION_KNOWN", {})
    monkeypatch.setattr(energy, "_marion_at", lambda *a: pytest.fail("computed although cached"))
    cached = energy.diffuse_iam(tilts, *GLAZING)
    for a, b in zip(computed, cached):
        np.testing.assert_array_equal(a, b)
    ref = pvlib.iam.marion_diffuse("physical", 30.0, n=GLAZING[0], K=GLAZING[1], L=GLAZING[2])
    assert stored[30.0] == (float(ref["sky"]), float(ref["ground"]))


def test_key_separates_glazing_and_pvlib_version(fresh):
    energy.diffuse_iam(np.array([10.0]), *GLAZING)
    assert iam_cache.load_marion(1.5, 4.0, 0.002, pvlib.__version__) == {}
    assert iam_cache.load_marion(*GLAZING, "0.0.0") == {}
    assert 10.0 in iam_cache.load_marion(*GLAZING, pvlib.__version__)


def test_corrupt_file_is_recomputed_and_replaced(fresh, monkeypatch):
    energy.diffuse_iam(np.array([20.0]), *GLAZING)
    (path,) = fresh.glob("marion-diffuse-*.json")
    path.write_text("{not json", encoding="utf-8")
    monkeypatch.setattr(energy, "_MARION_KNOWN", {})
    sky, _ = energy.diffuse_iam(np.array([20.0]), *GLAZING)
    ref = pvlib.iam.marion_diffuse("physical", 20.0, n=GLAZING[0], K=GLAZING[1], L=GLAZING[2])
    assert sky[0] == float(ref["sky"])
    assert 20.0 in iam_cache.load_marion(*GLAZING, pvlib.__version__)


def test_unwritable_or_disabled_cache_still_computes(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("PVSITE_CACHE_DIR", str(blocker / "cache"))  # parent is a file: mkdir fails
    monkeypatch.setattr(energy, "_MARION_KNOWN", {})
    sky, _ = energy.diffuse_iam(np.array([15.0]), *GLAZING)
    assert np.isfinite(sky).all()
    monkeypatch.setenv("PVSITE_CACHE_DIR", "off")
    assert iam_cache.cache_dir() is None
    monkeypatch.setattr(energy, "_MARION_KNOWN", {})
    assert energy.diffuse_iam(np.array([15.0]), *GLAZING)[0][0] == sky[0]
