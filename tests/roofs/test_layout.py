"""Panel layout against hand-counted roofs, invariants, and the real Bund outlines.

Shapes sit at easting 500 000 m of UTM 51N (EPSG:32651), on the central
meridian, ~31.2° N (see tests/roofs/test_usable.py).  Module: generic 550 W,
2.279 × 1.134 m, 20 mm gaps.

Hand figures used throughout (31.2° N, 20° tilt, 09–15 h winter solstice):

* shadow factor D/L = 1.6028 (GCR 0.6239, tests/roofs/test_usable.py);
* a 2P rack row: slant 2 × 2.279 + 0.02 = 4.578 m, footprint depth
  4.578 · cos 20° = 4.3020 m, pitch 4.578 × 1.6028 = 7.3375 m;
* along a row: ``⌊(span + 0.02) / 1.154⌋`` columns of 2 modules.
"""

from __future__ import annotations

import math
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import Polygon, box
from shapely.affinity import rotate, translate

from pvsite.config import Config, MountingConfig, RoofConfig
from pvsite.errors import ConfigError
from pvsite.roofs.layout import (
    best_phase,
    free_gaps,
    layout_roofs,
    layout_variants,
    modules_for_policy,
    obstruction_thinning,
    plane_frames,
    plane_polygons,
    row_bands,
    select_panels,
)
from pvsite.solar import mounting
from pvsite.solar.mounting import row_pitch_m, shadow_factor
from pvsite.presets import load_preset
from pvsite.roofs.planes import roof_planes
from pvsite.roofs.usable import ROOF_TYPES, usable_roofs

X0, Y0 = 500_000.0, 3_450_000.0
CRS = "EPSG:32651"
LAT = 31.2
MODULE = load_preset("module", "generic-550w")
L, W, G = 2.279, 1.134, 0.02
NO_OBS = RoofConfig(obstruction_share=dict.fromkeys(ROOF_TYPES, 0.0))


def frame(shapes, roof_types, index=None):
    geoms = [None if g is None else translate(g, X0, Y0) for g in shapes]
    return gpd.GeoDataFrame({"roof_type": roof_types}, geometry=geoms, crs=CRS, index=index)


def lay(shapes, roof_types, roof_cfg=NO_OBS, mounting_cfg=MountingConfig(), index=None):
    roofs = usable_roofs(frame(shapes, roof_types, index), roof_cfg)
    planes = roof_planes(roofs, roof_cfg, mounting_cfg, LAT, MODULE)
    planes, panels = layout_roofs(roofs, planes, MODULE, mounting_cfg, LAT, panels=True)
    return roofs, planes, panels


def check_inside_and_disjoint(roofs, panels):
    """Every module lies inside its roof's usable polygon (1 mm tolerance) and no two overlap."""
    usable = np.asarray(roofs["usable_geometry"].array)[roofs.index.get_indexer(panels["roof_index"])]
    grown = shapely.buffer(usable, 1e-3, join_style="mitre")
    assert shapely.contains(grown, np.asarray(panels.geometry.array)).all()
    for _, grp in panels.groupby("roof_index"):
        g = np.asarray(grp.geometry.array)
        assert shapely.union_all(g).area == pytest.approx(shapely.area(g).sum(), rel=1e-9)


def test_hand_figures():
    assert float(shadow_factor(20.0, LAT, 9.0, 15.0)) == pytest.approx(1.6028, abs=1e-4)
    assert float(row_pitch_m(2 * L + G, 20.0, LAT, 9.0, 15.0)) == pytest.approx(7.3375, abs=1e-3)


# --------------------------------------------------------------------------
# Flat roofs (2P rows facing south)
# --------------------------------------------------------------------------


