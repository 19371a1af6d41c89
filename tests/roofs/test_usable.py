"""Usable roof area, axis bearing and PV planes against hand-checked shapes.

Test shapes sit at easting 500 000 m of UTM zone 51N (EPSG:32651), on the
zone's central meridian (123° E), where grid north is true north; the grid
convergence correction has its own test at Changning's longitude.
"""

from __future__ import annotations

import math
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from shapely import MultiPolygon, Polygon, box
from shapely.affinity import rotate, translate

from pvsite.config import MountingConfig, RoofConfig
from pvsite.errors import ConfigError, InputError
from pvsite.presets import load_preset
from pvsite.roofs.orientation import row_azimuths_deg
from pvsite.roofs.planes import roof_planes
from pvsite.roofs.usable import ROOF_TYPES, obstruction_shares
from pvsite.roofs.usable import usable_roofs as _usable_roofs
from pvsite.solar.mounting import ground_coverage_ratio

X0, Y0 = 500_000.0, 3_450_000.0  # UTM 51N, on the central meridian, ~31.2 N
CRS = "EPSG:32651"
MODULE = load_preset("module", "generic-550w")

#: Geometry tests check setbacks and slivers by hand, without the obstruction
#: allowance (tested on its own below).
NO_OBS = RoofConfig(obstruction_share=dict.fromkeys(ROOF_TYPES, 0.0))


def usable_roofs(gdf, roof_cfg=NO_OBS, **kw):
    """:func:`pvsite.roofs.usable.usable_roofs` with no obstruction allowance unless a config is given."""
    return _usable_roofs(gdf, roof_cfg, **kw)


def frame(shapes, roof_types, index=None, crs=CRS):
    geoms = [None if g is None else translate(g, X0, Y0) for g in shapes]
    return gpd.GeoDataFrame({"roof_type": roof_types}, geometry=geoms, crs=crs, index=index)


def one(shape, roof_type="flat", **kw):
    return usable_roofs(frame([shape], [roof_type]), **kw).iloc[0]


def angle_off(a, b):
    """Smallest absolute difference between bearings [°] (359.99 vs 0 → 0.01)."""
    return np.abs((np.asarray(a, dtype=float) - np.asarray(b, dtype=float) + 180.0) % 360.0 - 180.0)


def rect_along(length, width, bearing_deg):
    """Rectangle centred on the origin whose long side points to ``bearing_deg``."""
    r = box(-width / 2, -length / 2, width / 2, length / 2)  # long side north
    return rotate(r, -bearing_deg, origin=(0, 0))  # shapely rotates anticlockwise


# --------------------------------------------------------------------------
# Usable area: hand-checked shapes
# --------------------------------------------------------------------------


def test_flat_rectangle_40x25():
    r = one(box(0, 0, 40, 25))
    assert r.area_m2 == pytest.approx(1000.0)
    assert r.usable_area_m2 == pytest.approx(37 * 22, abs=1e-6)  # 814 m²
    assert r.roof_note is None or (isinstance(r.roof_note, float) and math.isnan(r.roof_note))
    assert r.axis_azimuth_deg == pytest.approx(90.0, abs=0.01)  # long side east–west
    # the usable polygon itself is the 37 × 22 rectangle, inset by 1.5 m
    assert shapely.equals_exact(
        shapely.normalize(r.usable_geometry.geoms[0]),
        shapely.normalize(translate(box(1.5, 1.5, 38.5, 23.5), X0, Y0)),
        tolerance=1e-6,
    )


def test_l_shape():
    # 30 × 20 with the 15 × 10 north-east corner cut out: 600 − 150 = 450 m².
    # Inset 1.5 m with square (mitred) corners: 27 × 17 − 15 × 10 = 459 − 150 = 309 m².
    shape = Polygon([(0, 0), (30, 0), (30, 10), (15, 10), (15, 20), (0, 20)])
    r = one(shape)
    assert r.area_m2 == pytest.approx(450.0)
    assert r.usable_area_m2 == pytest.approx(309.0, abs=1e-6)


