"""Tests for pvsite.io.footprints.read_footprints."""

from __future__ import annotations

import hashlib
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
import shapely.affinity
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import Point, Polygon

from pvsite.errors import ConfigError, InputError
from pvsite.io.footprints import CANONICAL_COLUMNS, OSM_COLUMNS, read_footprints
from pvsite.outputs.console import NOT_MAPPED, format_field_report

BUND = "footprints/shanghai_bund_buildings.gpkg"
HELSINKI = "osm/helsinki_centre.osm.pbf"

# Five buildings in CGCS2000 / 3-degree Gauss-Kruger CM 120E [m], Chinese survey column names.
X0, Y0 = 540_000.0, 3_455_000.0


def survey_frame(crs="EPSG:4549") -> gpd.GeoDataFrame:
    boxes = [shapely.box(X0 + 100 * i, Y0, X0 + 100 * i + 20 + i, Y0 + 30) for i in range(5)]
    return gpd.GeoDataFrame(
        {
            "编号": ["CN-001", "CN-002", "CN-003", "CN-004", "CN-005"],
            "名称": ["长宁区人民政府", "华东医院", "天山二村12号楼", "", "上海机械厂"],
            "用途": ["行政办公", "医疗卫生", "住宅", None, "M1"],
            "层数": [6.0, 12.0, 5.0, None, 2.0],
            "建筑高度": [21.5, 45.0, 15.0, None, 9.0],
            "建成年份": ["2019", "2019-05", "c. 1990", "1985年", ""],
            "屋顶类型": ["平屋顶", "坡屋面", "彩钢瓦", "", "其他"],
            "街道": ["江苏路街道", "华阳路街道", "天山路街道", None, "新泾镇"],
            "备注": ["a", "b", "c", "d", "e"],
        },
        geometry=boxes,
        crs=crs,
    )


def write(gdf: gpd.GeoDataFrame, path, **kw):
    if str(path).endswith(".parquet"):
        gdf.to_parquet(path)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pyogrio.write_dataframe(gdf, path, **kw)
    return path


@pytest.mark.parametrize("ext", ["gpkg", "shp", "geojson", "fgb", "parquet"])
def test_chinese_columns_auto_detected_in_every_format(tmp_path, ext):
    # Chinese shapefiles are GBK in practice (and UTF-8 DBF field names of 4 Chinese characters do not fit
    # the 10-byte limit, see test_utf8_shapefile_with_cut_field_name)
    kw = {"encoding": "gbk"} if ext == "shp" else {}
    path = write(survey_frame(), tmp_path / f"survey.{ext}", **kw)
    gdf, meta = read_footprints(path)

    assert list(gdf.columns) == [*CANONICAL_COLUMNS, "geometry"]
    assert meta["field_mapping"] == {
        "building_id": "编号", "name": "名称", "use": "用途", "storeys": "层数", "height_m": "建筑高度",
        "year_built": "建成年份", "roof_type": "屋顶类型", "street": "街道", "owner_type": None,
        "build_status": None,
    }
    assert meta["unmapped_source_columns"] == ["备注"]
    assert meta["crs"] == "EPSG:4549"
    assert meta["n_features"] == 5
    assert gdf["source_row"].tolist() == [0, 1, 2, 3, 4]
    # FlatGeobuf with a spatial index stores features in Hilbert order: compare by id
    assert sorted(gdf["building_id"]) == ["CN-001", "CN-002", "CN-003", "CN-004", "CN-005"]
    gdf = gdf.set_index(gdf["building_id"].str[-1].astype(int) - 1).sort_index()
    assert gdf["name"].iloc[0] == "长宁区人民政府" and pd.isna(gdf["name"].iloc[3])
    assert gdf["use"].iloc[4] == "M1" and pd.isna(gdf["use"].iloc[3])
    assert str(gdf["storeys"].dtype) == "Int64" and gdf["storeys"].tolist()[:3] == [6, 12, 5]
    assert pd.isna(gdf["storeys"].iloc[3])
    assert str(gdf["height_m"].dtype) == "Float64" and gdf["height_m"].iloc[0] == pytest.approx(21.5)
    assert str(gdf["year_built"].dtype) == "Int64"
    assert gdf["year_built"].tolist()[:4] == [2019, 2019, 1990, 1985] and pd.isna(gdf["year_built"].iloc[4])
    assert gdf["roof_type"].tolist() == ["flat", "pitched", "metal", "unknown", "unknown"]
    assert any("其他" in w for w in meta["warnings"])  # unrecognised roof value is reported
    assert gdf["street"].iloc[1] == "华阳路街道"
    assert gdf["reject_reason"].isna().all() and gdf["geometry_note"].isna().all()
    # box i is (20 + i) m × 30 m
    np.testing.assert_allclose(gdf.area.to_numpy(), [30.0 * (20 + i) for i in range(5)], rtol=1e-9)