def test_flat_40x25():
    # Usable 37 (E–W) × 22 (N–S).  Rows: 4.302 + k·7.3375 ≤ 22 → k ≤ 2.41 → 3 rows.
    # Columns: ⌊37.02 / 1.154⌋ = ⌊32.08⌋ = 32.  3 × 32 × 2 = 192 modules = 105.6 kW.
    roofs, planes, panels = lay([box(0, 0, 40, 25)], ["flat"])
    p = planes.iloc[0]
    assert p.modules_fit == 192
    assert p.n_rows == 3
    assert p.row_pitch_m == pytest.approx(7.3375, abs=1e-3)
    assert len(panels) == 192
    assert panels.groupby("row").size().tolist() == [64, 64, 64]
    assert sorted(panels["order"]) == list(range(192))
    # order: front (south) row first
    first = panels[panels["order"] < 64]
    assert (first["row"] == 0).all()
    assert shapely.bounds(np.asarray(first.geometry.array))[:, 1].min() == pytest.approx(Y0 + 1.5, abs=2e-3)
    # field area per module = pitch × 1.154 / 2 = 4.2337 m²
    assert p.field_area_per_module_m2 == pytest.approx(7.3375 * 1.154 / 2, abs=1e-3)
    check_inside_and_disjoint(roofs, panels)


def test_flat_40x25_one_module_per_row():
    # 1P: depth 2.279·cos20 = 2.1416, pitch 2.279 × 1.6028 = 3.6528;
    # (22 − 2.1416) / 3.6528 = 5.44 → 6 rows × 32 = 192 modules.
    _, planes, panels = lay([box(0, 0, 40, 25)], ["flat"], mounting_cfg=MountingConfig(modules_per_row_portrait=1))
    assert planes.modules_fit.iloc[0] == 192
    assert planes.n_rows.iloc[0] == 6
    assert panels["row"].nunique() == 6


def test_flat_40x25_with_obstruction_allowance():
    # ⌊192 × 0.85⌋ = ⌊163.2⌋ = 163, spread over the roof (not just the back rows dropped)
    roofs, planes, panels = lay([box(0, 0, 40, 25)], ["flat"], roof_cfg=RoofConfig())
    assert planes.modules_fit.iloc[0] == 163
    assert len(panels) == 163
    assert sorted(panels["order"]) == list(range(163))
    assert panels.groupby("row").size().min() >= 54  # each row keeps ~85 % of its 64
    check_inside_and_disjoint(roofs, panels)


def test_l_shape():
    # 30 × 20 with the 15 × 10 north-east corner cut; usable: 27 × 7 south wing
    # (y 1.5–8.5) + 12 m wide west wing up to y 18.5.
    # Row 0 (y 1.5–5.80): 27 m → 23 columns; row 1 (y 8.84–13.14): 12 m → 10;
    # row 2 (y 16.18–20.48) > 18.5.  (23 + 10) × 2 = 66; the other offsets give 66 and 40.
    shape = Polygon([(0, 0), (30, 0), (30, 10), (15, 10), (15, 20), (0, 20)])
    roofs, planes, panels = lay([shape], ["flat"])
    assert planes.modules_fit.iloc[0] == 66
    assert panels.groupby("row").size().tolist() == [46, 20]
    check_inside_and_disjoint(roofs, panels)


def test_courtyard():
    # 60 × 40, courtyard 20 × 10 → usable ring 1.5–58.5 × 1.5–38.5 less 18.5–41.5 × 13.5–26.5.
    # Rows from y = 1.5, every 7.3375: full (49 columns: ⌊57.02/1.154⌋) at y 1.5 and 8.84
    # (top 13.14 < 13.5), two 17 m spans (2 × 14) at 16.18 and 23.51, full at 30.85:
    # (49 + 49 + 28 + 28 + 49) × 2 = 406.  Offset pitch/3 gives 364, 2·pitch/3 fewer rows.
    shape = Polygon([(0, 0), (60, 0), (60, 40), (0, 40)], [[(20, 15), (40, 15), (40, 25), (20, 25)]])
    roofs, planes, panels = lay([shape], ["flat"])
    assert planes.modules_fit.iloc[0] == 406
    assert panels.groupby("row").size().tolist() == [98, 98, 56, 56, 98]
    hole = translate(box(20, 15, 40, 25), X0, Y0)
    assert not shapely.intersects(np.asarray(panels.geometry.array), hole).any()
    check_inside_and_disjoint(roofs, panels)