def test_courtyard_setback_applies_around_the_hole():
    # 60 × 40 with a 20 × 10 courtyard: (57 × 37) − (23 × 13) = 2109 − 299 = 1810 m²
    outer = [(0, 0), (60, 0), (60, 40), (0, 40)]
    hole = [(20, 15), (40, 15), (40, 25), (20, 25)]
    r = one(Polygon(outer, [hole]))
    assert r.area_m2 == pytest.approx(2400 - 200)
    assert r.usable_area_m2 == pytest.approx(1810.0, abs=1e-6)
    assert len(r.usable_geometry.geoms[0].interiors) == 1


def test_tiny_roof_is_zero_with_note():
    r = one(box(0, 0, 4, 4))  # 1 × 1 m left after the setback
    assert r.usable_area_m2 == 0.0
    assert r.usable_geometry is None
    assert r.roof_note == "可用面积 1.0 m² 小于最小值 20 m² / usable area 1.0 m² < minimum 20 m²"


def test_small_roof_below_minimum():
    r = one(box(0, 0, 7, 7))  # 4 × 4 = 16 m² < 20 m²
    assert r.area_m2 == pytest.approx(49.0)
    assert r.usable_area_m2 == 0.0
    assert r.roof_note == "可用面积 16.0 m² 小于最小值 20 m² / usable area 16.0 m² < minimum 20 m²"
    ok = one(box(0, 0, 8, 8))  # 5 × 5 = 25 m² ≥ 20 m²
    assert ok.usable_area_m2 == pytest.approx(25.0)


def test_sliver_strip_leaves_nothing():
    r = one(box(0, 0, 2, 30))  # 2 m wide, 1.5 m from each side: nothing
    assert r.area_m2 == pytest.approx(60.0)
    assert r.usable_area_m2 == 0.0
    assert r.roof_note == "退界后无可用面积（退界 1.5 m） / setback leaves nothing (setback 1.5 m)"


def test_sliver_part_is_dropped():
    # A 20 × 20 block with a 1 m neck to a 4.5 × 4.5 annex: the annex keeps a
    # 1.5 × 1.5 = 2.25 m² part (< 2.5 m², no module fits) → only 17 × 17 = 289 m².
    shape = Polygon(
        [(0, 0), (20, 0), (20, 9.5), (25, 9.5), (25, 8), (29.5, 8), (29.5, 12.5),
         (25, 12.5), (25, 10.5), (20, 10.5), (20, 20), (0, 20)]
    )
    r = one(shape)
    assert r.usable_area_m2 == pytest.approx(289.0, abs=1e-6)
    assert len(r.usable_geometry.geoms) == 1
    assert one(shape, roof_cfg=replace(NO_OBS, min_part_area_m2=2.0)).usable_area_m2 == pytest.approx(289.0 + 2.25, abs=1e-6)


def test_multipolygon():
    # Two 20 × 20 blocks 10 m apart: 2 × 17 × 17 = 578 m²; a 3 × 3 kiosk adds nothing.
    mp = MultiPolygon([box(0, 0, 20, 20), box(30, 0, 50, 20), box(60, 0, 63, 3)])
    r = one(mp)
    assert r.area_m2 == pytest.approx(809.0)
    assert r.usable_area_m2 == pytest.approx(578.0, abs=1e-6)
    assert len(r.usable_geometry.geoms) == 2
    assert r.axis_azimuth_deg == pytest.approx(90.0, abs=0.01)  # the pair spans 63 m east–west


def test_pitched_roof_keeps_setback_along_the_ridge():
    # 30 × 10, 0.5 m setback: 29 × 9 = 261 m², less a 1 m strip along the
    # 29 m ridge (0.5 m each side) = 232 m² in two 29 × 4 halves.
    r = one(box(0, 0, 30, 10), "pitched")
    assert r.usable_area_m2 == pytest.approx(232.0, abs=1e-6)
    assert sorted(g.area for g in r.usable_geometry.geoms) == pytest.approx([116.0, 116.0])


@pytest.mark.parametrize("bearing", [0.0, 30.0, 75.0, 120.0, 179.0])
def test_rotated_rectangle_axis_bearing(bearing):
    r = one(rect_along(30.0, 10.0, bearing), "pitched")
    assert angle_off(2 * r.axis_azimuth_deg, 2 * bearing) < 0.02  # axes are modulo 180°
    assert r.area_m2 == pytest.approx(300.0)
    assert r.usable_area_m2 == pytest.approx(232.0, abs=1e-6)  # rotation does not change it
    flat = one(rect_along(40.0, 25.0, bearing), "flat")
    assert flat.usable_area_m2 == pytest.approx(814.0, abs=1e-6)


