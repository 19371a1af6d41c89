"""The raster helpers of benchmarks/shading_compare.py (the SEBE comparison's zonal means depend on them)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import box

pytest.importorskip("rasterio")
_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "shading_compare.py"
_spec = importlib.util.spec_from_file_location("shading_compare", _PATH)
sc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sc)


def test_zonal_sum_count_per_zone_skipping_nan_and_background():
    labels = np.array([[0, 1, 1], [2, 2, 0], [3, 1, 2]])
    values = np.array([[9.0, 1.0, 2.0], [3.0, np.nan, 5.0], [7.0, 4.0, 6.0]])
    sums, counts = sc.zonal_sum_count(values, labels, 4)
    np.testing.assert_allclose(sums, [7.0, 9.0, 7.0, 0.0])
    np.testing.assert_array_equal(counts, [3, 2, 1, 0])


def test_zonal_sum_count_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="shape"):
        sc.zonal_sum_count(np.zeros((2, 3)), np.zeros((3, 2), dtype=int), 1)


def test_rasterised_dsm_is_north_up_with_the_tallest_on_top():
    low, tower = box(0, 0, 6, 4), box(4, 2, 8, 8)       # metres from the tile's lower-left corner
    dsm = sc.rasterise_heights(np.array([tower, low], dtype=object), [90.0, 9.0], (0.0, 0.0), 10)
    assert dsm.shape == (10, 10)
    assert dsm[9, 0] == 9.0 and dsm[0, 0] == 0.0      # row 9 = the southern metre, row 0 the northern
    assert dsm[6, 4] == 90.0                          # the overlap (x 4–6, y 2–4) belongs to the tower
    assert (dsm == 90.0).sum() == 24 and (dsm == 9.0).sum() == 20
    labels = sc.rasterise_labels(np.array([low, tower], dtype=object), (0.0, 0.0), 10)
    assert set(np.unique(labels)) == {0, 1, 2} and labels[9, 0] == 1 and labels[3, 6] == 2 and labels[1, 6] == 0