def test_tiny_roof_and_slivers_hold_nothing():
    # 4 × 4: nothing after the setback.  30 × 5 east–west: 27 × 2 = 54 m² usable,
    # but a 2P row is 4.30 m deep → 0 modules.  5 × 30 north–south: 2 m wide rows
    # take one column: (27 − 4.302)/7.3375 = 3.09 → 4 rows × 1 × 2 = 8 modules.
    # (The figures before the narrow-roof fallbacks: narrow_roof_layouts off.)
    roofs, planes, panels = lay([box(0, 0, 4, 4), box(0, 0, 30, 5), box(0, 0, 5, 30)], ["flat"] * 3,
                                index=["tiny", "ew", "ns"], mounting_cfg=MountingConfig(narrow_roof_layouts=False))
    assert "tiny" not in set(planes.roof_index)
    fit = planes.set_index("roof_index").modules_fit
    assert roofs.loc["ew", "usable_area_m2"] == pytest.approx(54.0)
    assert fit["ew"] == 0
    assert fit["ns"] == 8
    assert set(panels.roof_index) == {"ns"}
    assert set(planes.layout) == {"rows"}


def test_narrow_flat_roof_takes_single_row_racks():
    # The 27 × 2 m usable strip of the 30 × 5 roof: a 2P row (4.30 m deep) and a 1P row (l·cos 20° = 2.142 m)
    # do not fit its 2 m; a 1L row is w·cos 20° = 1.066 m deep, one row, ⌊(27 + 0.02) / (2.279 + 0.02)⌋ = 11
    # modules along it.  A 27 × 2.5 m strip (30 × 5.5) takes 1P: ⌊(27 + 0.02) / (1.134 + 0.02)⌋ = 23 modules.
    # The 5 × 30 roof keeps its normal 2P rows (8 modules).
    roofs, planes, panels = lay([box(0, 0, 30, 5), box(0, 0, 30, 5.5), box(0, 0, 5, 30)], ["flat"] * 3,
                                index=["ew", "ew1p", "ns"])
    p = planes.set_index("roof_index")
    assert p.loc["ew", "layout"] == "single_landscape" and p.loc["ew", "module_orientation"] == "landscape"
    assert p.loc["ew", "modules_fit"] == 11 and p.loc["ew", "n_rows"] == 1
    assert p.loc["ew1p", "layout"] == "single_portrait" and p.loc["ew1p", "modules_fit"] == 23
    assert p.loc["ns", "layout"] == "rows" and p.loc["ns", "modules_fit"] == 8
    # Field area per module: the 1L row's own no-shade pitch × (l + gap), one module per column.
    rows_1l = mounting.rack_rows(MODULE, MountingConfig(), LAT, 20.0, 180.0, modules_up=1, landscape=True)
    assert rows_1l.slant_length_m == pytest.approx(1.134)
    assert p.loc["ew", "row_pitch_m"] == pytest.approx(rows_1l.row_pitch_m[0])
    assert p.loc["ew", "field_area_per_module_m2"] == pytest.approx(rows_1l.row_pitch_m[0] * (2.279 + 0.02))
    # Every module rectangle lies inside the usable polygon, and the panels layer has them all.
    usable = roofs.set_index(roofs.index)["usable_geometry"]
    for rid in ("ew", "ew1p"):
        mods = panels[panels.roof_index == rid]
        assert len(mods) == p.loc[rid, "modules_fit"]
        assert shapely.contains(usable[rid].buffer(1e-3), mods.geometry.values).all()
    # 1L modules are w·cos β deep on the map, l along the row.
    b = shapely.bounds(panels[panels.roof_index == "ew"].geometry.values[0])
    assert b[2] - b[0] == pytest.approx(2.279, abs=1e-4)  # (the grid convergence turns it a hair)
    assert b[3] - b[1] == pytest.approx(1.134 * np.cos(np.radians(20.0)), abs=1e-4)


def test_rows_following_the_building():
    # The 40 × 25 roof turned 10°: with a 15° tolerance the rows follow it and hold
    # the 192 of the unrotated roof; due south they fit fewer.
    shape = rotate(box(0, 0, 40, 25), -10.0, origin=(20, 12.5))  # long axis at bearing 100°
    _, aligned, panels = lay([shape], ["flat"], mounting_cfg=MountingConfig(align_tolerance_deg=15.0))
    assert aligned.azimuth_deg.iloc[0] == pytest.approx(190.0, abs=0.01)
    assert aligned.modules_fit.iloc[0] == 192
    _, south, _ = lay([shape], ["flat"])
    assert south.azimuth_deg.iloc[0] == 180.0
    assert south.modules_fit.iloc[0] < 192


