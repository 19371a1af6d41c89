"""The workbook planners send up the chain, beside the GeoPackage, and CSV twins of its main tables.

Sheets, in order (:data:`SHEETS`; headers are the Chinese aliases of
:mod:`pvsite.outputs.schema` with their units, category codes shown as the
Chinese labels of :data:`pvsite.outputs.schema.CATEGORY_LABELS`, booleans as 是/否):

========================  ===================================================================
汇总                       headline: 已建 / 在建 / 剩余 / 完成率 (built only), 潜力 (× 目标), CO2,
                           标煤, 可再生能源替代率 — each from the run when it has it, else an
                           explicit "未提供 / not given" line; native Excel charts
街道, 类别, 责任部门        summary rows of that level, the district row first and emphasised
经济性                     district, street and department: 投资 / 首年收益 / 净现值 (万元), 静态回收期,
                           capacity-weighted LCOE, business model(s); a note names the economics
                           preset and which of its tables are pvsite assumptions
进度                       year-by-year trajectory (``RunResult.trajectory``), when given
优先屋顶清单                ``RunResult.priority``; without it the roofs with PV by capacity (said so);
                           money in 万元 (:data:`pvsite.outputs.schema.DERIVED`), payback, IRR, LCOE
任务-<部门> …              one sheet per department (``RunResult.department_tasks``), when given, likewise
屋顶明细                    every roof, sized or not, with status and reason, by street then capacity
已建项目清单                registry entries (``RunResult.installed_entries``), when given
街道×类别, 说明, 分类统计    street × class rows, provenance and output set, classification report
========================  ===================================================================

Every table sheet is a :class:`Table` (a few lines: sheet name, rows, schema
tables for its headers); number formats come from the column's unit and
dtype (:func:`number_format`); each table sheet has a frozen header row, an
autofilter and column widths from its content.

Speed: the table cells are not written one XlsxWriter call at a time
(~6 µs each: 3 s for the 8,923 × 68 cells of the real Bund roofs).  XlsxWriter
writes the workbook (header rows, formats, widths, filters, charts, the small
sheets) to memory; the rows of each table sheet are then rendered column by
column as SpreadsheetML (``<row><c r="B2" s="3"><v>12.5</v></c>…``) and
spliced into that sheet's XML while the package is copied to ``path``
(:func:`_splice`).  The cell styles are the XlsxWriter formats' own indices.

The roof-detail sheet is bounded (:data:`MAX_ROOF_ROWS`): beyond it the sheet
holds the largest roofs by capacity and a note row; the full list is the
``<name>_roofs.csv`` member of the output set (:func:`write_roofs_csv`), the
roof sheet's CSV twin.
"""

from __future__ import annotations

import functools
import io
import logging
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pvsite.io import atomic
from pvsite.outputs import schema
from pvsite.outputs.console import display_width

log = logging.getLogger(__name__)

#: Most roofs the 屋顶明细 sheet lists (the largest by capacity); the full list is the roofs CSV.
#: Excel holds 1,048,576 rows a sheet; 50,000 roofs × ~60 columns render in ~3 s with the
#: spliced rows of this module (0.6 µs a cell on the 2-core benchmark machine), and are more
#: than anyone ranks by hand in a sheet (pvsite choice; change it here).
MAX_ROOF_ROWS = 50_000

#: Excel number format per schema unit (numbers stay numbers; the format only shows them).
#: ``%`` columns hold percent values (``achieved_pct`` = 40.8), so ``0.0`` under a ``(%)`` header;
#: kW keeps one decimal (a roof of 3.3 kW is not "3").
NUMBER_FORMATS = {
    "kW": "#,##0.0", "kWh": "#,##0", "MWh": "#,##0.0", "m²": "#,##0", "%": "0.0", "m": "0.0",
    "°": "0.0", "W/m²": "0.0", "kWh/kWp": "#,##0", "t/yr": "#,##0.0", "t": "#,##0.0",
    "元": "#,##0", "元/yr": "#,##0", "元/kWh": "0.000", "yr": "0.0", "×": '0.00"×"',
    "万元": "#,##0.0", "万元/yr": "#,##0.0",
}
#: Unit of a column that is not in the schema, from the end of its name (the names carry units).
SUFFIX_UNITS = (
    ("_yuan_per_kwh", "元/kWh"), ("_yuan_per_yr", "元/yr"), ("_kwh_per_kwp", "kWh/kWp"),
    ("_kw", "kW"), ("_kwh", "kWh"), ("_mwh", "MWh"), ("_m2", "m²"), ("_pct", "%"), ("_deg", "°"),
    ("_m", "m"), ("_wan_yuan", "万元"), ("_yuan", "元"), ("_yr", "yr"), ("_t", "t"), ("_x_target", "×"),
)
#: Number format of a unitless float column (ratios such as ``performance_ratio``).
RATIO_FORMAT = "0.00"
#: Number format of a 0–1 share (``*_share``): shown as a percentage.
SHARE_FORMAT = "0.0%"
#: Counts (``n_*``, modules) get thousands separators; other integers (years, ids, ranks) none.
COUNT_FORMAT, INTEGER_FORMAT = "#,##0", "0"
DATE_FORMAT = "yyyy-mm-dd"

#: Characters an .xlsx cell cannot hold (the XML 1.0 control characters; openpyxl's
#: ``ILLEGAL_CHARACTERS_RE``).
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
#: Characters a sheet name cannot hold, and its longest length (Excel).
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
SHEET_NAME_MAX = 31

#: Rows read to size a column's width.
_WIDTH_SAMPLE = 200
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")

NOT_GIVEN = "未提供 / not given"


# ---------------------------------------------------------------------------
# Columns: header, unit, number format, display values
# ---------------------------------------------------------------------------


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


def schema_column(name: str, tables: tuple[str, ...]) -> schema.Column | None:
    """The schema entry of column ``name``: the first of ``tables`` (layers or RunResult tables) that lists it."""
    return _schema_index(tuple(tables))[1].get(name)


@functools.lru_cache(maxsize=64)
def _schema_index(tables: tuple[str, ...]) -> tuple[dict[str, int], dict[str, schema.Column]]:
    """Place and entry of every column of the schema ``tables`` (the first table that lists a column wins)."""
    order: dict[str, int] = {}
    entry: dict[str, schema.Column] = {}
    for i, c in enumerate(c for t in tables for c in schema.columns(t)):
        order.setdefault(c.name, i)
        entry.setdefault(c.name, c)
    return order, entry


