"""The GeoPackage's large layers are streamed in Arrow batches: same file content as one whole-frame write.

``roofs`` and ``horizons`` go to GDAL :data:`pvsite.outputs.gpkg.BATCH_ROWS` rows at a time and the
``panels`` layer batch by batch, all in one write per layer (``pvsite.outputs.gpkg._write_batches``).
These tests pin that the batching changes nothing a reader sees: every table of the file, row for row,
equals what the previous writer produced (``pyogrio.write_dataframe`` of the whole conformed frame, and the
whole horizons table with ``DataFrame.round(3)``), whatever the batch size.
"""

from __future__ import annotations

import sqlite3

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

import pvsite
from pvsite import pipeline
from pvsite.outputs import gpkg, schema
from pvsite.roofs import layout

#: Times of writing, not content.
_TIMES = {("gpkg_contents", "last_change"), ("layer_styles", "update_time")}


@pytest.fixture(scope="module")
def result():
    return pipeline.run(pvsite.configure(scenario="technical-max", panels=True), pipeline.Selection(street="华阳路街道"))


def _tables(path, skip_rtree_nodes: bool = False) -> dict:
    """Every table of the SQLite file: its DDL and its rows in rowid order (the R-tree's entries sorted by id)."""
    con = sqlite3.connect(path)
    out = {}
    for name, sql in con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name"):
        if name.startswith("sqlite_") or (skip_rtree_nodes and name.startswith("rtree_")
                                          and name.endswith(("_node", "_parent", "_rowid"))):
            continue
        cur = con.execute(f'SELECT * FROM "{name}"')
        cols = [d[0] for d in cur.description]
        keep = [i for i, c in enumerate(cols) if (name, c) not in _TIMES]
        rows = [tuple(r[i] for i in keep) for r in cur]
        out[name] = (sql, cols, sorted(rows) if name.startswith("rtree_") else rows)
    out["triggers"] = sorted(con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall())
    con.close()
    return out


def _assert_same(a: dict, b: dict) -> None:
    assert sorted(a) == sorted(b)
    for name in a:
        assert a[name] == b[name], name


def test_batch_size_changes_nothing_in_the_file(result, tmp_path, monkeypatch):
    assert len(result.roofs) > 7 and len(result.planes) > 7 and result.horizons is not None
    info = dict(result.run_info)
    whole = gpkg.write_result(tmp_path / "whole.gpkg", result, run_info=info)
    monkeypatch.setattr(gpkg, "BATCH_ROWS", 7)  # many batches, the last one short
    monkeypatch.setattr(layout, "PANEL_BATCH_MODULES", 997)
    small = gpkg.write_result(tmp_path / "small.gpkg", result, run_info=info)
    # the R-tree holds the same entries; only its node layout may depend on how the rows arrived
    _assert_same(_tables(whole, skip_rtree_nodes=True), _tables(small, skip_rtree_nodes=True))
    assert len(pyogrio.read_dataframe(small, layer="panels", read_geometry=False)) == len(result.panels)


def test_streamed_layers_equal_the_whole_frame_writer(result, tmp_path, monkeypatch):
    """The previous writer, inline: roofs by ``write_dataframe(use_arrow=True)`` of the whole conformed frame,
    the horizons table built whole (``to_frame().round(3)``) and written without Arrow."""
    monkeypatch.setattr(gpkg, "BATCH_ROWS", 50)
    new = tmp_path / "new.gpkg"
    gpkg._write_batches(new, "roofs", gpkg._roof_batches(result.roofs, None),
                        *gpkg._layer_geometry(result.roofs.geometry, None), first=True)
    gpkg._write_batches(new, "horizons", map(gpkg._arrow_batch,
                                             gpkg.horizons_blocks(result.horizons, result.planes, result.roofs)))

    old = tmp_path / "old.gpkg"
    pyogrio.write_dataframe(schema.conform(result.roofs, "roofs"), old, driver="GPKG", layer="roofs",
                            use_arrow=True, promote_to_multi=False, dataset_options=gpkg.GPKG_OPTIONS)
    h, pl = result.horizons, result.planes.reindex(result.horizons.plane_index)
    profiles = h.to_frame()
    head = pd.DataFrame({
        "building_id": result.roofs["building_id"].reindex(pl["roof_index"].to_numpy()).to_numpy(),
        "plane": pl["plane"].to_numpy(), "tilt_deg": pl["tilt_deg"].to_numpy(),
        "azimuth_deg": pl["azimuth_deg"].to_numpy(), "horizon_max_deg": profiles["horizon_max_deg"].to_numpy(),
        "sky_view_factor": pl["sky_view_factor"].to_numpy(), "shading_loss_pct": pl["shading_loss_pct"].to_numpy(),
    })
    for c in schema.TABLES["horizons"]:
        head[c.name] = head[c.name].astype(c.dtype)
    table = pd.concat([head, profiles.drop(columns="horizon_max_deg").round(3).reset_index(drop=True)], axis=1)
    pyogrio.write_dataframe(table, old, driver="GPKG", layer="horizons", append=False)
    _assert_same(_tables(old), _tables(new))


