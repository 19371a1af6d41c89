"""Weather checks: the canonical hourly frame's contract, and its time labels.

:func:`validate_weather` checks a frame read by :mod:`pvsite.io.weather`
against the contract (columns, 8760/8784 regular hours, no missing values,
irradiance, temperature and wind in physical ranges), collecting every
problem and raising them together.  :func:`irradiance_noon_offset_min` tells
whether the irradiance is centred on solar noon (a diagnostic of the time
labels), and :func:`shift_time_labels` applies the opt-in ``time_shift_min``
correction.  Nothing here opens a file.
"""

from __future__ import annotations

import logging
import os

import numpy as np
import pandas as pd

from pvsite.errors import ConfigError, InputError

logger = logging.getLogger(__name__)

#: Time zone of the canonical frame's index (China Standard Time, UTC+8, no DST since 1991).
CANONICAL_TZ = "Asia/Shanghai"
#: Columns every canonical frame has: ghi, dni, dhi [W/m²], temp_air [°C], wind_speed [m/s].
REQUIRED_COLUMNS = ("ghi", "dni", "dhi", "temp_air", "wind_speed")
#: Columns a canonical frame may have: pressure [Pa].
OPTIONAL_COLUMNS = ("pressure",)

#: Irradiance below this is an error; between it and 0 it is set to 0 [W/m²].
#: Pyranometer night offsets and model noise stay within a few W/m².
NEGATIVE_IRRADIANCE_TOLERANCE_W_M2 = -5.0
#: No hourly mean irradiance at ground level reaches this [W/m²]; the solar
#: constant is 1361 W/m² (Kopp & Lean 2011), observed 1-h GHI peaks ~1200.
MAX_IRRADIANCE_W_M2 = 1500.0
#: Plausible range of near-surface air temperature [°C] (world records are
#: −89 °C and +57 °C; −60…+60 catches kelvin and °F mix-ups in any city).
TEMP_AIR_RANGE_C = (-60.0, 60.0)

#: Warn when the GHI-weighted mean time of day is further than this from solar
#: noon [min].  pvlib's bundled TMY3 files (Greensboro, Sand Point) give −0.1
#: and +2.6 min; the CSWD EPWs give +28 (Shanghai) and +63 (Hangzhou).
NOON_OFFSET_WARN_MIN = 15.0

#: Largest accepted ``time_shift_min`` [min].  Label errors of hourly data are
#: half or whole hours; beyond 3 h the file's time zone is wrong, which is a
#: fix for the file, not for a shift.
MAX_TIME_SHIFT_MIN = 180.0

#: ``time_shift_min`` that centres the irradiance of the two CSWD EPWs on solar
#: noon, measured by pvsite (not published by CSWD): GHI-weighted mean time
#: +28.5 min (Shanghai 58362) and +63.5 min (Hangzhou 58457) after solar
#: noon as labelled; clear-sky shape fit best at −30 and −65 min; sunrise
#: hour dark on every day of both files (see irradiance/README.md, "Time
#: labels of the CSWD files").  Opt-in only: pvsite never applies them itself.
CSWD_TIME_SHIFT_MIN = {"58362": -30.0, "58457": -60.0}

#: Row counts of an hourly year (365 and 366 days) [-].
HOURS_PER_YEAR = (8760, 8784)
#: How many offending rows a message lists [-].
MAX_ROWS_SHOWN = 5