def unit_of(name: str, column: schema.Column | None) -> str:
    """Unit of a column: the schema's, else from the end of its name (:data:`SUFFIX_UNITS`)."""
    if column is not None:
        return column.unit
    return next((u for suffix, u in SUFFIX_UNITS if name.endswith(suffix)), "")


def number_format(name: str, unit: str, s: pd.Series) -> str | None:
    """Excel number format of a numeric column (None for text, booleans and dates).

    From the unit (:data:`NUMBER_FORMATS`); unitless: ``*_share`` as a
    percentage, other floats as ratios (``0.00``), counts with thousands
    separators, other integers (years, ranks) plain.
    """
    if pd.api.types.is_bool_dtype(s.dtype) or not pd.api.types.is_numeric_dtype(s.dtype):
        return None
    if unit in NUMBER_FORMATS:
        return NUMBER_FORMATS[unit]
    if name.endswith("_share"):
        return SHARE_FORMAT
    if pd.api.types.is_float_dtype(s.dtype):
        return RATIO_FORMAT
    if name.startswith("n_") or name in ("modules_fit",):
        return COUNT_FORMAT
    return INTEGER_FORMAT


@dataclass
class Col:
    """One column of a table as it is shown.

    Attributes
    ----------
    name : str
        The column's name in the frame (``capacity_kw``).
    header : str
        Chinese header with unit.
    kind : {'num', 'date', 'text'}
    values : numpy.ndarray
        ``num`` and ``date`` (Excel date serial): float64, NaN where empty (infinities too);
        ``text``: object array of str, None where empty.
    num_format : str or None
    """

    name: str
    header: str
    kind: str
    values: np.ndarray
    num_format: str | None


def display_columns(df: pd.DataFrame, tables: tuple[str, ...], *, extra_labels=None,
                    keep: tuple[str, ...] | None = None) -> list[Col]:
    """The columns of ``df`` as shown in a sheet or CSV twin.

    Columns of the schema ``tables`` come first, in schema order, then any
    other column (a column another stage added before the schema lists it:
    its name is the header, its unit from its name); geometry is left out;
    a code column whose Chinese sibling is present (``building_class`` beside
    ``class_zh``, :data:`pvsite.outputs.schema.ZH_SIBLINGS`) is left out;
    category codes become Chinese labels and booleans 是/否.

    Parameters
    ----------
    df : pandas.DataFrame
    tables : tuple of str
        Schema layers / tables for headers and order (first match wins).
    extra_labels : mapping, optional
        More code → label tables (:func:`pvsite.outputs.schema.preset_names`).
    keep : tuple of str, optional
        Show only these columns, in this order.
    """
    names = [str(c) for c in df.columns if str(c) not in ("geometry", "usable_geometry")]
    order, entries = _schema_index(tuple(tables))
    if keep is not None:
        names = [n for n in keep if n in names]
    else:
        # a display column (万元, schema.DERIVED) stands where its source column would
        names = sorted(names, key=lambda n: (order.get(schema.DERIVED.get(n, ("",))[0], order.get(n, len(order))), 0))
    names = [n for n in names if not (n in schema.ZH_SIBLINGS and schema.ZH_SIBLINGS[n] in names)]
    out = []
    for n in names:
        col = entries.get(n)
        s = df[n]
        head = header(col) if col is not None else n
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            d = s.to_numpy(dtype="datetime64[D]")
            serial = (d - _EXCEL_EPOCH).astype("timedelta64[D]").astype(np.int64).astype(float)
            serial[np.isnat(d)] = np.nan
            out.append(Col(n, head, "date", serial, DATE_FORMAT))
        elif pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            a = np.array(s.to_numpy(dtype=float, na_value=np.nan), dtype=float)
            a[~np.isfinite(a)] = np.nan
            out.append(Col(n, head, "num", a, number_format(n, unit_of(n, col), s)))
        else:
            out.append(Col(n, head, "text", _text_values(schema.label_series(n, s, extra_labels)), None))
    return out


def _text_values(s: pd.Series) -> np.ndarray:
    """Text cells of a column: str values, None where missing or empty, control characters removed.

    The work is done once per distinct value (:func:`pandas.factorize`), then taken back to the rows.
    """
    vals = np.asarray(s.to_numpy(dtype=object, na_value=None), dtype=object)
    codes, uniques = pd.factorize(vals)  # None → -1
    if not all(type(u) is str for u in uniques):
        # values that are not str (numbers in an object column: 1 and 1.0 are one key to factorize)
        vals = np.array([None if v is None or v == "" else v if isinstance(v, str) else str(v) for v in vals.tolist()]
                        + [None], dtype=object)[:-1]
        codes, uniques = pd.factorize(vals)
    shown = [None if u == "" else u for u in uniques.tolist()]
    if ILLEGAL_CHARACTERS_RE.search("".join(u for u in shown if u is not None)):
        shown = [None if u is None else ILLEGAL_CHARACTERS_RE.sub("", u) or None for u in shown]
    table = np.empty(len(shown) + 1, dtype=object)
    table[:len(shown)] = shown  # the last entry (code -1) stays None
    return table[codes]


def as_frame(cols: list[Col]) -> pd.DataFrame:
    """The shown columns as a DataFrame under their Chinese headers (the CSV twins' content).

    Dates are ISO dates (text) in a CSV, numbers at full precision.
    """
    data = {}
    for c in cols:
        if c.kind == "date":
            nat = np.isnan(c.values)
            iso = (_EXCEL_EPOCH + np.where(nat, 0, c.values).astype(np.int64).astype("timedelta64[D]")).astype(str)
            data[c.header] = pd.array(np.where(nat, None, iso.astype(object)), dtype=object)
        elif c.kind == "num":
            data[c.header] = pd.array(c.values, dtype="float64")
        else:
            data[c.header] = pd.array(c.values, dtype=object)
    return pd.DataFrame(data)


def headed(df: pd.DataFrame, layer: str) -> pd.DataFrame:
    """The columns of ``df`` as shown, under Chinese headers (:func:`display_columns` as a frame)."""
    return as_frame(display_columns(df, (layer,)))


# ---------------------------------------------------------------------------
# Rows of each table
# ---------------------------------------------------------------------------


def _summary_rows(levels: tuple[str, ...]) -> Callable:
    def rows(result) -> pd.DataFrame:
        s = result.summary
        return s[s["level"].isin(("district", *levels))].reset_index(drop=True)
    return rows


