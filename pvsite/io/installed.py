"""Read lists of installed, under-construction and planned PV projects (``--installed PATH[:datum]``).

A district keeps its distributed-PV projects in a ledger (备案 / 并网台账): one
row per project with a name, a capacity, a status (已并网 / 在建 / 已备案), a
commissioning date and either the building it sits on or a point taken from a
web map.  :func:`read_installed` reads such a list — CSV / TSV / XLSX, or any
vector file the side-layer reader handles (:func:`pvsite.io.layers.read_layer`)
— maps its columns (``[installed]`` of ``presets/fields.toml``, explicit
``columns`` win), converts the points to WGS 84 (:mod:`pvsite.geo.datums`)
and checks every row.  Rows without a capacity, with an unknown status or an
unreadable date are refused together, in one :class:`~pvsite.errors.InputError`
naming the file, the row, the field and the fix.  Matching to roofs is
:func:`pvsite.planning.installed.match_installed`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from pvsite.config import InstalledConfig
from pvsite.errors import ConfigError, InputError
from pvsite.io import layers
from pvsite.io.fields import clean_text, fields_preset, match_vocabulary, pick_column

#: pvsite fields of an installed-systems list (``[installed]`` of presets/fields.toml).
INSTALLED_FIELDS = ("project_name", "capacity_kw", "capacity_mw", "capacity_ac_kw", "commissioned", "status",
                    "building_id")
#: Status keys, their Chinese words (the plan's and the ledgers'), in ``[installed_status]`` search order.
STATUSES = {"planned": "已备案", "under_construction": "在建", "built": "已并网"}
#: Columns of the frame :func:`read_installed` returns (then ``geometry``, WGS 84).
COLUMNS = ("project_name", "capacity_kw", "capacity_ac_kw", "status", "status_zh", "commissioned",
           "building_id", "source")

_UNIT = re.compile(r"^\s*([-+]?\d[\d,]*(?:\.\d+)?)\s*(万千瓦|千瓦|kwp|kw|mwp|mw|)\s*$", re.IGNORECASE)
_UNIT_KW = {"": 1.0, "kw": 1.0, "kwp": 1.0, "千瓦": 1.0, "mw": 1000.0, "mwp": 1000.0, "万千瓦": 10000.0}
_YEAR = re.compile(r"^\s*(\d{4})\s*年?\s*$")
_YEAR_MONTH = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*$")


@dataclass
class InstalledList:
    """One list of PV projects as read.

    Attributes
    ----------
    frame : geopandas.GeoDataFrame
        :data:`COLUMNS` and a point geometry in EPSG:4326 (None where the row
        gives no coordinates), one row per project in file order.
    path : Path
        The file.
    datum : str or None
        Datum of the source coordinates that was applied; None without coordinates.
    mapping : dict
        pvsite field → source column (None when absent).
    """

    frame: gpd.GeoDataFrame
    path: Path
    datum: str | None
    mapping: dict


def _status_words() -> dict:
    vocab = fields_preset().get("installed_status", {})
    return {k: [str(w).strip().lower() for w in vocab.get(k, [])] for k in STATUSES}


def parse_status(values: pd.Series) -> pd.Series:
    """Status key (``built`` / ``under_construction`` / ``planned``) of each value, NA when unknown.

    Exact words first, then keywords contained in the value, in the order
    planned → under construction → built (``[installed_status]`` of presets/fields.toml).
    """
    text = clean_text(values).str.lower().str.replace(r"\s+", " ", regex=True)
    return match_vocabulary(text, _status_words())


def parse_capacity_kw(values: pd.Series, scale: float = 1.0) -> pd.Series:
    """Capacity [kW] of each value: a number, optionally with its unit (kW, kWp, MW, 千瓦, 万千瓦); NA otherwise."""
    text = clean_text(values)
    m = text.str.extract(_UNIT)
    num = pd.to_numeric(m[0].str.replace(",", "", regex=False), errors="coerce")
    unit = m[1].str.lower().map(_UNIT_KW)
    return (num * unit * scale).astype("Float64")


def parse_dates(values: pd.Series) -> pd.Series:
    """Commissioning dates: ISO / slashed / Chinese (``2023年6月30日``) dates, ``YYYY-MM`` or a bare year.

    A year alone is taken as 1 July of that year and a month as its 15th (the
    middle), so it counts in the right year of the trajectory.  NaT where blank
    or unreadable.
    """
    text = clean_text(values)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    year = text.str.extract(_YEAR)[0]
    out = out.mask(year.notna(), pd.to_datetime(year + "-07-01", errors="coerce"))
    ym = text.str.extract(_YEAR_MONTH)
    has = ym[0].notna() & out.isna()
    out = out.mask(has, pd.to_datetime(ym[0] + "-" + ym[1] + "-15", errors="coerce"))
    rest = out.isna() & text.notna()
    norm = (text[rest].str.replace(r"[年月/.]", "-", regex=True).str.replace("日", "", regex=False)
            .str.strip().str.rstrip("-"))
    out.loc[rest] = pd.to_datetime(norm, errors="coerce", format="mixed")
    return out


def _pick(columns, explicit: dict, path: Path) -> dict:
    """pvsite field → source column: explicit ``columns`` first, then ``[installed]`` candidates."""
    unknown = [k for k in explicit if k not in INSTALLED_FIELDS]
    if unknown:
        raise ConfigError(f"--installed {path}: unknown field(s) {', '.join(map(repr, unknown))} in columns.",
                          fix=f"Map only: {', '.join(INSTALLED_FIELDS)}.",
                          zh=f"--installed {path}：columns 中有未知字段 {', '.join(map(repr, unknown))}。",
                          fix_zh=f"只能映射：{', '.join(INSTALLED_FIELDS)}。")
    mapping, used = {}, set()
    for f, col in explicit.items():
        mapping[f] = pick_column(columns, col, (), source=f"--installed {path}", source_zh=f"--installed {path}",
                                 what=f, what_zh=f" {f} ",
                                 fix="Name a column of the file in [[delivery.installed]] columns.",
                                 fix_zh="请在 [[delivery.installed]] columns 中填写文件中的列名。")
        used.add(mapping[f])
    cands = fields_preset().get("installed", {})
    for f in INSTALLED_FIELDS:
        if f not in mapping:
            mapping[f] = pick_column(columns, None, cands.get(f, []), source=str(path), source_zh=str(path),
                                     exclude=used)
            if mapping[f] is not None:
                used.add(mapping[f])
    return mapping


def _has_lonlat(columns, spec: InstalledConfig) -> bool:
    if spec.lon_col or spec.lat_col:
        return True
    low = {str(c).strip().lower() for c in columns}
    return any(a.lower() in low and b.lower() in low for a, b in fields_preset()["registry"]["lonlat"])


def _read_side(spec: InstalledConfig, path: Path) -> tuple[gpd.GeoDataFrame, str | None]:
    """Attributes (text) and WGS 84 points; a table without coordinates gets no geometry."""
    what = "--installed"
    if path.suffix.lower() in layers.TABLE_SUFFIXES + layers.EXCEL_SUFFIXES:
        table = layers.read_table(path, encoding=spec.encoding, sheet=spec.layer, what=what)
        if not _has_lonlat(table.columns, spec):
            return gpd.GeoDataFrame(table, geometry=gpd.GeoSeries([None] * len(table), crs="EPSG:4326")), None
    side = layers.read_layer(path, datum=spec.datum, layer=spec.layer, encoding=spec.encoding,
                             lon_col=spec.lon_col, lat_col=spec.lat_col, what=what)
    frame = side.frame
    datum = side.datum
    if side.kind == "vector":
        if datum is None and frame.crs is not None and frame.crs.is_geographic:
            raise ConfigError(f"--installed {path}: the datum of its lon/lat coordinates is not declared.",
                              fix="State it: --installed PATH:wgs84 (GPS, OpenStreetMap, CGCS2000), :gcj02 (Amap/Gaode, Tencent) or :bd09 (Baidu).",
                              zh=f"--installed {path}：未声明经纬度坐标的坐标系（datum）。",
                              fix_zh="请注明：--installed PATH:wgs84（GPS、OpenStreetMap、CGCS2000）、:gcj02（高德、腾讯）或 :bd09（百度）。")
        g = frame.geometry.to_crs("EPSG:4326")
        g = g.where(g.geom_type.isin(["Point"]), g.representative_point())
        frame = gpd.GeoDataFrame(side.attributes(), geometry=g.values, crs="EPSG:4326")
    return frame, datum


def read_installed(spec: InstalledConfig) -> InstalledList:
    """Read and check one list of PV projects.

    Parameters
    ----------
    spec : pvsite.config.InstalledConfig
        Path, datum, columns (see :class:`~pvsite.config.InstalledConfig`).

    Returns
    -------
    InstalledList
        One row per project: ``project_name``, ``capacity_kw`` [kW, DC],
        ``capacity_ac_kw`` [kW, NA when not given], ``status``
        (:data:`STATUSES` keys), ``status_zh``, ``commissioned`` (date, NaT
        when not given), ``building_id`` (NA when not given), ``source``
        (``file:row``, row 1 = first data row) and the point (EPSG:4326).

    Raises
    ------
    InputError
        Missing / unreadable / empty file; no capacity or status column; rows
        without capacity, with an unknown status or an unreadable date, a built
        project without a date, a row with neither building id nor
        coordinates — all rows at once, each with file, row, field and fix.
    ConfigError
        Unknown field in ``columns``; coordinates whose datum is not declared.
    """
    path = Path(spec.path)
    frame, datum = _read_side(spec, path)
    if len(frame) == 0:
        raise InputError(f"--installed file {path} holds no rows.",
                         fix="Write a header row, then one row per PV project (项目名称, 装机容量, 项目状态 …).",
                         zh=f"--installed 文件 {path} 中没有项目。",
                         fix_zh="请先写表头行，再每个光伏项目一行（项目名称、装机容量、项目状态 …）。")
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    mapping = _pick(list(table.columns), dict(spec.columns), path)
    if mapping["capacity_kw"] is None and mapping["capacity_mw"] is None:
        raise InputError(f"--installed {path} has no capacity column (装机容量). Columns: {', '.join(table.columns)}.",
                         fix="Name it capacity_kw or 装机容量(kW) (capacity_mw for MW), or map it: [[delivery.installed]] columns = { capacity_kw = \"...\" }.",
                         zh=f"--installed {path} 没有装机容量列。现有列：{', '.join(table.columns)}。",
                         fix_zh="请将该列命名为 capacity_kw 或 装机容量(kW)（MW 用 capacity_mw），或映射：[[delivery.installed]] columns = { capacity_kw = \"...\" }。")
    if mapping["status"] is None:
        raise InputError(f"--installed {path} has no status column (项目状态). Columns: {', '.join(table.columns)}.",
                         fix="Add a column status / 项目状态 with 已并网, 在建 or 已备案 on every row (built / under construction / planned).",
                         zh=f"--installed {path} 没有项目状态列。现有列：{', '.join(table.columns)}。",
                         fix_zh="请添加 status / 项目状态 列，每行填写 已并网、在建 或 已备案。")

    def col(f):
        return table[mapping[f]] if mapping[f] is not None else pd.Series(pd.NA, index=table.index, dtype="str")

    raw_cap = col("capacity_kw") if mapping["capacity_kw"] is not None else col("capacity_mw")
    cap = parse_capacity_kw(raw_cap, 1.0 if mapping["capacity_kw"] is not None else 1000.0)
    ac = parse_capacity_kw(col("capacity_ac_kw"))
    status = parse_status(col("status"))
    dates = parse_dates(col("commissioned"))
    bid = clean_text(col("building_id"))
    has_point = ~(frame.geometry.isna() | frame.geometry.is_empty).to_numpy()

    problems = []
    rows = np.arange(1, len(table) + 1)

    def report(mask, field, found, fix):
        for r, v in zip(rows[np.asarray(mask, dtype=bool)], np.asarray(found, dtype=object)[np.asarray(mask, dtype=bool)]):
            problems.append(f"row {r}, {field} = {'(blank)' if pd.isna(v) or str(v).strip() == '' else repr(str(v))}: {fix}")

    report((cap.isna() | (cap <= 0)).to_numpy(), mapping["capacity_kw"] or mapping["capacity_mw"], raw_cap,
           "give a capacity > 0 in kW (e.g. 350 or \"0.35 MW\") / 请填写大于0的装机容量(kW)")
    report(status.isna().to_numpy(), mapping["status"], col("status"),
           "use 已并网 / 在建 / 已备案 (built / under construction / planned) / 请填写项目状态")
    if mapping["commissioned"] is not None:
        bad_date = dates.isna() & clean_text(col("commissioned")).notna()
        report(bad_date.to_numpy(), mapping["commissioned"], col("commissioned"),
               "write a date like 2023-06-30, 2023/6/30, 2023年6月 or a year 2023 / 请填写可识别的日期")
    no_date = (status == "built").fillna(False).to_numpy() & dates.isna().to_numpy() & \
        clean_text(col("commissioned")).isna().to_numpy()
    report(no_date, mapping["commissioned"] or "commissioned", col("commissioned"),
           "a built (已并网) project needs its commissioning date, at least the year / 已并网项目请填写并网时间(至少年份)")
    report(bid.isna().to_numpy() & ~has_point, mapping["building_id"] or "building_id / lon,lat", bid,
           "give the building id of its roof or its lon/lat / 请填写建筑编号或经纬度")
    if problems:
        more = f" (and {len(problems) - 15} more)" if len(problems) > 15 else ""
        raise InputError(f"--installed {path}: {len(problems)} row(s) cannot be used (行 = first data row 1): "
                         + "; ".join(problems[:15]) + more + ".",
                         fix="Correct those rows in the file (or delete rows that are not PV projects), then rerun.",
                         zh=f"--installed {path}：有 {len(problems)} 行无法使用（第 1 行为首个数据行），详见下方英文说明。",
                         fix_zh="请改正文件中的这些行（或删除不是光伏项目的行），然后重新运行。")
    names = clean_text(col("project_name")).fillna(pd.Series([f"{path.stem} #{r}" for r in rows], index=table.index))
    out = gpd.GeoDataFrame(
        {
            "project_name": names.astype("str"),
            "capacity_kw": cap.astype(float),
            "capacity_ac_kw": ac.astype("Float64"),
            "status": status.astype("str"),
            "status_zh": status.map(STATUSES).astype("str"),
            "commissioned": dates,
            "building_id": bid.astype("str"),
            "source": [f"{path.name}:{r}" for r in rows],
        },
        geometry=gpd.GeoSeries(frame.geometry.values, crs="EPSG:4326"), crs="EPSG:4326",
    )
    return InstalledList(out, path, datum, mapping)


def parse_installed_spec(item) -> dict:
    """``PATH[:datum]`` (``:cgcs2000`` taken as wgs84, identical at cm level) → an ``[[delivery.installed]]`` table."""
    if isinstance(item, dict):
        return dict(item)
    text = str(item)
    head, sep, tail = text.rpartition(":")
    if sep and tail.strip().lower().replace("-", "").replace("_", "") == "cgcs2000":
        return {"path": head, "datum": "wgs84"}
    path, datum = layers.parse_spec(text)
    return {"path": str(path), **({"datum": datum} if datum else {})}
