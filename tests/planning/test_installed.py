"""Installed / planned PV: matching to roofs, per-roof remaining potential, the gap to the target, the trajectory."""

from pathlib import Path

import pandas as pd
import pytest

from pvsite import pipeline
from pvsite.config import Config
from pvsite.outputs import console

DATA = Path(__file__).resolve().parents[2] / "footprints" / "sample_installed.csv"


@pytest.fixture(scope="module")
def prepared():
    return pipeline.prepare(Config())


def _with_list(prepared, path, datum="gcj02", **delivery):
    """The same prepared roofs, with one installed list matched (no re-survey)."""
    from dataclasses import replace

    from pvsite.io.installed import read_installed
    from pvsite.planning import installed as installed_mod

    cfg = prepared.config.with_overrides(delivery={"installed": [{"path": str(path), "datum": datum}], **delivery})
    lists = [read_installed(s) for s in cfg.delivery.installed]
    entries = installed_mod.match_installed(prepared.roofs, lists, cfg.delivery.tolerance_m)
    return replace(prepared, config=cfg, installed=entries)


def test_without_a_list_built_is_unknown_not_zero(prepared):
    r = pipeline.size(prepared)
    d = r.district
    assert r.installed_entries is None and r.trajectory is None
    assert pd.isna(d["installed_kw"]) and pd.isna(d["remaining_kw"]) and pd.isna(d["achieved_pct"])
    assert d["potential_x_target"] == pytest.approx(d["capacity_kw"] / 16000.0)
    assert r.roofs["installed_kw"].isna().all()
    assert (r.roofs["remaining_potential_kw"] == r.roofs["capacity_kw"]).all()
    assert "已建容量未知" in console.built_line(r) and "unknown" in console.built_line(r)


def test_sample_list_matches_by_id_point_and_lists_the_unmatched(prepared):
    r = pipeline.size(_with_list(prepared, DATA))
    e = r.installed_entries
    assert list(e["match_method"]) == ["id", "contains", "id", "contains", "unmatched", "id"]
    assert list(e["building_id"].fillna("-")) == ["CN-002942", "CN-002450", "CN-001585", "CN-002335", "-",
                                                   "CN-003129"]
    assert list(e["status"]) == ["built", "under_construction", "planned", "built", "built", "built"]
    assert e.loc[3, "capacity_kw"] == 100.0  # "0.1 MW"
    assert e.loc[4, "match_distance_m"] > 1000 and "tolerance 30 m" in e.loc[4, "note"]
    codes = [f.code for f in r.findings]
    assert "installed_unmatched" in codes and "installed_before_target_period" in codes
    roofs = r.roofs.set_index("building_id")
    assert roofs.at["CN-002942", "installed_kw"] == 300.0
    assert roofs.at["CN-002450", "under_construction_kw"] == 200.0
    assert roofs.at["CN-001585", "planned_kw"] == 80.0
    for bid, kw in (("CN-002942", 300.0), ("CN-002450", 200.0), ("CN-001585", 80.0)):
        assert roofs.at[bid, "remaining_potential_kw"] == pytest.approx(max(roofs.at[bid, "capacity_kw"] - kw, 0.0))
    d = r.district
    # district: matched + unmatched; built 300 + 100 + 50 + 40
    assert d["installed_kw"] == pytest.approx(490.0) and d["under_construction_kw"] == 200.0
    # toward the 2021–2025 target: not the 40 kW of 2020
    assert d["remaining_kw"] == pytest.approx(16000.0 - 450.0)
    assert d["achieved_pct"] == pytest.approx(450.0 / 16000.0 * 100.0)
    t = r.trajectory.set_index("year")
    assert list(t.index) == list(range(2021, 2031))
    assert t.loc[2022, "added_kw"] == 300.0 and t.loc[2023, "added_kw"] == 100.0 and t.loc[2024, "added_kw"] == 50.0
    assert t.loc[2025, "cumulative_kw"] == pytest.approx(450.0) and t.loc[2025, "target_kw"] == 16000.0
    assert pd.isna(t.loc[2024, "target_kw"]) and r.trajectory.attrs["before_kw"] == 40.0
    street = r.summary[(r.summary.level == "street")].set_index("key")
    assert street.at["北新泾街道", "installed_kw"] == 300.0 and street.at["程家桥街道", "under_construction_kw"] == 200.0
    assert "% of target" in console.built_line(r) and "count toward the target" in console.built_line(r)