def _is_district(df: pd.DataFrame) -> np.ndarray:
    return (df["level"] == "district").to_numpy() if "level" in df else np.zeros(len(df), bool)


def roof_rows(result) -> pd.DataFrame:
    """Every roof (sized, not required, too small, low yield, excluded, unsuitable, rejected), by street then capacity (largest first).

    The rows of 屋顶明细 and of its CSV twin, the roofs CSV.
    """
    roofs = pd.DataFrame(result.roofs.drop(columns=["geometry", "usable_geometry"], errors="ignore"))
    cap = roofs["capacity_kw"].to_numpy(dtype=float, na_value=np.nan)
    street = roofs["street"].astype(object).where(roofs["street"].notna(), "\uffff").astype(str).to_numpy() \
        if "street" in roofs else np.zeros(len(roofs), dtype=str)
    order = np.lexsort((-np.nan_to_num(cap, nan=-np.inf), street))
    return roofs.iloc[order].reset_index(drop=True)


def sized_roofs(result) -> pd.DataFrame:
    """The rows of the roofs CSV under Chinese headers: every roof (see :func:`roof_rows`), labelled."""
    return as_frame(display_columns(roof_rows(result), ("roofs",), extra_labels=_preset_labels(result)))


def roof_sheet(rows: pd.DataFrame, max_rows: int = MAX_ROOF_ROWS) -> tuple[pd.DataFrame, bool]:
    """The rows of the 屋顶明细 sheet: all of ``rows``, or its ``max_rows`` largest by capacity.

    Parameters
    ----------
    rows : pandas.DataFrame
        With ``capacity_kw`` (or its header 装机容量(kW)).

    Returns
    -------
    rows : pandas.DataFrame
        ``rows`` itself when it has at most ``max_rows`` rows, else its
        ``max_rows`` rows of largest capacity, largest first (ties in input order).
    truncated : bool
        Rows were left out.
    """
    if len(rows) <= max_rows:
        return rows, False
    cap_header = "capacity_kw" if "capacity_kw" in rows else header(schema_column("capacity_kw", ("roofs",)))
    cap = rows[cap_header].to_numpy(dtype=float, na_value=np.nan)
    order = np.argsort(-np.nan_to_num(cap, nan=-np.inf), kind="stable")[:max_rows]
    return rows.iloc[order], True


def roof_sheet_note(shown: int, total: int, csv_name: str | None, parquet_name: str | None = None) -> str:
    """The note row under a bounded 屋顶明细 sheet, naming where the full list is (CSV, and GeoParquet when written)."""
    where = (f"完整清单见 {csv_name}（UTF-8 带 BOM，Excel 可直接打开）/ full list in {csv_name} (UTF-8 with BOM)"
             if csv_name else "完整清单见同一输出集的 _roofs.csv / full list in the output set's _roofs.csv")
    if parquet_name:
        where += (f"；含几何的完整清单见 GeoParquet 文件夹 {parquet_name} / with geometry in the GeoParquet "
                  f"folder {parquet_name}")
    return (f"注：本表仅列装机容量最大的 {shown:,} 个屋顶（共 {total:,} 个屋顶）；{where}. "
            f"Only the {shown:,} largest of {total:,} roofs are listed.")


#: Columns of the priority sheet when no ranking was computed (the roofs with PV by capacity).
FALLBACK_PRIORITY_COLUMNS = ("building_id", "name", "street", "class_zh", "responsible_department",
                             "capacity_kw", "annual_kwh", "specific_yield_kwh_per_kwp", "co2_t", "status",
                             "capex_yuan", "first_year_benefit_yuan", "simple_payback_yr", "irr_pct",
                             "lcoe_yuan_per_kwh", "business_model")


def priority_rows(result) -> tuple[pd.DataFrame, str | None]:
    """Rows of 优先屋顶清单 and the note above them (None when ``result.priority`` is given)."""
    pr = getattr(result, "priority", None)
    if pr is not None:
        return schema.with_display_units(pd.DataFrame(pr)), None
    roofs = pd.DataFrame(result.roofs.drop(columns=["geometry", "usable_geometry"], errors="ignore"))
    sized = roofs[roofs["capacity_kw"] > 0]
    cap = sized["capacity_kw"].to_numpy(dtype=float)
    rows = sized.iloc[np.argsort(-cap, kind="stable")].reset_index(drop=True)
    rows = schema.with_display_units(rows[[c for c in FALLBACK_PRIORITY_COLUMNS if c in rows]])
    rows.insert(0, "rank", pd.array(np.arange(1, len(rows) + 1), dtype="Int64"))
    return rows, ("未计算优先排序（--rank-by）：按装机潜力从大到小列出有装机的屋顶 / "
                  "no ranking computed (--rank-by): roofs with PV by potential capacity, largest first")


def department_sheet_names(departments, taken=()) -> dict[str, str]:
    """Department → sheet name ``任务-<部门>``: at most 31 characters, none of ``[]:*?/\\``, unique."""
    out, used = {}, {t.lower() for t in taken}
    for dept in departments:
        base = _SHEET_BAD.sub("_", f"任务-{dept or '(未指定)'}")[:SHEET_NAME_MAX]
        name, k = base, 2
        while name.lower() in used:
            suffix = f"~{k}"
            name, k = base[:SHEET_NAME_MAX - len(suffix)] + suffix, k + 1
        used.add(name.lower())
        out[dept] = name
    return out


@dataclass(frozen=True)
class Table:
    """A table sheet of the workbook (and its CSV twin).

    Attributes
    ----------
    sheet : str
        Sheet name.
    rows : callable
        ``rows(result)`` → DataFrame, or None when the run does not have this table.
    tables : tuple of str
        Schema layers / tables giving headers, units and order.
    emphasise : callable, optional
        ``emphasise(rows)`` → bool array of rows shown bold (the district row).
    absent : str
        Why the table is empty, shown on the sheet when ``rows`` gives None.
    """

    sheet: str
    rows: Callable
    tables: tuple[str, ...]
    emphasise: Callable | None = None
    absent: str = ""


#: The summary and trajectory tables, in sheet order (the ones with a CSV twin are :data:`CSV_TWINS`).
STREETS = Table("街道", _summary_rows(("street",)), ("summary",), _is_district)
CLASSES = Table("类别", _summary_rows(("class",)), ("summary",), _is_district)
DEPARTMENTS = Table("责任部门", _summary_rows(("department",)), ("summary",), _is_district)
TRAJECTORY = Table("进度", lambda r: getattr(r, "trajectory", None), ("trajectory",),
                   absent="未提供已建项目清单 (--installed)：无逐年进度 / no registry of installed systems given: "
                          "no year-by-year progress")