def test_horizon_blocks_concatenate_to_the_table(result):
    whole = gpkg.horizons_table(result.horizons, result.planes, result.roofs)
    blocks = list(gpkg.horizons_blocks(result.horizons, result.planes, result.roofs, block_rows=13))
    assert len(blocks) == -(-len(whole) // 13) and all(len(b) == 13 for b in blocks[:-1])
    joined = pd.concat(blocks, ignore_index=True)
    pd.testing.assert_frame_equal(joined, whole)
    # rounding in place on a column-major copy is np.round, bit for bit
    sectors = whole.columns[len(schema.TABLES["horizons"]):]
    assert np.array_equal(whole[sectors].to_numpy(), np.round(result.horizons.horizon_deg, 3), equal_nan=True)
    assert list(gpkg.horizons_blocks(None, result.planes, result.roofs)) == []


@pytest.mark.parametrize("case", ["polygon", "mixed", "z", "with_nulls", "all_null", "wkt_crs"])
def test_layer_geometry_is_what_write_dataframe_infers(tmp_path, case):
    """Geometry type and CRS of a streamed layer are those ``write_dataframe(promote_to_multi=False)`` gives."""
    box, multi = shapely.box(0, 0, 1, 1), shapely.MultiPolygon([shapely.box(2, 2, 3, 3)])
    geoms = {"polygon": [box, box], "mixed": [box, multi], "z": [shapely.Polygon([(0, 0, 1), (1, 0, 1), (1, 1, 1)]), box],
             "with_nulls": [None, box], "all_null": [None, None], "wkt_crs": [box, box]}[case]
    crs = "+proj=tmerc +lon_0=121.3 +k=1 +x_0=500000 +ellps=GRS80 +units=m" if case == "wkt_crs" else "EPSG:32651"
    df = gpd.GeoDataFrame({"building_id": pd.array(["a", "b"], dtype="string")}, geometry=geoms, crs=crs)
    ref, new = tmp_path / "ref.gpkg", tmp_path / "new.gpkg"
    pyogrio.write_dataframe(df, ref, driver="GPKG", layer="t", use_arrow=True, promote_to_multi=False)
    gpkg._write_batches(new, "t", [gpkg._arrow_batch(df)], *gpkg._layer_geometry(df.geometry, None))
    _assert_same(_tables(ref), _tables(new))


def test_untyped_columns_are_refused():
    with pytest.raises(TypeError, match="object"):
        gpkg._arrow_batch(pd.DataFrame({"a": np.array(["x", 1], dtype=object)}))


def test_no_rows_writes_no_layer(tmp_path):
    path = tmp_path / "e.gpkg"
    pyogrio.write_dataframe(pd.DataFrame({"k": ["x"]}), path, driver="GPKG", layer="run_info")
    empty = pd.DataFrame({"a": pd.array([], dtype="Float64")})
    assert gpkg._write_batches(path, "empty", [gpkg._arrow_batch(empty)]) == 0
    assert [name for name, _ in pyogrio.list_layers(path)] == ["run_info"]
