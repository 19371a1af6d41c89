"""Overlapping footprints (pvsite.buildings.overlaps): hand-made squares, and real Bund outlines copied."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from pvsite.buildings.overlaps import DUPLICATE_SHARE, MIN_OVERLAP_M2, resolve_overlaps


def _frame(geoms, ids=None):
    n = len(geoms)
    return gpd.GeoDataFrame({"building_id": ids or [f"b{i}" for i in range(n)],
                             "reject_reason": pd.Series([pd.NA] * n, dtype="string")},
                            geometry=list(geoms), crs="EPSG:32651")


def test_exact_copy_is_a_duplicate_and_the_earlier_row_keeps_its_roof():
    sq = shapely.box(0, 0, 20, 20)
    out = resolve_overlaps(_frame([sq, sq]))
    assert out.geometry.iloc[0].area == pytest.approx(400.0)
    assert out["reject_reason"].iloc[0] is pd.NA
    assert out["reject_reason"].iloc[1].startswith("duplicate footprint: 100 % covered by b0")
    assert out["overlap_note"].iloc[1].startswith("duplicate: 400.0 m² (100 %) covered by larger footprint b0")
    assert out.attrs["overlaps"]["n_duplicates"] == 1


def test_smaller_footprint_loses_the_covered_part_and_areas_tile_the_union():
    big, small, third = shapely.box(0, 0, 30, 20), shapely.box(20, 0, 40, 10), shapely.box(25, 5, 45, 8)
    out = resolve_overlaps(_frame([small, big, third]))
    # big (600 m²) keeps all; small (200) loses 10×10 = 100; third (60) loses its part inside big and small.
    assert out.geometry.iloc[1].area == pytest.approx(600.0)
    assert out.geometry.iloc[0].area == pytest.approx(100.0)
    assert out.geometry.iloc[2].area == pytest.approx(15.0)  # x 40–45 only
    assert out["overlap_removed_m2"].iloc[2] == pytest.approx(45.0)
    assert "(+1 more)" in out["overlap_note"].iloc[2]
    assert out.geometry.area.sum() == pytest.approx(shapely.union_all([big, small, third]).area)
    assert out["reject_reason"].isna().all()


def test_slivers_below_the_threshold_and_touching_walls_are_left_alone():
    a, b = shapely.box(0, 0, 10, 10), shapely.box(9.95, 0, 20, 10)  # 0.5 m² overlap
    c = shapely.box(20, 0, 30, 10)  # shares a wall with b
    assert 0.05 * 10 < MIN_OVERLAP_M2
    out = resolve_overlaps(_frame([a, b, c]))
    assert out["overlap_note"].isna().all() and out.attrs["overlaps"]["n_pairs"] == 0
    assert out.geometry.area.tolist() == pytest.approx([100.0, 100.5, 100.0])


def test_rejected_rows_and_missing_geometries_take_no_part():
    sq = shapely.box(0, 0, 10, 10)
    df = _frame([sq, sq, None])
    df.loc[0, "reject_reason"] = "implausibly large footprint"
    out = resolve_overlaps(df)
    assert out["overlap_note"].isna().all()
    assert out.geometry.iloc[1].area == pytest.approx(100.0)


def test_duplicate_threshold_is_the_covered_share():
    a = shapely.box(0, 0, 100, 10)
    b = shapely.box(0.0, 0, 100 * DUPLICATE_SHARE - 0.5, 10)  # smaller, covered 100 %
    c = shapely.box(-10.0, 20, 90, 30)
    d = shapely.box(0.0, 20, 100, 30)  # same area as c, later row, covered 90 %
    out = resolve_overlaps(_frame([a, b, c, d]))
    assert out["reject_reason"].iloc[1].startswith("duplicate")
    assert pd.isna(out["reject_reason"].iloc[3]) and out.geometry.iloc[3].area == pytest.approx(100.0)


@pytest.mark.slow
def test_duplicated_and_shifted_bund_footprints_give_the_same_total(shared_data, tmp_path):
    """600 exact and 600 1 m-shifted copies of real Bund footprints: same kW (± 1 %), every row kept."""
    from pvsite import pipeline
    from pvsite.config import Config

    src = shared_data / "footprints" / "shanghai_bund_buildings.gpkg"
    base = gpd.read_file(src)
    rng = np.random.default_rng(11)
    pick = rng.choice(len(base), 1200, replace=False)
    dup = base.iloc[pick[:600]].copy()
    shifted = base.iloc[pick[600:]].copy().to_crs(32651)
    shifted["geometry"] = shifted.geometry.translate(1.0, 0.0)
    both = pd.concat([base, dup, shifted.to_crs(base.crs)], ignore_index=True)
    path = tmp_path / "bund_with_copies.gpkg"
    both.to_file(path, layer="buildings")

    def run(p):
        cfg = Config().with_overrides(input={"footprints": str(p)}, policy={"scenario": "technical-max"},
                                      output={"panels": False})
        return pipeline.run(cfg)

    original, copied = run(src), run(path)
    assert len(copied.roofs) == len(both)  # every input row kept
    kw0, kw1 = original.district["capacity_kw"], copied.district["capacity_kw"]
    assert kw1 == pytest.approx(kw0, rel=0.01)
    notes = copied.roofs["overlap_note"].dropna()
    assert notes.str.startswith("duplicate").sum() >= 600
    assert (copied.roofs["status"] == "rejected").sum() >= 600
    codes = [f.code for f in copied.findings]
    assert "overlapping_footprints" in codes