STREET_CLASS = Table("街道×类别", _summary_rows(("street_class",)), ("summary",), _is_district)
INSTALLED = Table("已建项目清单", lambda r: getattr(r, "installed_entries", None), ("installed", "roofs"),
                  absent="未提供已建项目清单 (--installed) / no registry of installed systems given")
PRIORITY_TABLES = ("priority", "roofs", "summary", "display")


#: Summary columns of the 经济性 sheet (money shown in 万元, schema.DERIVED), then group_economics' columns.
ECONOMICS_COLUMNS = ("level", "key", "key_zh", "n_sized", "capacity_kw", "annual_mwh", "capex_yuan",
                     "first_year_benefit_yuan", "npv_yuan", "simple_payback_yr")


def economics_rows(result) -> pd.DataFrame | None:
    """Rows of 经济性: the district, then each street, then each department (None without economics).

    Money sums and simple payback (Σ capex / Σ benefit) from the summary; the
    capacity-weighted LCOE and the business models used from the roofs
    (:func:`pvsite.economics.group_economics`); money in 万元.
    """
    from pvsite.economics import group_economics

    s = result.summary
    if "capex_yuan" not in s.columns or s["capex_yuan"].isna().all() or "lcoe_yuan_per_kwh" not in result.roofs:
        return None
    rows = s[s["level"].isin(("district", "street", "department"))]
    rows = rows[[c for c in ECONOMICS_COLUMNS if c in rows.columns]]
    groups = group_economics(result.roofs, str(result.district["key"]))
    out = rows.merge(groups, on=["level", "key"], how="left", sort=False)
    out["business_model"] = out["business_model"].fillna("")
    return schema.with_display_units(out).reset_index(drop=True)


def economics_note(result) -> str:
    """The note above 经济性: the economics preset, the business model, and which of its tables are assumptions."""
    from pvsite.outputs.provenance import economics_entry

    e = economics_entry(result.run_info)
    if not e:
        return "未记录经济性参数 / no economics entry in run_info"
    by_class = e.get("business_model_by_class") or {}
    model = schema.BUSINESS_MODEL_ZH.get(e.get("business_model", ""), e.get("business_model", ""))
    model += "".join(f"；{k}: {schema.BUSINESS_MODEL_ZH.get(v, v)}" for k, v in by_class.items())
    assumed = "、".join(e["assumption_tables_zh"]) or "无 none"
    return (f"经济性参数 economics preset: {e['preset_name']} ({e.get('preset', '')})；商业模式 business model: {model}；"
            f"实际折现率 real discount rate {e.get('discount_rate_pct_real', '')} %，寿命 lifetime "
            f"{e.get('lifetime_yr', '')} 年；金额为 {e['preset_name']} 年不变价 万元。"
            f"以下参数表为 pvsite 假设，请换成实际报价/电价 / pvsite assumptions, set yours: {assumed}。"
            f"静态回收期 = 投资合计 / 首年净收益合计 (payback = Σ capex / Σ first-year benefit)。")

ECONOMICS = Table("经济性", economics_rows, ("summary", "display", "economics"), _is_district,
                  absent="未测算经济性 / no economics in this run")

#: CSV twin suffix → the table it repeats (the roofs CSV, ``_roofs.csv``, is the twin of 屋顶明细).
CSV_TWINS = {"_streets.csv": STREETS, "_classes.csv": CLASSES, "_departments.csv": DEPARTMENTS,
             "_trajectory.csv": TRAJECTORY, "_economics.csv": ECONOMICS}


# ---------------------------------------------------------------------------
# The headline sheet
# ---------------------------------------------------------------------------


def _get(row: pd.Series, col: str) -> float | None:
    if col not in row.index or pd.isna(row[col]):
        return None
    return float(row[col])


def headline_rows(result) -> list[tuple[str, object, str, str]]:
    """Rows of 汇总: (item, value, unit, note); value None means not given (the note says why).

    Built figures (已建 / 在建 / 剩余 / 完成率) are read from the contracts'
    summary columns (``installed_kw`` …, ``achieved_pct``) when the run has
    them; potential is the scenario's ``capacity_kw`` shown as a multiple of
    the target (``potential_x_target``), never as a % of it.
    """
    d = result.district
    target = _get(d, "target_kw") or (float(result.target_kw) if result.target_kw else None)
    no_registry = ("未提供已建项目清单 (--installed)：已建容量未知 / "
                   "no registry of installed systems given: built capacity unknown")
    rows: list[tuple[str, object, str, str]] = [
        ("目标 target (已建 built)", target, "kW", result.run_info.get("target_label", "")),
    ]
    installed = _get(d, "installed_kw")
    if installed is None:
        rows += [("已建(已并网) built", None, "kW", no_registry),
                 ("在建 under construction", None, "kW", no_registry),
                 ("剩余 remaining to target", None, "kW", no_registry),
                 ("完成率 % of target (built)", None, "%", no_registry)]
    else:
        remaining = _get(d, "remaining_kw")
        if remaining is None and target:
            remaining = target - installed
        achieved = _get(d, "achieved_pct")
        if achieved is None and target:
            achieved = installed / target * 100.0
        rows += [("已建(已并网) built", installed, "kW", "登记的已并网项目 / registry, commissioned"),
                 ("在建 under construction", _get(d, "under_construction_kw"), "kW", "登记的在建项目 / registry"),
                 ("已备案 planned", _get(d, "planned_kw"), "kW", "登记的已备案项目 / registry"),
                 ("剩余 remaining to target", remaining, "kW",
                  "目标 − 已建；负值表示已超额完成 / target − built; negative: target exceeded"
                  if remaining is not None and remaining < 0 else "目标 − 已建 / target − built"),
                 ("完成率 % of target (built)", achieved, "%", "已建 / 目标 / built ÷ target")]
    potential = _get(d, "capacity_kw")
    x_target = _get(d, "potential_x_target")
    if x_target is None and target and potential is not None:
        x_target = potential / target
    rows += [(f"潜力 potential ({result.scenario})", potential, "kW",
              f"情景 {result.scenario}：{result.scenario_description}；其他情景见 pvsite scenarios --compare"),
             ("潜力/目标 potential × target", x_target, "×", "潜力是可装容量，不是已建 / potential, not built")]
    remaining_pot = _get(d, "remaining_potential_kw")
    if remaining_pot is not None:
        rows.append(("剩余潜力 remaining potential", remaining_pot, "kW", "潜力 − 已建 − 在建 − 已备案"))
    rows += scenario_rows(result)
    rows += [("年发电量 annual generation (潜力)", _get(d, "annual_mwh"), "MWh", "")]
    ef = result.run_info.get("emission_factor_source", "")
    rows.append(("年减排CO2 CO2 avoided (潜力)", _get(d, "co2_t"), "t/yr", ef))
    tce = _get(d, "tce_t")
    rows.append(("年节约标煤 standard coal saved (潜力)", tce, "t/yr",
                 "" if tce is not None else f"{NOT_GIVEN}：本次运行未计算标准煤 / standard coal not computed"))
    share = _get(d, "renewable_share_pct")
    rows.append(("可再生能源替代率 renewable share (潜力)", share, "%",
                 "光伏年发电量 / 建筑能耗 / PV kWh ÷ consumption kWh" if share is not None else
                 f"{NOT_GIVEN}：未提供建筑能耗 (--consumption) / no consumption data given"))
    rows += economics_headline_rows(result)
    if result.run_info.get("warning"):
        rows.insert(0, ("警告 warning", result.run_info["warning"], "", ""))
    return rows