def validate_weather(data: pd.DataFrame, source: str | os.PathLike) -> pd.DataFrame:
    """Check a weather frame against the canonical contract; return it clean.

    Collects every problem of the named checks (:func:`_check_time_axis`,
    :func:`_check_missing`, :func:`_check_irradiance`, :func:`_check_air`)
    and raises them together.  Irradiance between
    :data:`NEGATIVE_IRRADIANCE_TOLERANCE_W_M2` and 0 is set to 0.

    Parameters
    ----------
    data : pandas.DataFrame
        Frame with ghi, dni, dhi [W/m²], temp_air [°C], wind_speed [m/s],
        optional pressure [Pa], index tz-aware (start of each hour).  An
        optional integer column ``_line`` gives each row's line in the source
        file (used in messages, then dropped).
    source : str or path-like
        File the data came from (named in messages).

    Returns
    -------
    pandas.DataFrame
        The canonical frame (float64 columns, Asia/Shanghai index).

    Raises
    ------
    InputError
        Naming the file, the offending rows and the fix.
    """
    name = str(source)
    missing = [c for c in REQUIRED_COLUMNS if c not in data.columns]
    if missing:
        detected = [c for c in data.columns if c != "_line"]
        raise InputError(
            f"Weather file {name}: Data needs to contain {list(REQUIRED_COLUMNS)}. "
            f"Detected: {detected} (missing {missing}).",
            fix="Rename the columns, or map them: read_weather(path, columns="
            "{'ghi': 'your GHI column', ...}).",
            zh=f"气象文件 {name}：数据须包含 {list(REQUIRED_COLUMNS)}。现有：{detected}（缺少 {missing}）。",
            fix_zh="请重命名这些列，或映射：read_weather(path, columns={'ghi': '你的 GHI 列', ...})。",
        )
    frame = _canonical_frame(data)
    rows = _RowNamer(frame, data["_line"].to_numpy() if "_line" in data.columns else None)
    found = [*_check_time_axis(frame, rows), *_check_missing(frame, rows), *_check_irradiance(frame, rows),
             *_check_air(frame, rows)]
    if found:
        problems, fixes = zip(*found)
        raise InputError(
            f"Weather file {name} cannot be used:\n  - " + "\n  - ".join(problems),
            fix="; ".join(dict.fromkeys(fixes)) + ".",
            zh=f"气象文件 {name} 无法使用：有 {len(problems)} 处问题，逐条列在下方英文说明中。",
            fix_zh="请按下方每条说明改正气象文件。",
        )
    irr = frame[["ghi", "dni", "dhi"]]
    small_negative = (irr < 0).to_numpy()
    if small_negative.any():
        logger.info(
            "%s: %d irradiance values between %g and 0 W/m² set to 0",
            name, int(small_negative.sum()), NEGATIVE_IRRADIANCE_TOLERANCE_W_M2,
        )
        frame[["ghi", "dni", "dhi"]] = irr.clip(lower=0.0)
    return frame


def _canonical_frame(data: pd.DataFrame) -> pd.DataFrame:
    """The contract's columns as float64 on an Asia/Shanghai index named ``time``."""
    keep = list(REQUIRED_COLUMNS) + [c for c in OPTIONAL_COLUMNS if c in data.columns]
    frame = data[keep].astype("float64")
    index = pd.DatetimeIndex(frame.index)
    if index.tz is None:
        index = index.tz_localize(CANONICAL_TZ)
    frame.index = index.tz_convert(CANONICAL_TZ).as_unit("ns")
    frame.index.name = "time"
    return frame


class _RowNamer:
    """Names rows in messages: the source file's line numbers when known, else row numbers."""

    def __init__(self, frame: pd.DataFrame, lines: np.ndarray | None):
        self.frame = frame
        self.where = "line" if lines is not None else "row"
        self.lines = lines if lines is not None else np.arange(1, len(frame) + 1)

    def at(self, i: int) -> str:
        return f"{self.where} {self.lines[i]} ({self.frame.index[i].isoformat()})"

    def __call__(self, mask) -> str:
        idx = np.flatnonzero(mask)
        shown = ", ".join(self.at(i) for i in idx[:MAX_ROWS_SHOWN])
        return shown + (f" and {len(idx) - MAX_ROWS_SHOWN} more" if len(idx) > MAX_ROWS_SHOWN else "")


def _check_time_axis(frame: pd.DataFrame, rows: _RowNamer) -> list[tuple[str, str]]:
    """One whole year of consecutive hours."""
    found = []
    n = len(frame)
    if n not in HOURS_PER_YEAR:
        found.append((f"{n} rows, but a whole year of hourly data has 8760 rows (8784 in a leap year)",
                      "supply exactly one whole year of hourly values"))
    step = np.diff(frame.index.tz_convert("UTC").tz_localize(None).to_numpy())
    bad_step = np.flatnonzero(step != np.timedelta64(1, "h"))
    if len(bad_step):
        shown = ", ".join(f"after {rows.at(i)} next is {frame.index[i + 1].isoformat()}"
                          for i in bad_step[:MAX_ROWS_SHOWN])
        more = f" and {len(bad_step) - MAX_ROWS_SHOWN} more" if len(bad_step) > MAX_ROWS_SHOWN else ""
        found.append((f"times are not consecutive hours (gaps, duplicates or disorder): {shown}{more}",
                      "fill the missing hours (or remove duplicates) so every hour appears once, in order"))
    return found