def test_field_mapping_override_and_case_insensitive_detection(tmp_path):
    src = survey_frame().rename(columns={"名称": "JZMC", "层数": "floors"})
    src["街道"] = None
    src["JD"] = src["编号"].str[-1]
    path = write(src, tmp_path / "survey.gpkg")
    gdf, meta = read_footprints(path, fields={"street": "jd", "name": "备注", "height_m": ""})
    assert meta["field_mapping"]["street"] == "JD"  # explicit, case-insensitive
    assert meta["field_mapping"]["name"] == "备注"  # explicit beats auto-detected JZMC
    assert meta["field_mapping"]["height_m"] is None  # explicitly disabled
    assert meta["field_mapping"]["storeys"] == "floors"
    assert gdf["name"].tolist() == ["a", "b", "c", "d", "e"]
    assert gdf["street"].tolist() == ["1", "2", "3", "4", "5"]
    assert gdf["height_m"].isna().all()
    assert "JZMC" in meta["unmapped_source_columns"]


def test_missing_mapped_column_lists_available_columns(tmp_path):
    path = write(survey_frame(), tmp_path / "survey.gpkg")
    with pytest.raises(InputError) as err:
        read_footprints(path, fields={"use": "JZYT"})
    msg = str(err.value)
    assert "JZYT" in msg and str(path) in msg
    for col in survey_frame().columns.drop("geometry"):
        assert col in msg


def test_unknown_pvsite_field_is_config_error(tmp_path):
    path = write(survey_frame(), tmp_path / "survey.gpkg")
    with pytest.raises(ConfigError, match="storeys"):
        read_footprints(path, fields={"storey": "层数"})


def test_gbk_shapefile_without_cpg_falls_back_to_gbk(tmp_path):
    path = write(survey_frame(), tmp_path / "gbk.shp", encoding="gbk")
    (tmp_path / "gbk.cpg").unlink()
    gdf, meta = read_footprints(path)
    assert gdf["name"].tolist()[:3] == ["长宁区人民政府", "华东医院", "天山二村12号楼"]
    assert gdf["street"].iloc[0] == "江苏路街道"
    assert meta["field_mapping"]["name"] == "名称"  # DBF field names are GBK too
    assert meta["encoding"] == "GBK"
    assert meta["encoding_basis"] == "UTF-8 failed to decode; fell back to GBK"
    # stated encoding: no guessing
    gdf2, meta2 = read_footprints(path, encoding="gbk")
    assert meta2["encoding_basis"] == "argument"
    assert gdf2["name"].tolist() == gdf["name"].tolist()


def test_gbk_shapefile_with_cpg(tmp_path):
    path = write(survey_frame(), tmp_path / "gbk.shp", encoding="gbk")
    assert (tmp_path / "gbk.cpg").read_text().strip().upper() == "GBK"
    gdf, meta = read_footprints(path)
    assert gdf["name"].iloc[1] == "华东医院" and gdf["use"].iloc[0] == "行政办公"
    assert meta["encoding_basis"] == ".cpg" and meta["encoding"].upper() == "GBK"
    # the hash covers .shp + .dbf + .prj + .cpg
    h = hashlib.sha256()
    for ext in (".shp", ".dbf", ".prj", ".cpg"):
        h.update((tmp_path / f"gbk{ext}").read_bytes())
    assert meta["sha256"] == h.hexdigest()


