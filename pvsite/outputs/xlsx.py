"""The figures planners hand up the chain, as an Excel workbook beside the GeoPackage.

Sheets (Chinese column headers from :mod:`pvsite.outputs.schema`, units in
the header): 说明 (scenario, target, weather, inputs, synthetic warning,
output set), 全区与街道 (district and streets), 政策类别 (classes), 责任部门
(departments), 街道×类别, 屋顶明细 (roofs with PV), 分类统计.

The workbook is written with XlsxWriter in ``constant_memory`` mode: rows go
to disk as they are written, so memory does not grow with the roof count
(openpyxl through pandas held every cell as a Python object: ~65 % of a
10,613-roof run).  Numbers stay numbers, with a number format from the
column's unit (:data:`NUMBER_FORMATS`); every sheet has a frozen header row,
an autofilter and column widths from the header and the first rows.

The roof-detail sheet is bounded (:data:`MAX_ROOF_ROWS`): beyond it the sheet
holds the largest roofs by capacity and a note row; the full list is the
``<name>_roofs.csv`` member of the output set (:func:`write_roofs_csv`).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from pvsite.io import atomic
from pvsite.outputs import schema

log = logging.getLogger(__name__)

#: Sheet name → rollup levels of the summary shown on it.
SUMMARY_SHEETS = {
    "全区与街道": ["district", "street"],
    "政策类别": ["class"],
    "责任部门": ["department"],
    "街道×类别": ["street_class"],
}

#: Most roofs the 屋顶明细 sheet lists (the largest by capacity); the full list is the roofs CSV.
#: Excel holds 1,048,576 rows a sheet, but the write time decides here: XlsxWriter writes
#: ~13 µs per cell on the 2-core benchmark machine under load (10,000 synthetic roofs:
#: 510,560 cells in 6.8 s, benchmarks/scale.py), so 10,000 roofs × ~60 columns cost ~4–7 s and
#: 50,000 would cost ~20–40 s of a city run; 10,000 roofs is more than anyone ranks by hand
#: in a sheet (pvsite choice; change it here).
MAX_ROOF_ROWS = 10_000

#: Excel number format per schema unit (numbers stay numbers; the format only shows them).
#: ``%`` columns hold percent values (``achieved_pct`` = 12.5), so ``0.0``, not ``0.0%``;
#: ``×`` columns hold multiples (``potential_x_target`` = 4.09).
NUMBER_FORMATS = {
    "kW": "0.0", "kWh": "#,##0", "MWh": "#,##0.0", "%": "0.0", "m²": "#,##0.0", "m": "0.0",
    "°": "0.0", "W/m²": "0.0", "kWh/kWp": "#,##0", "t/yr": "#,##0.0",
    "×": "0.00",
}
#: Number format of a unitless float column (ratios such as ``performance_ratio``).
RATIO_FORMAT = "0.000"

#: Characters an .xlsx cell cannot hold (the XML 1.0 control characters; openpyxl's
#: ``ILLEGAL_CHARACTERS_RE``).
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")

#: Rows read to size a column's width.
_WIDTH_SAMPLE = 200


def clean_text(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with control characters removed from text cells (Excel cannot hold them).

    The GeoPackage keeps the original text; only the workbook copy is cleaned.
    """
    df = df.copy()
    for c in df.columns:
        if df[c].dtype == object or pd.api.types.is_string_dtype(df[c]):
            df[c] = df[c].map(lambda v: ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v)
    return df


def header(column: schema.Column) -> str:
    """Workbook header of a schema column: the Chinese alias with its unit, ``装机容量(kW)``.

    An alias that already carries its unit in brackets is used as it is;
    otherwise the unit is appended as ``[unit]``.
    """
    if not column.unit or "(" in column.alias_zh:
        return column.alias_zh
    return f"{column.alias_zh} [{column.unit}]"


def headed(df: pd.DataFrame, layer: str) -> pd.DataFrame:
    """The schema columns of ``layer`` present in ``df``, in schema order, under Chinese headers."""
    cols = {c.name: header(c) for c in schema.columns(layer) if c.name in df.columns}
    return clean_text(pd.DataFrame(df[list(cols)]).rename(columns=cols))


def number_formats(layer: str) -> dict[str, str]:
    """Workbook header → Excel number format of the numeric schema columns of ``layer``."""
    out = {}
    for c in schema.columns(layer):
        if c.unit in NUMBER_FORMATS:
            out[header(c)] = NUMBER_FORMATS[c.unit]
        elif c.dtype in ("float", "float64", "Float64") and not c.unit:
            out[header(c)] = RATIO_FORMAT
    return out