def _check_missing(frame: pd.DataFrame, rows: _RowNamer) -> list[tuple[str, str]]:
    """No NaN (or the format's missing code) in a required column."""
    nan = frame[list(REQUIRED_COLUMNS)].isna()
    if not nan.to_numpy().any():
        return []
    cols = [c for c in REQUIRED_COLUMNS if nan[c].any()]
    return [(f"{int(nan.any(axis=1).sum())} rows have missing values (NaN or the format's "
             f"missing code) in {cols}: {rows(nan.any(axis=1).to_numpy())}",
             "fill the missing values (e.g. interpolate short gaps) before running pvsite")]


def _check_irradiance(frame: pd.DataFrame, rows: _RowNamer) -> list[tuple[str, str]]:
    """Irradiance in hourly-mean W/m²: not negative, not kW/m², not above the solar constant."""
    found = []
    irr = frame[["ghi", "dni", "dhi"]]
    too_negative = (irr < NEGATIVE_IRRADIANCE_TOLERANCE_W_M2).any(axis=1).to_numpy()
    if too_negative.any():
        found.append((f"irradiance below {NEGATIVE_IRRADIANCE_TOLERANCE_W_M2:g} W/m² in "
                      f"{int(too_negative.sum())} rows: {rows(too_negative)}",
                      "irradiance cannot be negative: check the columns and their sign"))
    ghi_max = float(np.nanmax(frame["ghi"].to_numpy())) if len(frame) else 0.0
    if 0.0 < ghi_max < 2.0:
        found.append((f"GHI peaks at {ghi_max:.3g}: the values look like kW/m², pvsite needs W/m²",
                      "multiply the irradiance columns by 1000 (kW/m² → W/m²)"))
    elif ghi_max <= 0.0 and not frame["ghi"].isna().all():
        found.append(("GHI is zero all year", "check that the GHI column holds the irradiance"))
    too_high = (irr > MAX_IRRADIANCE_W_M2).any(axis=1).to_numpy()
    if too_high.any():
        worst = float(np.nanmax(irr.to_numpy()))
        found.append((f"irradiance above {MAX_IRRADIANCE_W_M2:g} W/m² (max {worst:.0f}) in "
                      f"{int(too_high.sum())} rows: {rows(too_high)}; no hourly mean at ground level "
                      "exceeds the solar constant (1361 W/m²), so the unit is likely wrong "
                      "(e.g. kJ/m² or Wh/m² per hour summed over a longer step, or J/cm²)",
                      "convert irradiance to hourly-mean W/m² (kJ/m² per hour ÷ 3.6)"))
    return found


def _check_air(frame: pd.DataFrame, rows: _RowNamer) -> list[tuple[str, str]]:
    """Air temperature in °C within :data:`TEMP_AIR_RANGE_C`; wind speed a magnitude."""
    found = []
    temp = frame["temp_air"].to_numpy()
    lo, hi = TEMP_AIR_RANGE_C
    out = (temp < lo) | (temp > hi)
    if out.any():
        t_min, t_max = float(np.nanmin(temp)), float(np.nanmax(temp))
        if t_min > 200.0:
            hint, fix = "the values look like kelvin", "convert temp_air to °C (subtract 273.15 from kelvin)"
        elif t_max > hi:
            hint, fix = ("the values may be °F or a wrong column",
                         "convert temp_air to °C ((°F − 32) × 5/9) or map the right column")
        else:
            hint, fix = "check the column and its unit", "supply air temperature in °C"
        found.append((f"temp_air outside {lo:g}…+{hi:g} °C (min {t_min:.1f}, max {t_max:.1f}) in "
                      f"{int(out.sum())} rows: {rows(out)}; {hint}", fix))
    neg_wind = frame["wind_speed"].to_numpy() < 0
    if neg_wind.any():
        found.append((f"negative wind_speed in {int(neg_wind.sum())} rows: {rows(neg_wind)}",
                      "wind speed is a magnitude in m/s: check the column"))
    return found


