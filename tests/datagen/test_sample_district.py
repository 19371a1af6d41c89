"""Tests of pvsite.datagen.sample_district: the committed synthetic sample district and its generator."""

from __future__ import annotations

import re
import sqlite3

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from pvsite.datagen import sample_district as S
from pvsite.errors import InputError
from pvsite.resources import SAMPLE_FOOTPRINTS

METRIC = "EPSG:4549"  # CGCS2000 / 3-degree Gauss-Kruger CM 120E (scale error ~2e-4 at Changning)

SCHOOL = re.compile("小学|中学|幼儿园|学校")
GOVERNMENT = re.compile("办事处|人民政府")
HEALTH = re.compile("医院|卫生服务中心")
INDUSTRIAL_STREETS = ["新泾镇", "北新泾街道", "程家桥街道"]
DENSE_STREETS = ["江苏路街道", "华阳路街道", "新华路街道", "天山路街道"]


@pytest.fixture(scope="module")
def committed():
    """The committed GeoPackage's three layers."""
    assert SAMPLE_FOOTPRINTS.is_file(), "run `python -m pvsite.datagen.sample_district` to create the sample"
    return {
        layer: pyogrio.read_dataframe(SAMPLE_FOOTPRINTS, layer=layer)
        for layer in ("buildings", "streets", S.INFO_LAYER)
    }


@pytest.fixture(scope="module")
def buildings(committed):
    return committed["buildings"]


@pytest.fixture(scope="module")
def streets(committed):
    return committed["streets"]


@pytest.fixture(scope="module")
def street_of(buildings, streets):
    """Street name of every building (buildings lying within exactly one street)."""
    j = gpd.sjoin(buildings[["geometry"]], streets[["name", "geometry"]], predicate="within", how="left")
    assert j.index.is_unique, "a building lies within two streets"
    return j["name"].reindex(buildings.index)


def _blank(s: pd.Series) -> pd.Series:
    return s.isna() | (s.fillna("") == "")


# ---------------------------------------------------------------------------
# Determinism
# ---------------------------------------------------------------------------


def test_regenerating_gives_the_committed_content(tmp_path, committed):
    out = S.write_sample(tmp_path / "regen.gpkg")
    assert [list(r) for r in pyogrio.list_layers(out)] == [list(r) for r in pyogrio.list_layers(SAMPLE_FOOTPRINTS)]
    for layer in ("buildings", "streets"):
        new = pyogrio.read_dataframe(out, layer=layer)
        old = committed[layer]
        pd.testing.assert_frame_equal(new.drop(columns="geometry"), old.drop(columns="geometry"))
        assert new.crs == old.crs
        # 1e-9 ° is ~0.1 mm: identical apart from last-bit differences of PROJ builds
        assert shapely.equals_exact(new.geometry.values, old.geometry.values, tolerance=1e-9).all(), layer
    info_new = pyogrio.read_dataframe(out, layer=S.INFO_LAYER).set_index("key")["value"]
    info_old = committed[S.INFO_LAYER].set_index("key")["value"]
    # the version that wrote the file may differ; everything else must not
    pd.testing.assert_series_equal(info_new.drop("pvsite_version"), info_old.drop("pvsite_version"))


@pytest.mark.slow
def test_seed_changes_the_district():
    a, _, _ = S.generate_sample(seed=1)
    b, _, _ = S.generate_sample(seed=2)
    assert len(a) != len(b) or not shapely.equals_exact(a.geometry.values, b.geometry.values, 1e-9).all()


@pytest.mark.slow
def test_cli_writes_refuses_and_overwrites(tmp_path):
    out = tmp_path / "sub" / "s.gpkg"
    assert S.main(["--out", str(out)]) == 0
    assert S.is_synthetic_sample(out)
    assert S.main(["--out", str(out)]) == 0  # a sample may be regenerated in place
    other = tmp_path / "mine.gpkg"
    other.write_bytes(b"not a sample")
    assert S.main(["--out", str(other)]) == 4
    assert other.read_bytes() == b"not a sample"
    assert S.main(["--out", str(other), "--overwrite"]) == 0
    assert S.is_synthetic_sample(other)


# ---------------------------------------------------------------------------
# File format and schema
# ---------------------------------------------------------------------------


def test_geopackage_version_crs_and_size():
    con = sqlite3.connect(SAMPLE_FOOTPRINTS)
    try:
        assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47  # "GPKG"
        assert con.execute("PRAGMA user_version").fetchone()[0] == 10200  # GeoPackage 1.2
        contents = dict(con.execute("SELECT table_name, data_type FROM gpkg_contents").fetchall())
    finally:
        con.close()
    assert contents == {"buildings": "features", "streets": "features", S.INFO_LAYER: "attributes"}
    for layer in ("buildings", "streets"):
        assert pyogrio.read_info(SAMPLE_FOOTPRINTS, layer=layer)["crs"] == "EPSG:4490"
    assert SAMPLE_FOOTPRINTS.stat().st_size < 3_000_000