def about_rows(result, set_info: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """Rows of the 说明 sheet: (item, value) pairs from ``result.run_info`` and the output set."""
    info = result.run_info
    rows = [
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
    if set_info:
        rows += [("输出集 output set id", set_info.get("output_set_id", "")),
                 ("输出集时间 output set created (UTC)", set_info.get("output_set_created_utc", ""))]
    return rows


def sized_roofs(result) -> pd.DataFrame:
    """The roofs with PV (``capacity_kw > 0``) under Chinese headers: the rows of 屋顶明细 and the roofs CSV."""
    roofs = result.roofs
    sized = roofs[roofs["capacity_kw"] > 0].drop(columns=["geometry", "usable_geometry"], errors="ignore")
    return headed(sized, "roofs")


def roof_sheet(sized: pd.DataFrame, max_rows: int = MAX_ROOF_ROWS) -> tuple[pd.DataFrame, bool]:
    """The rows of the 屋顶明细 sheet: all of ``sized``, or its ``max_rows`` largest by capacity.

    Returns
    -------
    rows : pandas.DataFrame
        ``sized`` itself when it has at most ``max_rows`` rows, else its
        ``max_rows`` rows of largest capacity, largest first (ties in input order).
    truncated : bool
        Rows were left out.
    """
    if len(sized) <= max_rows:
        return sized, False
    cap_header = next(header(c) for c in schema.columns("roofs") if c.name == "capacity_kw")
    cap = sized[cap_header].to_numpy(dtype=float, na_value=np.nan)
    order = np.argsort(-cap, kind="stable")[:max_rows]
    return sized.iloc[order], True


def roof_sheet_note(shown: int, total: int, csv_name: str | None) -> str:
    """The note row under a bounded 屋顶明细 sheet, naming where the full list is."""
    where = (f"完整清单见 {csv_name}（UTF-8 带 BOM，Excel 可直接打开）/ full list in {csv_name} (UTF-8 with BOM)"
             if csv_name else "完整清单见同一输出集的 _roofs.csv / full list in the output set's _roofs.csv")
    return (f"注：本表仅列装机容量最大的 {shown:,} 个屋顶（共 {total:,} 个有装机的屋顶）；{where}. "
            f"Only the {shown:,} largest of {total:,} roofs with PV are listed.")


def write_workbook(path: str | Path, result, set_info: dict[str, str] | None = None, *,
                   roofs_csv: str | None = None, max_roof_rows: int | None = None) -> Path:
    """Write the workbook of a :class:`pvsite.pipeline.RunResult` to ``path`` (not atomic).

    Parameters
    ----------
    path : str or Path
        A temporary file of the caller (:func:`write_xlsx`, or
        :func:`pvsite.outputs.write_all`).
    result : pvsite.pipeline.RunResult
        The run.
    set_info : dict, optional
        Output set id and time, shown on the 说明 sheet.
    roofs_csv : str, optional
        File name of the set's full roof list, named in the note of a bounded roof sheet.
    max_roof_rows : int, optional
        Most roofs on the 屋顶明细 sheet; default :data:`MAX_ROOF_ROWS`.
    """
    import xlsxwriter

    path = Path(path)
    s = result.summary
    sized = sized_roofs(result)
    shown, truncated = roof_sheet(sized, MAX_ROOF_ROWS if max_roof_rows is None else max_roof_rows)
    about = about_rows(result, set_info)
    if truncated:
        about.append(("屋顶明细 roof detail", roof_sheet_note(len(shown), len(sized), roofs_csv)))
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                         "strings_to_formulas": False, "strings_to_urls": False})
    formats = _Formats(wb)
    try:
        _write_sheet(wb, formats, "说明", clean_text(pd.DataFrame(about, columns=["项目 item", "内容 value"])), {})
        summary_formats = number_formats("summary")
        for sheet, levels in SUMMARY_SHEETS.items():
            _write_sheet(wb, formats, sheet, headed(s[s["level"].isin(levels)], "summary"), summary_formats)
        note = roof_sheet_note(len(shown), len(sized), roofs_csv) if truncated else None
        _write_sheet(wb, formats, "屋顶明细", shown, number_formats("roofs"), note=note)
        _write_sheet(wb, formats, "分类统计", headed(result.classification_report, "classification"),
                     number_formats("classification"))
    finally:
        wb.close()
    return path