def scenario_rows(result) -> list[tuple[str, object, str, str]]:
    """汇总 rows of every scenario's potential (``RunResult.scenarios``): kW and × 目标, never % of target."""
    sc = getattr(result, "scenarios", None)
    if sc is None or not len(sc):
        return [("潜力 potential by scenario", None, "kW",
                 "本次运行未比较情景 / scenarios not compared (pvsite scenarios --compare)")]
    rows = []
    for _, r in sc.iterrows():
        star = "（本次 this run）" if r["scenario"] == result.scenario else ""
        rows += [(f"情景潜力 potential · {r['scenario']}", float(r["capacity_kw"]), "kW",
                  f"{r.get('description_zh', '')}{star}；潜力，不是已建 / potential, not built"),
                 (f"情景潜力/目标 potential × target · {r['scenario']}",
                  None if pd.isna(r["potential_x_target"]) else float(r["potential_x_target"]), "×", "")]
    return rows


def economics_headline_rows(result) -> list[tuple[str, object, str, str]]:
    """汇总 rows of the district's money: 投资, 首年收益 (万元), 静态回收期, and the business model used."""
    d = result.district
    capex, benefit = _get(d, "capex_yuan"), _get(d, "first_year_benefit_yuan")
    if capex is None:
        return [("投资 capex (潜力)", None, "万元", "未测算经济性 / no economics in this run")]
    from pvsite.outputs.provenance import economics_entry

    e = economics_entry(result.run_info)
    models = sorted(set(result.roofs.loc[result.roofs["capacity_kw"] > 0, "business_model"].astype(str))) \
        if "business_model" in result.roofs else []
    model = " + ".join(schema.BUSINESS_MODEL_ZH.get(m, m) for m in models) or "—"
    preset = f"经济性参数 {e.get('preset_name', '')}；详见“经济性”表 / see sheet 经济性"
    payback = _get(d, "simple_payback_yr")
    return [("投资 capex (潜力)", capex / 1e4, "万元", f"商业模式 {model}；{preset}"),
            ("年收益 first-year net benefit (潜力)", None if benefit is None else benefit / 1e4, "万元/yr",
             "节省电费 + 上网收入 + 奖励 − 运维 / savings + feed-in + reward − O&M"),
            ("静态回收期 simple payback", payback, "yr",
             "投资合计 / 首年净收益合计 / Σ capex ÷ Σ benefit" if payback is not None else
             "首年净收益 ≤ 0：不回收 / net benefit ≤ 0: never pays back")]


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


class _Formats:
    """One XlsxWriter format per (number format, emphasis): a workbook should not create one per cell."""

    def __init__(self, wb):
        self._wb, self._cache = wb, {}
        self.header = wb.add_format({"bold": True, "bottom": 1, "bg_color": "#DDEBF7", "text_wrap": True,
                                     "valign": "top"})
        self.note = wb.add_format({"italic": True, "font_color": "#9C0006"})
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.missing = wb.add_format({"font_color": "#9C0006"})

    def cell(self, num_format: str | None, bold: bool = False):
        key = (num_format, bold)
        if key not in self._cache:
            props = {"num_format": num_format} if num_format else {}
            if bold:
                props.update({"bold": True, "bg_color": "#FFF2CC"})
            self._cache[key] = self._wb.add_format(props)
        return self._cache[key]


@dataclass
class _Pending:
    """Rows of one table sheet to splice in after XlsxWriter has written the package."""

    sheet_index: int
    cols: list[Col]
    first_row: int            # 0-based row of the first data row
    plain: list               # format per column
    bold: list                # emphasised format per column
    emphasise: np.ndarray
    last_row: int             # 0-based last row used on the sheet (note rows included)


def _col_letter(j: int) -> str:
    s = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s


def _width(head: str, values: np.ndarray, num_format: str | None) -> float:
    first = values[:_WIDTH_SAMPLE].tolist()
    shown = [f"{v:,.1f}" if isinstance(v, float) else v
             for v in first if v is not None and v == v]  # None (text) and NaN (numbers) are empty
    sample = [len(t) if t.isascii() else display_width(t) for t in shown]  # ASCII is one cell a character
    width = max([min(display_width(head), 24)] + sample) + 2
    return float(min(50, max(8, width)))


def _write_table(wb, fmt: _Formats, name: str, cols: list[Col], pending: list, *, emphasise=None,
                 note: str | None = None, note_above: str | None = None, absent: str | None = None):
    """A table sheet: header (and notes) through XlsxWriter, rows queued for :func:`_splice`."""
    ws = wb.add_worksheet(name)
    top = 0
    if note_above:
        ws.write_string(0, 0, note_above, fmt.note)
        top = 1
    n = len(cols[0].values) if cols else 0
    plain = [fmt.cell(c.num_format) for c in cols]
    for j, c in enumerate(cols):
        ws.set_column(j, j, _width(c.header, c.values, c.num_format), plain[j])
        ws.write_string(top, j, c.header, fmt.header)
    ws.set_row(top, 32)
    ws.freeze_panes(top + 1, 0)
    if cols:
        ws.autofilter(top, 0, top + max(n, 1), len(cols) - 1)
    last = top + n
    if absent:
        ws.write_string(top + 1, 0, absent, fmt.missing)
        last = top + 1
    if note:
        ws.write_string(top + n + 2, 0, note, fmt.note)
        last = top + n + 2
    emph = np.zeros(n, bool) if emphasise is None else np.asarray(emphasise, bool)
    bold = [fmt.cell(c.num_format, True) if emph.any() else p for c, p in zip(cols, plain)]
    for f in (*plain, *bold):  # the spliced cells use these styles: give them their index now
        f._get_xf_index()  # (XlsxWriter's own call for a written cell; stable since XlsxWriter 0.1)
    if n:
        pending.append(_Pending(ws.index, cols, top + 1, plain, bold, emph, last))
    return ws