def short_names(gdf):
    return gdf.rename(columns={"建筑高度": "高度", "建成年份": "JCNF", "屋顶类型": "WDLX"})


def test_utf8_shapefile_without_cpg(tmp_path):
    path = write(short_names(survey_frame()), tmp_path / "u8.shp", encoding="utf-8")
    (tmp_path / "u8.cpg").unlink()
    gdf, meta = read_footprints(path)
    assert gdf["name"].iloc[0] == "长宁区人民政府"
    assert meta["field_mapping"]["height_m"] == "高度" and meta["field_mapping"]["year_built"] == "JCNF"
    assert gdf["year_built"].iloc[2] == 1990
    assert meta["encoding"] == "UTF-8" and meta["encoding_basis"] == "UTF-8 decoded"


def test_utf8_shapefile_with_cut_field_name(tmp_path):
    # '建筑高度' is 12 bytes in UTF-8; the DBF header keeps 10, cutting the 4th character
    path = write(survey_frame(), tmp_path / "cut.shp", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_footprints(path)
    assert str(path) in str(err.value) and "10 bytes" in str(err.value)


def test_no_crs_names_file_and_suggests_crs(tmp_path):
    path = write(survey_frame(), tmp_path / "nocrs.shp", encoding="gbk")
    (tmp_path / "nocrs.prj").unlink()
    with pytest.raises(InputError) as err:
        read_footprints(path)
    assert str(path) in str(err.value) and "--crs" in str(err.value)
    gdf, meta = read_footprints(path, crs="EPSG:4549")
    assert meta["crs"] == "EPSG:4549" and gdf.crs.to_epsg() == 4549


def test_projected_coordinates_under_geographic_crs_rejected(tmp_path):
    path = write(survey_frame(crs="EPSG:4490"), tmp_path / "wrong.gpkg")  # metres labelled lon/lat
    with pytest.raises(InputError) as err:
        read_footprints(path)
    assert "not lon/lat" in str(err.value) and "EPSG:4549" in str(err.value)


def test_declared_crs_wins_over_argument(tmp_path):
    path = write(survey_frame(), tmp_path / "s.gpkg")
    gdf, meta = read_footprints(path, crs="EPSG:4490")
    assert meta["crs"] == "EPSG:4549"
    assert any("crs='EPSG:4490' ignored" in w for w in meta["warnings"])


def test_bad_geometries_kept_with_reason_or_repaired(tmp_path):
    bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])
    z_square = Polygon([(10, 0, 5), (11, 0, 5), (11, 1, 5), (10, 1, 5)])
    geoms = [shapely.box(0, 0, 3, 4), bowtie, Point(1, 1), Polygon(), z_square]
    src = gpd.GeoDataFrame(
        {"id": ["ok", "bow", "pt", "empty", "z"]},
        geometry=[shapely.affinity.translate(g, X0, Y0) for g in geoms],  # in Changning, EPSG:4549 metres
        crs="EPSG:4549",
    )
    path = write(src, tmp_path / "bad.gpkg")
    gdf, meta = read_footprints(path)
    assert len(gdf) == 5 and gdf["building_id"].tolist() == ["ok", "bow", "pt", "empty", "z"]
    assert gdf["reject_reason"].iloc[[0, 1, 4]].isna().all()
    assert gdf["reject_reason"].iloc[2] == "not a polygon (Point)"
    assert gdf["reject_reason"].iloc[3] == "empty geometry"
    assert gdf["geometry_note"].iloc[1] == "repaired invalid geometry (Self-intersection)"
    assert gdf.geometry.iloc[1].is_valid
    assert gdf.geometry.iloc[1].area == pytest.approx(2.0)  # two triangles of 1 m² each
    assert gdf.geometry.iloc[2].geom_type == "Point"  # kept as found, for the rejected layer
    assert not gdf.geometry.iloc[4].has_z and gdf.geometry.iloc[4].area == pytest.approx(1.0)
    assert meta["n_rejected"] == 2 and meta["n_repaired"] == 1
    assert any("Z/M" in w for w in meta["warnings"])


