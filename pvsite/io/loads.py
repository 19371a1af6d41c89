"""Hourly electricity loads (``--load PATH``) for the self-consumption of :mod:`pvsite.economics`.

The file is a CSV (UTF-8 or GBK) with a ``time`` column of hourly time stamps
(local time, the hour's start) and one column per meter, named by a
``building_id``, a street name or a policy class (``factory``, …), holding
that meter's consumption in each hour [kWh]::

    time,B0012,新华路街道,factory
    2023-01-01 00:00,12.5,3400,800
    …

A year of hours is expected (8,760, or 8,784 in a leap year, whose 29 February
is dropped).  Rows are matched to the weather year by month, day and hour, so
the calendar year does not matter.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pvsite.errors import InputError
from pvsite.io.encodings import read_csv_text

WHAT = "--load"


def read_load(path, weather_index: pd.DatetimeIndex) -> pd.DataFrame:
    """The hourly loads of ``path`` aligned to the weather year's hours [kWh].

    Parameters
    ----------
    path : str or Path
        Load CSV (see the module docstring).
    weather_index : pandas.DatetimeIndex
        Hours of the weather year (start labels, local time).

    Returns
    -------
    pandas.DataFrame
        One row per weather hour (``weather_index``), one float column per meter.

    Raises
    ------
    InputError
        No ``time`` column, no meter column, a non-numeric or negative value,
        or hours of the weather year the file does not cover — naming the file,
        the column and the fix (Chinese and English).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{WHAT} {path}: file not found.", fix="Give the path of the hourly load CSV.",
                         zh=f"{WHAT} {path}：文件不存在。",
                         fix_zh="请给出逐时负荷 CSV 的路径。")
    df, _ = read_csv_text(path, what=WHAT)
    if "time" not in df.columns:
        raise InputError(f"{WHAT} {path}: no 'time' column (found {list(df.columns)[:6]}).",
                         fix="Name the hour column 'time' (e.g. 2023-01-01 00:00).",
                         zh=f"{WHAT} {path}：缺少 time 列（现有 {list(df.columns)[:6]}）。",
                         fix_zh="请将时刻列命名为 'time'（如 2023-01-01 00:00）。")
    meters = [c for c in df.columns if c != "time"]
    if not meters:
        raise InputError(f"{WHAT} {path}: no load column besides 'time'.",
                         fix="Add one column of hourly kWh per building id, street or policy class.",
                         zh=f"{WHAT} {path}：除 'time' 外没有负荷列。",
                         fix_zh="请按建筑编号、街道或政策类别各加一列逐时 kWh。")
    times = pd.to_datetime(df["time"], errors="coerce")
    if times.isna().any():
        row = int(np.flatnonzero(times.isna().to_numpy())[0])
        raise InputError(f"{WHAT} {path}: row {row + 2}: time {df['time'].iloc[row]!r} is not a date-time.",
                         fix="Write times as YYYY-MM-DD HH:MM.",
                         zh=f"{WHAT} {path}：第 {row + 2} 行：时间 {df['time'].iloc[row]!r} 无法识别。",
                         fix_zh="请把时间写成 YYYY-MM-DD HH:MM。")
    values = df[meters].apply(pd.to_numeric, errors="coerce")
    bad = values.isna() | (values < 0)
    if bad.to_numpy().any():
        col = values.columns[bad.any().to_numpy()][0]
        row = int(np.flatnonzero(bad[col].to_numpy())[0])
        raise InputError(f"{WHAT} {path}: column {col!r}, row {row + 2}: load must be a number ≥ 0 kWh, "
                         f"found {df[col].iloc[row]!r}.", fix="Fill every hour with the meter's kWh (0 when idle).",
                         zh=f"{WHAT} {path}：列 {col!r} 第 {row + 2} 行：负荷须为不小于 0 的数值（kWh），实为 {df[col].iloc[row]!r}。",
                         fix_zh="请为每个小时填入电表的 kWh（空闲时填 0）。")
    key = lambda t: t.month * 10000 + t.day * 100 + t.hour  # noqa: E731
    values.index = key(pd.DatetimeIndex(times))
    values = values[~((values.index // 100) == 229)]
    values = values[~values.index.duplicated(keep="first")]
    want = key(weather_index)
    missing = ~pd.Index(want).isin(values.index)
    if missing.any():
        first = weather_index[np.flatnonzero(missing)[0]]
        raise InputError(f"{WHAT} {path}: {int(missing.sum())} hour(s) of the weather year have no load, "
                         f"e.g. {first:%m-%d %H:00}: the load does not cover every hour.",
                         fix="Give one row per hour of a whole year (8,760 rows).",
                         zh=f"{WHAT} {path}：负荷数据不完整，气象年中有 {int(missing.sum())} 个小时没有负荷，如 {first:%m-%d %H:00}。",
                         fix_zh="请提供完整一年、每小时一行的数据（8,760 行）。")
    out = values.reindex(want)
    out.index = weather_index
    out.columns = [str(c).strip() for c in out.columns]
    return out.astype(float)