def test_none_and_empty_geometries_are_kept():
    gdf = frame([box(0, 0, 40, 25), None, Polygon(), box(0, 0, 10, 10)], ["flat"] * 4, index=[7, 3, 9, 1])
    gdf.loc[9, "geometry"] = Polygon()
    r = usable_roofs(gdf)
    assert list(r.index) == [7, 3, 9, 1]
    assert list(r.area_m2) == pytest.approx([1000.0, 0.0, 0.0, 100.0])
    assert list(r.usable_area_m2) == pytest.approx([814.0, 0.0, 0.0, 49.0])
    assert list(r.roof_note[[3, 9]]) == ["无几何图形 / no geometry"] * 2
    assert np.isnan(r.loc[3, "axis_azimuth_deg"])
    assert r.geometry.name == "geometry"  # active geometry unchanged
    assert r["usable_geometry"].crs == gdf.crs


def test_missing_roof_type_counts_as_unknown():
    gdf = frame([box(0, 0, 40, 25), box(0, 0, 40, 25)], ["pitched", None])
    r = usable_roofs(gdf)
    assert list(r.usable_area_m2) == pytest.approx([(39 * 24) - 39 * 1, 814.0])


def test_invalid_bowtie_is_repaired_not_dropped():
    bowtie = Polygon([(0, 0), (20, 20), (20, 0), (0, 20)])  # two 100 m² triangles
    r = one(bowtie)
    assert r.area_m2 == pytest.approx(200.0)
    assert 0.0 < r.usable_area_m2 < 200.0


def test_custom_setbacks_and_minimum():
    cfg = RoofConfig(setback_m={"flat": 1.0, "pitched": 0.5, "metal": 0.5, "unknown": 1.5}, min_usable_area_m2=5.0,
                     obstruction_share=dict.fromkeys(ROOF_TYPES, 0.0))
    assert one(box(0, 0, 40, 25), roof_cfg=cfg).usable_area_m2 == pytest.approx(38 * 23)
    assert one(box(0, 0, 4, 4), roof_cfg=cfg).usable_area_m2 == 0.0  # 2 × 2 = 4 < 5
    assert one(box(0, 0, 5, 5), roof_cfg=cfg).usable_area_m2 == pytest.approx(9.0)


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


def test_geographic_crs_is_refused():
    gdf = gpd.GeoDataFrame({"roof_type": ["flat"]}, geometry=[box(121.4, 31.2, 121.401, 31.201)], crs="EPSG:4326")
    with pytest.raises(InputError, match="geographic"):
        usable_roofs(gdf)


def test_unknown_roof_type_is_refused():
    with pytest.raises(InputError, match="'thatch'"):
        usable_roofs(frame([box(0, 0, 10, 10)], ["thatch"]))


def test_missing_roof_type_column_is_refused():
    gdf = frame([box(0, 0, 10, 10)], ["flat"]).drop(columns="roof_type")
    with pytest.raises(InputError, match="roof_type"):
        usable_roofs(gdf)


def test_setback_missing_for_a_roof_type():
    with pytest.raises(ConfigError, match="pitched"):  # refused by the config itself
        usable_roofs(frame([box(0, 0, 10, 10)], ["pitched"]), RoofConfig(setback_m={"flat": 1.5}))


# --------------------------------------------------------------------------
# True north
# --------------------------------------------------------------------------


def test_axis_bearing_corrected_for_grid_convergence():
    # Changning (121.42 E, 31.21 N) in UTM 51N (central meridian 123 E): grid north
    # lies γ = atan(tan(121.42 − 123)·sin 31.21) = −0.819° from true north, i.e. true
    # north has grid bearing +0.819°.  A building along grid north has true bearing −0.819°.
    from pyproj import Transformer

    x, y = Transformer.from_crs("EPSG:4326", CRS, always_xy=True).transform(121.42, 31.21)
    gamma = math.degrees(math.atan(math.tan(math.radians(121.42 - 123.0)) * math.sin(math.radians(31.21))))
    assert gamma == pytest.approx(-0.819, abs=0.001)
    gdf = gpd.GeoDataFrame({"roof_type": ["flat"]}, geometry=[box(x - 5, y - 20, x + 5, y + 20)], crs=CRS)
    assert usable_roofs(gdf).axis_azimuth_deg.iloc[0] == pytest.approx((180.0 + gamma) % 180.0, abs=0.005)
    assert usable_roofs(gdf, true_north=False).axis_azimuth_deg.iloc[0] == pytest.approx(0.0, abs=1e-9)


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------

