"""The roofs' partitioned GeoParquet folder (pvsite.outputs.parquet) equals the GeoPackage's roofs layer."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest
import shapely

from pvsite import outputs, pipeline
from pvsite.config import Config
from pvsite.errors import OutputError
from pvsite.outputs import parquet, schema, xlsx


@pytest.fixture(scope="module")
def sample():
    """The embedded sample district, every roof, GeoParquet forced on (it is below the roof-sheet bound)."""
    return pipeline.run(Config().with_overrides(output={"panels": False, "parquet": True},
                                                report={"enabled": False}))


def _gpkg_roofs(path) -> gpd.GeoDataFrame:
    return pyogrio.read_dataframe(path, layer="roofs", use_arrow=True)


def _same(pq_frame: gpd.GeoDataFrame, gp_frame: gpd.GeoDataFrame) -> None:
    assert pq_frame.crs == gp_frame.crs and pq_frame.crs is not None
    assert list(pq_frame.columns) == list(gp_frame.columns)
    assert list(pq_frame["building_id"]) == list(gp_frame["building_id"])
    # GDAL reads the GeoPackage back in numpy dtypes (NaN for a missing value): cast it to the schema's
    b = pd.DataFrame(schema.conform(gp_frame, "roofs").drop(columns="geometry"))
    pd.testing.assert_frame_equal(pd.DataFrame(pq_frame.drop(columns="geometry")), b)
    assert shapely.equals_exact(pq_frame.geometry.array, gp_frame.geometry.array, tolerance=0).all()


def test_dataset_equals_the_gpkg_roofs_layer(sample, tmp_path):
    written = outputs.write_all(sample, tmp_path / "s.gpkg")
    folder = written.roofs_parquet
    assert folder == tmp_path / "s_roofs.parquet" and folder.is_dir()
    assert sorted(p.name for p in folder.iterdir()) == ["part-00000.parquet"]  # the sample is one block
    back = gpd.read_parquet(folder)
    _same(back, _gpkg_roofs(written.gpkg))
    assert len(back) == len(sample.roofs) > 1000
    meta = pq.read_schema(folder / "part-00000.parquet").metadata[b"geo"].decode()
    assert '"version": "1.0.0"' in meta and '"encoding": "WKB"' in meta
    # the schema's dtypes survive (nullable ints, booleans, strings), not GDAL's
    assert [str(back[c.name].dtype) for c in schema.LAYERS["roofs"]] == [str(c.dtype) for c in schema.LAYERS["roofs"]]
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir() if "parquet" in p.name)  # no temp left


def test_blocks_give_several_parts_with_the_same_content(sample, tmp_path, monkeypatch):
    monkeypatch.setattr(parquet, "PARQUET_BLOCK_ROOFS", 700)
    written = outputs.write_all(sample, tmp_path / "b.gpkg")
    parts = sorted(p.name for p in written.roofs_parquet.iterdir())
    n = -(-len(sample.roofs) // 700)
    assert n >= 3 and parts == [parquet.PART_NAME.format(i) for i in range(n)]
    assert [pq.read_metadata(written.roofs_parquet / p).num_rows for p in parts][:-1] == [700] * (n - 1)
    _same(gpd.read_parquet(written.roofs_parquet), _gpkg_roofs(written.gpkg))


def test_out_crs_is_the_gpkg_crs(sample, tmp_path):
    import dataclasses

    res = dataclasses.replace(sample, config=sample.config.with_overrides(output={"crs": "EPSG:4549"}))
    written = outputs.write_all(res, tmp_path / "c.gpkg")
    back = gpd.read_parquet(written.roofs_parquet)
    assert back.crs.to_epsg() == 4549
    _same(back, _gpkg_roofs(written.gpkg))


def test_auto_writes_only_beyond_the_roof_sheet(sample, tmp_path, monkeypatch):
    import dataclasses

    auto = dataclasses.replace(sample, config=sample.config.with_overrides(output={"parquet": None}))
    assert len(sample.roofs) <= xlsx.MAX_ROOF_ROWS and not parquet.wanted(auto)
    written = outputs.write_all(auto, tmp_path / "a.gpkg")
    assert written.roofs_parquet is None and not (tmp_path / "a_roofs.parquet").exists()
    sheet_note = pd.read_excel(written.xlsx, sheet_name="说明").set_index("项目 item")["内容 value"]
    assert "屋顶明细 roof detail" not in sheet_note  # the sheet is not bounded
    # beyond the bound: written, and the bounded sheet's note names the folder
    monkeypatch.setattr(xlsx, "MAX_ROOF_ROWS", 500)
    assert parquet.wanted(auto)
    written = outputs.write_all(auto, tmp_path / "a.gpkg", overwrite=True)
    assert written.roofs_parquet.is_dir()
    about = pd.read_excel(written.xlsx, sheet_name="说明").set_index("项目 item")["内容 value"]
    assert "a_roofs.parquet" in about["屋顶明细 roof detail"] and "a_roofs.csv" in about["屋顶明细 roof detail"]
    off = dataclasses.replace(sample, config=sample.config.with_overrides(output={"parquet": False}))
    assert not parquet.wanted(off)
    # a run that does not write it removes the earlier set's folder (a set never mixes two runs)
    written = outputs.write_all(off, tmp_path / "a.gpkg", overwrite=True)
    assert not (tmp_path / "a_roofs.parquet").exists()


def test_never_clobbered_without_overwrite(sample, tmp_path, monkeypatch):
    monkeypatch.setattr(parquet, "PARQUET_BLOCK_ROOFS", 700)
    first = outputs.write_all(sample, tmp_path / "o.gpkg")
    before = sorted(p.name for p in first.roofs_parquet.iterdir())
    for p in first:  # only the folder stays: it alone must stop the write
        if p.is_file():
            p.unlink()
    with pytest.raises(OutputError, match="already exists"):
        outputs.write_all(sample, tmp_path / "o.gpkg")
    assert sorted(p.name for p in first.roofs_parquet.iterdir()) == before
    monkeypatch.setattr(parquet, "PARQUET_BLOCK_ROOFS", 100_000)
    second = outputs.write_all(sample, tmp_path / "o.gpkg", overwrite=True)  # a full folder replaced by one part
    assert sorted(p.name for p in second.roofs_parquet.iterdir()) == ["part-00000.parquet"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no .old / .tmp folder left
    _same(gpd.read_parquet(second.roofs_parquet), _gpkg_roofs(second.gpkg))


def test_a_failed_write_keeps_the_previous_folder(sample, tmp_path, monkeypatch):
    first = outputs.write_all(sample, tmp_path / "f.gpkg")
    stamp = (first.roofs_parquet / "part-00000.parquet").stat().st_mtime_ns

    def fail(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outputs.xlsx, "write_roofs_csv", fail)  # a member after the GeoPackage and workbook
    with pytest.raises(OutputError, match="No space left"):
        outputs.write_all(sample, tmp_path / "f.gpkg", overwrite=True)
    assert (first.roofs_parquet / "part-00000.parquet").stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_stale_temp_folder_of_a_killed_run_is_removed(tmp_path):
    target = tmp_path / "k_roofs.parquet"
    stale = tmp_path / ".k_roofs.parquet.999999999.tmp.parquet"
    (stale / "sub").mkdir(parents=True)
    (stale / "part-00000.parquet").write_bytes(b"x")
    assert outputs.remove_stale_temps(tmp_path / "k.gpkg") == [stale]
    assert not stale.exists() and not target.exists()


def test_dask_geopandas_reads_the_folder(sample, tmp_path, monkeypatch):
    dgpd = pytest.importorskip("dask_geopandas", reason="dask-geopandas is not installed (pip install 'pvsite[dask]')")
    monkeypatch.setattr(parquet, "PARQUET_BLOCK_ROOFS", 700)
    written = outputs.write_all(sample, tmp_path / "d.gpkg")
    ddf = dgpd.read_parquet(written.roofs_parquet)
    assert ddf.npartitions == len(list(written.roofs_parquet.iterdir()))
    got = ddf.compute()
    assert got.crs == _gpkg_roofs(written.gpkg).crs
    _same(got.reset_index(drop=True), _gpkg_roofs(written.gpkg))