# --------------------------------------------------------------------------
# Pitched roofs (flush grid per half)
# --------------------------------------------------------------------------


def test_pitched_30x10():
    # Each half 29 × 4 m, 25° slope (cos 0.906308).
    # Portrait: depth 2.279·cos = 2.0655, pitch 2.299·cos = 2.0836 → (4 − 2.0655)/2.0836 = 0.93 → 1 row;
    #   ⌊29.02/1.154⌋ = 25 columns → 25 per half.
    # Landscape: depth 1.134·cos = 1.0278, pitch 1.154·cos = 1.0459 → 2.84 → 3 rows;
    #   ⌊29.02/2.299⌋ = 12 → 36 per half.  'best' keeps landscape: 72 = 39.6 kW.
    roofs, planes, panels = lay([box(0, 0, 30, 10)], ["pitched"])
    assert list(planes.modules_fit) == [36, 36]
    assert list(planes.module_orientation) == ["landscape", "landscape"]
    assert list(planes.n_rows) == [3, 3]
    assert planes.field_area_per_module_m2.iloc[0] == pytest.approx(2.299 * 1.154 * math.cos(math.radians(25)))
    check_inside_and_disjoint(roofs, panels)
    # each half's modules stay on its side of the ridge (y = 5)
    b = shapely.bounds(np.asarray(panels.geometry.array))
    south = panels["plane"].to_numpy() == 0  # plane 0 faces 180°
    assert (b[south, 3] <= Y0 + 4.5 + 2e-3).all() and (b[~south, 1] >= Y0 + 5.5 - 2e-3).all()

    _, portrait, _ = lay([box(0, 0, 30, 10)], ["pitched"], mounting_cfg=MountingConfig(flush_orientation="portrait"))
    assert list(portrait.modules_fit) == [25, 25]
    # default obstruction 5 %: ⌊36 × 0.95⌋ = 34 per half
    _, obs, _ = lay([box(0, 0, 30, 10)], ["pitched"], roof_cfg=RoofConfig())
    assert list(obs.modules_fit) == [34, 34]


def test_bad_orientation_is_refused_by_the_config():
    # Checked once, where the config is read; layout_roofs trusts MountingConfig.
    with pytest.raises(ConfigError, match="flush_orientation"):
        Config().with_overrides(mounting={"flush_orientation": "diagonal"})


def test_landscape_mode_keeps_the_rack_rows_of_flat_roofs():
    # flush_orientation is about flush planes only: rack rows stay portrait 2P
    # (192 modules on the 40 × 25 roof, as test_flat_40x25); the pitched
    # 30 × 10 roof gets its landscape count, 36 per half (test above).
    _, planes, panels = lay([box(0, 0, 40, 25), box(0, 0, 30, 10)], ["flat", "pitched"],
                            mounting_cfg=MountingConfig(flush_orientation="landscape"))
    assert list(planes.modules_fit) == [192, 36, 36]
    assert list(planes.module_orientation) == ["portrait", "landscape", "landscape"]
    assert len(panels) == 192 + 72


# --------------------------------------------------------------------------
# Policy: modules of the first rows until the array field reaches r × roof area
# --------------------------------------------------------------------------


def test_modules_for_policy_flat():
    roofs, planes, panels = lay([box(0, 0, 40, 25)] * 4, ["flat"] * 4, index=["a", "b", "c", "d"])
    required = pd.Series({"a": 500.0, "b": 1000.0, "c": 0.0, "d": np.inf})
    n = modules_for_policy(planes, required)
    # 50 % of 1000 m² / 4.2337 m² per module = 118.1 → 119 (the minimum meeting the policy);
    # 100 % asks 237 > 192 that fit → 192; 0 → 0; inf (technical maximum) → 192.
    assert n.tolist() == [119, 192, 0, 192]
    planes["n_modules"] = n
    chosen = select_panels(panels, planes)
    assert chosen.groupby("roof_index").size().to_dict() == {"a": 119, "b": 192, "d": 192}
    # the 119 modules of roof a are rows 0 (64) and 1 (55), front first
    assert chosen[chosen.roof_index == "a"].groupby("row").size().tolist() == [64, 55]