def test_building_columns_and_values(buildings):
    assert list(buildings.columns) == [*S.BUILDING_COLUMNS, "geometry"]
    assert buildings["编号"].str.fullmatch(r"CN-\d{6}").all()
    assert buildings["编号"].is_unique
    assert pd.api.types.is_integer_dtype(buildings["层数"])
    assert pd.api.types.is_integer_dtype(buildings["建成年份"])
    assert buildings["层数"].between(1, 45).all()
    assert buildings["建成年份"].between(1949, 2025).all()
    uses = set(buildings["用途"].dropna()) - {""}
    assert uses == set(S.USES)
    assert set(buildings["屋顶类型"].dropna()) == set(S.ROOF_TYPES)
    assert set(buildings.geometry.geom_type) <= {"Polygon", "MultiPolygon"}
    assert buildings.geometry.is_valid.all()


def test_blanks_present_and_names_do_the_work(buildings):
    blank_use = _blank(buildings["用途"])
    assert 0.03 < blank_use.mean() < 0.15
    assert 0 < buildings["屋顶类型"].isna().sum() < 0.05 * len(buildings)
    assert _blank(buildings["名称"]).mean() > 0.2  # many unnamed houses
    names = buildings.loc[blank_use, "名称"].fillna("")
    public = names.str.contains("小学|中学|幼儿园|医院|卫生服务中心|办事处|人民政府|局$|派出所|厂|仓")
    assert public.sum() >= 10


def test_streets_layer(streets, shared_data):
    assert list(streets.columns) == [*S.STREET_COLUMNS, "geometry"]
    ref = pd.read_csv(shared_data / "boundaries" / "changning_subdistricts_reference.csv", dtype=str)
    expected = {(r.name_zh, r.official_code_2023, {"street": "街道", "town": "镇"}[r.type]) for r in ref.itertuples()}
    assert set(zip(streets["name"], streets["code"], streets["type"])) == expected
    assert streets["code"].str.fullmatch(r"\d{12}").all()


def test_sample_info_table(committed):
    info = committed[S.INFO_LAYER].set_index("key")["value"]
    assert info["synthetic"] == "true"
    assert info["generator"] == "pvsite.datagen.sample_district"
    assert info["seed"] == str(S.SEED)
    assert "合成示例数据" in info["warning"] and "Synthetic sample data" in info["warning"]
    assert int(info["n_buildings"]) == len(committed["buildings"])


# ---------------------------------------------------------------------------
# Geometry
# ---------------------------------------------------------------------------


def test_streets_tile_the_district_without_overlap(streets):
    m = streets.to_crs(METRIC).geometry.values
    i, j = shapely.STRtree(m).query(m, predicate="intersects")
    pairs = i < j
    overlap_m2 = shapely.area(shapely.intersection(m[i[pairs]], m[j[pairs]]))
    assert overlap_m2.max() < 1.0
    union = shapely.union_all(m)
    assert union.geom_type == "Polygon" and shapely.get_num_interior_rings(union) == 0
    assert union.area == pytest.approx(shapely.area(m).sum(), rel=1e-6)
    assert 25e6 < union.area < 45e6  # Changning is 38.3 km²
    minx, miny, maxx, maxy = streets.total_bounds
    assert 121.34 < minx < maxx < 121.46 and 31.18 < miny < maxy < 31.24


def test_buildings_do_not_overlap(buildings):
    m = buildings.to_crs(METRIC).geometry.values
    i, j = shapely.STRtree(m).query(m, predicate="intersects")
    pairs = i < j
    # touching is tolerated, sharing area is not
    assert shapely.area(shapely.intersection(m[i[pairs]], m[j[pairs]])).sum() < 0.01


def test_every_building_within_one_street(street_of, streets):
    assert street_of.notna().all()
    assert set(street_of) == set(streets["name"])