#: Rows of a table sheet rendered and written to the package at a time (:func:`_splice`): the
#: SpreadsheetML of a block is built, compressed into the sheet's zip entry and dropped, so memory
#: holds one block of row XML (~60 columns × 20,000 rows ≈ 100 MB of text), never a whole sheet
#: (a 300,000-roof sheet is ~2 GB of XML).  pvsite choice; any size gives the same file contents.
ROW_BLOCK = 20_000


def _escape(text: str) -> str:
    """``text`` XML-escaped as a cell's inline string (``&``, ``<``, ``>``)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell_tails(c: Col, lo: int, hi: int, styles: tuple[str, ...]) -> tuple[list[np.ndarray], np.ndarray]:
    """Rows ``lo:hi`` of one column as the part of each cell after its reference, per style, and where it is empty.

    The tail of a cell is ``" s="3"><v>12.5</v></c>`` (a number) or ``" s="3" t="inlineStr"><is><t
    xml:space="preserve">text</t></is></c>``; ``styles`` are the cell style indices to render
    (plain, and bold for emphasised rows).  Each distinct value is rendered once
    (:func:`pandas.factorize`): text XML-escaped, numbers as ``repr(float)`` (the shortest text that
    reads back to the same float).
    """
    v = c.values[lo:hi]
    if c.kind == "text":
        codes, uniques = pd.factorize(v)  # None → -1
        shown = [_escape(u) for u in uniques.tolist()]
        kind, close = '" t="inlineStr"><is><t xml:space="preserve">', "</t></is></c>"
    else:
        if ((v == 0) & np.signbit(v)).any():  # -0.0 and 0.0 are one key to factorize: repr each value
            codes = np.where(np.isnan(v), -1, np.arange(len(v)))
            shown = [repr(x) for x in v.tolist()]
        else:
            codes, uniques = pd.factorize(v)  # NaN → -1
            shown = [repr(x) for x in uniques.tolist()]
        kind, close = '"><v>', "</v></c>"
    tails = []
    for s in styles:
        table = np.empty(len(shown) + 1, dtype=object)
        table[:len(shown)] = [f'" s="{s}{kind}{x}{close}' for x in shown]
        table[-1] = ""  # code -1: an empty cell
        tails.append(table[codes])
    return tails, codes < 0


#: Pieces of one cell's SpreadsheetML: ``<c r="`` + column letters | row number | style, value, closing tags.
_CELL_PIECES = 3


def _rows_xml(p: _Pending, lo: int = 0, hi: int | None = None) -> str:
    """SpreadsheetML ``<row>`` elements of rows ``lo:hi`` of one table.

    Built column by column as arrays of pieces (``<c r="B``, ``12``, ``" s="3"><v>12.5</v></c>``;
    an empty cell has empty pieces), joined once for the whole block (a str join: several
    times faster than joining bytes), then encoded once.
    """
    n_all = len(p.cols[0].values)
    hi = n_all if hi is None else min(hi, n_all)
    n = max(hi - lo, 0)
    rn = np.arange(p.first_row + 1 + lo, p.first_row + 1 + hi).astype(str).astype(object)
    emph = p.emphasise[lo:hi]
    pieces = np.empty((n, 3 + _CELL_PIECES * len(p.cols) + 1), dtype=object)
    pieces[:, 0], pieces[:, 1], pieces[:, 2], pieces[:, -1] = '<row r="', rn, '">', "</row>"
    for j, c in enumerate(p.cols):
        at = 3 + _CELL_PIECES * j
        styles = (p.plain[j].xf_index or 0, p.bold[j].xf_index or 0) if emph.any() else (p.plain[j].xf_index or 0,)
        tails, empty = _cell_tails(c, lo, hi, styles)
        pieces[:, at] = f'<c r="{_col_letter(j)}'
        pieces[:, at + 1] = rn
        pieces[:, at + 2] = np.where(emph, tails[1], tails[0]) if len(tails) > 1 else tails[0]
        if empty.any():
            pieces[empty, at:at + 2] = ""
    return "".join(pieces.ravel().tolist())


_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')


def _splice(package: bytes, path: Path, pending: list[_Pending], ncols: dict[int, int],
            block: int | None = None) -> None:
    """Copy the XlsxWriter package to ``path``, with each pending table's rows put into its sheet XML.

    The rows go after the sheet's header row (and a note row above it), before
    any note row under the table; the sheet's ``<dimension>`` is widened to them.
    The rows are rendered and compressed ``block`` rows at a time
    (default :data:`ROW_BLOCK`), streamed into the sheet's zip entry.
    """
    block = block or ROW_BLOCK
    by_sheet = {f"xl/worksheets/sheet{p.sheet_index + 1}.xml": p for p in pending}
    with zipfile.ZipFile(io.BytesIO(package)) as zin, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            p = by_sheet.get(info.filename)
            if p is not None:
                # the rows before the data (header, note above) are the first rows of <sheetData>
                head_end = 0
                for _ in range(p.first_row):
                    head_end = data.index(b"</row>", head_end) + len(b"</row>")
                ref = f'<dimension ref="A1:{_col_letter(max(ncols[p.sheet_index], 1) - 1)}{p.last_row + 1}"/>'
                head = _DIMENSION.sub(ref.encode(), data[:head_end], count=1)
                n = len(p.cols[0].values)
                entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry._compresslevel = 1  # zipfile's own attribute (writestr's compresslevel=1)
                entry.external_attr = info.external_attr
                # a sheet beyond 2 GiB of XML needs a ZIP64 entry (~80 bytes a cell is an upper estimate)
                big = n * max(len(p.cols), 1) * 120 > 2 ** 31 - 2 ** 26
                with zout.open(entry, "w", force_zip64=big) as f:
                    f.write(head)
                    for lo in range(0, n, block):
                        f.write(_rows_xml(p, lo, lo + block).encode("utf-8"))
                    f.write(data[head_end:])
            else:
                zout.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)


def _preset_labels(result) -> dict:
    cfg = getattr(result, "config", None)
    try:
        return schema.preset_names(cfg.classify.preset if cfg is not None else "cn-default")
    except Exception:  # a custom preset that cannot be found again: the _zh columns still show names
        return {}


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
        ("遮挡 shading", info.get("shading", "")),
        ("生成时间 created (UTC)", info.get("created_utc", "")),
        ("pvsite", info.get("version_pvsite", "")),
    ]
    if set_info:
        rows += [("输出集 output set id", set_info.get("output_set_id", "")),
                 ("输出集时间 output set created (UTC)", set_info.get("output_set_created_utc", ""))]
    return rows


def _headline_sheet(wb, fmt: _Formats, result) -> None:
    """汇总: the headline figures, a per-street table and native charts."""
    ws = wb.add_worksheet("汇总")
    ws.set_column(0, 0, 36)
    ws.set_column(1, 1, 16)
    ws.set_column(2, 2, 8)
    ws.set_column(3, 3, 70)
    ws.write_string(0, 0, f"{result.scope} 屋顶光伏：已建与潜力 / rooftop PV: built and potential", fmt.title)
    for j, h in enumerate(("指标 item", "数值 value", "单位 unit", "说明 note")):
        ws.write_string(2, j, h, fmt.header)
    rows = headline_rows(result)
    for i, (item, value, unit, note) in enumerate(rows, start=3):
        ws.write_string(i, 0, item)
        if value is None:
            ws.write_string(i, 1, NOT_GIVEN, fmt.missing)
        elif isinstance(value, str):
            ws.write_string(i, 1, ILLEGAL_CHARACTERS_RE.sub("", value))
        else:
            ws.write_number(i, 1, float(value), fmt.cell(NUMBER_FORMATS.get(unit, "#,##0.0"), True))
        ws.write_string(i, 2, unit)
        ws.write_string(i, 3, ILLEGAL_CHARACTERS_RE.sub("", note or ""))
    ws.freeze_panes(3, 0)
    by_item = {item: value for item, value, _, _ in rows}

    # chart 1: progress toward the target (built / in progress / remaining), or target vs potential
    base = len(rows) + 5
    target = by_item.get("目标 target (已建 built)")
    built = by_item.get("已建(已并网) built")
    if built is not None and target:
        building = by_item.get("在建 under construction") or 0.0
        bars = [("已建 built", built), ("在建 in progress", building),
                ("剩余 remaining", max(target - built - building, 0.0))]
        title = "目标进度 progress to target (kW)"
    else:
        bars = [("目标 target", target or 0.0),
                (f"潜力 potential ({result.scenario})", by_item.get(f"潜力 potential ({result.scenario})") or 0.0)]
        title = "目标与潜力 target vs potential (kW)（未提供已建 / built not given）"
    ws.write_string(base, 0, "图表数据 chart data", fmt.header)
    ws.write_string(base, 1, "kW", fmt.header)
    for i, (k, v) in enumerate(bars, start=base + 1):
        ws.write_string(i, 0, k)
        ws.write_number(i, 1, float(v), fmt.cell(NUMBER_FORMATS["kW"]))
    chart = wb.add_chart({"type": "bar", "subtype": "stacked"} if built is not None and target
                         else {"type": "column"})
    if built is not None and target:
        colours = ("#2E7D32", "#F9A825", "#BDBDBD")
        for i, (k, _) in enumerate(bars):
            chart.add_series({"name": ["汇总", base + 1 + i, 0], "categories": ["汇总", base + 1 + i, 0,
                                                                                base + 1 + i, 0],
                              "values": ["汇总", base + 1 + i, 1, base + 1 + i, 1],
                              "fill": {"color": colours[i]}})
    else:
        chart.add_series({"name": "kW", "categories": ["汇总", base + 1, 0, base + len(bars), 0],
                          "values": ["汇总", base + 1, 1, base + len(bars), 1],
                          "points": [{"fill": {"color": "#1F4E79"}}, {"fill": {"color": "#9DC3E6"}}],
                          "data_labels": {"value": True, "num_format": "#,##0"}})
        chart.set_legend({"none": True})
    chart.set_title({"name": title, "name_font": {"size": 11}})
    chart.set_size({"width": 620, "height": 260})
    ws.insert_chart(2, 5, chart)

    # chart 2: potential kW by street (the data beside it, so the chart carries its values)
    s = result.summary
    streets = s[s["level"] == "street"].sort_values("capacity_kw", ascending=False)
    srow = base + len(bars) + 2
    ws.write_string(srow, 0, "街道(镇) street", fmt.header)
    ws.write_string(srow, 1, "潜力 potential (kW)", fmt.header)
    for i, (_, r) in enumerate(streets.iterrows(), start=srow + 1):
        ws.write_string(i, 0, ILLEGAL_CHARACTERS_RE.sub("", str(r["key_zh"])))
        ws.write_number(i, 1, float(r["capacity_kw"]), fmt.cell(NUMBER_FORMATS["kW"]))
    if len(streets):
        bar = wb.add_chart({"type": "bar"})
        bar.add_series({"name": "潜力 potential (kW)",
                        "categories": ["汇总", srow + 1, 0, srow + len(streets), 0],
                        "values": ["汇总", srow + 1, 1, srow + len(streets), 1],
                        "fill": {"color": "#2F75B5"}})
        bar.set_title({"name": "各街道(镇)潜力 potential by street (kW)", "name_font": {"size": 11}})
        bar.set_legend({"none": True})
        bar.set_y_axis({"reverse": True})
        bar.set_size({"width": 620, "height": max(260, 22 * len(streets) + 80)})
        ws.insert_chart(17, 5, bar)


def write_workbook(path: str | Path, result, set_info: dict[str, str] | None = None, *,
                   roofs_csv: str | None = None, max_roof_rows: int | None = None,
                   roofs_parquet: str | None = None) -> Path:
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
    roofs_parquet : str, optional
        Folder name of the set's GeoParquet roofs (:mod:`pvsite.outputs.parquet`), named in that note too.
    """
    import xlsxwriter

    path = Path(path)
    extra = _preset_labels(result)
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"strings_to_numbers": False, "strings_to_formulas": False,
                                   "strings_to_urls": False, "in_memory": True})
    fmt, pending, ncols = _Formats(wb), [], {}

    def table(name, df, tables, cols=None, **kw):
        if cols is None:
            cols = display_columns(df, tables, extra_labels=extra) if df is not None else \
                [Col(c.name, header(c), "text", np.empty(0, dtype=object), None) for c in schema.columns(tables[0])]
        ws = _write_table(wb, fmt, name, cols, pending, **kw)
        ncols[ws.index] = len(cols)

    _headline_sheet(wb, fmt, result)
    for t in (STREETS, CLASSES, DEPARTMENTS, ECONOMICS, TRAJECTORY):
        df = t.rows(result)
        if df is None and t.absent:
            table(t.sheet, None, t.tables, absent=t.absent)
            continue
        table(t.sheet, df, t.tables, emphasise=t.emphasise(df) if t.emphasise else None,
              note_above=economics_note(result) if t is ECONOMICS else None)
    prio, prio_note = priority_rows(result)
    table("优先屋顶清单", prio, PRIORITY_TABLES, note_above=prio_note)
    tasks = getattr(result, "department_tasks", None) or {}
    task_cols = department_columns(tasks, extra)
    for dept, name in department_sheet_names(tasks, taken=_FIXED_SHEETS).items():
        table(name, None, PRIORITY_TABLES, cols=task_cols[dept])
    rows = roof_rows(result)
    shown, truncated = roof_sheet(rows, MAX_ROOF_ROWS if max_roof_rows is None else max_roof_rows)
    if truncated:  # back to street / capacity order
        shown = shown.sort_index()
    note = roof_sheet_note(len(shown), len(rows), roofs_csv, roofs_parquet) if truncated else None
    table("屋顶明细", shown, ("roofs",), note=note)
    installed = INSTALLED.rows(result)
    if installed is not None:
        table(INSTALLED.sheet, installed, INSTALLED.tables)
    df = STREET_CLASS.rows(result)
    table(STREET_CLASS.sheet, df, STREET_CLASS.tables, emphasise=_is_district(df))
    about = about_rows(result, set_info)
    if truncated:
        about.append(("屋顶明细 roof detail", note))
    if not tasks:
        about.append(("部门任务清单 department task lists",
                      "未计算 (--rank-by)：无分部门任务表 / not computed: no per-department task sheets"))
    about_df = pd.DataFrame(about, columns=["项目 item", "内容 value"])
    table("说明", about_df, ("summary",))
    table("分类统计", result.classification_report, ("classification",))
    wb.close()
    _splice(buf.getvalue(), path, pending, ncols)
    return path