def test_modules_for_policy_fills_the_south_plane_first():
    # 100 m² on the 30 × 10 pitched roof: 100 / 2.4045 = 41.6 → 42 modules:
    # all 36 of the south half, then 6 of the north half.
    _, planes, _ = lay([box(0, 0, 30, 10)], ["pitched"])
    n = modules_for_policy(planes, pd.Series({0: 100.0}))
    assert dict(zip(planes.azimuth_deg.round(0), n)) == {180.0: 36, 0.0: 6}
    assert modules_for_policy(planes, 1e9).tolist() == [36, 36]


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------

sides = st.floats(min_value=3.0, max_value=80.0, allow_nan=False)
grow = st.floats(min_value=0.0, max_value=30.0, allow_nan=False)
turn = st.floats(min_value=0.0, max_value=90.0, allow_nan=False)


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(a=sides, b=sides, da=grow, db=grow, angle=turn, roof_type=st.sampled_from(["flat", "pitched", "metal"]))
def test_property_capacity_never_falls_as_the_roof_grows(a, b, da, db, angle, roof_type):
    # Keep the long side the long side, so a ridged roof keeps its ridge.
    a, b = max(a, b), min(a, b)
    da, db = max(da, db), min(da, db)
    small = rotate(box(0, 0, a, b), angle, origin=(0, 0))
    big = rotate(box(0, 0, a + da, b + db), angle, origin=(0, 0))
    roofs, planes, panels = lay([small, big], [roof_type] * 2, roof_cfg=RoofConfig())
    fit = planes.groupby("roof_index").modules_fit.sum().reindex([0, 1]).fillna(0)
    assert fit[1] >= fit[0]
    if len(panels):
        check_inside_and_disjoint(roofs, panels)


# --------------------------------------------------------------------------
# Real outlines: Shanghai Bund (10,613 roofs)
# --------------------------------------------------------------------------


@pytest.mark.slow
def test_real_bund_layout(shared_data):
    gdf = gpd.read_file(shared_data / "footprints" / "shanghai_bund_buildings.gpkg", layer="buildings").to_crs(CRS)
    rng = np.random.default_rng(0)
    gdf["roof_type"] = rng.choice(["flat", "pitched", "metal", "unknown"], len(gdf), p=[0.6, 0.2, 0.1, 0.1])
    roofs = usable_roofs(gdf, RoofConfig())
    planes = roof_planes(roofs, RoofConfig(), MountingConfig(), LAT, MODULE)
    t0 = time.perf_counter()
    planes, panels = layout_roofs(roofs, planes, MODULE, MountingConfig(), LAT, panels=True)
    elapsed = time.perf_counter() - t0
    assert len(panels) == planes.modules_fit.sum()

    # No roof holds more module footprint than its usable polygon's area (flush: l·w·cos β
    # per module; tilted rows: the module's projection l·w·cos β too).  Per roof, not per
    # plane: the ridge through the footprint's centre splits an irregular roof unequally.
    cos_t = np.cos(np.radians(planes.tilt_deg.to_numpy()))
    footprint = pd.Series(planes.modules_fit.to_numpy() * L * W * cos_t).groupby(planes.roof_index.to_numpy()).sum()
    poly_area = (roofs.usable_area_m2 + roofs.obstruction_area_m2).reindex(footprint.index)
    assert (footprint <= poly_area + 1e-6).all()
    kw = planes.assign(kw=planes.modules_fit * 0.55).groupby("roof_index").kw.sum()
    # Against the area-based estimate of roof_planes (usable area × W/m² of an endless
    # array): the layout loses the edges, but a small flat roof gains the last row's
    # shadow gap, so the ratio straddles 1.  Printed, not asserted beyond the bound above.
    area_kw = (planes.plane_area_m2 * planes.power_density_w_per_m2 / 1000).groupby(planes.roof_index).sum()
    vs_area = (kw / area_kw.reindex(kw.index)).to_numpy()

    # Every module inside its roof's usable polygon (1 mm), on a sample of 200 roofs for speed.
    sample = rng.choice(planes.roof_index.unique(), 200, replace=False)
    check_inside_and_disjoint(roofs, panels[panels.roof_index.isin(sample)])

    # Technical maximum: kW per m² of footprint.
    cap = kw.reindex(roofs.index).fillna(0.0)
    ratio = cap / roofs.area_m2.where(roofs.area_m2 > 0)
    q = np.nanpercentile(ratio, [5, 25, 50, 75, 95, 100])
    print(
        f"\nBund technical maximum: {len(roofs)} roofs, {planes.modules_fit.sum():,} modules, "
        f"{cap.sum() / 1000:,.1f} MW; layout {elapsed:.2f} s\n"
        "kW per m² of footprint, percentiles 5/25/50/75/95/100: " + " / ".join(f"{v:.4f}" for v in q)
        + "\nlayout kW / area-based kW, percentiles 5/25/50/75/95: "
        + " / ".join(f"{v:.3f}" for v in np.nanpercentile(vs_area, [5, 25, 50, 75, 95]))
        + f"; total {kw.sum() / area_kw.sum():.3f}"
    )
    assert q[-1] < 0.2287  # no roof beats flush modules covering its whole footprint