def test_installed_systems_change_the_gap_by_exactly_their_capacity(prepared, tmp_path):
    """Adding built projects on roofs lowers remaining_kw by their kW, to the last digit."""
    roofs = prepared.roofs.sort_values("building_id").iloc[[10, 500, 2000]]
    rows = ["project_name,capacity_kw,status,commissioned,building_id"]
    rows += [f"p{i},{kw},已并网,2023-05-0{i + 1},{b}" for i, (b, kw) in enumerate(zip(roofs["building_id"],
                                                                                   (123.4, 56.7, 8.9)))]
    base = tmp_path / "one.csv"
    base.write_text(rows[0] + "\n" + rows[1] + "\n", encoding="utf-8")
    more = tmp_path / "three.csv"
    more.write_text("\n".join(rows) + "\n", encoding="utf-8")
    a = pipeline.size(_with_list(prepared, base, datum="wgs84")).district
    b = pipeline.size(_with_list(prepared, more, datum="wgs84")).district
    assert a["remaining_kw"] - b["remaining_kw"] == pytest.approx(56.7 + 8.9, abs=1e-9)
    assert b["installed_kw"] - a["installed_kw"] == pytest.approx(56.7 + 8.9, abs=1e-9)
    assert a["remaining_kw"] == pytest.approx(16000.0 - 123.4, abs=1e-9)
    # planned / under construction do not close the gap
    planned = tmp_path / "planned.csv"
    planned.write_text(rows[0] + "\n" + rows[1] + "\n" + rows[2].replace("已并网", "已备案") + "\n", encoding="utf-8")
    c = pipeline.size(_with_list(prepared, planned, datum="wgs84")).district
    assert c["remaining_kw"] == pytest.approx(a["remaining_kw"]) and c["planned_kw"] == pytest.approx(56.7)


def test_nearest_roof_within_tolerance_only(prepared, tmp_path):
    """A point just off an isolated roof matches it within the tolerance, and nothing below its distance."""
    import geopandas as gpd
    import shapely

    from pvsite.geo import crs as crs_mod

    roofs_m = crs_mod.to_metric(prepared.roofs)
    g = roofs_m.geometry.to_numpy()
    tree = shapely.STRtree(g)
    (i, j), d = tree.query_nearest(g, exclusive=True, return_distance=True)
    gap = pd.Series(d, index=i).groupby(level=0).min()
    k = int(gap[gap > 80].index[0])
    b = shapely.bounds(g[k])
    off = gpd.GeoSeries([shapely.Point(b[2] + 12.0, (b[1] + b[3]) / 2)], crs=roofs_m.crs).to_crs(4326).iloc[0]
    p = tmp_path / "near.csv"
    p.write_text(f"name,capacity_kw,status,date,lon,lat\nx,10,built,2024,{off.x:.8f},{off.y:.8f}\n", encoding="utf-8")
    e = _with_list(prepared, p, datum="wgs84").installed
    dist = float(e.loc[0, "match_distance_m"])
    assert e.loc[0, "match_method"] == "nearest" and e.loc[0, "building_id"] == roofs_m["building_id"].iloc[k]
    assert 11.9 < dist < 30.0
    e = _with_list(prepared, p, datum="wgs84", tolerance_m=dist - 0.5).installed
    assert e.loc[0, "match_method"] == "unmatched" and pd.isna(e.loc[0, "building_id"])