dims = st.floats(min_value=0.5, max_value=150.0, allow_nan=False)
angles = st.floats(min_value=0.0, max_value=179.9, allow_nan=False)
types = st.sampled_from(["flat", "pitched", "metal", "unknown"])


def expected_rect_usable(a, b, roof_type, cfg=NO_OBS, min_part=2.5):
    """Hand formula for a rectangle: inset by s; ridged roofs lose a 2s strip along the long axis."""
    s = cfg.setback_m[roof_type]
    long, short = max(a, b), min(a, b)
    if roof_type in ("pitched", "metal"):
        half = max(long - 2 * s, 0) * max((short - 4 * s) / 2, 0)
        total = 2 * half if half >= min_part else 0.0
    else:
        total = max(long - 2 * s, 0) * max(short - 2 * s, 0)
        total = total if total >= min_part else 0.0
    if abs(total - cfg.min_usable_area_m2) < 1e-6:
        return None  # on the minimum: floating-point rounding decides, not the formula
    return total if total >= cfg.min_usable_area_m2 else 0.0


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(a=dims, b=dims, angle=angles, roof_type=types)
def test_property_usable_rectangle_matches_hand_formula(a, b, angle, roof_type):
    r = one(rotate(box(0, 0, a, b), angle, origin=(0, 0)), roof_type)
    assert 0.0 <= r.usable_area_m2 <= r.area_m2 + 1e-9
    assert r.area_m2 == pytest.approx(a * b, rel=1e-9)
    expected = expected_rect_usable(a, b, roof_type)
    assume(expected is not None)
    assert r.usable_area_m2 == pytest.approx(expected, rel=1e-6, abs=1e-6)
    assert 0.0 <= r.axis_azimuth_deg < 180.0


@settings(max_examples=100, deadline=None)
@given(a=dims, b=dims, da=st.floats(0, 50), db=st.floats(0, 50), angle=angles, roof_type=types)
def test_property_usable_area_monotone_in_size(a, b, da, db, angle, roof_type):
    small = rotate(box(0, 0, a, b), angle, origin=(0, 0))
    big = rotate(box(0, 0, a + da, b + db), angle, origin=(0, 0))
    r = usable_roofs(frame([small, big], [roof_type, roof_type]))
    assert r.usable_area_m2.iloc[1] >= r.usable_area_m2.iloc[0] - 1e-6


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_property_invariant_to_row_order(seed):
    rng = np.random.default_rng(seed)
    n = 12
    shapes = [
        rotate(box(0, 0, *rng.uniform(1, 60, 2)), rng.uniform(0, 180), origin=(0, 0)) for _ in range(n)
    ]
    shapes[3] = None
    kinds = list(rng.choice(["flat", "pitched", "metal", "unknown"], n))
    gdf = frame(shapes, kinds, index=[f"b{i}" for i in range(n)])
    perm = rng.permutation(n)
    a = usable_roofs(gdf)
    b = usable_roofs(gdf.iloc[perm]).loc[a.index]
    cols = ["area_m2", "usable_area_m2", "axis_azimuth_deg"]
    np.testing.assert_allclose(a[cols].to_numpy(), b[cols].to_numpy(), rtol=0, atol=1e-9)
    assert a.roof_note.fillna("").tolist() == b.roof_note.fillna("").tolist()
    pa = roof_planes(a, RoofConfig(), MountingConfig(), 31.2, MODULE).set_index(["roof_index", "plane"])
    pb = roof_planes(b, RoofConfig(), MountingConfig(), 31.2, MODULE).set_index(["roof_index", "plane"]).loc[pa.index]
    np.testing.assert_allclose(pa.select_dtypes("number"), pb.select_dtypes("number"), atol=1e-9)