# --------------------------------------------------------------------------
# The steps of layout_roofs, by hand
# --------------------------------------------------------------------------


def layout_steps(shapes, roof_types, roof_cfg=NO_OBS, mounting_cfg=MountingConfig(narrow_roof_layouts=False), n_phases=3):
    roofs = usable_roofs(frame(shapes, roof_types), roof_cfg)
    planes = roof_planes(roofs, roof_cfg, mounting_cfg, LAT, MODULE)
    # true_north=False: the frame is exactly south-facing (the roofs' centre, 20 m east of
    # the central meridian, has a convergence of 1.1e-4°, which moves a row end 18.5 m
    # from the centre by 2e-5 m).
    frames = plane_frames(roofs, planes, MODULE, mounting_cfg, LAT, true_north=False)
    polygons, origin = plane_polygons(roofs, planes, frames.roof_pos, frames.flush, frames.grid_azimuth_rad)
    variants = layout_variants(frames, MODULE, mounting_cfg)
    bands = row_bands(shapely.bounds(polygons), variants, n_phases)
    gaps = free_gaps(polygons, bands, variants, G)
    best = best_phase(gaps, bands, variants, len(planes))
    return frames, polygons, origin, variants, bands, gaps, best


def test_steps_flat_40x25_by_hand():
    # Usable 37 × 22 m; array frame of a south-facing plane: a = −(x − x0), b = −(y − y0),
    # origin at the centre of the usable polygon, so the polygon spans a, b ∈ [−18.5, 18.5] × [−11, 11].
    frames, polygons, origin, variants, bands, gaps, best = layout_steps([box(0, 0, 40, 25)], ["flat"])
    np.testing.assert_allclose(origin, [[X0 + 20.0, Y0 + 12.5]])
    np.testing.assert_allclose(shapely.bounds(polygons), [[-18.5, -11.0, 18.5, 11.0]], atol=1e-9)
    pitch = 4.578 * float(shadow_factor(20.0, LAT, 9.0, 15.0))  # 7.3375 m
    depth = 4.578 * math.cos(math.radians(20.0))  # 4.3020 m
    assert frames.rack_pitch_m[0] == pytest.approx(pitch, rel=1e-12)
    assert list(variants.plane) == [0] and list(variants.orientation) == [0]
    assert variants.depth_m[0] == pytest.approx(depth) and variants.modules_per_column[0] == 2
    # Phases 0, p/3, 2p/3: rows ⌊(22 − phase − 4.302) / 7.3375⌋ + 1 = 3, 3, 2.
    assert list(bands.run_rows) == [3, 3, 2]
    np.testing.assert_allclose(bands.top_m[:3], [11.0, 11.0 - pitch, 11.0 - 2 * pitch])
    np.testing.assert_allclose(bands.top_m[3], 11.0 - pitch / 3)
    np.testing.assert_allclose(bands.bottom_m, bands.top_m - depth)
    # Every band is free across the whole 37 m: ⌊(37 + 0.02) / 1.154⌋ = 32 columns.
    assert list(gaps.band) == list(range(8))
    np.testing.assert_allclose(gaps.start_m, -18.5, atol=1e-9)
    np.testing.assert_allclose(gaps.end_m, 18.5, atol=1e-9)
    assert list(gaps.columns) == [32] * 8
    # Phases 0 and 1 both hold 3 × 32 × 2 = 192; the tie goes to phase 0 (rows on the front edge).
    assert list(best.run) == [0] and list(best.modules) == [192] and list(best.orientation) == [0]
    assert best.gap_used.tolist() == [True] * 3 + [False] * 5


