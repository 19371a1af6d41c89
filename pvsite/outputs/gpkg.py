"""The GeoPackage of a run: its layers, Chinese field aliases and QGIS styles.

Layers
------
``roofs``     one row per input building (none dropped), the sized roof.
``streets``   the street rollup with street geometry.
``district``  the district (or selected street) total with its outline.
``summary``   rollup table (district / street / class / department / street×class).
``classification`` counts of buildings per class, type and rule that fired.
``panels``    one rectangle per installed module, written in batches
              (:func:`write_panels`); by default only up to
              :data:`PANELS_AUTO_MAX_MODULES` modules (``output.panels``).
``registry_entries`` each registry entry and how it matched (when registries are given).
``rejected``  input rows whose geometry could not be used, with the reason.
``horizons``  table (shading on): one row per PV plane, its obstruction elevation
              per azimuth sector (:func:`horizons_table`).
``run_info``  key/value table: resolved config, versions, inputs and their
              SHA-256, weather used, sample-data flag.

The large layers are never held whole in the form written: ``roofs`` and
``horizons`` are conformed and converted to Arrow :data:`BATCH_ROWS` rows at a
time, ``panels`` batch by batch, and each streamed into one GDAL write (one
layer creation, one spatial-index build): the tables are those one whole-frame
``pyogrio.write_dataframe`` per layer writes, row for row, at a fraction of its
memory (``tests/outputs/test_gpkg_batches.py``).

Each layer carries default QGIS styles (``layer_styles``, with Chinese field
aliases, :mod:`pvsite.outputs.qgis`) and every column of the schema its
Chinese title in ``gpkg_data_columns``.

The file is GeoPackage 1.2 (district offices run QGIS 3.22, which warns on
1.4).  :func:`write_gpkg` writes it atomically on its own; a run's whole
output set (GeoPackage, ``.qgs`` project, workbook) is written together by
:func:`pvsite.outputs.write_all`.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from pvsite.io import atomic
from pvsite.outputs import qgis as qgis_style
from pvsite.outputs import schema

log = logging.getLogger(__name__)

GPKG_OPTIONS = {"VERSION": "1.2"}

#: Most modules the ``panels`` layer holds when ``output.panels`` is unset ("auto").
#: Beyond it the layer is skipped with a warning.  Measured (benchmarks/scale.py machine,
#: 2 cores under load): 1,681,380 modules written in batches in 20.3 s, 380 MB of GeoPackage,
#: peak RSS 528 MB; so 200,000 modules cost ~2.4 s and ~45 MB, while a city's millions would
#: dominate the run and the file, for a layer nobody views at city scale (pvsite choice;
#: ``output.panels = true`` forces it; memory stays bounded either way).
PANELS_AUTO_MAX_MODULES = 200_000

#: Rows per Arrow record batch of the layers streamed into GDAL (``roofs``, ``horizons``): one batch of
#: the roofs (96 columns) is ≈ 9 MB conformed and again in Arrow, where the whole layer conformed, then
#: in Arrow, was ≈ 130 MB twice at 100,000 roofs.  Measured at 100,000 roofs (shading on): the GeoPackage's
#: peak RSS increment +109 MB with 16,384 rows, +61 MB with 8,192, +54 MB with 4,096, at no measurable
#: CPU difference between the three (GDAL's per-batch overhead is negligible).
BATCH_ROWS = 8_192

#: Most memory GDAL may take to build the R-tree of a streamed layer in RAM (``OGR_GPKG_MAX_RAM_USAGE_RTREE``,
#: bytes); beyond it GDAL goes on inserting into the R-tree row by row, slower but bounded.  Uncapped, the
#: in-RAM build grows by ≈ 42 B per feature (measured), without limit for a forced ``panels`` layer of a
#: city.  Measured on 5,344,530 panel modules: 30.5 CPU-s, +274 MB uncapped; 37.1 CPU-s, +185 MB with this
#: cap; 45 CPU-s, +173 MB with a 32 MB cap; 50 CPU-s, +145 MB appending batch after batch (the writer
#: before streaming).  The roofs of 1,000,000 buildings (≈ 42 MB) stay under it.
RTREE_RAM_BYTES = 128 * 2**20


def write_layers(
    path: str | Path,
    roofs: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame,
    summary: pd.DataFrame,
    run_info: dict[str, str],
    rejected: gpd.GeoDataFrame | None = None,
    district: gpd.GeoDataFrame | None = None,
    classification: pd.DataFrame | None = None,
    panels: gpd.GeoDataFrame | None = None,
    registry_entries: pd.DataFrame | None = None,
    crs=None,
    horizons: pd.DataFrame | None = None,
) -> Path:
    """Write the run's layers, aliases and styles into a new GeoPackage at ``path``.

    Not atomic by itself: ``path`` is a temporary file of the caller
    (:func:`write_gpkg`, or :func:`pvsite.outputs.write_all` for a whole set).

    Parameters
    ----------
    path : str or Path
        File to create (must not exist).
    roofs, streets : GeoDataFrame
        Conformed to :mod:`pvsite.outputs.schema` here.
    summary : DataFrame
        The rollup table.
    run_info : dict
        Key → text value (layer ``run_info``).
    rejected : GeoDataFrame, optional
        Rows that could not be used (any geometry, may be null).
    district, classification, panels, registry_entries : optional
        Further layers, written when given (``panels`` and
        ``registry_entries`` only when not empty).
    crs : str or pyproj.CRS, optional
        CRS the geometry layers are written in (``[output] crs``, ``--out-crs``);
        default: each layer's own CRS (the run's metric WGS 84 / UTM CRS).  The frames passed in
        are not changed.
    horizons : DataFrame or iterable of DataFrame, optional
        Non-spatial table ``horizons`` (:func:`horizons_table`), or its row blocks in order
        (:func:`horizons_blocks`); written when given and not empty.

    ``roofs`` and ``horizons``, the large layers, are conformed and converted to Arrow
    :data:`BATCH_ROWS` rows at a time and streamed into one GDAL write per layer
    (:func:`_write_batches`), so no whole conformed copy of them is ever held.
    """
    path = Path(path)
    out_crs = _out_crs(crs, roofs)
    geometry_type, layer_crs = _layer_geometry(roofs.geometry, out_crs)
    _write_batches(path, "roofs", _roof_batches(roofs, out_crs), geometry_type=geometry_type, crs=layer_crs,
                   first=True)
    _write(_to(schema.conform(streets, "streets"), out_crs), path, "streets")
    if district is not None:
        _write(_to(schema.conform(district, "district"), out_crs), path, "district")
    _write(schema.conform(summary, "summary"), path, "summary")
    if panels is not None and len(panels):
        write_panels(path, panels, crs=out_crs)
    if registry_entries is not None and len(registry_entries):
        _write(_to(_plain_text(registry_entries), out_crs), path, "registry_entries")
    if classification is not None:
        _write(schema.conform(classification, "classification"), path, "classification")
    if rejected is not None and len(rejected):
        _write(_to(rejected, out_crs), path, "rejected")
    if horizons is not None:
        blocks = (horizons.iloc[i:i + BATCH_ROWS] for i in range(0, len(horizons), BATCH_ROWS)) \
            if isinstance(horizons, pd.DataFrame) else horizons
        _write_batches(path, "horizons", (_arrow_batch(b) for b in blocks))
    info = pd.DataFrame({"key": list(run_info), "value": [str(v) for v in run_info.values()]})
    _write(info, path, "run_info")
    _write_aliases(path)
    qgis_style.add_styles(path)
    return path


def write_gpkg(
    path: str | Path,
    roofs: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame,
    summary: pd.DataFrame,
    run_info: dict[str, str],
    rejected: gpd.GeoDataFrame | None = None,
    overwrite: bool = False,
    district: gpd.GeoDataFrame | None = None,
    classification: pd.DataFrame | None = None,
    panels: gpd.GeoDataFrame | None = None,
    registry_entries: pd.DataFrame | None = None,
) -> Path:
    """Write one GeoPackage atomically (temp file, then rename); see :func:`write_layers`.

    Only the GeoPackage: a run's whole output set (with the ``.qgs`` project
    and the workbook) is written by :func:`pvsite.outputs.write_all`.

    Raises
    ------
    OutputError
        ``path`` exists and ``overwrite`` is false.
    """
    path = Path(path)
    atomic.refuse_existing(path, overwrite)
    with atomic.atomic_path(path) as tmp:
        write_layers(tmp, roofs, streets, summary, run_info, rejected=rejected, district=district,
                     classification=classification, panels=panels, registry_entries=registry_entries)
    log.info("wrote %s", path)
    return path


def write_result(path: str | Path, result, run_info: dict[str, str] | None = None) -> Path:
    """Write the layers of a :class:`pvsite.pipeline.RunResult` into a new file ``path``.

    ``run_info`` replaces ``result.run_info`` (the output set adds its
    identity).  The panels layer follows ``result.config.output.panels``
    (:func:`panels_to_write`); when "auto" skips it, ``run_info`` says so
    (``panels_layer``).  Not atomic: ``path`` is a temporary file of the caller.
    """
    info = dict(result.run_info if run_info is None else run_info)
    mode = result.config.output.panels if getattr(result, "config", None) is not None else None
    panels, note = panels_to_write(result.panels, mode)
    if note:
        info["panels_layer"] = note
    return write_layers(
        path, result.roofs, result.streets, result.summary, info,
        rejected=result.rejected, district=result.district_layer,
        classification=result.classification_report, panels=panels,
        registry_entries=result.registry_entries,
        crs=result.config.output.crs if getattr(result, "config", None) is not None else None,
        horizons=horizons_blocks(getattr(result, "horizons", None), result.planes, result.roofs),
    )


def horizons_table(horizons, planes: pd.DataFrame, roofs: pd.DataFrame, rows: slice = slice(None)
                   ) -> pd.DataFrame | None:
    """The ``horizons`` table: one row per shaded plane, one column per azimuth sector.

    Parameters
    ----------
    horizons : pvsite.roofs.horizon.HorizonProfiles or None
        The run's plane horizons (``None`` when shading is off).
    planes : pandas.DataFrame
        The run's planes (``roof_index``, ``plane``, ``tilt_deg``, ``azimuth_deg``, and the shading
        columns), indexed like the horizons' planes.
    roofs : pandas.DataFrame
        The roofs (``building_id``), indexed by ``roof_index``.
    rows : slice
        Positions of the profiles to tabulate (default all); :func:`horizons_blocks` builds the
        table block by block with it.

    Returns
    -------
    pandas.DataFrame or None
        The columns of ``schema.TABLES['horizons']`` then ``h000`` … [°], rounded to 0.001°
        (:data:`pvsite.outputs.schema.HORIZON_SECTOR_PREFIX`); ``None`` without horizons.
    """
    if horizons is None:
        return None
    names = [f"h{a:03.0f}" for a in horizons.sector_azimuth_deg]
    shade = [c for c in ("sky_view_factor", "shading_loss_pct") if c in planes]
    pl = planes[["roof_index", "plane", "tilt_deg", "azimuth_deg", *shade]].reindex(horizons.plane_index[rows])
    out = pd.DataFrame({
        "building_id": roofs["building_id"].reindex(pl["roof_index"].to_numpy()).to_numpy(),
        "plane": pl["plane"].to_numpy(), "tilt_deg": pl["tilt_deg"].to_numpy(),
        "azimuth_deg": pl["azimuth_deg"].to_numpy(), "horizon_max_deg": horizons.horizon_max_deg[rows],
        **{c: pl[c].to_numpy() if c in pl else np.nan for c in ("sky_view_factor", "shading_loss_pct")},
    })
    for c in schema.TABLES["horizons"]:
        out[c.name] = out[c.name].astype(c.dtype)
    # Column-major, so that every sector column is contiguous and pandas and Arrow take it without a copy;
    # np.round(x, 3) is rint(x · 1000) / 1000, bit for bit what DataFrame.round gives.
    sectors = horizons.horizon_deg[rows].copy(order="F")
    np.round(sectors, 3, out=sectors)
    return pd.concat([out, pd.DataFrame(sectors, columns=names, copy=False)], axis=1)


def horizons_blocks(horizons, planes: pd.DataFrame, roofs: pd.DataFrame, block_rows: int | None = None):
    """The ``horizons`` table (:func:`horizons_table`) as consecutive blocks of ``block_rows`` planes.

    Built lazily, so memory holds one block: the whole table at 1,000,000 roofs is
    ~1.4 M planes × 151 columns ≈ 1.7 GB of float64.  Yields nothing without horizons.
    """
    if horizons is None:
        return
    size = block_rows or BATCH_ROWS
    for i in range(0, len(horizons.plane_index), size):
        yield horizons_table(horizons, planes, roofs, slice(i, i + size))


def panels_to_write(panels, mode: bool | None):
    """The panels layer a run writes under ``output.panels`` = ``mode``, and why it is skipped.

    Parameters
    ----------
    panels : GeoDataFrame, pvsite.roofs.layout.ModulePanels or None
        The installed modules.
    mode : bool or None
        ``True`` always, ``False`` never, ``None`` auto (at most
        :data:`PANELS_AUTO_MAX_MODULES` modules).

    Returns
    -------
    panels : same type or None
        What to write.
    note : str
        Empty, or why the layer is left out (also logged as a warning).
    """
    if panels is None or mode is False:
        return None, ""
    n = len(panels)
    if mode is None and n > PANELS_AUTO_MAX_MODULES:
        note = (f"skipped: {n:,} modules > {PANELS_AUTO_MAX_MODULES:,} (output.panels auto); "
                "set [output] panels = true to write it")
        log.warning("panels layer %s", note)
        return None, note
    return panels, ""


def write_panels(path: str | Path, panels, batch_modules: int | None = None, crs=None) -> int:
    """Write the ``panels`` layer into the GeoPackage ``path`` in batches of modules.

    A :class:`pvsite.roofs.layout.ModulePanels` is built batch by batch
    (each batch streamed into the layer, then dropped), so memory holds one
    batch of rectangles, never all modules; a GeoDataFrame is written in
    slices of the same size.  All batches go into one GDAL write (:func:`_write_batches`): the
    layer is created once, its geometry type taken from the first batch, and its spatial index
    built once at the end rather than row by row through triggers, as appending batch after
    batch did.

    Returns
    -------
    int
        Modules written.
    """
    from pvsite.roofs.layout import PANEL_BATCH_MODULES, ModulePanelParts, ModulePanels

    size = batch_modules or PANEL_BATCH_MODULES
    if isinstance(panels, (ModulePanels, ModulePanelParts)):
        parts = iter(panels.batches(size))
    else:
        parts = (panels.iloc[i:i + size] for i in range(0, len(panels), size))
    first = next((p for p in parts if len(p)), None)
    if first is None:
        return 0
    first = _to(schema.conform(first, "panels"), crs)
    geometry_type, layer_crs = _layer_geometry(first.geometry, None)
    return _write_batches(Path(path), "panels", _panel_tables([first], parts, crs), geometry_type=geometry_type,
                          crs=layer_crs)


def _panel_tables(head: list, parts, crs):
    """Arrow tables of the panels: the conformed frame in ``head`` (popped, not held), then ``parts``."""
    while head:
        yield _arrow_batch(head.pop())
    for part in parts:
        yield _arrow_batch(_to(schema.conform(part, "panels"), crs))


def _out_crs(crs, roofs):
    """The output CRS as a :class:`pyproj.CRS` (None: keep each layer's), warning when the roofs lie outside
    its area of use (a Gauss-Kruger zone far from the data distorts lengths and areas)."""
    if crs is None:
        return None
    import pyproj

    out = pyproj.CRS.from_user_input(crs)
    aou = out.area_of_use
    if aou is not None and isinstance(roofs, gpd.GeoDataFrame) and roofs.crs is not None and len(roofs):
        w, s_, e, n = roofs.geometry.to_crs(4326).total_bounds
        if w < aou.west - 0.5 or e > aou.east + 0.5 or s_ < aou.south - 0.5 or n > aou.north + 0.5:
            log.warning("output CRS %s is meant for %s (%.1f–%.1f° E, %.1f–%.1f° N); the roofs span "
                        "%.2f–%.2f° E, %.2f–%.2f° N: lengths and areas in that CRS are distorted. "
                        "输出坐标系不覆盖数据范围。", out.to_string(), aou.name, aou.west, aou.east, aou.south,
                        aou.north, w, e, s_, n)
    return out


def _to(df, crs):
    """``df`` in ``crs`` when it is a GeoDataFrame with a CRS and ``crs`` is given, else ``df``."""
    if crs is None or not isinstance(df, gpd.GeoDataFrame) or df.crs is None or df.crs == crs:
        return df
    return df.to_crs(crs)


def _plain_text(df: pd.DataFrame) -> pd.DataFrame:
    """Object columns as text, so any mix of values writes cleanly."""
    out = df.copy()
    for c in out.columns:
        if c != "geometry" and out[c].dtype == object:
            out[c] = out[c].map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    return out


def _roof_batches(roofs: gpd.GeoDataFrame, crs):
    """The ``roofs`` layer as Arrow record batches of :data:`BATCH_ROWS` rows, conformed and in ``crs``."""
    for i in range(0, len(roofs), BATCH_ROWS):
        yield _arrow_batch(_to(schema.conform(roofs.iloc[i:i + BATCH_ROWS], "roofs"), crs))


def _layer_geometry(geometry: gpd.GeoSeries, crs) -> tuple[str, str | None]:
    """Layer geometry type and CRS text of ``geometry`` (written in ``crs`` when given), as pyogrio's
    ``write_dataframe(promote_to_multi=False)`` infers them from a whole frame (pyogrio 0.13
    ``geopandas.write_dataframe``): the one geometry type of the non-null geometries, else
    ``Unknown``; `` Z`` when a non-empty geometry has Z; ``EPSG:<code>``, else WKT1_GDAL."""
    kinds = pd.Series(geometry.geom_type.unique()).dropna().to_numpy()
    kind = kinds[0] if len(kinds) == 1 else "Unknown"
    filled = geometry[geometry.notna().to_numpy() & ~geometry.is_empty.to_numpy()]
    if kind != "Unknown" and len(filled) and filled.has_z.any():
        kind = f"{kind} Z"
    if crs is None or geometry.crs is None or geometry.crs == crs:  # what _to leaves untransformed
        crs = geometry.crs
    if not crs:
        return kind, None
    epsg = crs.to_epsg()
    return kind, f"EPSG:{epsg}" if epsg else crs.to_wkt("WKT1_GDAL")


def _arrow_batch(df: pd.DataFrame) -> "pyarrow.Table":
    """``df`` as the Arrow table pyogrio's ``write_dataframe(use_arrow=True)`` would hand GDAL.

    The columns must be typed (schema dtypes, no ``object`` column: what :func:`schema.conform`
    gives); the geometry becomes WKB (``binary``), NaN becomes null (``pa.Table.from_pandas``).
    """
    import pyarrow as pa
    from geopandas.array import to_wkb

    geom = df.geometry.name if isinstance(df, gpd.GeoDataFrame) else None
    plain = pd.DataFrame(df, copy=False)
    if geom is not None:
        plain = plain.assign(**{geom: to_wkb(df.geometry.values)})
    objects = [c for c, t in plain.dtypes.items() if t == object and c != geom]
    if objects:
        raise TypeError(f"untyped (object) columns {objects}: conform them to the schema first")
    table = pa.Table.from_pandas(plain, preserve_index=False)
    if geom is not None and not pa.types.is_binary(table.schema.field(geom).type):  # all-null geometries
        at = table.schema.get_field_index(geom)
        table = table.set_column(at, pa.field(geom, pa.binary()), table[geom].cast(pa.binary()))
    return table


def _write_batches(path: Path, layer: str, tables, geometry_type: str | None = None, crs: str | None = None,
                   first: bool = False) -> int:
    """Write the Arrow tables ``tables`` (the rows of one layer, in order, one schema) as layer ``layer``.

    One GDAL write of a record-batch stream: the layer is created once and its spatial index built once
    at the end, as by a single ``write_dataframe``, while only one table is in memory at a time.
    Nothing is written when ``tables`` holds no rows.

    Returns
    -------
    int
        Rows written.
    """
    import pyarrow as pa

    it = iter(tables)
    first_table = next((t for t in it if t.num_rows), None)
    if first_table is None:
        return 0
    schema_ = first_table.schema
    head = [first_table]
    del first_table
    n = [0]

    def batches():
        while head:  # popped, so that the first table is not held for the whole write
            yield from _checked(head.pop())
        for table in it:
            yield from _checked(table)

    def _checked(table):
        if not table.schema.equals(schema_, check_metadata=False):
            raise TypeError(f"layer {layer!r}: a block's columns differ from the first block's")
        n[0] += table.num_rows
        return table.to_batches()

    reader = pa.RecordBatchReader.from_batches(schema_, batches())
    kwargs = dict(dataset_options=GPKG_OPTIONS) if first else dict(append=False)
    geom = "geometry" if "geometry" in schema_.names else None
    with _gdal_option("OGR_GPKG_MAX_RAM_USAGE_RTREE", str(RTREE_RAM_BYTES)):
        pyogrio.write_arrow(reader, path, driver="GPKG", layer=layer, geometry_name=geom,
                            geometry_type=geometry_type if geom else None, crs=crs, **kwargs)
    return n[0]


@contextlib.contextmanager
def _gdal_option(name: str, value: str):
    """GDAL configuration option ``name`` set to ``value`` for the block, then back to what it was."""
    before = pyogrio.get_gdal_config_option(name)
    pyogrio.set_gdal_config_options({name: value})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({name: None if before is None else str(before)})


def _write(df: pd.DataFrame, path: Path, layer: str, first: bool = False) -> None:
    kwargs = dict(driver="GPKG", layer=layer)
    if first:
        kwargs["dataset_options"] = GPKG_OPTIONS
    else:
        kwargs["append"] = False
    if isinstance(df, gpd.GeoDataFrame):
        # Arrow path is much faster; pandas nullable dtypes pass through it.
        pyogrio.write_dataframe(df, path, use_arrow=True, promote_to_multi=False, **kwargs)
    else:
        pyogrio.write_dataframe(df, path, **kwargs)


def _write_aliases(path: Path) -> None:
    """Record Chinese column titles in the GeoPackage schema extension.

    ``gpkg_data_columns`` (OGC GeoPackage 1.2, Annex: Schema extension) holds a
    human title per column; GDAL exposes it as the field's alternative name.
    """
    with sqlite3.connect(path) as con:
        con.execute(
            """CREATE TABLE IF NOT EXISTS gpkg_data_columns (
                 table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT,
                 title TEXT, description TEXT, mime_type TEXT, constraint_name TEXT,
                 CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
                 CONSTRAINT gdc_tn UNIQUE (table_name, name))"""
        )
        con.execute(
            """CREATE TABLE IF NOT EXISTS gpkg_extensions (
                 table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
                 definition TEXT NOT NULL, scope TEXT NOT NULL,
                 CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))"""
        )
        con.execute(
            "INSERT OR IGNORE INTO gpkg_extensions VALUES (?, ?, ?, ?, ?)",
            ("gpkg_data_columns", None, "gpkg_schema",
             "http://www.geopackage.org/spec/#extension_schema", "read-write"),
        )
        for layer in schema.LAYERS:
            rows = [(layer, c.name, c.name, c.alias_zh,
                     f"{c.description}" + (f" [{c.unit}]" if c.unit else ""))
                    for c in schema.columns(layer)]
            con.executemany(
                "INSERT OR REPLACE INTO gpkg_data_columns "
                "(table_name, column_name, name, title, description) VALUES (?, ?, ?, ?, ?)",
                rows,
            )
