"""Annual energy use per building, street or district (``--consumption PATH``), read once.

A consumption table (CSV / TSV / XLSX) has one row per building
(``building_id``), per street (``street``), or one row for the whole district
(neither given), with the annual energy use in kWh (or 万kWh).  Columns are
found like the footprints' fields: an explicit mapping (``[carbon]
consumption_columns``) wins, else the first candidate of ``presets/fields.toml``
(``[candidates] building_id`` / ``street``, ``[consumption] kwh`` / ``wan_kwh``).

:func:`read_consumption` returns the entries; :func:`pvsite.planning.carbon.renewable_share`
relates them to the roofs.  Every bad value is reported at once, with its row.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pvsite.errors import InputError
from pvsite.io.fields import fields_preset, load_field_candidates, pick_column
from pvsite.io.layers import read_table

#: pvsite columns of a consumption table.
CONSUMPTION_FIELDS = ("building_id", "street", "consumption_kwh")
#: Levels of a consumption entry.
LEVELS = ("building", "street", "district")


def resolve_columns(columns, mapping: dict | None, path: Path) -> tuple[dict, float]:
    """pvsite field → column of the table, and the factor to kWh (1 or 10,000 for 万kWh columns).

    Raises
    ------
    InputError
        A mapped column the table lacks, or no consumption column at all.
    """
    mapping = dict(mapping or {})
    cands = load_field_candidates()
    energy = fields_preset().get("consumption", {})
    out: dict = {}
    factor = 1.0

    def find(wanted, candidates=()):
        return pick_column(columns, wanted, candidates, source=f"--consumption file {path}",
                           source_zh=f"--consumption 文件 {path}", what="mapped", what_zh="映射的",
                           fix="Correct [carbon] consumption_columns to one of the columns.",
                           fix_zh="请将 [carbon] consumption_columns 改为文件中的列名之一。", ignore_spaces=True)

    for f in ("building_id", "street"):
        out[f] = find(mapping.get(f), cands.get(f, []) if f not in mapping else ())  # mapped to None: no column
    if "consumption_kwh" in mapping:
        out["consumption_kwh"] = find(mapping["consumption_kwh"])
    else:
        out["consumption_kwh"] = find(None, energy.get("kwh", []))
        if out["consumption_kwh"] is None:
            out["consumption_kwh"] = find(None, energy.get("wan_kwh", []))
            factor = 1e4 if out["consumption_kwh"] is not None else 1.0
    if out["consumption_kwh"] is None:
        raise InputError(
            f"--consumption file {path} has no annual energy column (kWh). Columns: {', '.join(map(str, columns))}.",
            fix="Name the column consumption_kwh / 年用电量(kWh) / 年用电量(万kWh), or map it: [carbon] consumption_columns = { consumption_kwh = \"<column>\" }.",
            zh=f"--consumption 文件 {path} 没有年用电量列（kWh）。现有列：{', '.join(map(str, columns))}。",
            fix_zh="请将该列命名为 consumption_kwh / 年用电量(kWh) / 年用电量(万kWh)，或映射：[carbon] consumption_columns = { consumption_kwh = \"<列名>\" }。")
    return out, factor


def parse_consumption(table: pd.DataFrame, path: Path, mapping: dict | None = None) -> pd.DataFrame:
    """Consumption entries of a table already read (cells as text).

    Parameters
    ----------
    table : DataFrame
        The table, cells as ``str`` (:func:`pvsite.io.layers.read_table`).
    path : Path
        Its file (named in messages and in ``source``).
    mapping : dict, optional
        Explicit pvsite field → column.

    Returns
    -------
    DataFrame
        ``level`` (:data:`LEVELS`), ``key`` (building id, street name, or
        ``""`` for the district), ``consumption_kwh`` [kWh/yr], ``source``
        (``file:row``, rows counted as in a spreadsheet: the header is row 1).

    Raises
    ------
    InputError
        Every row whose energy is missing, not a number or negative; a building
        id or street listed twice; more than one district row.  The message
        lists them (up to 10) with their rows.
    """
    cols, factor = resolve_columns(list(table.columns), mapping, path)
    text = lambda c: (table[c].astype(str).str.strip() if c else pd.Series("", index=table.index))  # noqa: E731
    bid, street = text(cols["building_id"]), text(cols["street"])
    raw = text(cols["consumption_kwh"]).str.replace(",", "", regex=False).str.replace("，", "", regex=False)
    value = pd.to_numeric(raw, errors="coerce") * factor
    rows = (table.index.to_numpy() + 2).astype(str)
    source = path.name + ":" + pd.Series(rows, index=table.index)
    level = np.where(bid != "", "building", np.where(street != "", "street", "district"))
    key = np.where(level == "building", bid, np.where(level == "street", street, ""))
    out = pd.DataFrame({"level": level, "key": key, "consumption_kwh": value.to_numpy(dtype=float),
                        "source": source.to_numpy()}, index=table.index)
    problems = []
    bad = ~np.isfinite(out["consumption_kwh"]) | (out["consumption_kwh"] < 0)
    for i in out.index[bad][:10]:
        problems.append(f"row {rows[i]}: {cols['consumption_kwh']} = {table.at[i, cols['consumption_kwh']]!r}")
    if bad.sum() > 10:
        problems.append(f"… {int(bad.sum()) - 10} more")
    dup = out[out.duplicated(["level", "key"], keep=False)]
    for (lv, k), g in list(dup.groupby(["level", "key"]))[:10]:
        problems.append(f"{lv} {k or '(district)'} listed {len(g)} times (rows {', '.join(s.split(':')[-1] for s in g['source'])})")
    if problems:
        raise InputError(
            f"--consumption file {path}: {'; '.join(problems)}.",
            fix="Give one row per building / street (or one for the district) with its annual energy use as a number ≥ 0 in kWh.",
            zh=f"--consumption 文件 {path} 有误：{'；'.join(problems)}。",
            fix_zh="每个建筑或街道一行（或全区一行），年用能为不小于 0 的数值（kWh）。")
    if out.empty:
        raise InputError(f"--consumption file {path} holds no rows.",
                         fix="Write a header row, then one row per building, street or the district.",
                         zh=f"--consumption 文件 {path} 没有数据行。",
                         fix_zh="请先写表头行，再每个建筑、街道或全区各写一行。")
    return out.reset_index(drop=True)


def read_consumption(path, mapping: dict | None = None, sheet: str | None = None,
                     encoding: str | None = None) -> pd.DataFrame:
    """Read a consumption table (``--consumption PATH``): :func:`parse_consumption` of the file.

    Raises
    ------
    InputError
        Missing, empty or unreadable file, or bad rows (see :func:`parse_consumption`).
    """
    path = Path(path)
    return parse_consumption(read_table(path, encoding=encoding, sheet=sheet, what="--consumption"), path, mapping)