def test_steps_courtyard_gaps_by_hand():
    # 40 × 25 with a 10 × 9 courtyard (x 15–25, y 8–17): usable 1.5–38.5 × 1.5–23.5 less
    # the hole grown by 1.5 m, x 13.5–26.5, y 6.5–18.5, i.e. a ∈ [−6.5, 6.5] in the array frame.
    # Phase 0, rows from the south edge y = 1.5, 4.302 deep, 7.3375 apart:
    #   row 0 y 1.50–5.80 (below the hole): one gap of 37 m → 32 columns;
    #   row 1 y 8.84–13.14 and row 2 y 16.18–20.48 (across it): two 12 m gaps → 10 + 10.
    # (32 + 20 + 20) × 2 = 144; phase 1 also 144 (20 + 20 + 32), phase 2 (two rows, both
    # across the hole) 80: phase 0 is kept.
    courtyard = Polygon([(0, 0), (40, 0), (40, 25), (0, 25)], [[(15, 8), (25, 8), (25, 17), (15, 17)]])
    _, _, _, _, bands, gaps, best = layout_steps([courtyard], ["flat"])
    assert list(bands.run_rows) == [3, 3, 2]
    per_band = pd.DataFrame({"band": gaps.band, "s": gaps.start_m, "e": gaps.end_m, "n": gaps.columns})
    row0 = per_band[per_band.band == 0]
    np.testing.assert_allclose(row0[["s", "e"]].to_numpy(), [[-18.5, 18.5]], atol=1e-9)
    for band in (1, 2):
        g = per_band[per_band.band == band]
        np.testing.assert_allclose(g[["s", "e"]].to_numpy(), [[-18.5, -6.5], [6.5, 18.5]], atol=1e-9)
        assert list(g.n) == [10, 10]
    run_modules = per_band.assign(run=bands.run[per_band.band]).groupby("run").n.sum() * 2
    assert run_modules.tolist() == [144, 144, 80]
    assert list(best.run) == [0] and list(best.modules) == [144]
    _, planes, panels = lay([courtyard], ["flat"])
    assert list(planes.modules_fit) == [144] and len(panels) == 144


def test_obstruction_thinning_keeps_the_floor_and_spreads():
    # ⌊192 × 0.85⌋ = 163 of the first plane's modules, 7 of 10 on the second (share 0.3).
    plane = np.r_[np.zeros(192, dtype=np.int64), np.ones(10, dtype=np.int64)]
    kept, order = obstruction_thinning(plane, np.array([0.85, 0.7]))
    assert (plane[kept] == 0).sum() == 163 and (plane[kept] == 1).sum() == 7
    assert list(order[plane[kept] == 0]) == list(range(163)) and list(order[plane[kept] == 1]) == list(range(7))
    # Spread: every run of 7 consecutive modules of the first plane loses at most 2.
    dropped = np.setdiff1d(np.arange(192), kept[plane[kept] == 0])
    assert len(dropped) == 29 and np.diff(dropped).min() >= 6
    # The flat 40 × 25 roof with the default allowance: 163 modules, as layout_roofs gives.
    _, planes, _ = lay([box(0, 0, 40, 25)], ["flat"], roof_cfg=RoofConfig())
    assert planes.modules_fit.iloc[0] == 163


def test_tilted_rows_field_area_is_module_area_over_the_planes_gcr():
    # The row rule is evaluated once (mounting.rack_rows): roof_planes' coverage and
    # layout_roofs' pitch agree exactly.
    roofs, planes, _ = lay([box(0, 0, 40, 25), rotate(box(0, 0, 50, 30), 25)], ["flat", "flat"],
                           mounting_cfg=MountingConfig(align_tolerance_deg=30.0))
    assert planes.azimuth_deg.nunique() == 2
    np.testing.assert_allclose(planes.field_area_per_module_m2, L * W / planes.ground_coverage_ratio, rtol=1e-12)


