"""Footprint formats GDAL reads: File Geodatabase, KML/KMZ, zipped Shapefiles and /vsizip/ paths, DXF, CSV with WKT."""

from __future__ import annotations

import warnings
import zipfile

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from pvsite.errors import InputError
from pvsite.io.footprints import CANONICAL_COLUMNS, read_footprints

X0, Y0 = 540_000.0, 3_455_000.0  # CGCS2000 / 3-degree Gauss-Kruger CM 120E [m], Changning


def buildings(crs="EPSG:4549") -> gpd.GeoDataFrame:
    """Three buildings of 10 m × 10, 12, 14 m (areas 100, 120, 140 m²)."""
    boxes = [shapely.box(X0 + 30 * i, Y0, X0 + 30 * i + 10, Y0 + 10 + 2 * i) for i in range(3)]
    return gpd.GeoDataFrame({"名称": ["长宁区人民政府", "上海晒图厂", "天山二村12号楼"], "层数": [6, 2, 5]},
                            geometry=boxes, crs="EPSG:4549").to_crs(crs)


def write(gdf, path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pyogrio.write_dataframe(gdf, path, **kw)
    return path


def check(gdf, n=3, names=True):
    assert list(gdf.columns[: len(CANONICAL_COLUMNS)]) == list(CANONICAL_COLUMNS)
    assert len(gdf) == n and gdf["reject_reason"].isna().all()
    area = gdf.to_crs("EPSG:4549").area.to_numpy()
    np.testing.assert_allclose(area, [100.0, 120.0, 140.0][:n], rtol=1e-6)
    if names:
        assert gdf["name"].tolist() == ["长宁区人民政府", "上海晒图厂", "天山二村12号楼"][:n]


def test_file_geodatabase_folder(tmp_path):
    if "w" not in pyogrio.list_drivers().get("OpenFileGDB", ""):
        pytest.skip("GDAL's OpenFileGDB driver cannot write here (needs GDAL >= 3.6): no .gdb to test with")
    gdb = write(buildings(), tmp_path / "survey.gdb", driver="OpenFileGDB", layer="buildings")
    assert gdb.is_dir()
    gdf, meta = read_footprints(gdb)
    check(gdf)
    assert meta["driver"] == "OpenFileGDB" and meta["layer"] == "buildings" and meta["crs"] == "EPSG:4549"
    assert gdf["storeys"].tolist() == [6, 2, 5] and len(meta["sha256"]) == 64


def test_other_folders_are_refused(tmp_path):
    (tmp_path / "survey.gpkg").mkdir()
    with pytest.raises(InputError, match="is a directory"):
        read_footprints(tmp_path / "survey.gpkg")


@pytest.mark.parametrize("ext", ["kml", "kmz"])
def test_kml_and_kmz(tmp_path, ext):
    src = buildings("EPSG:4326").rename(columns={"名称": "name"})
    gdf, meta = read_footprints(write(src, tmp_path / f"b.{ext}", driver="LIBKML"))
    check(gdf)
    assert meta["crs"] == "EPSG:4326" and meta["field_mapping"]["name"] == "Name"  # KML's <name>


def _zip(files, archive):
    with zipfile.ZipFile(archive, "w") as z:
        for f in files:
            z.write(f, f.name)
    return archive


def test_zipped_gbk_shapefile_without_cpg(tmp_path):
    (tmp_path / "shp").mkdir()
    write(buildings(), tmp_path / "shp" / "jianzhu.shp", encoding="GBK")
    files = [f for f in (tmp_path / "shp").iterdir() if f.suffix != ".cpg"]
    archive = _zip(files, tmp_path / "jianzhu.zip")
    for path in (archive, f"/vsizip/{archive}", f"/vsizip/{archive}/jianzhu.shp"):
        gdf, meta = read_footprints(path)
        check(gdf)
        assert meta["encoding"] == "GBK", path
        assert meta["sha256"] != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", path  # not empty
    _, meta = read_footprints(archive)
    assert meta["format"] == "ESRI Shapefile in a zip archive"


def test_zipped_shapefile_with_cpg_and_encoding_option(tmp_path):
    (tmp_path / "shp").mkdir()
    write(buildings(), tmp_path / "shp" / "b.shp", encoding="GBK")
    (tmp_path / "shp" / "b.cpg").write_text("936", encoding="ascii")
    archive = _zip(list((tmp_path / "shp").iterdir()), tmp_path / "b.zip")
    gdf, meta = read_footprints(archive)
    check(gdf)
    assert meta["encoding"] == "936" and meta["encoding_basis"] == ".cpg in the archive"
    gdf, meta = read_footprints(archive, encoding="gbk")
    check(gdf)
    assert meta["encoding_basis"] == "argument"


def test_missing_zip_is_named(tmp_path):
    with pytest.raises(InputError, match="nothing.zip does not exist"):
        read_footprints(f"/vsizip/{tmp_path}/nothing.zip/b.shp")


def test_dxf_closed_polylines_become_footprints(tmp_path):
    rings = [shapely.LineString(g.exterior.coords) for g in buildings().geometry]
    lines = [shapely.LineString([(X0, Y0 - 20), (X0 + 100, Y0 - 20)])]  # a kerb line: drawing, not a building
    cad = gpd.GeoDataFrame({"Layer": ["JZ", "JZ", "JZ", "DL"]}, geometry=rings + lines, crs=None)
    path = write(cad, tmp_path / "plan.dxf", driver="DXF")
    with pytest.raises(InputError, match="declares no coordinate reference system"):
        read_footprints(path)
    gdf, meta = read_footprints(path, crs="EPSG:4549")
    check(gdf, names=False)
    assert meta["n_source_features"] == 4 and gdf["source_row"].tolist() == [0, 1, 2]
    assert any("1 DXF entit(ies) that are not closed outlines were skipped (LineString ×1)" in w for w in meta["warnings"])
    assert any("3 closed polyline(s) read as polygons" in w for w in meta["warnings"])
    assert gdf["building_id"].is_unique  # EntityHandle


def test_dxf_hatches_are_polygons(tmp_path):
    path = write(buildings()[["geometry"]].set_crs(None, allow_override=True), tmp_path / "hatch.dxf", driver="DXF")
    gdf, meta = read_footprints(path, crs="EPSG:4549")
    check(gdf, names=False)


def test_csv_with_wkt_column(tmp_path):
    src = buildings()
    path = tmp_path / "buildings.csv"
    rows = ["WKT,名称,层数"] + [f'"{g.wkt}",{n},{s}' for g, n, s in zip(src.geometry, src["名称"], src["层数"])]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    gdf, meta = read_footprints(path, crs="EPSG:4549")
    check(gdf)
    assert gdf["storeys"].tolist() == [6, 2, 5]
    assert "WKT" not in meta["unmapped_source_columns"]
    with pytest.raises(InputError, match="declares no coordinate reference system"):
        read_footprints(path)


def test_cli_footprints_option_accepts_a_gdb_folder():
    from pvsite.cli import main

    run = main.commands["run"]
    opt = next(p for p in run.params if p.name == "footprints")
    assert opt.type.dir_okay and opt.type.file_okay
    others = [p for p in run.params if getattr(p, "type", None) is not None and p.name in ("streets", "weather", "overrides")]
    assert others and all(not p.type.dir_okay for p in others)  # only --footprints takes a folder


# ---------------------------------------------------------------------------
# KML with several (nested) folders
# ---------------------------------------------------------------------------

def _ring(x, y, d=0.001):
    return f"{x},{y} {x + d},{y} {x + d},{y + d} {x},{y + d} {x},{y}"


def _placemark(name, inner, data=""):
    ext = f"<ExtendedData>{data}</ExtendedData>" if data else ""
    return f"<Placemark><name>{name}</name>{ext}{inner}</Placemark>"


def _polygon(x, y):
    return f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{_ring(x, y)}</coordinates></LinearRing></outerBoundaryIs></Polygon>"


#: A survey office's KML: loose placemark under <Document>, a folder with a point (gate house) and a nested
#: folder, a second folder whose placemark carries ExtendedData with a Chinese field name.
MULTI_FOLDER_KML = f"""<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2">
<Document><name>长宁区建筑普查</name>
 {_placemark("散装楼", _polygon(121.43, 31.20))}
 <Folder><name>工业厂房</name>
  {_placemark("一号厂房", _polygon(121.40, 31.20))}
  {_placemark("门卫室", "<Point><coordinates>121.4005,31.2005</coordinates></Point>")}
  <Folder><name>仓储物流</name>
   {_placemark("二号仓库", _polygon(121.41, 31.20))}
   {_placemark("围墙", "<LineString><coordinates>121.41,31.199 121.412,31.199</coordinates></LineString>")}
  </Folder>
 </Folder>
 <Folder><name>学校</name>
  {_placemark("长宁区实验小学", _polygon(121.42, 31.20), '<Data name="层数"><value>4</value></Data>')}
 </Folder>
</Document></kml>
"""


@pytest.mark.parametrize("ext", ["kml", "kmz"])
def test_kml_with_several_folders_reads_them_all(tmp_path, ext):
    path = tmp_path / f"普查.{ext}"
    if ext == "kml":
        path.write_text(MULTI_FOLDER_KML, encoding="utf-8")
    else:
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("doc.kml", MULTI_FOLDER_KML.encode("utf-8"))
    assert [str(n) for n in pyogrio.list_layers(path)[:, 0]] == ["长宁区建筑普查", "工业厂房", "仓储物流", "学校"]
    gdf, meta = read_footprints(path)
    assert gdf["name"].tolist() == ["散装楼", "一号厂房", "门卫室", "二号仓库", "围墙", "长宁区实验小学"]
    assert gdf["kml_folder"].tolist() == ["长宁区建筑普查", "工业厂房", "工业厂房", "仓储物流", "仓储物流", "学校"]
    assert meta["kml_folders"] == {"长宁区建筑普查": 1, "工业厂房": 2, "仓储物流": 2, "学校": 1}
    assert meta["layer"] == "4 KML folders: 长宁区建筑普查 (1), 工业厂房 (2), 仓储物流 (2), 学校 (1)"
    # the point and the line are kept as rows and rejected the way every non-polygon feature is
    assert gdf["reject_reason"].tolist()[2] == "not a polygon (Point)"
    assert gdf["reject_reason"].tolist()[4] == "not a polygon (LineString)"
    assert meta["n_features"] == 6 and meta["n_rejected"] == 2
    assert gdf["source_row"].tolist() == list(range(6)) and gdf["building_id"].is_unique
    # the Chinese ExtendedData field name survives (GDAL would launder it to '______') and maps to storeys
    assert meta["field_mapping"]["storeys"] == "层数" and gdf["storeys"].tolist()[5] == 4
    assert pyogrio.get_gdal_config_option("LIBKML_LAUNDER_FIELD_NAMES") is None  # restored after the read


def test_kml_layer_option_reads_one_folder(tmp_path):
    path = tmp_path / "b.kml"
    path.write_text(MULTI_FOLDER_KML, encoding="utf-8")
    gdf, meta = read_footprints(path, layer="仓储物流")
    assert gdf["name"].tolist() == ["二号仓库", "围墙"] and set(gdf["kml_folder"]) == {"仓储物流"}
    assert meta["layer"] == "仓储物流" and meta["kml_folders"] == {"仓储物流": 2}
    with pytest.raises(InputError, match="has no layer '办公'.*工业厂房"):
        read_footprints(path, layer="办公")


# ---------------------------------------------------------------------------
# DXF text in legacy code pages ($DWGCODEPAGE)
# ---------------------------------------------------------------------------

def _dxf(codepage="ANSI_936", acadver="AC1009", codec="gbk") -> bytes:
    """A minimal R12 DXF, written group code by group code: two closed POLYLINEs and a TEXT on layer 厂房,
    a LINE on layer 道路; text encoded with ``codec`` (GBK as Chinese CAD saves it)."""
    def pairs(*kv):
        return "".join(f"{c:>3}\n{v}\n" for c, v in kv)

    def polyline(handle, x0, y0, w, h):
        s = pairs((0, "POLYLINE"), (5, handle), (8, "厂房"), (66, 1), (10, 0.0), (20, 0.0), (30, 0.0), (70, 1))
        for x, y in ((x0, y0), (x0 + w, y0), (x0 + w, y0 + h), (x0, y0 + h)):
            s += pairs((0, "VERTEX"), (8, "厂房"), (10, x), (20, y), (30, 0.0))
        return s + pairs((0, "SEQEND"), (8, "厂房"))

    header = [(9, "$ACADVER"), (1, acadver)] + ([(9, "$DWGCODEPAGE"), (3, codepage)] if codepage else [])
    text = (pairs((0, "SECTION"), (2, "HEADER"), *header, (0, "ENDSEC"))
            + pairs((0, "SECTION"), (2, "TABLES"), (0, "TABLE"), (2, "LAYER"), (70, 2),
                    (0, "LAYER"), (2, "厂房"), (70, 0), (62, 7), (6, "CONTINUOUS"),
                    (0, "LAYER"), (2, "道路"), (70, 0), (62, 7), (6, "CONTINUOUS"), (0, "ENDTAB"), (0, "ENDSEC"))
            + pairs((0, "SECTION"), (2, "ENTITIES"))
            + polyline("A1", X0, Y0, 10.0, 10.0) + polyline("A2", X0 + 30, Y0, 10.0, 12.0)
            + pairs((0, "TEXT"), (5, "A3"), (8, "厂房"), (10, X0 + 5), (20, Y0 + 5), (30, 0.0), (40, 2.5), (1, "一号厂房"))
            + pairs((0, "LINE"), (5, "A4"), (8, "道路"), (10, X0), (20, Y0 - 20), (30, 0.0), (11, X0 + 100),
                    (21, Y0 - 20), (31, 0.0))
            + pairs((0, "ENDSEC"), (0, "EOF")))
    return text.encode(codec)


def _read_dxf(path, **kw):
    return read_footprints(path, crs="EPSG:4549", fields={"use": "Layer"}, **kw)


def test_dxf_ansi_936_layer_names(tmp_path):
    path = tmp_path / "厂区.dxf"
    path.write_bytes(_dxf())
    assert "厂房".encode("gbk") in path.read_bytes() and "厂房".encode("utf-8") not in path.read_bytes()
    gdf, meta = _read_dxf(path)
    assert gdf["use"].tolist() == ["厂房", "厂房"] and len(gdf) == 2
    assert (meta["encoding"], meta["encoding_basis"]) == ("gbk", "$DWGCODEPAGE ANSI_936")
    np.testing.assert_allclose(gdf.area.to_numpy(), [100.0, 120.0])
    assert pyogrio.get_gdal_config_option("DXF_ENCODING") is None  # restored after the read


@pytest.mark.parametrize("codepage", [None, "ANSI_1252"])
def test_dxf_gbk_text_under_the_western_default_is_recognised(tmp_path, codepage):
    path = tmp_path / "plan.dxf"
    path.write_bytes(_dxf(codepage=codepage))
    # GDAL alone takes the header at its word: mojibake
    assert pyogrio.read_dataframe(path)["Layer"].iloc[0] == "厂房".encode("gbk").decode("cp1252")
    gdf, meta = _read_dxf(path)
    assert gdf["use"].tolist() == ["厂房", "厂房"] and meta["encoding"] == "gbk"
    assert any("its text reads as Chinese GBK" in w for w in meta["warnings"])
    # --encoding overrides: the user says it is a Western drawing
    gdf, meta = _read_dxf(path, encoding="cp1252")
    assert gdf["use"].tolist() == ["³§·¿"] * 2 and meta["encoding_basis"] == "argument (--encoding)"


def test_dxf_encoding_option_overrides_a_wrong_code_page(tmp_path):
    path = tmp_path / "plan.dxf"
    path.write_bytes(_dxf(codepage="ANSI_1251"))  # declared Cyrillic, every byte decodes: taken at its word
    gdf, meta = _read_dxf(path)
    assert meta["encoding"] == "cp1251" and gdf["use"].iloc[0] != "厂房"
    gdf, meta = _read_dxf(path, encoding="gbk")
    assert gdf["use"].tolist() == ["厂房", "厂房"]
    assert any("--encoding gbk overrides the drawing's $DWGCODEPAGE ANSI_1251" in w for w in meta["warnings"])


def test_dxf_r2007_is_utf8_whatever_the_code_page(tmp_path):
    path = tmp_path / "plan.dxf"
    path.write_bytes(_dxf(codepage="ANSI_1252", acadver="AC1021", codec="utf-8"))
    gdf, meta = _read_dxf(path)
    assert gdf["use"].tolist() == ["厂房", "厂房"] and meta["encoding"] == "utf-8"


def test_dxf_undecodable_text_is_an_error(tmp_path):
    path = tmp_path / "plan.dxf"
    data = _dxf(codepage="ANSI_1252").replace("一号厂房".encode("gbk"), b"\x81\x20\x8d")
    path.write_bytes(data.replace("厂房".encode("gbk"), b"L1").replace("道路".encode("gbk"), b"L2"))
    with pytest.raises(InputError, match="cannot be decoded.*ANSI_1252"):
        _read_dxf(path)