def irradiance_noon_offset_min(data: pd.DataFrame, longitude: float) -> float:
    """GHI-weighted mean time of the hourly data minus solar noon [min].

    A diagnostic of the time convention: for correctly labelled hourly data
    (interval midpoints) the daylight irradiance centres on solar noon within
    a few minutes; an offset near ±30 min suggests end/start labels swapped,
    near whole hours a wrong time zone.

    Parameters
    ----------
    data : pandas.DataFrame
        Canonical frame (ghi [W/m²], index start of hour, Asia/Shanghai).
    longitude : float
        Site longitude [°, east positive].

    Returns
    -------
    float
        Offset [min]; positive means the irradiance comes late.
    """
    import pvlib

    index = pd.DatetimeIndex(data.index).tz_convert(CANONICAL_TZ)
    mid = index + pd.Timedelta(minutes=30)
    eot_min = pvlib.solarposition.equation_of_time_spencer71(mid.day_of_year.to_numpy())
    noon_h = 12.0 - (longitude - 120.0) / 15.0 - eot_min / 60.0  # UTC+8 clock
    hours = mid.hour.to_numpy() + mid.minute.to_numpy() / 60.0
    diff_h = (hours - noon_h + 12.0) % 24.0 - 12.0
    ghi = np.nan_to_num(data["ghi"].to_numpy(dtype="float64"))
    total = ghi.sum()
    return float(60.0 * (ghi * diff_h).sum() / total) if total > 0 else 0.0


def shift_time_labels(data: pd.DataFrame, shift_min: float) -> pd.DataFrame:
    """Move every row's time label by ``shift_min``, wrapping round the year.

    The rows keep their values and order; only the labels move.  Labels that
    leave the span of the data (first label … first label + n hours) re-enter
    at the other end, shifted by the span (8760 or 8784 h), as in pvlib's
    "coerce and roll" of typical years, so the result is again one regular
    hourly year.

    Parameters
    ----------
    data : pandas.DataFrame
        Canonical hourly frame (index start of hour, tz-aware, regular).
    shift_min : float
        Shift added to every label [min]; negative moves the data earlier.

    Returns
    -------
    pandas.DataFrame
        The same rows, relabelled and sorted by time (Asia/Shanghai).
    """
    shift_min = check_time_shift(shift_min)
    if not shift_min:
        return data
    index = pd.DatetimeIndex(data.index).tz_convert(CANONICAL_TZ)
    span = pd.Timedelta(hours=len(index))
    start, end = index[0], index[0] + span
    moved = index + pd.Timedelta(minutes=shift_min)
    moved = moved.where(moved >= start, moved + span)
    moved = moved.where(moved < end, moved - span)
    out = data.copy()
    out.index = pd.DatetimeIndex(moved).tz_convert(CANONICAL_TZ).as_unit("ns")
    out.index.name = data.index.name
    return out.sort_index(kind="stable")


def check_time_shift(value) -> float:
    """``time_shift_min`` as a float [min]; ConfigError unless finite and within ±:data:`MAX_TIME_SHIFT_MIN`."""
    try:
        shift = float(value)
    except (TypeError, ValueError):
        shift = float("nan")
    if not np.isfinite(shift) or abs(shift) > MAX_TIME_SHIFT_MIN:
        raise ConfigError(
            f"Weather time_shift_min must be a number of minutes within "
            f"±{MAX_TIME_SHIFT_MIN:g}, found {value!r}.",
            fix="Use the measured offset of the file, e.g. time_shift_min = -30 for the "
            "Shanghai CSWD EPW (see irradiance/README.md), or 0 to use the labels as they are.",
            zh=f"气象文件的 time_shift_min 须为 ±{MAX_TIME_SHIFT_MIN:g} 以内的分钟数，实为 {value!r}。",
            fix_zh="请使用该文件实测的时间偏移，如上海 CSWD EPW 用 time_shift_min = -30（见 irradiance/README.md），或用 0 按原标签使用。",
        )
    return shift + 0.0  # -0.0 → 0.0
