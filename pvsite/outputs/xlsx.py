"""The figures planners hand up the chain, as an Excel workbook beside the GeoPackage.

Sheets (Chinese column headers from :mod:`pvsite.outputs.schema`, units in
the header): 说明 (scenario, target, weather, inputs, synthetic warning,
output set), 全区与街道 (district and streets), 政策类别 (classes), 责任部门
(departments), 街道×类别, 屋顶明细 (roofs with PV), 分类统计.
"""

from __future__ import annotations

import logging
from pathlib import Path

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


def clean_text(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with control characters removed from text cells (Excel cannot hold them).

    The GeoPackage keeps the original text; only the workbook copy is cleaned.
    """
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

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


def write_workbook(path: str | Path, result, set_info: dict[str, str] | None = None) -> Path:
    """Write the workbook of a :class:`pvsite.pipeline.RunResult` to ``path`` (not atomic).

    ``path`` is a temporary file of the caller (:func:`write_xlsx`, or
    :func:`pvsite.outputs.write_all`).  ``set_info`` (output set id and time)
    goes on the 说明 sheet.
    """
    path = Path(path)
    s = result.summary
    roofs = result.roofs
    sized = roofs[roofs["capacity_kw"] > 0].drop(columns=["geometry", "usable_geometry"], errors="ignore")
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        about = pd.DataFrame(about_rows(result, set_info), columns=["项目 item", "内容 value"])
        clean_text(about).to_excel(xl, sheet_name="说明", index=False)
        for sheet, levels in SUMMARY_SHEETS.items():
            headed(s[s["level"].isin(levels)], "summary").to_excel(xl, sheet_name=sheet, index=False)
        headed(sized, "roofs").to_excel(xl, sheet_name="屋顶明细", index=False)
        headed(result.classification_report, "classification").to_excel(xl, sheet_name="分类统计", index=False)
        for ws in xl.book.worksheets:
            for col in ws.columns:
                width = max(len(str(c.value)) if c.value is not None else 0 for c in col[:200])
                ws.column_dimensions[col[0].column_letter].width = min(60, max(10, width * 1.6))
    return path


def write_xlsx(path: str | Path, result, overwrite: bool = False) -> Path:
    """Write the workbook of ``result`` to ``path`` atomically (temp file, then rename).

    Only the workbook: a run's whole output set is written by
    :func:`pvsite.outputs.write_all`.

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
