"""Write a run's results as one GeoPackage, atomically.

Layers
------
``roofs``     one row per input building (none dropped), the sized roof.
``streets``   the street rollup with street geometry.
``district``  the district (or selected street) total with its outline.
``summary``   rollup table (district / street / class / department / street×class).
``classification`` counts of buildings per class, type and rule that fired.
``panels``    one rectangle per installed module (optional, ``--no-panels``).
``registry_entries`` each registry entry and how it matched (when registries are given).
``rejected``  input rows whose geometry could not be used, with the reason.
``run_info``  key/value table: resolved config, versions, inputs and their
              SHA-256, weather used, sample-data flag.

Each layer carries default QGIS styles (``layer_styles``, with Chinese field
aliases) and a QGIS project ``<name>.qgs`` is written beside the GeoPackage
with relative paths (:mod:`pvsite.outputs.qgis`).

The file is GeoPackage 1.2 (district offices run QGIS 3.22, which warns on
1.4).  It is written to a temporary file beside the target and renamed over
it only when complete, so an interrupted run never leaves a half-written
output, and an existing output is replaced only with ``overwrite=True``.
A killed run's temporary file is removed by the next write to the same
output (:func:`remove_stale_temps`).
"""

from __future__ import annotations

import glob
import logging
import os
import re
import sqlite3
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from pvsite.outputs import qgis as qgis_style
from pvsite.outputs import schema
from pvsite.errors import OutputError

log = logging.getLogger(__name__)

GPKG_OPTIONS = {"VERSION": "1.2"}


def check_writable(path: str | Path, overwrite: bool) -> Path:
    """Fail early (before any work) when the output cannot be written.

    Raises
    ------
    OutputError
        The file exists and ``overwrite`` is false, the folder cannot be
        created, or it is not writable.
    """
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise OutputError(
            f"Output {path} must be a GeoPackage (.gpkg).",
            fix="Give --out a path ending in .gpkg.",
        )
    # pyogrio parses every path as a URI: ';' starts URI parameters and '!' separates an
    # archive, so both cut the path short (pyogrio issue #632) and GDAL writes elsewhere.
    bad = sorted({c for c in str(path) if c in ";!"})
    if bad:
        raise OutputError(
            f"Output {path} contains {' and '.join(repr(c) for c in bad)}, which GDAL/pyogrio "
            "cannot write (the path would be cut short there).",
            fix="Choose an --out whose folder and file names have no ';' or '!'.",
        )
    for existing in (path, path.with_suffix(".qgs"), path.with_suffix(".xlsx")):
        if existing.exists() and not overwrite:
            raise OutputError(
                f"Output {existing} already exists.",
                fix="Pass --overwrite to replace it, or choose another --out.",
            )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"Cannot create output folder {path.parent}: {exc.strerror}.",
                          fix="Choose an --out in a folder you can write to.") from None
    if not os.access(path.parent, os.W_OK):
        raise OutputError(f"Output folder {path.parent} is not writable.",
                          fix="Choose an --out in a folder you can write to.")
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
    """Write the run's layers to ``path`` atomically (temp file, then rename).

    Parameters
    ----------
    path : str or Path
        Target ``.gpkg``.
    roofs, streets : GeoDataFrame
        Conformed to :mod:`pvsite.outputs.schema` here.
    summary : DataFrame
        The rollup table.
    run_info : dict
        Key → text value.
    rejected : GeoDataFrame, optional
        Rows that could not be used (any geometry, may be null).
    overwrite : bool
        Replace an existing file.
    """
    path = check_writable(path, overwrite)
    remove_stale_temps(path)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.gpkg")
    if tmp.exists():
        tmp.unlink()
    try:
        roofs_out = schema.conform(roofs, "roofs")
        _write(roofs_out, tmp, "roofs", first=True)
        _write(schema.conform(streets, "streets"), tmp, "streets")
        if district is not None:
            _write(schema.conform(district, "district"), tmp, "district")
        _write(schema.conform(summary, "summary"), tmp, "summary")
        if panels is not None and len(panels):
            _write(schema.conform(panels, "panels"), tmp, "panels")
        if registry_entries is not None and len(registry_entries):
            _write(_plain_text(registry_entries), tmp, "registry_entries")
        if classification is not None:
            _write(schema.conform(classification, "classification"), tmp, "classification")
        if rejected is not None and len(rejected):
            _write(rejected, tmp, "rejected")
        info = pd.DataFrame({"key": list(run_info), "value": [str(v) for v in run_info.values()]})
        _write(info, tmp, "run_info")
        _write_aliases(tmp)
        qgis_style.add_styles(tmp)
        os.replace(tmp, path)
    except BaseException:
        if tmp.exists():
            tmp.unlink()
        raise
    project = qgis_style.write_project(path)
    log.info("wrote %s and QGIS project %s", path, project)
    return path


def write_result(path: str | Path, result, overwrite: bool = False) -> Path:
    """Write a :class:`pvsite.pipeline.RunResult` (all layers) to ``path``."""
    return write_gpkg(
        path, result.roofs, result.streets, result.summary, result.run_info,
        rejected=result.rejected, overwrite=overwrite, district=result.district_layer,
        classification=result.classification_report, panels=result.panels,
        registry_entries=result.registry_entries,
    )