# --------------------------------------------------------------------------
# Fast paths against the plain ones, on the real Bund outlines
# --------------------------------------------------------------------------


def _gaps_between_pandas(owner, start, end):
    """The former pandas :func:`pvsite.roofs.layout._gaps_between` (sort, then a grouped running maximum)."""
    df = pd.DataFrame({"band": owner, "s": start, "e": end}).sort_values(["band", "s"], kind="stable")
    reach = df.groupby("band")["e"].cummax().to_numpy()
    band, s = df["band"].to_numpy(), df["s"].to_numpy()
    same = band[1:] == band[:-1]
    ok = same & (s[1:] > reach[:-1])
    return band[1:][ok], reach[:-1][ok], s[1:][ok]


def test_gaps_between_equals_the_pandas_running_maximum():
    from pvsite.roofs.layout import _gaps_between

    rng = np.random.default_rng(3)
    owner = np.sort(rng.integers(0, 400, 20_000))[rng.permutation(20_000)]
    start = rng.uniform(-30, 30, 20_000).round(2)  # ties in start and end on purpose
    end = start + rng.exponential(3.0, 20_000).round(2)
    for got, want in zip(_gaps_between(owner, start, end), _gaps_between_pandas(owner, start, end)):
        np.testing.assert_array_equal(got, want)


@pytest.mark.slow
def test_bund_fast_paths_equal_the_plain_ones(shared_data):
    """The layout's ridge split by whole parts (``plane_polygons(whole_parts=True)``) and its numpy gap
    search and phase choice give, on the real Bund outlines with random roof types, the same gaps, runs,
    planes and panels as the GEOS intersection and the former pandas sort/groupby steps, bit for bit."""
    gdf = gpd.read_file(shared_data / "footprints" / "shanghai_bund_buildings.gpkg", layer="buildings").to_crs(CRS)
    rng = np.random.default_rng(0)
    gdf["roof_type"] = rng.choice(["flat", "pitched", "metal", "unknown"], len(gdf), p=[0.6, 0.2, 0.1, 0.1])
    roofs = usable_roofs(gdf, RoofConfig())
    mounting_cfg = MountingConfig()
    planes = roof_planes(roofs, RoofConfig(), mounting_cfg, LAT, MODULE)
    frames = plane_frames(roofs, planes, MODULE, mounting_cfg, LAT, true_north=True)
    args = (roofs, planes, frames.roof_pos, frames.flush, frames.grid_azimuth_rad)
    plain, origin = plane_polygons(*args)
    fast, origin_fast = plane_polygons(*args, whole_parts=True)
    np.testing.assert_array_equal(origin, origin_fast)
    split = frames.flush & (planes.groupby("roof_index")["plane"].transform("size").to_numpy() >= 2)
    assert split.sum() > 2000
    assert shapely.equals(plain[split], fast[split]).all()
    np.testing.assert_array_equal(shapely.bounds(plain), shapely.bounds(fast))
    variants = layout_variants(frames, MODULE, mounting_cfg)
    bands = row_bands(shapely.bounds(plain), variants, 3)
    gaps_plain, gaps_fast = free_gaps(plain, bands, variants, G), free_gaps(fast, bands, variants, G)
    for name in ("band", "start_m", "end_m", "columns"):
        np.testing.assert_array_equal(getattr(gaps_plain, name), getattr(gaps_fast, name))
    best = best_phase(gaps_fast, bands, variants, len(planes))
    # The former pandas choice: per plane the lowest tier holding modules, then most modules, then first run.
    n_runs = len(bands.run_variant)
    run_modules = np.bincount(bands.run[gaps_fast.band], minlength=n_runs,
                              weights=gaps_fast.columns * variants.modules_per_column[bands.variant[gaps_fast.band]])
    order = pd.DataFrame({"p": variants.plane[bands.run_variant], "m": run_modules, "i": np.arange(n_runs),
                          "t": np.where(run_modules > 0, variants.tier[bands.run_variant], 3)})
    first = order.sort_values(["p", "t", "m", "i"], ascending=[True, True, False, True], kind="stable").drop_duplicates("p")
    want = np.full(len(planes), -1)
    want[first["p"].to_numpy()] = first["i"].to_numpy()
    np.testing.assert_array_equal(best.run, want)
    assert best.modules.sum() > 0
