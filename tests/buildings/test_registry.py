"""Tests of pvsite.buildings.registry: institution lists matched to footprints, then classified."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from pvsite.buildings.classify import classify
from pvsite.geo.crs import to_metric
from pvsite.geo.datums import wgs84_to_gcj02
from pvsite.errors import ConfigError, InputError
from pvsite.io.footprints import read_footprints
from pvsite.buildings.registry import ENTRY_COLUMNS, REGISTRY_COLUMNS, match_registry
from pvsite.config import RegistryConfig
from pvsite.io.run_inputs import read_registry
from pvsite.presets import load_classify

UTM51 = "EPSG:32651"
SCHOOLS = "sites/changning_schools_bd09.csv"
CANTEENS = "sites/changning_elderly_canteens.csv"


def utm(lon, lat):
    """WGS 84 lon/lat [°] → UTM 51N x, y [m]."""
    p = gpd.GeoSeries(shapely.points(np.atleast_1d(lon), np.atleast_1d(lat)), crs=4326).to_crs(UTM51)
    return p.x.to_numpy(), p.y.to_numpy()


def squares(centres, half=20.0, ids=None, **cols):
    """Squares of side 2·half [m] centred on UTM (x, y) centres."""
    geoms = [shapely.box(x - half, y - half, x + half, y + half) for x, y in centres]
    ids = ids or [f"b{i}" for i in range(len(geoms))]
    return gpd.GeoDataFrame({"building_id": ids, **cols}, geometry=geoms, crs=UTM51)


def match(roofs, path, **settings):
    """:func:`match_registry` of a registry file read as the IO stage reads it (``cn-default`` preset)."""
    spec = RegistryConfig(path=str(path), **settings)
    return match_registry(roofs, read_registry(spec), spec, load_classify("cn-default"))


def write_csv(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


# ---------------------------------------------------------------------------
# (a) hand-made footprints around the real Changning schools (BD-09)
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schools(shared_data):
    return pd.read_csv(shared_data / SCHOOLS)


def test_contains_nearest_unmatched_around_real_schools(shared_data, schools):
    # The file's own lon_wgs84/lat_wgs84 columns (converted by the data provider) place the footprints;
    # pvsite converts lon_bd09/lat_bd09 itself.  Row 1 北三幼儿园: square centred on it; row 2 哈密路幼儿园:
    # square whose west edge is 12 m east of it; row 5 武夷路幼儿园: square 200 m east; row 3 仙一幼儿园
    # (coordinates rounded to 0.01° in BD-09): square centred on its converted position.
    x, y = utm(schools["lon_wgs84"].to_numpy(), schools["lat_wgs84"].to_numpy())
    fp = gpd.GeoDataFrame(
        {"building_id": ["contains", "near12", "far200", "rounded"]},
        geometry=[
            shapely.box(x[0] - 20, y[0] - 20, x[0] + 20, y[0] + 20),
            shapely.box(x[1] + 12, y[1] - 20, x[1] + 52, y[1] + 20),
            shapely.box(x[4] + 200, y[4] - 20, x[4] + 240, y[4] + 20),
            shapely.box(x[2] - 20, y[2] - 20, x[2] + 20, y[2] + 20),
        ],
        crs=UTM51,
    )
    per_roof, entries = match(fp, shared_data / SCHOOLS, datum="bd09")

    assert list(entries.columns) == [*ENTRY_COLUMNS, "geometry"]
    assert len(entries) == 34 and entries["row"].tolist() == list(range(1, 35))
    e = entries.set_index("row")
    assert e.loc[1, "status"] == "contains" and e.loc[1, "building_id"] == "contains"
    # the datum conversion agrees with the provider's WGS84 columns to well under a metre
    assert e.loc[2, "status"] == "nearest (12.0 m)" and e.loc[2, "distance_m"] == pytest.approx(12.0, abs=0.5)
    assert e.loc[2, "building_id"] == "near12"
    assert e.loc[5, "status"] == "unmatched (nearest 200 m)"
    assert e.loc[5, "distance_m"] == pytest.approx(200.0, abs=0.5) and pd.isna(e.loc[5, "building_id"])
    assert e.loc[3, "status"] == "unmatched (coordinates rounded to 0.01°)" and pd.isna(e.loc[3, "building_id"])

    assert list(per_roof.columns) == list(REGISTRY_COLUMNS)
    assert per_roof.index.equals(fp.index)
    assert per_roof["registry_rule"].tolist()[:2] == [
        "registry:changning_schools_bd09.csv:1", "registry:changning_schools_bd09.csv:2"]
    assert per_roof["registry_name"].tolist()[:2] == ["上海市长宁区北三幼儿园", "上海市长宁区哈密路幼儿园"]
    assert per_roof["registry_type"].tolist()[:2] == ["school", "school"]
    assert per_roof["registry_match"].tolist()[:2] == ["contains", "nearest (12.0 m)"]
    assert per_roof.iloc[2:].isna().all().all()  # far and rounded: not tagged
    # the type came from the name (the file's type column holds 1/2 codes)
    assert e.loc[1, "type_basis"] == "name:幼儿园" and e.loc[33, "type_basis"] == "name:小学"
    assert e.loc[8, "registry_type"] == "school" and e.loc[8, "type_basis"] == "name:幼稚园"

    # a tolerance below 12 m leaves row 2 unmatched
    per_roof, entries = match(fp, shared_data / SCHOOLS, datum="bd09", tolerance_m=10)
    assert entries.loc[1, "status"] == "unmatched (nearest 12 m)"
    assert per_roof["registry_rule"].notna().tolist() == [True, False, False, False]


def test_rounded_rows_are_the_files_low_precision_rows(shared_data, schools):
    fp = squares([(0.0, 0.0)])  # far from Changning: everything unmatched
    fp = fp.set_crs(UTM51, allow_override=True)
    _, entries = match(fp, shared_data / SCHOOLS, datum="bd09")
    rounded = entries["status"].str.contains("rounded").to_numpy()
    np.testing.assert_array_equal(rounded, schools["coord_low_precision"].to_numpy(dtype=bool))
    assert rounded.sum() == int(schools["coord_low_precision"].sum())


def test_bd09_and_provider_wgs84_columns_agree(shared_data, schools):
    # Squares on the provider's WGS 84 positions: found from the BD-09 columns and from the WGS 84 ones.
    x, y = utm(schools["lon_wgs84"].to_numpy(), schools["lat_wgs84"].to_numpy())
    ok = ~schools["coord_low_precision"].to_numpy(dtype=bool)
    fp = squares(list(zip(x[ok], y[ok])))
    per_roof, entries = match(fp, shared_data / SCHOOLS, datum="bd09")
    assert entries["status"].iloc[np.flatnonzero(ok)].eq("contains").all()
    per_roof2, entries2 = match(fp, shared_data / SCHOOLS, datum="wgs84",
                                         lon_col="lon_wgs84", lat_col="lat_wgs84")
    assert entries2["status"].iloc[np.flatnonzero(ok)].eq("contains").all()
    # a declared datum contradicting the columns' names is refused
    with pytest.raises(ConfigError, match="bd09"):
        match(fp, shared_data / SCHOOLS, datum="wgs84", lon_col="lon_bd09", lat_col="lat_bd09")


def test_plain_lonlat_declared_wrong_datum_lands_off(tmp_path, schools):
    ok = ~schools["coord_low_precision"].to_numpy(dtype=bool)
    x, y = utm(schools["lon_wgs84"].to_numpy()[ok], schools["lat_wgs84"].to_numpy()[ok])
    fp = squares(list(zip(x, y)))
    csv = tmp_path / "plain.csv"
    schools[ok].rename(columns={"lon_bd09": "lon", "lat_bd09": "lat"})[["name", "lon", "lat"]].to_csv(csv, index=False)
    _, right = match(fp, csv, datum="bd09")
    _, wrong = match(fp, csv, datum="wgs84")
    assert right["status"].eq("contains").all()
    # BD-09 taken as WGS 84: every point lands far from its own school (other squares may be hit by chance)
    own = shapely.distance(np.asarray(wrong.geometry.values), np.asarray(fp.geometry.values))
    assert own.min() > 500
    assert not (wrong["building_id"] == fp["building_id"]).any()
    # a registry without a declared datum is refused
    with pytest.raises(ConfigError, match="not declared"):
        match(fp, csv)


def test_canteens_gcj02_all_contained(shared_data):
    c = pd.read_csv(shared_data / CANTEENS)
    x, y = utm(c["lon_wgs84"].to_numpy(), c["lat_wgs84"].to_numpy())
    fp = squares(list(zip(x, y)), half=3.0)  # 6 m squares: conversion error must stay < 3 m
    per_roof, entries = match(fp, shared_data / CANTEENS, datum="gcj02", default_type="public_service")
    assert entries["status"].eq("contains").all()
    assert entries["building_id"].tolist() == fp["building_id"].tolist()
    assert entries["datum"].eq("gcj02").all()
    assert per_roof["registry_type"].eq("public_service").all()
    assert entries["type_basis"].eq("default_type").all()
    # datum named by the columns: no declaration needed
    _, again = match(fp, shared_data / CANTEENS, lon_col="lon_gcj02", lat_col="lat_gcj02")
    assert again["status"].eq("contains").all()
    # both a gcj02 and a wgs84 pair: the datum must be stated
    with pytest.raises(ConfigError, match="lon_gcj02/lat_gcj02 \\(gcj02\\); lon_wgs84/lat_wgs84 \\(wgs84\\)"):
        match(fp, shared_data / CANTEENS)


# ---------------------------------------------------------------------------
# (b) the real registries against the synthetic sample district
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "datum", "n_rows"), [(SCHOOLS, "bd09", 34), (CANTEENS, "gcj02", 19)])
def test_real_registries_on_sample_district_lose_nothing(shared_data, repo_root, name, datum, n_rows):
    # The sample district is synthetic: any match there is coincidental, so only bookkeeping is asserted.
    gdf, _ = read_footprints(repo_root / "footprints" / "sample_district.gpkg", layer="buildings")
    roofs = to_metric(gdf)
    per_roof, entries = match(roofs, shared_data / name, datum=datum)
    assert len(entries) == n_rows == len(pd.read_csv(shared_data / name))
    status = entries["status"]
    matched = status.str.match(r"^(contains|nearest \(\d+\.\d m\))$")
    unmatched = status.str.match(r"^unmatched \((nearest \d+ m|coordinates rounded to 0\.01°)\)$")
    assert (matched ^ unmatched).all()  # every entry is exactly one of the two
    assert (entries.loc[matched, "distance_m"] <= 30).all()
    assert (entries.loc[status.str.startswith("unmatched (nearest"), "distance_m"] > 30).all()
    assert entries.loc[matched, "building_id"].notna().all() and entries.loc[unmatched, "building_id"].isna().all()
    # every tagged roof is one matched entry's footprint, and each matched entry's footprint is tagged
    tagged = per_roof["registry_rule"].notna()
    assert set(roofs.loc[tagged, "building_id"]) == set(entries.loc[matched, "building_id"])
    assert len(per_roof) == len(roofs) and per_roof.index.equals(roofs.index)
    print(f"{name}: {int(matched.sum())} of {n_rows} matched on the synthetic sample (coincidental), "
          f"{int(unmatched.sum())} listed unmatched")


# ---------------------------------------------------------------------------
# Rules of matching
# ---------------------------------------------------------------------------

X0, Y0 = 350_000.0, 3_450_000.0


def lonlat(x, y):
    p = gpd.GeoSeries(shapely.points(np.atleast_1d(x), np.atleast_1d(y)), crs=UTM51).to_crs(4326)
    return p.x.to_numpy(), p.y.to_numpy()


def registry_csv(path, xy, names, extra=None, datum_cols=("lon", "lat")):
    lon, lat = lonlat(*np.array(xy).T)
    df = pd.DataFrame({"name": names, datum_cols[0]: np.round(lon, 7), datum_cols[1]: np.round(lat, 7)})
    for k, v in (extra or {}).items():
        df[k] = v
    df.to_csv(path, index=False)
    return path


def test_conflicts_contains_beats_nearest_then_distance(tmp_path):
    fp = gpd.GeoDataFrame(
        {"building_id": ["A", "B"]},
        geometry=[shapely.box(X0, Y0, X0 + 40, Y0 + 40), shapely.box(X0 + 200, Y0, X0 + 240, Y0 + 40)],
        crs=UTM51,
    )
    pts = [
        (X0 + 45, Y0 + 20),    # row 1: 5 m east of A
        (X0 + 20, Y0 + 20),    # row 2: inside A
        (X0 + 195, Y0 + 20),   # row 3: 5 m west of B
        (X0 + 220, Y0 + 43),   # row 4: 3 m north of B
    ]
    csv = registry_csv(tmp_path / "r.csv", pts, ["东医院", "甲小学", "乙幼儿园", "丙中学"])
    per_roof, entries = match(fp, csv, datum="wgs84")
    assert entries["status"].tolist() == ["nearest (5.0 m)", "contains", "nearest (5.0 m)", "nearest (3.0 m)"]
    assert per_roof["registry_rule"].tolist() == ["registry:r.csv:2", "registry:r.csv:4"]
    assert per_roof["registry_type"].tolist() == ["school", "school"]
    assert entries["note"].iloc[0] == "footprint A taken by row 2"  # contains beats nearest
    assert entries["note"].iloc[2] == "footprint B taken by row 4"  # 3 m beats 5 m
    assert entries["note"].iloc[[1, 3]].isna().all()
    assert entries["registry_type"].tolist() == ["hospital", "school", "school", "school"]
    assert entries["n_footprints"].tolist() == [1, 1, 1, 1]


def test_overlapping_footprints_smallest_wins_and_rejected_never_tagged(tmp_path):
    fp = gpd.GeoDataFrame(
        {"building_id": ["big", "small", "bad"], "reject_reason": pd.Series([None, None, "not a polygon (Point)"],
                                                                            dtype="str")},
        geometry=[shapely.box(X0, Y0, X0 + 100, Y0 + 100), shapely.box(X0 + 40, Y0 + 40, X0 + 60, Y0 + 60),
                  shapely.box(X0 + 300, Y0, X0 + 340, Y0 + 40)],
        crs=UTM51,
    )
    csv = registry_csv(tmp_path / "r.csv", [(X0 + 50, Y0 + 50), (X0 + 320, Y0 + 20)], ["甲小学", "乙小学"])
    per_roof, entries = match(fp, csv, datum="wgs84")
    assert entries["building_id"].iloc[0] == "small"
    # the rejected footprint is not a candidate: the nearest usable one is 'big' (east edge x = 100 m), 220 m west
    assert entries["status"].iloc[1] == "unmatched (nearest 220 m)"
    assert per_roof["registry_rule"].notna().tolist() == [False, True, False]


def test_polygon_registry_tags_every_covered_footprint(tmp_path):
    fp = gpd.GeoDataFrame(
        {"building_id": ["in1", "in2", "out", "near"]},
        geometry=[shapely.box(X0 + 10, Y0 + 10, X0 + 30, Y0 + 30), shapely.box(X0 + 50, Y0 + 10, X0 + 70, Y0 + 30),
                  shapely.box(X0 + 150, Y0 + 10, X0 + 170, Y0 + 30), shapely.box(X0 + 500, Y0, X0 + 520, Y0 + 20)],
        crs=UTM51,
    )
    campus = [shapely.box(X0, Y0, X0 + 100, Y0 + 100), shapely.box(X0 + 400, Y0, X0 + 480, Y0 + 20)]
    reg = gpd.GeoDataFrame({"名称": ["某某中学", "某某体育馆"], "类型": ["school", "体育馆"]},
                           geometry=campus, crs=UTM51)
    path = tmp_path / "campus.gpkg"
    reg.to_file(path, engine="pyogrio")
    per_roof, entries = match(fp, path)  # projected CRS: no web-map datum
    assert entries["status"].tolist() == ["contains", "nearest (20.0 m)"]
    assert entries["building_id"].tolist() == ["in1;in2", "near"]
    assert entries["n_footprints"].tolist() == [2, 1]
    assert per_roof["registry_type"].tolist()[:2] == ["school", "school"]
    assert pd.isna(per_roof["registry_type"].iloc[2])
    # '体育馆' is neither a pvsite type nor a type name: the name rules decide
    assert per_roof["registry_type"].iloc[3] == "public_service"
    assert entries["type_basis"].tolist() == ["type column 类型=school", "name:体育馆"]


def test_type_column_map_default_and_chinese_names(tmp_path):
    fp = squares([(X0 + 100 * i, Y0) for i in range(5)])
    csv = registry_csv(tmp_path / "t.csv", [(X0 + 100 * i, Y0) for i in range(5)],
                       ["A园", "B校", "C所", "D馆", "E处"], extra={"type": ["1", "2", "医疗卫生", "hospital", ""]})
    _, e = match(fp, csv, datum="wgs84", type_map={"1": "school", 2: "school"}, default_type="government")
    assert e["registry_type"].tolist() == ["school", "school", "hospital", "hospital", "government"]
    assert e["type_basis"].tolist() == ["type column type=1", "type column type=2", "type column type=医疗卫生",
                                        "type column type=hospital", "default_type"]
    with pytest.raises(ConfigError, match="'palace'"):
        match(fp, csv, datum="wgs84", type_map={"1": "palace"})
    with pytest.raises(ConfigError, match="castle"):
        match(fp, csv, datum="wgs84", default_type="castle")


def test_gbk_csv_with_chinese_columns_and_gcj02(tmp_path):
    # 经度/纬度 columns, GBK, GCJ-02 values computed from the footprint's WGS 84 centre
    lon, lat = lonlat(X0 + 20, Y0 + 20)
    glon, glat = wgs84_to_gcj02(lon, lat)
    text = f"名称,经度,纬度\n长宁区某小学,{glon[0]:.7f},{glat[0]:.7f}\n无坐标学校,,\n"
    csv = write_csv(tmp_path / "gbk.csv", text, "gbk")
    fp = squares([(X0 + 20, Y0 + 20)], half=2.0)
    per_roof, e = match(fp, csv, datum="gcj02")
    assert e["status"].tolist() == ["contains", "unmatched (no coordinates)"]
    assert e["name"].tolist() == ["长宁区某小学", "无坐标学校"]
    assert per_roof["registry_name"].iloc[0] == "长宁区某小学"
    assert e["source_lon"].iloc[0] == pytest.approx(glon[0], abs=1e-7)
    # UTF-8 with BOM reads the same
    csv2 = write_csv(tmp_path / "bom.csv", text, "utf-8-sig")
    assert match(fp, csv2, datum="gcj02")[1]["status"].tolist() == e["status"].tolist()


def test_input_errors(tmp_path):
    fp = squares([(X0, Y0)])
    with pytest.raises(InputError, match="does not exist"):
        match(fp, tmp_path / "none.csv", datum="wgs84")
    nocols = write_csv(tmp_path / "n.csv", "name,addr\na,b\n")
    with pytest.raises(InputError, match="name, addr"):
        match(fp, nocols, datum="wgs84")
    swapped = write_csv(tmp_path / "s.csv", "name,lon,lat\na,31.2,121.4\n")
    with pytest.raises(InputError, match="[Ss]wap"):
        match(fp, swapped, datum="wgs84")
    projected = write_csv(tmp_path / "p.csv", f"name,x,y\na,{X0},{Y0}\n")
    with pytest.raises(InputError, match="not lon/lat"):
        match(fp, projected, datum="wgs84")
    ok = write_csv(tmp_path / "ok.csv", "name,lon,lat\na,121.4,31.2\n")
    with pytest.raises(ConfigError, match="wgs84, gcj02, bd09"):
        match(fp, ok, datum="baidu")
    with pytest.raises(ConfigError, match="tolerance"):
        match(fp, ok, datum="wgs84", tolerance_m=-1)
    with pytest.raises(InputError, match="no name column 'title'"):
        match(fp, ok, datum="wgs84", name_col="title")


def test_no_usable_footprint(tmp_path):
    fp = gpd.GeoDataFrame({"building_id": ["x"]}, geometry=[None], crs=UTM51)
    ok = write_csv(tmp_path / "ok.csv", "name,lon,lat\n某小学,121.4,31.21234\n")
    per_roof, e = match(fp, ok, datum="wgs84")
    assert e["status"].tolist() == ["unmatched (no usable footprint)"]
    assert per_roof["registry_rule"].isna().all()


# ---------------------------------------------------------------------------
# classify(registry=...)
# ---------------------------------------------------------------------------


def test_registry_precedence_in_classify(tmp_path):
    fp = squares([(X0 + 100 * i, Y0) for i in range(4)],
                 name=pd.Series(["仓库", "某某医院", "无名", "天山二村"], dtype="str"),
                 use=pd.Series(["住宅", None, None, "住宅"], dtype="str"))
    csv = registry_csv(tmp_path / "schools.csv", [(X0 + 100 * i, Y0) for i in range(3)],
                       ["甲幼儿园", "乙小学", "不明机构"])
    per_roof, _ = match(fp, csv, datum="wgs84")
    ov = write_csv(tmp_path / "fix.csv", "building_id,building_type,reason\nb0,warehouse,现场核实\n")
    out = classify(fp, "cn-default", 2022, registry=per_roof, overrides=ov)
    assert list(zip(out["building_type"], out["class_rule"])) == [
        ("warehouse", "override:fix.csv"),           # override beats the registry
        ("school", "registry:schools.csv:2"),        # registry beats the name rule (医院)
        ("other", "default:no-rule-matched"),        # entry without a type decides nothing
        ("residential", "use:住宅"),                  # no entry: rules as before
    ]
    assert out["class_note"].iloc[1] == "名录 registry: 乙小学, contains"
    assert out["building_class"].iloc[1] == "public_institution"
    # registry beats use keywords too
    out2 = classify(fp, "cn-default", 2022, registry=per_roof)
    assert out2["class_rule"].iloc[0] == "registry:schools.csv:1" and out2["building_type"].iloc[0] == "school"


def test_registry_aligned_by_index_and_validated(tmp_path):
    fp = squares([(X0 + 100 * i, Y0) for i in range(3)])
    fp.index = [10, 11, 12]
    csv = registry_csv(tmp_path / "r.csv", [(X0 + 200, Y0)], ["某小学"])
    per_roof, _ = match(fp, csv, datum="wgs84")
    assert per_roof.index.tolist() == [10, 11, 12] and per_roof["registry_type"].notna().tolist() == [False, False, True]
    sub = fp.loc[[12, 10]]  # a selection, reordered
    out = classify(sub, "cn-default", 2022, registry=per_roof)
    assert out["class_rule"].tolist() == ["registry:r.csv:1", "default:no-rule-matched"]
    bad = per_roof.copy()
    bad.loc[12, "registry_type"] = "palace"
    with pytest.raises(InputError, match="palace"):
        classify(fp, "cn-default", 2022, registry=bad)
    with pytest.raises(InputError, match="registry_rule"):
        classify(fp, "cn-default", 2022, registry=per_roof.drop(columns="registry_rule"))


def test_point_layer_in_gcj02_and_excel(tmp_path):
    fp = squares([(X0 + 20, Y0 + 20), (X0 + 220, Y0 + 20)], half=3.0)
    lon, lat = lonlat(np.array([X0 + 20, X0 + 220]), np.array([Y0 + 20, Y0 + 20]))
    glon, glat = wgs84_to_gcj02(lon, lat)
    layer = gpd.GeoDataFrame({"名称": ["某卫生服务中心", "某街道办事处"]}, geometry=shapely.points(glon, glat),
                             crs=4326)  # GCJ-02 values labelled EPSG:4326, as web-map exports are
    path = tmp_path / "pts.geojson"
    layer.to_file(path, engine="pyogrio")
    with pytest.raises(ConfigError, match="not declared"):
        match(fp, path)
    per_roof, e = match(fp, path, datum="gcj02")
    assert e["status"].tolist() == ["contains", "contains"]
    assert per_roof["registry_type"].tolist() == ["hospital", "government"]
    assert e["type_basis"].tolist() == ["name:卫生服务中心", "name:街道办事处"]
    # the same list as an Excel sheet with 经度/纬度 columns
    xlsx = tmp_path / "list.xlsx"
    pd.DataFrame({"名称": layer["名称"], "经度": glon, "纬度": glat}).to_excel(xlsx, index=False)
    assert match(fp, xlsx, datum="gcj02")[1]["status"].tolist() == ["contains", "contains"]


def test_parse_spec():
    from pathlib import Path

    from pvsite.io.layers import parse_spec

    assert parse_spec("sites/schools.csv:bd09") == (Path("sites/schools.csv"), "bd09")
    assert parse_spec("canteens.csv:GCJ-02") == (Path("canteens.csv"), "gcj02")
    assert parse_spec("list.csv") == (Path("list.csv"), None)
    assert parse_spec(r"C:\data\list.csv") == (Path(r"C:\data\list.csv"), None)
    assert parse_spec(r"C:\data\list.csv:wgs84") == (Path(r"C:\data\list.csv"), "wgs84")
    assert parse_spec("C:bd09") == (Path("C:bd09"), None)  # drive-relative file 'bd09', not a datum


def test_combine_matches_first_typed_wins(tmp_path):
    from pvsite.buildings.registry import combine_matches

    fp = squares([(X0 + 100 * i, Y0) for i in range(3)])
    a = registry_csv(tmp_path / "a.csv", [(X0, Y0), (X0 + 100, Y0)], ["甲小学", "不明机构"])
    b = registry_csv(tmp_path / "b.csv", [(X0, Y0), (X0 + 100, Y0)], ["某医院", "乙医院"])
    ra, _ = match(fp, a, datum="wgs84")
    rb, _ = match(fp, b, datum="wgs84")
    both = combine_matches([ra, rb])
    # roof 0: both typed, a first; roof 1: a's entry is untyped, b's typed one wins; roof 2: none
    assert both["registry_rule"].tolist()[:2] == ["registry:a.csv:1", "registry:b.csv:2"]
    assert both["registry_type"].tolist()[:2] == ["school", "hospital"]
    assert both.iloc[2].isna().all()


def test_registry_owner_column_sets_owner_type_and_the_department(tmp_path):
    """A registry's 权属 column (区属国企 …) reaches owner_type, so task 37 gives the roof to 区国资委."""
    import pandas as pd

    from pvsite import api
    from pvsite.config import Config
    from pvsite import pipeline

    base = pipeline.prepare(Config())
    roofs = base.roofs.to_crs(4326)
    factory = roofs[(roofs["building_class"] == "factory") & ~roofs["is_new"].astype(bool)].iloc[0]
    pt = factory.geometry.representative_point()
    reg = tmp_path / "soe.csv"
    pd.DataFrame({"单位名称": ["区属某集团厂房"], "类型": ["factory"], "权属": ["长宁区属国有企业"],
                  "lon": [pt.x], "lat": [pt.y]}).to_csv(reg, index=False, encoding="utf-8-sig")
    res = pipeline.run(api.configure(registries=[f"{reg}:wgs84"]))
    row = res.roofs.set_index("building_id").loc[factory["building_id"]]
    assert row["owner_type"] == "区属国企"
    assert row["responsible_department"] == "区国资委" and row["plan_task"] == "37"
    assert factory["responsible_department"] != "区国资委"  # without the registry: its street