def department_columns(tasks: dict, extra_labels=None) -> dict[str, list[Col]]:
    """Department → the shown columns of its task list (``RunResult.department_tasks``).

    Task lists of the same columns and dtypes (those of
    :func:`pvsite.planning.ranking.department_tasks`) are shown as one table
    (:func:`display_columns` once for every department's roofs) and cut back
    into departments; each gives the columns its own list would.
    """
    frames = {d: pd.DataFrame(t) for d, t in tasks.items()}
    same = len({tuple(zip(map(str, f.columns), map(str, f.dtypes), map(repr, f.dtypes))) for f in frames.values()}) == 1
    if len(frames) < 2 or not same:
        return {d: display_columns(schema.with_display_units(f), PRIORITY_TABLES, extra_labels=extra_labels)
                for d, f in frames.items()}
    whole = schema.with_display_units(pd.concat(frames.values(), ignore_index=True))
    cols = display_columns(whole, PRIORITY_TABLES, extra_labels=extra_labels)
    bounds = np.cumsum([0] + [len(f) for f in frames.values()])
    return {d: [Col(c.name, c.header, c.kind, c.values[lo:hi], c.num_format) for c in cols]
            for d, lo, hi in zip(frames, bounds[:-1], bounds[1:])}


#: Sheet names a department sheet may not take.
_FIXED_SHEETS = ("汇总", "街道", "类别", "责任部门", "经济性", "进度", "优先屋顶清单", "屋顶明细", "已建项目清单",
                 "街道×类别", "说明", "分类统计")