# --------------------------------------------------------------------------
# Planes
# --------------------------------------------------------------------------


def test_planes_flat_roof_rows():
    roofs = usable_roofs(frame([box(0, 0, 40, 25)], ["flat"], index=["A"]))
    p = roof_planes(roofs, RoofConfig(), MountingConfig(), 31.2, MODULE)
    assert len(p) == 1
    row = p.iloc[0]
    assert (row.roof_index, row.plane, row.mounting) == ("A", 0, "tilted_rows")
    assert (row.tilt_deg, row.azimuth_deg, row.area_share) == (20.0, 180.0, 1.0)
    assert row.plane_area_m2 == pytest.approx(814.0)
    # GCR of rows 1/1.6028 = 0.6239, times the fill up the 2P table 4.558/4.578
    # and along the row 1.134/1.154 → 0.6104
    fill = (2 * 2.279) / (2 * 2.279 + 0.02) * 1.134 / 1.154
    assert row.ground_coverage_ratio == pytest.approx(0.6239 * fill, abs=2e-4)
    assert row.ground_coverage_ratio == pytest.approx(
        float(ground_coverage_ratio(20.0, 31.2, 9.0, 15.0)) * fill, rel=1e-12
    )
    # 550 W / 2.584386 m² × 0.6104 = 129.9 W per m² of flat roof
    assert row.power_density_w_per_m2 == pytest.approx(550 / (2.279 * 1.134) * row.ground_coverage_ratio)
    assert row.power_density_w_per_m2 == pytest.approx(129.9, abs=0.1)
    # one module per row: the fill up the slope is 1
    p1 = roof_planes(roofs, RoofConfig(), MountingConfig(modules_per_row_portrait=1), 31.2, MODULE)
    assert p1.ground_coverage_ratio.iloc[0] == pytest.approx(0.6239 * 1.134 / 1.154, abs=2e-4)


def test_planes_pitched_roof_30x10():
    roofs = usable_roofs(frame([box(0, 0, 30, 10)], ["pitched"]))
    p = roof_planes(roofs, RoofConfig(), MountingConfig(), 31.2, MODULE)
    assert list(p.plane) == [0, 1]
    assert set(p.mounting) == {"flush"}
    assert list(p.tilt_deg) == [25.0, 25.0]
    # ridge east–west (axis 90°): planes face 180° (south) and 0° (north)
    assert np.all(angle_off(p.azimuth_deg, [180.0, 0.0]) < 0.01)
    assert list(p.area_share) == [0.5, 0.5]
    assert list(p.plane_area_m2) == pytest.approx([116.0, 116.0])
    # packing 0.974120 / cos 25° (0.906308) = 1.074823 m² module per m² of map area
    assert list(p.ground_coverage_ratio) == pytest.approx([1.074823] * 2, abs=1e-6)
    # 212.8165 W/m² × 1.074823 = 228.74 W per m² of horizontal roof
    assert list(p.power_density_w_per_m2) == pytest.approx([228.74] * 2, abs=0.01)


def test_planes_rotated_metal_roof():
    roofs = usable_roofs(frame([rect_along(60.0, 24.0, 30.0)], ["metal"]))
    p = roof_planes(roofs, RoofConfig(), MountingConfig(), 31.2, MODULE)
    assert np.all(angle_off(p.azimuth_deg, [120.0, 300.0]) < 0.01)
    assert list(p.tilt_deg) == [5.0, 5.0]
    assert list(p.ground_coverage_ratio) == pytest.approx([0.974120 / math.cos(math.radians(5.0))] * 2, abs=1e-6)


def test_planes_skip_roofs_without_usable_area_and_keep_labels():
    roofs = usable_roofs(
        frame([box(0, 0, 4, 4), None, box(0, 0, 30, 10), box(0, 0, 40, 25)],
              ["flat", "pitched", "pitched", "unknown"], index=[10, 20, 30, 40])
    )
    p = roof_planes(roofs, RoofConfig(), MountingConfig(), 31.2, MODULE)
    assert list(p.roof_index) == [30, 30, 40]
    assert list(p.plane) == [0, 1, 0]
    assert list(p.mounting) == ["flush", "flush", "tilted_rows"]
    # each roof's plane areas add up to its usable area
    sums = p.groupby("roof_index").plane_area_m2.sum()
    assert sums[30] == pytest.approx(roofs.loc[30, "usable_area_m2"])
    assert sums[40] == pytest.approx(roofs.loc[40, "usable_area_m2"])