def test_shapes_and_sizes(buildings):
    m = buildings.to_crs(METRIC)
    area = m.geometry.area
    n_parts = shapely.get_num_geometries(m.geometry.values)
    holes = shapely.get_num_interior_rings(shapely.get_geometry(m.geometry.values, 0))
    assert 1 <= (n_parts > 1).sum() <= 0.05 * len(m)  # a few multi-part buildings
    assert (holes > 0).sum() >= 10  # courtyards
    assert 10 <= (area < 20).sum() <= 0.06 * len(m)  # a few tiny annexes
    # large metal sheds: both sides of the oriented rectangle 40–150 m
    rect = shapely.oriented_envelope(m.geometry.values)
    xy = shapely.get_coordinates(rect).reshape(len(m), 5, 2)
    sides = np.sort(np.stack([np.hypot(*(xy[:, 1] - xy[:, 0]).T), np.hypot(*(xy[:, 2] - xy[:, 1]).T)], 1), 1)
    shed = (buildings["屋顶类型"] == "彩钢屋顶").to_numpy() & (sides[:, 0] >= 39.9) & (sides[:, 1] <= 150.1)
    assert shed.sum() >= 50
    # residential slabs: median footprint of a 新村 slab is a few hundred m²
    assert 300 < area[buildings["用途"] == "住宅"].median() < 1200


# ---------------------------------------------------------------------------
# Content mix
# ---------------------------------------------------------------------------


# Buildings the generator is asked to place per street (its design table, pvsite.datagen.sample_district):
# it fills each street parcel by parcel until the target is reached, so a street overshoots by at most the
# last parcel's few buildings or falls short when its parcels run out (周家桥街道: 282 of 290 fit).
STREET_TARGETS = {"华阳路街道": 320, "江苏路街道": 290, "新华路街道": 320, "周家桥街道": 290, "天山路街道": 360,
                  "仙霞新村街道": 360, "虹桥街道": 370, "程家桥街道": 380, "北新泾街道": 330, "新泾镇": 480}


def test_counts_per_street_meet_the_targets(buildings, street_of, committed):
    assert sum(STREET_TARGETS.values()) == 3500
    counts = street_of.value_counts()
    assert set(counts.index) == set(STREET_TARGETS) and street_of.notna().all()
    for street, target in STREET_TARGETS.items():
        assert abs(counts[street] - target) <= 0.03 * target, (street, counts[street], target)
    assert len(buildings) == pytest.approx(3500, rel=0.01)
    info = committed[S.INFO_LAYER].set_index("key")["value"]
    assert int(info["n_buildings"]) == len(buildings) and int(info["n_streets"]) == 10


def test_every_street_has_school_government_and_health(buildings, street_of, streets):
    names = buildings["名称"].fillna("")
    for street in streets["name"]:
        here = names[street_of == street]
        assert here.str.contains(SCHOOL).any(), street
        assert here.str.contains(GOVERNMENT).any(), street
        assert here.str.contains(HEALTH).any(), street
        own = f"{street}办事处" if street.endswith("街道") else f"{street}人民政府"
        assert (here == own).sum() == 1, street


def test_industry_sits_in_the_west(buildings, street_of):
    industrial = buildings["用途"].isin(["工业", "仓储物流"]) | buildings["名称"].fillna("").str.contains("厂|仓")
    assert industrial.sum() >= 100
    west = industrial[street_of.isin(INDUSTRIAL_STREETS)].sum()
    east = industrial[street_of.isin(DENSE_STREETS)].sum()
    assert west > 5 * east


def test_new_buildings_spread_over_types(buildings):
    new = buildings["建成年份"] >= 2022
    assert 0.05 <= new.mean() <= 0.10
    uses = set(buildings.loc[new, "用途"].dropna())
    assert {"工业", "住宅"} <= uses
    assert uses & {"教育", "行政办公", "医疗卫生", "社会福利"}


# ---------------------------------------------------------------------------
# is_synthetic_sample
# ---------------------------------------------------------------------------


def test_is_synthetic_sample_true_for_the_sample():
    assert S.is_synthetic_sample(SAMPLE_FOOTPRINTS) is True


def test_is_synthetic_sample_false_for_real_data(shared_data):
    assert S.is_synthetic_sample(shared_data / "footprints" / "shanghai_bund_buildings.gpkg") is False


def test_is_synthetic_sample_reads_the_key(tmp_path):
    path = tmp_path / "t.gpkg"
    gdf = gpd.GeoDataFrame({"名称": ["a"]}, geometry=[shapely.box(121.4, 31.2, 121.401, 31.201)], crs="EPSG:4490")
    pyogrio.write_dataframe(gdf, path, layer="buildings")
    assert S.is_synthetic_sample(path) is False  # no table
    pyogrio.write_dataframe(pd.DataFrame({"key": ["synthetic"], "value": ["false"]}), path, layer=S.INFO_LAYER)
    assert S.is_synthetic_sample(path) is False  # table says false
    with pytest.raises(InputError, match="does not exist"):
        S.is_synthetic_sample(tmp_path / "missing.gpkg")


def test_readme_tables_match_the_generator(repo_root):
    readme = (repo_root / "footprints" / "README.md").read_text(encoding="utf-8")
    for title, table in S.sample_summary().items():
        assert S._markdown(table, index=title != "facts") in readme, f"README table {title} is stale"
