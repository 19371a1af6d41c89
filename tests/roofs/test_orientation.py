"""Tests of pvsite.roofs.orientation: long axis, bearings, grid north.

Rectangles are built corner by corner from a bearing, so the expected centre,
direction and length are known exactly, independent of shapely's minimum
rotated rectangle.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely import LineString, Polygon, box

from pvsite.roofs.orientation import (
    axis_bearing_deg,
    grid_north_bearing_deg,
    long_axis,
    rectangle_axis,
)

X0, Y0 = 500_000.0, 3_450_000.0  # UTM 51N, on the central meridian
CRS = "EPSG:32651"


def rectangle(cx, cy, length, width, bearing_deg):
    """Rectangle centred on (cx, cy) whose long side points to ``bearing_deg`` (clockwise from +y)."""
    b = math.radians(bearing_deg)
    u = np.array([math.sin(b), math.cos(b)])  # along the long side
    v = np.array([math.cos(b), -math.sin(b)])  # across it
    c = np.array([cx, cy])
    corners = [c - u * length / 2 - v * width / 2, c + u * length / 2 - v * width / 2,
               c + u * length / 2 + v * width / 2, c - u * length / 2 + v * width / 2]
    return Polygon(corners)


def test_rectangle_axis_of_a_hand_made_rotated_rectangle():
    # 40 × 10 m, long side at bearing 30° (N30°E), centred at (X0 + 100, Y0 + 200).
    r = rectangle(X0 + 100.0, Y0 + 200.0, 40.0, 10.0, 30.0)
    centre, unit, long_len = rectangle_axis(np.array([r], dtype=object))
    np.testing.assert_allclose(centre[0], [X0 + 100.0, Y0 + 200.0], atol=1e-8)
    assert long_len[0] == pytest.approx(40.0, abs=1e-9)
    # Direction up to sign: (sin 30°, cos 30°) = (0.5, 0.8660).
    assert abs(float(unit[0] @ [0.5, math.sqrt(3) / 2])) == pytest.approx(1.0, abs=1e-12)
    assert axis_bearing_deg(unit, 0.0)[0] == pytest.approx(30.0, abs=1e-9)


@pytest.mark.parametrize("bearing", [0.0, 15.0, 89.0, 90.0, 120.0, 179.0])
@pytest.mark.parametrize(("x0", "y0", "tol_m", "tol_deg"), [(0.0, 0.0, 1e-9, 1e-9), (X0, Y0, 1e-3, 1e-3)])
def test_long_axis_finds_the_bearing_of_rotated_rectangles(bearing, x0, y0, tol_m, tol_deg):
    # Near the origin the minimum rotated rectangle is exact to rounding; at UTM
    # coordinates (5·10⁵, 3.45·10⁶ m) GEOS 3.14 loses precision: up to ≈ 0.3 mm in
    # length and ≈ 0.0003° in bearing (measured), far below anything a roof notices.
    r = rectangle(x0, y0, 25.0, 8.0, bearing)
    centre, unit, long_len = long_axis(np.array([r], dtype=object))
    assert long_len[0] == pytest.approx(25.0, abs=tol_m)
    np.testing.assert_allclose(centre[0], [x0, y0], atol=tol_m)
    got = axis_bearing_deg(unit, 0.0)[0]
    assert min(abs(got - bearing), 180.0 - abs(got - bearing)) == pytest.approx(0.0, abs=tol_deg)
    assert 0.0 <= got < 180.0


def test_rectangle_axis_of_degenerate_and_missing_geometries_is_nan():
    mrr = np.array([None, LineString([(0, 0), (10, 0)]), shapely.Point(1, 1), box(0, 0, 4, 4)], dtype=object)
    centre, unit, long_len = rectangle_axis(mrr)
    assert np.isnan(long_len[:3]).all() and np.isnan(centre[:3]).all() and np.isnan(unit[:3]).all()
    # A square takes its first side: length 4, centre (2, 2), an axis-parallel direction.
    assert long_len[3] == 4.0
    np.testing.assert_allclose(centre[3], [2.0, 2.0])
    assert sorted(np.abs(unit[3])) == [0.0, 1.0]


def test_axis_bearing_folds_into_0_180_and_subtracts_grid_north():
    unit = np.array([[0.0, 1.0], [0.0, -1.0], [1.0, 0.0], [-1.0, 0.0], [np.nan, np.nan]])
    np.testing.assert_allclose(axis_bearing_deg(unit, 0.0)[:4], [0.0, 0.0, 90.0, 90.0], atol=1e-12)
    assert np.isnan(axis_bearing_deg(unit, 0.0)[4])
    # Grid north axis with true north at grid bearing +0.82°: true bearing −0.82° ≡ 179.18°.
    np.testing.assert_allclose(axis_bearing_deg(unit[:1], 0.82), [179.18], atol=1e-12)
    # A float hair under 180° folds to 0 (an axis and its reverse are one bearing).
    almost = np.array([[-1e-13, 1.0]])
    assert axis_bearing_deg(almost, 0.0)[0] == 0.0


def test_grid_north_bearing_matches_the_convergence_formula():
    from pyproj import Transformer

    to_xy = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
    # Changning, 121.42 E 31.21 N, in UTM 51N (central meridian 123 E):
    # γ = atan(tan(λ − λ0)·sin φ) = −0.819°; true north has grid bearing −γ = +0.819°.
    x, y = to_xy.transform(121.42, 31.21)
    gdf = gpd.GeoDataFrame(geometry=[box(x - 5, y - 5, x + 5, y + 5)], crs=CRS)
    gamma = math.degrees(math.atan(math.tan(math.radians(121.42 - 123.0)) * math.sin(math.radians(31.21))))
    assert grid_north_bearing_deg(gdf) == pytest.approx(-gamma, abs=1e-3)
    # On the central meridian grid north is true north.
    x0, y0 = to_xy.transform(123.0, 31.21)
    on_meridian = gpd.GeoDataFrame(geometry=[box(x0 - 5, y0 - 5, x0 + 5, y0 + 5)], crs=CRS)
    assert grid_north_bearing_deg(on_meridian) == pytest.approx(0.0, abs=1e-6)


def test_grid_north_bearing_without_crs_or_rows_is_zero():
    assert grid_north_bearing_deg(gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)])) == 0.0
    assert grid_north_bearing_deg(gpd.GeoDataFrame(geometry=[], crs=CRS)) == 0.0
    assert grid_north_bearing_deg(gpd.GeoDataFrame(geometry=[None], crs=CRS)) == 0.0