def test_null_geometry_kept(tmp_path):
    src = gpd.GeoDataFrame({"id": ["a", "b"]}, geometry=[shapely.box(X0, Y0, X0 + 1, Y0 + 1), None],
                           crs="EPSG:4549")
    path = write(src, tmp_path / "null.geojson")
    gdf, _ = read_footprints(path)
    assert gdf["reject_reason"].iloc[1] == "no geometry" and pd.isna(gdf["reject_reason"].iloc[0])


def test_duplicate_ids_are_replaced_and_reported(tmp_path):
    src = survey_frame()
    src["编号"] = ["A", "A", "B", "C", "C"]
    gdf, meta = read_footprints(write(src, tmp_path / "dup.gpkg"))
    assert gdf["building_id"].tolist() == [f"dup-{i}" for i in range(5)]
    w = next(w for w in meta["warnings"] if "building_id" in w)
    assert "'A' ×2" in w and "'C' ×2" in w


def test_layer_selection(tmp_path):
    path = tmp_path / "multi.gpkg"
    write(survey_frame(), path, layer="parcels")
    write(survey_frame(), path, layer="blocks", append=False)
    with pytest.raises(InputError) as err:
        read_footprints(path)
    assert "parcels" in str(err.value) and "blocks" in str(err.value)
    write(survey_frame().iloc[:2], path, layer="buildings")
    _, meta = read_footprints(path)
    assert meta["layer"] == "buildings" and meta["n_features"] == 2
    gdf, meta = read_footprints(path, layer="blocks")
    assert meta["layer"] == "blocks" and len(gdf) == 5
    with pytest.raises(InputError, match="no layer 'roofs'"):
        read_footprints(path, layer="roofs")


def test_fiona_engine_gives_same_frame(tmp_path):
    src = survey_frame()
    src.loc[1, "geometry"] = Polygon([(X0, Y0), (X0 + 20, Y0 + 20), (X0 + 20, Y0), (X0, Y0 + 20)])
    path = write(src, tmp_path / "survey.gpkg")
    a, ma = read_footprints(path, engine="pyogrio")
    b, mb = read_footprints(path, engine="fiona")
    assert_geodataframe_equal(a, b)
    assert ma["field_mapping"] == mb["field_mapping"]
    assert a["geometry_note"].iloc[1].startswith("repaired")


# Expected dtypes of the canonical frame, whatever the format or engine.
CANONICAL_DTYPES = {
    "building_id": "str", "source_row": "int64", "name": "str", "use": "str", "storeys": "Int64",
    "height_m": "Float64", "year_built": "Int64", "roof_type": "str", "street": "str", "owner_type": "str", "build_status": "str",
    "reject_reason": "str", "geometry_note": "str", "geometry": "geometry",
}

DRIVERS = [("GPKG", "gpkg"), ("ESRI Shapefile", "shp"), ("GeoJSON", "geojson"), ("FlatGeobuf", "fgb")]