def write_xlsx(path: str | Path, result, overwrite: bool = False) -> Path:
    """The figures planners hand up the chain, as an Excel workbook beside the GeoPackage.

    Sheets (Chinese column headers from :mod:`pvsite.outputs.schema`, units in the
    header): 说明 (scenario, target, weather, inputs, synthetic warning),
    全区与街道 (district and streets), 政策类别 (classes), 责任部门
    (departments), 街道×类别, 屋顶明细 (roofs with PV), 分类统计.  Written to a
    temporary file and renamed, like the GeoPackage; temp files a killed run
    left are swept by :func:`write_gpkg` (:func:`remove_stale_temps`), which
    the CLI calls first.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputError(f"Output {path} already exists.",
                          fix="Pass --overwrite to replace it, or choose another --out.")
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.xlsx")

    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def clean(df: pd.DataFrame) -> pd.DataFrame:
        """Excel cells cannot hold control characters: drop them from text (the GPKG keeps the original)."""
        df = df.copy()
        for c in df.columns:
            if df[c].dtype == object or pd.api.types.is_string_dtype(df[c]):
                df[c] = df[c].map(lambda v: ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v)
        return df

    def headed(df: pd.DataFrame, layer: str) -> pd.DataFrame:
        cols = {c.name: (c.alias_zh if not c.unit or "(" in c.alias_zh else f"{c.alias_zh} [{c.unit}]")
                for c in schema.columns(layer) if c.name in df.columns}
        return clean(pd.DataFrame(df[list(cols)]).rename(columns=cols))

    s = result.summary
    info = result.run_info
    about = [
        ("警告 warning", info.get("warning", "")),
        ("范围 scope", result.scope),
        ("情景 scenario", f"{result.scenario}: {result.scenario_description}"),
        ("政策依据 policy source", info.get("policy_source", "")),
        ("目标 target [kW]", info.get("target_kw", "")),
        ("排放因子 emission factor [kg/kWh]", f"{info.get('emission_factor_kg_per_kwh', '')} "
                                              f"({info.get('emission_factor_source', '')})"),
        ("气象 weather", info.get("weather_description", "")),
        ("建筑轮廓 footprints", f"{info.get('footprints_path', '')} (sha256 {info.get('footprints_sha256', '')})"),
        ("建筑数 buildings in / selected / rejected",
         f"{info.get('n_input_features')} / {info.get('n_selected')} / {info.get('n_rejected')}"),
        ("生成时间 created (UTC)", info.get("created_utc", "")),
        ("pvsite", info.get("version_pvsite", "")),
    ]
    roofs = result.roofs
    sized = roofs[roofs["capacity_kw"] > 0].drop(columns=["geometry", "usable_geometry"], errors="ignore")
    try:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
            clean(pd.DataFrame(about, columns=["项目 item", "内容 value"])).to_excel(xl, sheet_name="说明", index=False)
            for sheet, levels in (("全区与街道", ["district", "street"]), ("政策类别", ["class"]),
                                  ("责任部门", ["department"]), ("街道×类别", ["street_class"])):
                headed(s[s["level"].isin(levels)], "summary").to_excel(xl, sheet_name=sheet, index=False)
            headed(sized, "roofs").to_excel(xl, sheet_name="屋顶明细", index=False)
            headed(result.classification_report, "classification").to_excel(xl, sheet_name="分类统计", index=False)
            for ws in xl.book.worksheets:
                for col in ws.columns:
                    width = max(len(str(c.value)) if c.value is not None else 0 for c in col[:200])
                    ws.column_dimensions[col[0].column_letter].width = min(60, max(10, width * 1.6))
        os.replace(tmp, path)
    except BaseException:
        if tmp.exists():
            tmp.unlink()
        raise
    return path


def _plain_text(df: pd.DataFrame) -> pd.DataFrame:
    """Object columns as text, so any mix of values writes cleanly."""
    out = df.copy()
    for c in out.columns:
        if c != "geometry" and out[c].dtype == object:
            out[c] = out[c].map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    return out


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs (POSIX only: on Windows os.kill would terminate it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def remove_stale_temps(path: str | Path) -> list[Path]:
    """Delete temporary files that killed runs left beside ``path``.

    :func:`write_gpkg` writes ``.<stem>.<pid>.tmp.gpkg`` (SQLite may add
    ``-journal``/``-wal``/``-shm`` beside it) and
    :func:`pvsite.outputs.qgis.write_project` ``.<stem>.qgs.<pid>.tmp`` and
    :func:`write_xlsx` ``.<stem>.<pid>.tmp.xlsx``; a run
    killed with SIGKILL (or a power cut) cannot remove them.  A temp file
    whose process no longer runs is removed; one of a live process (a
    concurrent run) is left alone.  On Windows the deletion itself fails
    while another process holds the file open, which serves the same end.

    Returns
    -------
    list of Path
        The files removed.
    """
    path = Path(path)
    stem = re.escape(path.stem)
    pattern = re.compile(
        rf"\.{stem}\.(?:(\d+)\.tmp\.(?:gpkg(?:-journal|-wal|-shm)?|xlsx)|qgs\.(\d+)\.tmp)")
    removed = []
    for tmp in sorted(path.parent.glob(f".{glob.escape(path.stem)}.*")):
        m = pattern.fullmatch(tmp.name)
        if m is None:
            continue
        pid = int(m.group(1) or m.group(2))
        if pid == os.getpid() or (os.name != "nt" and _pid_alive(pid)):
            continue
        try:
            tmp.unlink()
        except OSError:
            continue
        log.warning("removed %s, left by an interrupted run (process %d)", tmp, pid)
        removed.append(tmp)
    return removed


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