def write_roofs_csv(path: str | Path, result) -> Path:
    """Write every roof with PV, the rows of 屋顶明细 without its bound, as CSV at ``path`` (not atomic).

    UTF-8 with a byte-order mark, so Excel (which otherwise reads a CSV in
    the system code page, GBK on Chinese Windows) shows the Chinese headers
    and names correctly; the same Chinese headers as the sheet.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = Path(path)
    sized = sized_roofs(result)
    table = pa.Table.from_pandas(sized, preserve_index=False)
    with open(path, "wb") as f:
        f.write("\ufeff".encode("utf-8"))
        pacsv.write_csv(table, f)
    return path


def write_xlsx(path: str | Path, result, overwrite: bool = False) -> Path:
    """Write the workbook of ``result`` to ``path`` atomically (temp file, then rename).

    Only the workbook: a run's whole output set (with the roofs CSV a
    bounded roof sheet refers to) is written by :func:`pvsite.outputs.write_all`.

    Raises
    ------
    OutputError
        ``path`` exists and ``overwrite`` is false.
    """
    path = Path(path)
    atomic.refuse_existing(path, overwrite)
    with atomic.atomic_path(path) as tmp:
        write_workbook(tmp, result)
    log.info("wrote %s", path)
    return path


class _Formats:
    """One XlsxWriter format per number format (a workbook should not create one per cell)."""

    def __init__(self, wb):
        self._wb, self._cache = wb, {}
        self.header = wb.add_format({"bold": True, "text_wrap": False, "bottom": 1})
        self.note = wb.add_format({"italic": True, "font_color": "#9C0006"})

    def number(self, num_format: str | None):
        if num_format is None:
            return None
        if num_format not in self._cache:
            self._cache[num_format] = self._wb.add_format({"num_format": num_format})
        return self._cache[num_format]


def _column_cells(s: pd.Series) -> tuple[str, list]:
    """(kind, values) of one column: ``num``, ``bool`` or ``any``; missing values are None."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return "bool", [None if pd.isna(v) else bool(v) for v in s.astype(object)]
    if pd.api.types.is_numeric_dtype(s.dtype):
        a = s.to_numpy(dtype=float, na_value=np.nan)
        vals = a.tolist()
        bad = ~np.isfinite(a)
        if bad.any():
            for i in np.flatnonzero(bad):
                vals[i] = None
        return "num", vals
    return "any", [None if (v is None or v is pd.NA or (isinstance(v, float) and not np.isfinite(v))) else v
                   for v in s.astype(object)]


def _width(header_text: str, values: list) -> float:
    sample = [len(str(v)) for v in values[:_WIDTH_SAMPLE] if v is not None]
    width = max([len(str(header_text))] + sample)
    return min(60.0, max(10.0, width * 1.6))


def _write_sheet(wb, formats: _Formats, name: str, df: pd.DataFrame, num_formats: dict[str, str],
                 note: str | None = None) -> None:
    """One sheet, row by row (constant memory): header, cells, note row; frozen header, autofilter."""
    ws = wb.add_worksheet(name)
    columns = [str(c) for c in df.columns]
    cells = [_column_cells(df.iloc[:, j]) for j in range(df.shape[1])]
    cell_formats = [formats.number(num_formats.get(c)) if kind == "num" else None
                    for c, (kind, _) in zip(columns, cells)]
    for j, (c, (_, vals)) in enumerate(zip(columns, cells)):
        ws.set_column(j, j, _width(c, vals))
    ws.freeze_panes(1, 0)
    if columns:
        ws.autofilter(0, 0, max(len(df), 1), len(columns) - 1)
    for j, c in enumerate(columns):
        ws.write_string(0, j, c, formats.header)
    write_number, write_string, write_boolean = ws.write_number, ws.write_string, ws.write_boolean
    for j, ((kind, vals), fmt) in enumerate(zip(cells, cell_formats)):
        cells[j] = (kind, vals, fmt)
    n = len(df)
    for i in range(n):
        r = i + 1
        for j, (kind, vals, fmt) in enumerate(cells):
            v = vals[i]
            if v is None:
                continue
            if kind == "num":
                write_number(r, j, v, fmt)
            elif kind == "bool":
                write_boolean(r, j, v)
            elif isinstance(v, str):
                write_string(r, j, v)
            elif isinstance(v, (bool, np.bool_)):
                write_boolean(r, j, bool(v))
            elif isinstance(v, (int, float, np.integer, np.floating)):
                write_number(r, j, float(v))
            else:
                write_string(r, j, ILLEGAL_CHARACTERS_RE.sub("", str(v)))
    if note:
        ws.write_string(n + 2, 0, note, formats.note)