@pytest.mark.parametrize(("driver", "ext"), DRIVERS, ids=[d[1] for d in DRIVERS])
@pytest.mark.parametrize("write_engine", ["pyogrio", "fiona"])
@pytest.mark.parametrize("read_engine", ["pyogrio", "fiona"])
def test_round_trip_driver_by_engine(tmp_path, driver, ext, write_engine, read_engine):
    src = survey_frame()
    path = tmp_path / f"rt.{ext}"
    kw = {"encoding": "gbk"} if ext == "shp" else {}  # Chinese field names fit the DBF's 10 bytes in GBK
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        src.to_file(path, driver=driver, engine=write_engine, **kw)
    gdf, meta = read_footprints(path, engine=read_engine)

    assert len(gdf) == meta["n_features"] == 5
    assert dict(gdf.dtypes.astype(str)) == CANONICAL_DTYPES
    assert gdf.crs.to_epsg() == 4549 and meta["crs"] == "EPSG:4549"
    assert meta["field_mapping"]["height_m"] == "建筑高度" and meta["unmapped_source_columns"] == ["备注"]
    gdf = gdf.set_index("building_id").loc[src["编号"]]  # FlatGeobuf may reorder features
    assert gdf["name"].tolist()[:3] == src["名称"].tolist()[:3] and pd.isna(gdf["name"].iloc[3])
    assert gdf["storeys"].tolist()[:3] == [6, 12, 5]
    np.testing.assert_allclose(gdf["height_m"].to_numpy(dtype=float, na_value=np.nan),
                               [21.5, 45.0, 15.0, np.nan, 9.0])
    assert gdf["roof_type"].tolist() == ["flat", "pitched", "metal", "unknown", "unknown"]
    # box i is (20 + i) m × 30 m; vertex order may differ between drivers: compare areas and bounds
    np.testing.assert_allclose(gdf.area.to_numpy(), [30.0 * (20 + i) for i in range(5)], rtol=1e-9)
    np.testing.assert_allclose(gdf.total_bounds, src.total_bounds, atol=1e-6)


def test_format_field_report(tmp_path):
    path = write(survey_frame().drop(columns=["街道"]), tmp_path / "survey.gpkg")
    _, meta = read_footprints(path)
    text = format_field_report(meta)
    lines = text.splitlines()
    assert lines[0] == "字段映射 Field mapping — survey.gpkg (layer survey, GeoPackage, EPSG:4549)"
    rows = {ln.split()[0]: ln.split()[-1] for ln in lines[2:10]}
    assert rows == {"building_id": "编号", "name": "名称", "use": "用途", "storeys": "层数", "height_m": "建筑高度",
                    "year_built": "建成年份", "roof_type": "屋顶类型", "street": NOT_MAPPED}
    # the source column starts at the same terminal column on every row (CJK characters are 2 cells wide)
    starts = {_cells(ln[: ln.rindex(" ") + 1]) for ln in lines[2:10]}
    assert len(starts) == 1
    assert "未映射源字段 Unmapped source columns: 备注" in lines
    assert "要素 Features: 5 读入 read, 0 拒绝 rejected, 0 修复 repaired" in lines
    assert "警告 Warnings: 1" in lines and any("其他" in ln for ln in lines)
    compact = format_field_report(meta, compact=True)
    assert "\n" not in compact
    assert compact.startswith("字段映射 fields: building_id←编号, name←名称,")
    assert f"street←{NOT_MAPPED}" in compact and "未映射 unmapped: 备注" in compact and "警告 warnings: 1" in compact


def _cells(text):
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("2019", 2019), ("2019-05", 2019), ("2019.0", 2019), ("c. 1990", 1990), ("1990s", 1990),
     ("20190501", 2019), ("after 1905..1908", 1905), ("1985年", 1985), ("90年代", None), ("12019", None)],
)
def test_year_parsing(tmp_path, raw, expected):
    src = survey_frame().iloc[:1].copy()
    src["建成年份"] = [raw]
    gdf, _ = read_footprints(write(src, tmp_path / "y.gpkg"))
    got = gdf["year_built"].iloc[0]
    assert (pd.isna(got) if expected is None else got == expected)


def test_numeric_year_column(tmp_path):
    src = survey_frame()
    src["建成年份"] = [2019.0, 1990.0, np.nan, 2022.0, 3000.0]
    gdf, meta = read_footprints(write(src, tmp_path / "y.gpkg"))
    assert gdf["year_built"].iloc[[0, 1, 3]].tolist() == [2019, 1990, 2022]
    assert gdf["year_built"].iloc[[2, 4]].isna().all()


# ---------------------------------------------------------------------------
# Real data
# ---------------------------------------------------------------------------