def test_planes_follow_config():
    roofs = usable_roofs(frame([box(0, 0, 40, 25), box(0, 0, 30, 10)], ["flat", "pitched"]))
    p = roof_planes(
        roofs, RoofConfig(pitched_tilt_deg=30.0), MountingConfig(flat_tilt_deg=10.0, module_gap_m=0.0),
        39.9, MODULE,
    )
    flat, pitched = p.iloc[0], p.iloc[1]
    assert flat.tilt_deg == 10.0
    assert flat.ground_coverage_ratio == pytest.approx(float(ground_coverage_ratio(10.0, 39.9, 9.0, 15.0)), rel=1e-12)
    assert pitched.tilt_deg == 30.0
    assert pitched.ground_coverage_ratio == pytest.approx(1.0 / math.cos(math.radians(30.0)))


# --------------------------------------------------------------------------
# Real footprints (Shanghai Bund, 10,613 outlines)
# --------------------------------------------------------------------------


def test_real_bund_footprints(shared_data):
    gdf = gpd.read_file(shared_data / "footprints" / "shanghai_bund_buildings.gpkg", layer="buildings")
    gdf = gdf.to_crs(CRS)
    rng = np.random.default_rng(0)
    gdf["roof_type"] = rng.choice(["flat", "pitched", "metal", "unknown"], len(gdf))
    r = usable_roofs(gdf)
    assert len(r) == 10_613
    assert list(r.index) == list(gdf.index)
    assert (r.usable_area_m2 <= r.area_m2 + 1e-6).all()
    # the README counts 406 outlines under 20 m²: none of them can hold the minimum
    tiny = r.area_m2 < 20.0
    assert int(tiny.sum()) == 406
    assert (r.usable_area_m2[tiny] == 0).all()
    assert r.roof_note[tiny].notna().all()
    # every usable polygon lies inside its footprint
    has = r.usable_area_m2 > 0
    inside = shapely.covered_by(
        np.asarray(r.usable_geometry[has].array), shapely.buffer(np.asarray(r.geometry[has].array), 1e-6)
    )
    assert inside.all()
    assert (r.roof_note[has].isna()).all()
    p = roof_planes(r, RoofConfig(), MountingConfig(), 31.2, MODULE)
    assert p.groupby("roof_index").plane_area_m2.sum().sum() == pytest.approx(r.usable_area_m2.sum())


# --------------------------------------------------------------------------
# Obstruction allowance and sliver threshold (RoofConfig)
# --------------------------------------------------------------------------


def test_default_obstruction_allowance_by_hand():
    r = _usable_roofs(frame([box(0, 0, 40, 25), box(0, 0, 30, 10), rect_along(60.0, 24.0, 30.0)],
                            ["flat", "pitched", "metal"]), RoofConfig())
    # flat: 814 × (1 − 0.15) = 691.9 m², 122.1 m² for stairs/tanks/HVAC
    assert r.usable_area_m2.iloc[0] == pytest.approx(691.9, abs=1e-6)
    assert r.obstruction_area_m2.iloc[0] == pytest.approx(122.1, abs=1e-6)
    # pitched: 232 × 0.95 = 220.4 m²
    assert r.usable_area_m2.iloc[1] == pytest.approx(220.4, abs=1e-6)
    # metal 60 × 24, 0.5 m setback, 1 m ridge strip: 59 × 22 = 1298 m² × 0.90 = 1168.2 m²
    assert r.usable_area_m2.iloc[2] == pytest.approx(1168.2, abs=1e-6)
    # the polygon is not cut: its area is usable + obstruction
    np.testing.assert_allclose(
        shapely.area(np.asarray(r.usable_geometry.array)), r.usable_area_m2 + r.obstruction_area_m2, rtol=1e-12
    )


