"""Tests of pvsite.io.layers: one reader for every side layer, every format, any datum."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner

from pvsite.errors import ConfigError, InputError
from pvsite.geo.datums import wgs84_to_bd09, wgs84_to_gcj02
from pvsite.io.layers import (
    SideLayer,
    parse_spec,
    read_districts,
    read_layer,
    read_street_polygons,
    read_table,
    read_within,
)

#: Three WGS 84 points in Changning [°] (the truth the datum conversions must land on).
LON = np.array([121.4012, 121.4250, 121.3803])
LAT = np.array([31.2101, 31.2203, 31.1987])
NAMES = ["甲小学", "乙幼儿园", "丙中学"]


def _polygons(crs="EPSG:4326") -> gpd.GeoDataFrame:
    geoms = [shapely.box(x - 0.001, y - 0.001, x + 0.001, y + 0.001) for x, y in zip(LON, LAT)]
    gdf = gpd.GeoDataFrame({"name": NAMES, "code": [1, 2, 3]}, geometry=geoms, crs="EPSG:4326")
    return gdf.to_crs(crs)


def _centres(side: SideLayer) -> np.ndarray:
    g = side.frame.to_crs("EPSG:4326").geometry
    c = shapely.centroid(np.asarray(g.values))
    return np.column_stack([shapely.get_x(c), shapely.get_y(c)])


# ---------------------------------------------------------------------------
# Vector formats
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("suffix,driver", [(".gpkg", "GPKG"), (".shp", "ESRI Shapefile"),
                                           (".geojson", "GeoJSON"), (".fgb", "FlatGeobuf")])
def test_vector_formats_read_with_attributes(tmp_path, suffix, driver):
    path = tmp_path / f"layer{suffix}"
    pyogrio.write_dataframe(_polygons("EPSG:32651"), path, driver=driver)
    side = read_layer(path, name_field="name", what="--streets")
    assert side.kind == "vector" and side.datum is None and len(side.frame) == 3
    if suffix == ".fgb":  # FlatGeobuf stores features in spatial-index order
        side.frame = side.frame.sort_values("code").reset_index(drop=True)
    assert side.frame["name"].tolist() == NAMES
    assert side.frame["code"].astype(int).tolist() == [1, 2, 3]
    assert side.frame.crs.to_epsg() == 32651  # kept in its own CRS
    np.testing.assert_allclose(_centres(side), np.column_stack([LON, LAT]), atol=1e-9)
    assert set(side.feature_layer) == {"layer"}


def test_geoparquet(tmp_path):
    path = tmp_path / "layer.parquet"
    _polygons().to_parquet(path)
    side = read_layer(path, name_field="name")
    assert side.frame["name"].tolist() == NAMES
    np.testing.assert_allclose(_centres(side), np.column_stack([LON, LAT]), atol=1e-9)


def test_geopackage_one_layer_or_every_layer(tmp_path):
    path = tmp_path / "heritage.gpkg"
    pyogrio.write_dataframe(_polygons(), path, layer="polygons")
    points = gpd.GeoDataFrame({"name": ["点"]}, geometry=[shapely.Point(LON[0], LAT[0])], crs="EPSG:4326")
    pyogrio.write_dataframe(points, path, layer="points", append=True)
    assert len(read_layer(path, layer="points").frame) == 1
    both = read_layer(path, all_layers=True)
    assert len(both.frame) == 4
    assert sorted(set(both.feature_layer)) == ["points", "polygons"]
    assert both.frame.loc[both.feature_layer == "points", "name"].tolist() == ["点"]
    with pytest.raises(InputError, match="no layer 'nope'.*points"):
        read_layer(path, layer="nope")


def test_vector_datums_land_on_wgs84(tmp_path):
    for datum, forward in (("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)):
        lon, lat = forward(LON, LAT)
        pts = gpd.GeoDataFrame({"name": NAMES}, geometry=shapely.points(lon, lat), crs="EPSG:4326")
        path = tmp_path / f"{datum}.geojson"
        pyogrio.write_dataframe(pts, path)
        side = read_layer(path, datum=datum.upper())
        assert side.datum == datum and side.frame.crs.to_epsg() == 4326
        got = side.frame.geometry
        np.testing.assert_allclose(got.x, LON, atol=1e-6)
        np.testing.assert_allclose(got.y, LAT, atol=1e-6)
        np.testing.assert_allclose(side.source_lon, lon, atol=1e-12)  # the coordinates as given


def test_gbk_shapefile_falls_back_from_utf8(tmp_path):
    path = tmp_path / "gbk.shp"
    pyogrio.write_dataframe(_polygons(), path, encoding="GBK")
    for sidecar in (path.with_suffix(".cpg"), path.with_suffix(".CPG")):
        sidecar.unlink(missing_ok=True)  # no .cpg: the reader must find GBK itself
    assert "甲".encode("gbk") in path.with_suffix(".dbf").read_bytes()
    side = read_layer(path, name_field="name")
    assert side.frame["name"].tolist() == NAMES
    with pytest.raises(InputError, match="cannot be decoded as UTF-8"):
        read_layer(path, encoding="utf-8")


@pytest.mark.filterwarnings("ignore:.crs. was not provided")
def test_vector_without_crs_is_refused(tmp_path):
    path = tmp_path / "nocrs.shp"
    pyogrio.write_dataframe(_polygons().set_crs(None, allow_override=True), path)
    path.with_suffix(".prj").unlink(missing_ok=True)
    with pytest.raises(InputError, match=r"--within file .*nocrs\.shp declares no coordinate reference system") as e:
        read_layer(path, what="--within")
    assert ".prj" in e.value.fix


# ---------------------------------------------------------------------------
# Tables with lon/lat columns
# ---------------------------------------------------------------------------


def _table(lon, lat, lon_name="lon", lat_name="lat") -> pd.DataFrame:
    return pd.DataFrame({"name": NAMES, lon_name: [f"{v:.9f}" for v in lon], lat_name: [f"{v:.9f}" for v in lat]})


@pytest.mark.parametrize("datum,forward", [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)])
def test_csv_lonlat_in_a_web_datum_lands_on_the_wgs84_truth(tmp_path, datum, forward):
    lon, lat = forward(LON, LAT)
    assert np.hypot(lon - LON, lat - LAT).min() > 1e-3  # the datum really moves the points (~500 m)
    path = tmp_path / "list.csv"
    _table(lon, lat).to_csv(path, index=False)
    side = read_layer(path, datum=datum)
    assert side.kind == "table" and side.datum == datum and side.lonlat_columns == ("lon", "lat")
    assert side.frame.crs.to_epsg() == 4326
    np.testing.assert_allclose(side.frame.geometry.x, LON, atol=1e-6)
    np.testing.assert_allclose(side.frame.geometry.y, LAT, atol=1e-6)
    assert side.frame["name"].tolist() == NAMES


def test_datum_from_the_column_suffix_tsv_and_gbk(tmp_path):
    lon, lat = wgs84_to_bd09(LON, LAT)
    path = tmp_path / "list.tsv"
    _table(lon, lat, "lon_bd09", "lat_bd09").to_csv(path, index=False, sep="\t", encoding="gbk")
    side = read_layer(path)  # no datum option: the columns name BD-09; GBK text decoded
    assert side.datum == "bd09" and side.frame["name"].tolist() == NAMES
    np.testing.assert_allclose(side.frame.geometry.x, LON, atol=1e-6)
    with pytest.raises(ConfigError, match="datum gcj02 declared but columns lon_bd09/lat_bd09 say bd09"):
        read_layer(path, datum="gcj02", lon_col="lon_bd09", lat_col="lat_bd09")


def test_xlsx_sheet(tmp_path):
    lon, lat = wgs84_to_gcj02(LON, LAT)
    path = tmp_path / "list.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame({"x": [1]}).to_excel(xl, sheet_name="readme", index=False)
        _table(lon, lat, "经度", "纬度").to_excel(xl, sheet_name="schools", index=False)
    side = read_layer(path, layer="schools", datum="gcj02")
    assert side.lonlat_columns == ("经度", "纬度") and side.label == "list.xlsx (schools)"
    np.testing.assert_allclose(side.frame.geometry.y, LAT, atol=1e-6)


def test_vector_attribute_table_with_lonlat_columns(tmp_path):
    """A GeoPackage table without geometry, or explicit lon/lat columns, gives points."""
    lon, lat = wgs84_to_gcj02(LON, LAT)
    path = tmp_path / "list.gpkg"
    pyogrio.write_dataframe(_table(lon, lat), path, layer="entries")
    side = read_layer(path, datum="gcj02")
    assert side.kind == "table"
    np.testing.assert_allclose(side.frame.geometry.x, LON, atol=1e-6)


def test_blank_coordinates_give_no_geometry(tmp_path):
    path = tmp_path / "list.csv"
    t = _table(LON, LAT)
    t.loc[1, "lon"] = ""
    t.to_csv(path, index=False)
    side = read_layer(path, datum="wgs84")
    assert side.frame.geometry.isna().tolist() == [False, True, False]
    assert np.isnan(side.source_lon[1])


def test_table_messages(tmp_path):
    path = tmp_path / "no_coords.csv"
    pd.DataFrame({"name": NAMES, "addr": ["a", "b", "c"]}).to_csv(path, index=False)
    with pytest.raises(InputError, match="--exclude file .*no_coords.csv has neither geometry nor longitude/latitude "
                                         "columns.*Columns: name, addr") as e:
        read_layer(path, datum="bd09")
    assert "lon_col" in e.value.fix

    und = tmp_path / "undeclared.csv"
    _table(LON, LAT).to_csv(und, index=False)
    with pytest.raises(ConfigError, match="not declared") as e:
        read_layer(und)
    assert "--exclude-datum gcj02" in e.value.fix
    with pytest.raises(ConfigError, match="not declared") as e:
        read_layer(und, what="--registry")
    assert "--registry PATH:gcj02" in e.value.fix

    swapped = tmp_path / "swapped.csv"
    _table(LAT, LON).to_csv(swapped, index=False)
    with pytest.raises(InputError, match="Swap"):
        read_layer(swapped, datum="wgs84")

    metres = tmp_path / "metres.csv"
    _table(LON * 1000, LAT * 1000).to_csv(metres, index=False)
    with pytest.raises(InputError, match="not lon/lat degrees"):
        read_layer(metres, datum="wgs84")

    with pytest.raises(ConfigError, match="wgs84, gcj02, bd09"):
        read_layer(und, datum="mars")


def test_missing_empty_and_unreadable_files(tmp_path):
    with pytest.raises(InputError, match="--streets file .*missing.gpkg does not exist") as e:
        read_layer(tmp_path / "missing.gpkg", what="--streets")
    assert "--streets" in e.value.fix
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty.csv is empty"):
        read_layer(empty, datum="wgs84")
    header_only = tmp_path / "header.csv"
    header_only.write_text("name,lon,lat\n", encoding="utf-8")
    with pytest.raises(InputError, match="holds no features"):
        read_layer(header_only, datum="wgs84")
    junk = tmp_path / "junk.geojson"
    junk.write_text("this is not json", encoding="utf-8")
    with pytest.raises(InputError, match="Cannot read --exclude file .*junk.geojson"):
        read_layer(junk)
    good = tmp_path / "good.geojson"
    pyogrio.write_dataframe(_polygons(), good)
    with pytest.raises(InputError, match="has no column 'NAME_CN'.*name, code"):
        read_layer(good, name_field="NAME_CN")


# ---------------------------------------------------------------------------
# The pipeline's entries
# ---------------------------------------------------------------------------


def test_parse_spec_keeps_windows_drives():
    from pathlib import Path

    assert parse_spec("a/b.csv:BD-09") == (Path("a/b.csv"), "bd09")
    assert parse_spec(r"D:\lists\b.csv") == (Path(r"D:\lists\b.csv"), None)
    assert parse_spec(r"D:\lists\b.csv:gcj02") == (Path(r"D:\lists\b.csv"), "gcj02")
    assert parse_spec("b.csv:2024") == (Path("b.csv:2024"), None)


def test_read_street_polygons_from_file_or_footprint_gpkg(tmp_path):
    streets = _polygons("EPSG:32651").rename(columns={"name": "JDMC"})
    path = tmp_path / "streets.shp"
    pyogrio.write_dataframe(streets, path, encoding="UTF-8")
    gdf, source = read_street_polygons(str(path), tmp_path / "fp.gpkg", None, "JDMC")
    assert source == str(path) and list(gdf.columns) == ["street_name", "geometry"]
    assert gdf["street_name"].tolist() == NAMES and gdf.crs.to_epsg() == 32651
    with pytest.raises(InputError, match="has no column 'name'"):
        read_street_polygons(str(path), tmp_path / "fp.gpkg", None, "name")

    fp = tmp_path / "fp.gpkg"
    pyogrio.write_dataframe(_polygons(), fp, layer="buildings")
    assert read_street_polygons(None, fp, None, "name") == (None, "none")
    pyogrio.write_dataframe(_polygons(), fp, layer="streets", append=True)
    gdf, source = read_street_polygons(None, fp, None, "name")
    assert source.endswith("(layer streets)") and gdf["street_name"].tolist() == NAMES


def test_read_districts_and_within(tmp_path):
    glon, glat = wgs84_to_gcj02(LON, LAT)
    gcj = gpd.GeoDataFrame({"XZQMC": NAMES}, geometry=shapely.buffer(shapely.points(glon, glat), 0.001),
                           crs="EPSG:4326")
    path = tmp_path / "districts.geojson"
    pyogrio.write_dataframe(gcj, path)
    d = read_districts(path, name_field="XZQMC", datum="gcj02")
    assert d["name"].tolist() == NAMES and d.crs.to_epsg() == 4326
    c = shapely.centroid(np.asarray(d.geometry.values))
    np.testing.assert_allclose(shapely.get_x(c), LON, atol=1e-6)
    w = read_within(f"{path}:gcj02")
    assert list(w.columns) == ["geometry"] and len(w) == 3
    np.testing.assert_allclose(shapely.get_x(shapely.centroid(np.asarray(w.geometry.values))), LON, atol=1e-6)


def test_read_table_for_overrides(tmp_path):
    path = tmp_path / "overrides.csv"
    path.write_bytes("building_id,reason\nB1,长宁区教育局名录\n".encode("gbk"))
    t = read_table(path, what="--overrides")
    assert t.to_dict("records") == [{"building_id": "B1", "reason": "长宁区教育局名录"}]
    with pytest.raises(InputError, match="--overrides file .*nope.csv does not exist"):
        read_table(tmp_path / "nope.csv", what="--overrides")


# ---------------------------------------------------------------------------
# End to end: a BD-09 point list as --exclude (the way heritage lists arrive)
# ---------------------------------------------------------------------------


@pytest.mark.slow
def test_cli_exclude_point_csv_in_bd09(tmp_path):
    from pvsite.buildings.streets import assign_streets
    from pvsite.cli import main
    from pvsite.geo.crs import to_metric
    from pvsite.io.footprints import read_footprints
    from pvsite.resources import SAMPLE_FOOTPRINTS

    street = "新华路街道"
    fp, _ = read_footprints(SAMPLE_FOOTPRINTS)
    fp = to_metric(fp[fp["reject_reason"].isna()])
    polys, _ = read_street_polygons(None, SAMPLE_FOOTPRINTS, None, "name")
    fp["street"] = assign_streets(fp, polys.rename(columns={"street_name": "name"}).to_crs(fp.crs), "name")
    fp = fp[fp["street"] == street]
    chosen = fp.sort_values("building_id").iloc[[3, 40, 90]]
    pts = shapely.point_on_surface(np.asarray(chosen.geometry.values))
    ll = gpd.GeoSeries(pts, crs=fp.crs).to_crs("EPSG:4326")
    blon, blat = wgs84_to_bd09(ll.x.to_numpy(), ll.y.to_numpy())
    listing = tmp_path / "heritage_bd09.csv"
    pd.DataFrame({"名称": ["甲楼", "乙楼", "丙楼"], "lon": blon, "lat": blat}).to_csv(listing, index=False)
    out = tmp_path / "run.gpkg"
    result = CliRunner().invoke(main, ["run", "--street", street, "--exclude", str(listing),
                                       "--exclude-datum", "bd09", "--no-panels", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    roofs = pyogrio.read_dataframe(out, layer="roofs")
    excluded = roofs[roofs["excluded"].astype(bool)]
    assert sorted(excluded["building_id"]) == sorted(chosen["building_id"])
    reasons = dict(zip(excluded["building_id"], excluded["exclusion_reason"]))
    for bid, name in zip(chosen["building_id"], ["甲楼", "乙楼", "丙楼"]):
        assert reasons[bid] == f"heritage: {name} (heritage_bd09)"
    assert (excluded["capacity_kw"] == 0).all()
    # taken as WGS 84 the same list lands ~500 m off: other roofs, or none
    wrong = tmp_path / "wrong.gpkg"
    result = CliRunner().invoke(main, ["run", "--street", street, "--exclude", str(listing), "--no-panels",
                                       "--out", str(wrong), "-q"])
    assert result.exit_code == 0, result.output
    w = pyogrio.read_dataframe(wrong, layer="roofs")
    assert not set(w.loc[w["excluded"].astype(bool), "building_id"]) & set(chosen["building_id"])