def test_bund_outlines(shared_data):
    path = shared_data / BUND
    src = pyogrio.read_dataframe(path, read_geometry=False)
    gdf, meta = read_footprints(path)
    assert len(src) == 10_613 and len(gdf) == 10_613 and meta["n_features"] == 10_613
    assert meta["crs"] == "EPSG:4326" and meta["layer"] == "buildings" and meta["driver"] == "GPKG"
    assert meta["field_mapping"]["storeys"] == "Floor"
    assert meta["field_mapping"]["height_m"] == "height_est_m"
    assert gdf["storeys"].astype("int64").tolist() == src["Floor"].tolist()
    np.testing.assert_array_equal(gdf["height_m"].to_numpy(dtype=float), src["height_est_m"].to_numpy())
    assert gdf["source_row"].tolist() == list(range(10_613))
    # Id_src holds one value for all rows: ids are generated and the duplicate reported
    assert gdf["building_id"].is_unique and gdf["building_id"].iloc[7] == "shanghai_bund_buildings-7"
    assert any("Id_src" in w for w in meta["warnings"])
    assert gdf["reject_reason"].isna().all()
    assert meta["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_osm_buildings(shared_data):
    path = shared_data / HELSINKI
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer = pyogrio.read_dataframe(path, layer="multipolygons", read_geometry=False)
    is_building = layer["building"].notna() & (layer["building"] != "no")
    gdf, meta = read_footprints(path)
    assert meta["n_source_features"] == len(layer)
    assert len(gdf) == int(is_building.sum()) == meta["n_features"]
    assert list(gdf.columns) == [*CANONICAL_COLUMNS, *OSM_COLUMNS, "geometry"]
    assert gdf["source_row"].tolist() == np.flatnonzero(is_building).tolist()
    assert gdf["building_id"].is_unique
    assert gdf["building_id"].str.match(r"^(way|relation)/\d+$").all()
    # building:levels and start_date come from the other_tags hstore
    marski = gdf.set_index("name").loc["Marski by Scandic"]
    assert marski["storeys"] == 8 and marski["year_built"] == 1961
    # ways whose nodes are missing from the extract cannot be decoded: kept, with the reason
    unreadable = gdf["reject_reason"].str.startswith("unreadable geometry", na=False)
    # measured on this extract (GDAL 3.x OSM driver): 5 two-point rings, 7 rings collapsing to a line
    # (rejected), 11 self-intersections (repaired)
    assert unreadable.sum() == 5
    assert meta["n_rejected"] == 12 and meta["n_repaired"] == 11
    assert gdf.geometry[unreadable].isna().all()
    assert gdf.geometry[gdf["reject_reason"].isna()].is_valid.all()


# ---------------------------------------------------------------------------
# Layer choice, text encoding, truncated Shapefiles, CRS plausibility
# ---------------------------------------------------------------------------


def lonlat_frame() -> gpd.GeoDataFrame:
    """Three ≈ 28 m × 33 m buildings in Changning, lon/lat (EPSG:4326)."""
    boxes = [shapely.box(121.42 + 0.001 * i, 31.21, 121.4203 + 0.001 * i, 31.2103) for i in range(3)]
    return gpd.GeoDataFrame({"名称": ["甲", "乙", "丙"]}, geometry=boxes, crs="EPSG:4326")


def test_generic_typed_buildings_layer_is_not_mistaken_for_streets(tmp_path):
    # a MultiPolygon among Polygons makes the layer 'Unknown'; `streets` is the only POLYGON-typed layer
    path = tmp_path / "generic.gpkg"
    gdf = survey_frame()
    gdf.loc[1, "geometry"] = shapely.MultiPolygon([gdf.geometry.iloc[1]])
    write(gdf, path, layer="buildings", geometry_type="Unknown")
    write(survey_frame().iloc[:2], path, layer="streets")
    _, meta = read_footprints(path)
    assert meta["layer"] == "buildings" and meta["n_features"] == 5
    # not called `buildings`: the only candidate beside known non-building layers is taken
    other = tmp_path / "blds.gpkg"
    write(gdf, other, layer="jianzhu", geometry_type="Unknown")
    write(survey_frame().iloc[:2], other, layer="streets")
    write(survey_frame().iloc[:1], other, layer="district")
    _, meta = read_footprints(other)
    assert meta["layer"] == "jianzhu" and meta["n_features"] == 5
    # two candidates: refuse, listing the layers and the option
    write(survey_frame().iloc[:3], other, layer="jianzhu_2019")
    with pytest.raises(InputError) as err:
        read_footprints(other)
    msg = str(err.value)
    assert "jianzhu (Unknown)" in msg and "jianzhu_2019" in msg and "--layer NAME" in msg


def test_layer_without_geometry_is_refused(tmp_path):
    path = write(survey_frame(), tmp_path / "t.gpkg", layer="buildings")
    pyogrio.write_dataframe(pd.DataFrame({"key": ["a"]}), path, layer="notes")
    with pytest.raises(InputError) as err:
        read_footprints(path, layer="notes")
    assert "'notes' is an attribute table" in str(err.value)
    assert "Layers with geometry: buildings (Polygon)" in str(err.value)
    _, meta = read_footprints(path)  # the table is never a candidate
    assert meta["layer"] == "buildings"


def raw_text_shapefile(tmp_path, name, raw: bytes, cpg):
    """Two buildings whose NAME is the given bytes (written via latin-1), with the given .cpg (None: none)."""
    path = tmp_path / f"{name}.shp"
    src = gpd.GeoDataFrame({"NAME": ["ok", raw.decode("latin-1")], "USE": ["school", "office"]},
                           geometry=survey_frame().geometry.iloc[:2].to_list(), crs="EPSG:4549")
    write(src, path, encoding="ISO-8859-1")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    if cpg is not None:
        path.with_suffix(".cpg").write_text(cpg, encoding="ascii")
    return path


@pytest.mark.parametrize("engine", ["pyogrio", "fiona"])
def test_undecodable_text_names_field_row_and_bytes(tmp_path, engine):
    # 0xFF is a lead byte neither in UTF-8 nor in GBK (nor GB18030, Big5): nothing to suggest
    path = raw_text_shapefile(tmp_path, "garbled", b"\xff\xfe school", cpg=None)
    with pytest.raises(InputError) as err:
        read_footprints(path, engine=engine)
    msg = str(err.value)
    assert str(path) in msg and "cannot be decoded as UTF-8 or GBK" in msg
    assert "field 'NAME', source_row 1 (bytes ff fe 20 73" in msg and "--encoding gbk|utf-8|gb18030" in msg


def test_wrong_cpg_suggests_the_encoding_that_fits_and_argument_overrides(tmp_path):
    path = raw_text_shapefile(tmp_path, "wrongcpg", "区教育局".encode("gbk"), cpg="UTF-8")
    with pytest.raises(InputError) as err:
        read_footprints(path)
    msg = str(err.value)
    assert "cannot be decoded as UTF-8" in msg and "source_row 1" in msg
    assert "wrongcpg.cpg declares 'UTF-8'" in msg and "--encoding gbk" in msg
    gdf, meta = read_footprints(path, encoding="gbk")  # the stated encoding overrides the wrong .cpg
    assert gdf["name"].tolist() == ["ok", "区教育局"]
    assert meta["encoding_basis"] == "argument (overrides .cpg)"
    assert any("overrides wrongcpg.cpg" in w for w in meta["warnings"])
    # GDAL would drop the undecodable bytes with a warning; pvsite decodes strictly
    path.with_suffix(".cpg").write_text("GBK", encoding="ascii")
    gdf, meta = read_footprints(path)
    assert gdf["name"].iloc[1] == "区教育局" and meta["encoding_basis"] == ".cpg"


def test_cpg_code_page_numbers(tmp_path):
    path = raw_text_shapefile(tmp_path, "cp", "华东医院".encode("gbk"), cpg="ANSI 936")
    gdf, meta = read_footprints(path)
    assert gdf["name"].iloc[1] == "华东医院" and meta["encoding"] == "ANSI 936"
    path.with_suffix(".cpg").write_text("no-such-codepage", encoding="ascii")
    with pytest.raises(InputError, match="'no-such-codepage', which pvsite does not know"):
        read_footprints(path)


def test_unknown_encoding_is_config_error(tmp_path):
    path = raw_text_shapefile(tmp_path, "nocpg", "区".encode("gbk"), cpg=None)
    with pytest.raises(ConfigError) as err:
        read_footprints(path, encoding="gbk-typo")
    assert "--encoding 'gbk-typo'" in str(err.value) and "gb18030" in str(err.value)


def test_truncated_shapefile_is_refused(tmp_path):
    path = write(survey_frame(), tmp_path / "cut.shp", encoding="gbk")
    data = path.read_bytes()
    # 100-byte header + 5 records of 8 + (4 + 32 + 4 + 4 + 4 + 5 × 16) = 136 bytes each
    assert len(data) == 100 + 5 * 136
    path.write_bytes(data[:100 + 2 * 136 + 50])  # records 0 and 1 whole, record 2 cut
    with pytest.raises(InputError) as err:
        read_footprints(path)
    assert "cut.shp is truncated (3 of 5 records missing)" in str(err.value)
    assert "Re-export" in str(err.value)
    path.write_bytes(data[:-1])  # only the last vertex of the last record cut
    with pytest.raises(InputError, match=r"\(1 of 5 records missing\)"):
        read_footprints(path)


def test_swapped_lonlat_is_reported_as_swapped(tmp_path):
    gdf = lonlat_frame()
    gdf.geometry = shapely.transform(np.asarray(gdf.geometry.values), lambda xy: xy[:, ::-1])
    with pytest.raises(InputError) as err:
        read_footprints(write(gdf, tmp_path / "latlon.gpkg"))
    msg = str(err.value)
    assert "not lon/lat" in msg and "axes look swapped (x = latitude, y = longitude)" in msg
    assert "EPSG:4549" not in msg  # no projected-CRS advice


def test_degrees_under_a_projected_crs_are_refused(tmp_path):
    path = write(lonlat_frame().set_crs("EPSG:4549", allow_override=True), tmp_path / "deg.gpkg")
    with pytest.raises(InputError) as err:
        read_footprints(path)
    msg = str(err.value)
    assert "EPSG:4549" in msg and "look like lon/lat degrees" in msg and "--crs EPSG:4490" in msg
    # the suggested --crs replaces the wrong label (with a warning) because the coordinates fit it
    gdf, meta = read_footprints(path, crs="EPSG:4490")
    assert meta["crs"] == "EPSG:4490"
    assert any("crs='EPSG:4490' replaces the CRS EPSG:4549" in w for w in meta["warnings"])
    # a --crs that fits no better does not replace it: the original error stands
    with pytest.raises(InputError, match="EPSG:4549"):
        read_footprints(path, crs="EPSG:32651")


def test_pudong_beyond_the_zone_edge_is_accepted(tmp_path):
    # EPSG:4549's area of use ends at 121.5°E; Pudong (121.9°E) is routinely surveyed in it
    pudong = gpd.GeoDataFrame({"名称": ["a"]}, geometry=[shapely.box(121.90, 31.10, 121.9003, 31.1003)],
                              crs="EPSG:4326").to_crs("EPSG:4549")
    gdf, meta = read_footprints(write(pudong, tmp_path / "pudong.gpkg"))
    assert meta["crs"] == "EPSG:4549" and gdf.geometry.iloc[0].area == pytest.approx(pudong.area.iloc[0])


def test_footprint_warnings_are_in_meta(tmp_path):
    src = survey_frame()
    src["编号"] = ["A", "A", "B", "C", "D"]
    src.geometry = shapely.force_3d(np.asarray(src.geometry.values), 10.0)
    _, meta = read_footprints(write(src, tmp_path / "w.gpkg"))
    assert any("5 feature(s) had Z/M coordinates" in w for w in meta["warnings"])
    assert any("'A' ×2" in w for w in meta["warnings"])
    assert all(isinstance(w, str) for w in meta["warnings"])