def test_minimum_applies_after_the_allowance():
    # 8 × 8: 5 × 5 = 25 m² × 0.85 = 21.25 m² ≥ 20; 7.6 × 7.6: 4.6² = 21.16 × 0.85 = 17.99 < 20
    ok = _usable_roofs(frame([box(0, 0, 8, 8)], ["flat"]), RoofConfig()).iloc[0]
    assert ok.usable_area_m2 == pytest.approx(21.25)
    small = _usable_roofs(frame([box(0, 0, 7.6, 7.6)], ["flat"]), RoofConfig()).iloc[0]
    assert small.usable_area_m2 == 0.0 and small.obstruction_area_m2 == 0.0
    assert small.usable_geometry is None
    assert small.roof_note == ("可用面积 18.0 m² 小于最小值 20 m²（已扣除 15% 障碍物折减） / "
                               "usable area 18.0 m² < minimum 20 m² (after 15 % obstruction allowance)")


def test_obstruction_shares_per_roof_type():
    types = ["flat", "metal", "pitched", "unknown", "flat"]
    assert list(obstruction_shares(types, RoofConfig())) == [0.15, 0.10, 0.05, 0.15, 0.15]
    cfg = RoofConfig(obstruction_share={"flat": 0.2, "metal": 0.0, "pitched": 0.5, "unknown": 0.3})
    assert list(obstruction_shares(types, cfg)) == [0.2, 0.0, 0.5, 0.3, 0.2]


def test_min_part_area_from_config():
    # the sliver shape of test_sliver_part_is_dropped, threshold from RoofConfig instead of the argument
    shape = Polygon(
        [(0, 0), (20, 0), (20, 9.5), (25, 9.5), (25, 8), (29.5, 8), (29.5, 12.5),
         (25, 12.5), (25, 10.5), (20, 10.5), (20, 20), (0, 20)]
    )
    cfg = RoofConfig(obstruction_share=dict.fromkeys(ROOF_TYPES, 0.0), min_part_area_m2=2.0)
    assert one(shape, roof_cfg=cfg).usable_area_m2 == pytest.approx(289.0 + 2.25, abs=1e-6)


# --------------------------------------------------------------------------
# Row alignment on flat roofs
# --------------------------------------------------------------------------


def test_row_azimuths_by_hand():
    # axis 80°: edge normals 170/260/350/80 → 170 is 10° off south
    # axis 5° (north–south building): normals 95/185/275/5 → 185 is 5° off
    # axis 30°: nearest normal 210 or 120 is 30° off → never follows within 15°
    axis = [80.0, 5.0, 30.0, np.nan, 90.0]
    np.testing.assert_allclose(row_azimuths_deg(axis, 180.0, 15.0), [170.0, 185.0, 180.0, 180.0, 180.0])
    np.testing.assert_allclose(row_azimuths_deg(axis, 180.0, 5.0), [180.0, 185.0, 180.0, 180.0, 180.0])
    np.testing.assert_allclose(row_azimuths_deg(axis, 180.0, 0.0), [180.0] * 5)


def test_planes_rows_follow_the_building_within_tolerance():
    roofs = usable_roofs(frame([rect_along(40.0, 25.0, 80.0), rect_along(40.0, 25.0, 60.0)], ["flat", "flat"]))
    south = roof_planes(roofs, RoofConfig(), MountingConfig(), 31.2, MODULE)
    assert list(south.azimuth_deg) == [180.0, 180.0]  # default: always due south
    p = roof_planes(roofs, RoofConfig(), MountingConfig(align_tolerance_deg=15.0), 31.2, MODULE)
    assert p.azimuth_deg.iloc[0] == pytest.approx(170.0, abs=0.01)
    assert p.azimuth_deg.iloc[1] == 180.0  # 30° off: stays south
    # the row spacing is evaluated for the rows' own azimuth
    fill = (2 * 2.279) / (2 * 2.279 + 0.02) * 1.134 / 1.154
    assert p.ground_coverage_ratio.iloc[0] == pytest.approx(
        float(ground_coverage_ratio(20.0, 31.2, 9.0, 15.0, row_azimuth_deg=p.azimuth_deg.iloc[0])) * fill, rel=1e-12
    )
    assert p.ground_coverage_ratio.iloc[0] != pytest.approx(south.ground_coverage_ratio.iloc[0], rel=1e-4)