def write_csv(path: str | Path, frame: pd.DataFrame) -> Path:
    """Write ``frame`` as CSV at ``path`` (not atomic): UTF-8 with a byte-order mark, Chinese headers.

    Excel reads a CSV without a BOM in the system code page (GBK on Chinese
    Windows) and garbles UTF-8 Chinese; with the BOM it shows the text intact.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = Path(path)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    with open(path, "wb") as f:
        f.write("\ufeff".encode("utf-8"))
        pacsv.write_csv(table, f)
    return path


def table_frame(result, t: Table) -> pd.DataFrame:
    """The rows of table ``t`` as shown (Chinese headers and labels); header only when the run lacks it."""
    df = t.rows(result)
    if df is None:
        return pd.DataFrame(columns=[header(c) for c in schema.columns(t.tables[0])])
    return as_frame(display_columns(df, t.tables, extra_labels=_preset_labels(result)))


def priority_frame(result) -> pd.DataFrame:
    """优先屋顶清单 as shown (the CSV twin ``_priority.csv``)."""
    return as_frame(display_columns(priority_rows(result)[0], PRIORITY_TABLES, extra_labels=_preset_labels(result)))


#: Roofs formatted and written to the roofs CSV at a time (:func:`write_roofs_csv`): memory holds
#: the display strings of one block, never of every roof (pvsite choice; any size gives the same file).
CSV_BLOCK = 50_000


def write_roofs_csv(path: str | Path, result, block: int | None = None) -> Path:
    """Write every roof, the rows of 屋顶明细 without its bound, as CSV at ``path`` (not atomic).

    UTF-8 with a byte-order mark (:func:`write_csv`); the same Chinese
    headers and labels as the sheet (:func:`sized_roofs`), formatted and
    appended ``block`` roofs at a time (default :data:`CSV_BLOCK`).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = Path(path)
    block = block or CSV_BLOCK
    rows, extra = roof_rows(result), _preset_labels(result)
    with open(path, "wb") as f:
        f.write("\ufeff".encode("utf-8"))
        for lo in range(0, max(len(rows), 1), block):
            frame = as_frame(display_columns(rows.iloc[lo:lo + block], ("roofs",), extra_labels=extra))
            pacsv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), f,
                            pacsv.WriteOptions(include_header=lo == 0))
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
