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
