"""Weather readers: every supported file becomes one canonical hourly frame.

``read_weather(path) -> (data, meta)`` and ``default_weather() -> (data, meta)``
are the only entry points the rest of pvsite uses; ``fetch_pvgis_tmy(lat, lon)``
downloads a PVGIS typical year into ``irradiance/`` (needs internet).

Canonical frame (``data``)
--------------------------
* hourly, 8760 or 8784 rows;
* index: tz-aware :class:`pandas.DatetimeIndex` in ``Asia/Shanghai`` labelling
  the **start** of each hourly interval (row ``00:00`` holds the means over
  00:00–01:00); labels are on the full hour unless the caller asked for a
  ``time_shift_min`` (then e.g. ``00:30``, still interval starts);
* columns exactly ``ghi, dni, dhi, temp_air, wind_speed`` (float64) and,
  when the source has it, ``pressure``:

  ===========  ======  =============================================
  column       unit    meaning
  ===========  ======  =============================================
  ghi          W/m²    global horizontal irradiance, hourly mean
  dni          W/m²    direct normal irradiance, hourly mean
  dhi          W/m²    diffuse horizontal irradiance, hourly mean
  temp_air     °C      dry-bulb air temperature
  wind_speed   m/s     wind speed (usually 10 m above ground)
  pressure     Pa      station air pressure (optional)
  ===========  ======  =============================================

Metadata (``meta``)
-------------------
``source`` (file path, or ``'pvsite default'``), ``format`` (one of
:data:`FORMATS`), ``name``, ``latitude`` [°], ``longitude`` [°], ``altitude``
[m], ``is_synthetic`` (bool), ``description`` (one line saying what this
weather is) and ``sha256`` (of the file), plus format-specific extras.

Time conventions of the sources
-------------------------------
* **EPW** (EnergyPlus, incl. Chinese CSWD files): field *hour* = 1…24 labels
  the *end* of the hour in local standard time (``UTC+TZ`` from the LOCATION
  line).  pvsite builds the index itself from the year/month/day/hour fields
  (hour − 1 → start of interval), so it does not depend on how a given pvlib
  version labels :func:`pvlib.iotools.read_epw` output (0.16.1 already
  returns start labels; older versions differed).  EPW radiation is the
  total over the hour *ending* at the label (EnergyPlus Auxiliary Programs,
  "Weather Converter"; the same convention as TMY3), so hour − 1 is right
  for a file that follows the format.  The two CSWD files in the shared
  data do not quite: their irradiance is centred 28 min (Shanghai 58362)
  and 63 min (Hangzhou 58457) after solar noon, and on every day the hour
  containing sunrise is dark (24–33 % of days in pvlib's TMY3 files).
  pvsite keeps the labels by default and warns; ``read_weather(...,
  time_shift_min=-30)`` (Shanghai) / ``-60`` (Hangzhou) is the opt-in fix
  (:data:`CSWD_TIME_SHIFT_MIN`, irradiance/README.md).
* **TMY3** (NSRDB): *Time (HH:MM)* 01:00…24:00 labels the end of the hour in
  local standard time (``TZ`` in the header); shifted back one hour.
* **PVGIS TMY** (csv/json): ``time(UTC)`` ``YYYYMMDD:HH00`` in UTC.  pvsite
  takes the label as the start of the hourly interval (the convention pvlib's
  ``get_pvgis_tmy(roll_utc_offset=...)`` also follows).  PVGIS notes an
  "irradiance time offset" (satellite scan time, ~0.1–0.2 h); it is recorded
  in ``meta`` but not applied.
* **Canonical CSV**: ``time`` in ISO 8601 with offset (``+08:00``), start of
  interval.  Naive times are taken as Asia/Shanghai local time (China has had
  no daylight saving time since 1991).

Typical years (EPW/TMY3/PVGIS) stitch months from different years and label
them in their own time zone.  When the rows do not already form one
contiguous hourly year, pvsite keeps each row's month, day and hour, sets the
year to :data:`TYPICAL_YEAR` (:data:`TYPICAL_LEAP_YEAR` if the file holds
29 February), converts to Asia/Shanghai and wraps the few hours that spill
into the neighbouring year to the other end (the same "coerce and roll" as
pvlib's ``get_pvgis_tmy(roll_utc_offset, coerce_year)``).  Row order is kept
apart from that wrap, and every row keeps its time of day, so the sun stays
where the data saw it.

Checks
------
All problems of a file are collected and raised once as
:class:`pvsite.errors.InputError` naming the file, the rows and the fix:
missing columns, row count other than 8760/8784, gaps or duplicate times,
missing values (NaN or the format's missing-value codes), irradiance below
−5 W/m² (smaller negatives are sensor/model noise and set to 0), irradiance
above 1500 W/m² or GHI peaking below 2 (kW/m² instead of W/m²), air
temperature outside −60…+60 °C (kelvin or °F instead of °C), negative wind.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from pvsite import resources as paths
from pvsite.errors import ConfigError, InputError

logger = logging.getLogger(__name__)

CANONICAL_TZ = "Asia/Shanghai"
REQUIRED_COLUMNS = ("ghi", "dni", "dhi", "temp_air", "wind_speed")
OPTIONAL_COLUMNS = ("pressure",)
FORMATS = ("epw", "pvgis-csv", "pvgis-json", "tmy3", "csv", "pvsite-default")

#: Year given to typical-year rows that come from different years (pvsite
#: convention; any non-leap year would do — the year carries no weather).
TYPICAL_YEAR = 2023
#: Year used instead when a typical year holds 29 February.
TYPICAL_LEAP_YEAR = 2024

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

_HOURS_PER_YEAR = (8760, 8784)
_SHOW = 5  # how many offending rows to list in a message


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def read_weather(
    path: str | os.PathLike,
    columns: Mapping[str, str] | None = None,
    format: str | None = None,
    time_label: str = "start",
    time_shift_min: float = 0.0,
) -> tuple[pd.DataFrame, dict]:
    """Read a weather file into the canonical hourly frame.

    Parameters
    ----------
    path : str or path-like
        EPW (``.epw``, incl. CSWD), PVGIS TMY (``.csv`` or ``.json``), TMY3
        (``.csv``) or a plain/canonical CSV.
    columns : mapping, optional
        Plain CSV only: canonical name → column in the file, e.g.
        ``{"time": "timestamp", "ghi": "GHI_Wm2", "temp_air": "T2m"}``.
        Unmapped canonical names are looked for under their own name.
    format : str, optional
        Force a format (one of ``epw, pvgis-csv, pvgis-json, tmy3, csv``);
        detected from extension and content when ``None``.
    time_label : {'start', 'end'}
        Plain CSV only: whether ``time`` labels the start (canonical) or the
        end of each hourly interval.
    time_shift_min : float, optional
        Opt-in correction of the file's time labels [min], added to every
        label after the format's own convention has been applied (negative =
        the data are moved earlier).  Default 0: pvsite uses the labels as
        the format defines them.  Use it only for a file whose irradiance is
        measurably off the sun (see ``meta['irradiance_noon_offset_min']``
        and :data:`NOON_OFFSET_WARN_MIN`); measured values for the CSWD
        files are in :data:`CSWD_TIME_SHIFT_MIN`.  The whole rows move (all
        columns); rows pushed past either end of the year wrap round to the
        other end, so the frame stays one regular year; labels then fall off
        the full hour (e.g. ``00:30``) and still mark the start of each
        hourly interval.  Applied shifts are logged (warning) and recorded
        in ``meta['time_shift_min']`` and ``meta['description']``.

    Returns
    -------
    data : pandas.DataFrame
        Canonical hourly frame (see module docstring): ghi, dni, dhi [W/m²],
        temp_air [°C], wind_speed [m/s], optional pressure [Pa].
    meta : dict
        source, format, name, latitude [°], longitude [°], altitude [m],
        is_synthetic, description, sha256, time_shift_min [min],
        irradiance_noon_offset_min [min] (after the shift; with a shift also
        ``irradiance_noon_offset_min_as_labelled``), plus format-specific
        extras.

    Raises
    ------
    InputError
        The file is missing, unreadable, or fails a check; the message names
        the file, the rows and the fix.
    ConfigError
        ``time_shift_min`` is not a number within ±:data:`MAX_TIME_SHIFT_MIN`.
    """
    path = Path(path)
    shift_min = _check_time_shift(time_shift_min)
    if not path.is_file():
        raise InputError(
            f"Weather file {path} does not exist.",
            fix="Give the path of an EPW, PVGIS TMY (csv/json), TMY3 or CSV file, "
            "or omit --weather to use the embedded Shanghai default year.",
        )
    fmt = format or detect_format(path)
    if fmt not in FORMATS or fmt == "pvsite-default":
        raise InputError(
            f"Weather file {path}: unknown format {fmt!r}.",
            fix=f"Use one of {', '.join(FORMATS[:-1])}.",
        )
    if columns is not None and fmt != "csv":
        raise InputError(
            f"Weather file {path}: a column mapping only applies to plain CSV files, "
            f"but this file was read as {fmt}.",
            fix="Drop the column mapping, or pass format='csv'.",
        )
    reader = {
        "epw": _read_epw,
        "pvgis-csv": _read_pvgis_csv,
        "pvgis-json": _read_pvgis_json,
        "tmy3": _read_tmy3,
        "csv": lambda p: _read_csv(p, columns=columns, time_label=time_label),
    }[fmt]
    try:
        data, meta = reader(path)
    except InputError:
        raise
    except Exception as exc:  # parser failures: name the file and the format
        raise InputError(
            f"Weather file {path} could not be read as {fmt}: {exc}",
            fix="Check that the file is complete and really is in that format "
            "(or force another with format=...).",
        ) from exc
    data = validate_weather(data, path)
    meta = {
        "source": str(path),
        "format": fmt,
        **meta,
        "sha256": _sha256(path),
    }
    meta = _complete_meta(meta, path)
    meta["time_shift_min"] = shift_min
    as_labelled = None
    if meta.get("longitude") is not None and shift_min:
        as_labelled = irradiance_noon_offset_min(data, float(meta["longitude"]))
        meta["irradiance_noon_offset_min_as_labelled"] = round(as_labelled, 1)
    if shift_min:
        data = shift_time_labels(data, shift_min)
        logger.warning(
            "%s: time labels shifted by %+g min as requested (time_shift_min); the data are "
            "used %g min %s than the file labels them", path, shift_min, abs(shift_min),
            "earlier" if shift_min < 0 else "later",
        )
        meta["description"] = (f"{meta['description'] or path.name}; time labels shifted by "
                               f"{shift_min:+g} min (time_shift_min)")
    if meta.get("longitude") is not None:
        offset = irradiance_noon_offset_min(data, float(meta["longitude"]))
        meta["irradiance_noon_offset_min"] = round(offset, 1)
        if abs(offset) > NOON_OFFSET_WARN_MIN:
            suggest = -30.0 * round(offset / 30.0) + shift_min  # label errors: half/whole hours
            logger.warning(
                "%s: irradiance is centred %.0f min %s solar noon (expected within ±%g min "
                "with start-of-hour labels): the file's time labels may be shifted; pvsite "
                "uses them %s. To follow the sun instead, read it with time_shift_min=%g "
                "(an explicit choice; see irradiance/README.md)", path, abs(offset),
                "after" if offset > 0 else "before", NOON_OFFSET_WARN_MIN,
                "as labelled" if not shift_min else f"shifted by {shift_min:+g} min",
                suggest,
            )
    logger.info(
        "weather %s (%s): %d h, GHI %.0f kWh/m²/yr — %s",
        path.name, fmt, len(data), data["ghi"].sum() / 1000.0, meta["description"],
    )
    return data, meta


def default_weather() -> tuple[pd.DataFrame, dict]:
    """The embedded synthetic Shanghai typical year.

    Reads :data:`pvsite.resources.DEFAULT_WEATHER`
    (``irradiance/shanghai_default_year.csv``), generated by
    ``python -m pvsite.datagen.default_weather`` from the CSWD station 58362 monthly
    statistics (see :mod:`pvsite.datagen.default_weather` and ``irradiance/README.md``).

    Returns
    -------
    data : pandas.DataFrame
        Canonical hourly frame: ghi, dni, dhi [W/m²], temp_air [°C],
        wind_speed [m/s].
    meta : dict
        As :func:`read_weather`, with ``source='pvsite default'``,
        ``format='pvsite-default'``, ``is_synthetic=True`` and ``path``.
    """
    path = paths.DEFAULT_WEATHER
    if not path.is_file():
        raise InputError(
            f"The embedded default weather {path} is missing.",
            fix="Regenerate it with `python -m pvsite.datagen.default_weather`, or pass a real "
            "weather file with --weather.",
        )
    data, meta = read_weather(path, format="csv")
    meta.update(source="pvsite default", format="pvsite-default", path=str(path))
    return data, meta


def detect_format(path: str | os.PathLike) -> str:
    """Tell the weather format of a file from its extension and first lines.

    Parameters
    ----------
    path : str or path-like
        Weather file.

    Returns
    -------
    str
        ``'epw'``, ``'pvgis-json'``, ``'pvgis-csv'``, ``'tmy3'`` or ``'csv'``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".epw":
        return "epw"
    if suffix == ".json":
        return "pvgis-json"
    with open(path, "rb") as f:
        head = [f.readline() for _ in range(2)]
    first = head[0].decode("latin-1").lstrip("\ufeff").strip()
    second = head[1].decode("latin-1").strip() if len(head) > 1 else ""
    if first.upper().startswith("LOCATION,"):
        return "epw"
    if first.startswith("Latitude (decimal degrees)"):
        return "pvgis-csv"
    if second.startswith("Date (MM/DD/YYYY)"):
        return "tmy3"
    return "csv"


def validate_weather(data: pd.DataFrame, source: str | os.PathLike) -> pd.DataFrame:
    """Check a weather frame against the canonical contract; return it clean.

    Collects every problem and raises them together.  Irradiance between
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
        )
    lines = data["_line"].to_numpy() if "_line" in data.columns else np.arange(1, len(data) + 1)
    where = "line" if "_line" in data.columns else "row"
    keep = list(REQUIRED_COLUMNS) + [c for c in OPTIONAL_COLUMNS if c in data.columns]
    frame = data[keep].astype("float64")
    index = pd.DatetimeIndex(frame.index)
    if index.tz is None:
        index = index.tz_localize(CANONICAL_TZ)
    frame.index = index.tz_convert(CANONICAL_TZ).as_unit("ns")
    frame.index.name = "time"

    problems: list[str] = []
    fixes: list[str] = []

    def rows(mask) -> str:
        idx = np.flatnonzero(mask)
        shown = ", ".join(
            f"{where} {lines[i]} ({frame.index[i].isoformat()})" for i in idx[:_SHOW]
        )
        more = f" and {len(idx) - _SHOW} more" if len(idx) > _SHOW else ""
        return shown + more

    n = len(frame)
    step = np.diff(frame.index.tz_convert("UTC").tz_localize(None).to_numpy())
    one_hour = np.timedelta64(1, "h")
    if n not in _HOURS_PER_YEAR:
        problems.append(
            f"{n} rows, but a whole year of hourly data has 8760 rows (8784 in a leap year)"
        )
        fixes.append("supply exactly one whole year of hourly values")
    bad_step = np.flatnonzero(step != one_hour)
    if len(bad_step):
        shown = ", ".join(
            f"after {where} {lines[i]} ({frame.index[i].isoformat()}) next is "
            f"{frame.index[i + 1].isoformat()}"
            for i in bad_step[:_SHOW]
        )
        more = f" and {len(bad_step) - _SHOW} more" if len(bad_step) > _SHOW else ""
        problems.append(f"times are not consecutive hours (gaps, duplicates or disorder): {shown}{more}")
        fixes.append("fill the missing hours (or remove duplicates) so every hour appears once, in order")

    nan = frame[list(REQUIRED_COLUMNS)].isna()
    if nan.to_numpy().any():
        cols = [c for c in REQUIRED_COLUMNS if nan[c].any()]
        problems.append(
            f"{int(nan.any(axis=1).sum())} rows have missing values (NaN or the format's "
            f"missing code) in {cols}: {rows(nan.any(axis=1).to_numpy())}"
        )
        fixes.append("fill the missing values (e.g. interpolate short gaps) before running pvsite")

    irr = frame[["ghi", "dni", "dhi"]]
    too_negative = (irr < NEGATIVE_IRRADIANCE_TOLERANCE_W_M2).any(axis=1).to_numpy()
    if too_negative.any():
        problems.append(
            f"irradiance below {NEGATIVE_IRRADIANCE_TOLERANCE_W_M2:g} W/m² in "
            f"{int(too_negative.sum())} rows: {rows(too_negative)}"
        )
        fixes.append("irradiance cannot be negative: check the columns and their sign")
    ghi_max = float(np.nanmax(frame["ghi"].to_numpy())) if n else 0.0
    if 0.0 < ghi_max < 2.0:
        problems.append(
            f"GHI peaks at {ghi_max:.3g}: the values look like kW/m², pvsite needs W/m²"
        )
        fixes.append("multiply the irradiance columns by 1000 (kW/m² → W/m²)")
    elif ghi_max <= 0.0 and not nan["ghi"].all():
        problems.append("GHI is zero all year")
        fixes.append("check that the GHI column holds the irradiance")
    too_high = (irr > MAX_IRRADIANCE_W_M2).any(axis=1).to_numpy()
    if too_high.any():
        worst = float(np.nanmax(irr.to_numpy()))
        problems.append(
            f"irradiance above {MAX_IRRADIANCE_W_M2:g} W/m² (max {worst:.0f}) in "
            f"{int(too_high.sum())} rows: {rows(too_high)}; no hourly mean at ground level "
            "exceeds the solar constant (1361 W/m²), so the unit is likely wrong "
            "(e.g. kJ/m² or Wh/m² per hour summed over a longer step, or J/cm²)"
        )
        fixes.append("convert irradiance to hourly-mean W/m² (kJ/m² per hour ÷ 3.6)")

    temp = frame["temp_air"].to_numpy()
    lo, hi = TEMP_AIR_RANGE_C
    out = (temp < lo) | (temp > hi)
    if out.any():
        t_min, t_max = float(np.nanmin(temp)), float(np.nanmax(temp))
        if t_min > 200.0:
            hint = "the values look like kelvin"
            fixes.append("convert temp_air to °C (subtract 273.15 from kelvin)")
        elif t_max > hi:
            hint = "the values may be °F or a wrong column"
            fixes.append("convert temp_air to °C ((°F − 32) × 5/9) or map the right column")
        else:
            hint = "check the column and its unit"
            fixes.append("supply air temperature in °C")
        problems.append(
            f"temp_air outside {lo:g}…+{hi:g} °C (min {t_min:.1f}, max {t_max:.1f}) in "
            f"{int(out.sum())} rows: {rows(out)}; {hint}"
        )
    neg_wind = (frame["wind_speed"].to_numpy() < 0)
    if neg_wind.any():
        problems.append(f"negative wind_speed in {int(neg_wind.sum())} rows: {rows(neg_wind)}")
        fixes.append("wind speed is a magnitude in m/s: check the column")

    if problems:
        raise InputError(
            f"Weather file {name} cannot be used:\n  - " + "\n  - ".join(problems),
            fix="; ".join(dict.fromkeys(fixes)) + ".",
        )
    small_negative = (irr < 0).to_numpy()
    if small_negative.any():
        logger.info(
            "%s: %d irradiance values between %g and 0 W/m² set to 0",
            name, int(small_negative.sum()), NEGATIVE_IRRADIANCE_TOLERANCE_W_M2,
        )
        frame[["ghi", "dni", "dhi"]] = irr.clip(lower=0.0)
    return frame


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
    shift_min = _check_time_shift(shift_min)
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


def _check_time_shift(value) -> float:
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
        )
    return shift + 0.0  # -0.0 → 0.0


# ---------------------------------------------------------------------------
# Download (PVGIS)
# ---------------------------------------------------------------------------

#: Seconds to wait for PVGIS (a TMY request usually answers in a few seconds).
PVGIS_TIMEOUT_S = 60.0


def pvgis_tmy_filename(latitude: float, longitude: float) -> str:
    """File name under which :func:`fetch_pvgis_tmy` stores a point's TMY.

    Parameters
    ----------
    latitude : float
        Latitude [°, north positive].
    longitude : float
        Longitude [°, east positive].

    Returns
    -------
    str
        e.g. ``pvgis_tmy_31.220N_121.420E.json`` (3 decimals ≈ 100 m).
    """
    ns = "N" if latitude >= 0 else "S"
    ew = "E" if longitude >= 0 else "W"
    return f"pvgis_tmy_{abs(latitude):.3f}{ns}_{abs(longitude):.3f}{ew}.json"


def fetch_pvgis_tmy(
    latitude: float,
    longitude: float,
    dest_dir: str | os.PathLike | None = None,
    timeout: float = PVGIS_TIMEOUT_S,
    overwrite: bool = False,
) -> Path:
    """Download the PVGIS typical meteorological year of a point (needs internet).

    Calls :func:`pvlib.iotools.get_pvgis_tmy` (JSON output, PVGIS's default
    horizon and years) and stores the answer, unchanged (UTC labels, months
    from their own years, PVGIS variable names), as a PVGIS TMY JSON file
    that :func:`read_weather` reads back.  The file is checked with
    :func:`read_weather` before it replaces anything, and written atomically.

    Parameters
    ----------
    latitude : float
        Latitude [°, north positive], −90…90.
    longitude : float
        Longitude [°, east positive], −180…180.
    dest_dir : str or path-like, optional
        Folder for the file; default :data:`pvsite.resources.IRRADIANCE_DIR`
        (``irradiance/``).
    timeout : float, optional
        Seconds to wait for PVGIS [s].
    overwrite : bool, optional
        Replace an existing file of the same name.

    Returns
    -------
    pathlib.Path
        ``dest_dir / pvgis_tmy_filename(latitude, longitude)``.

    Raises
    ------
    InputError
        PVGIS cannot be reached (no network, timeout), refuses the point
        (e.g. over the sea), or returns a year that fails pvsite's checks.
    ConfigError
        Latitude or longitude out of range.
    OutputError
        The file exists and ``overwrite`` is false.
    """
    import pvlib
    import requests

    from pvsite.errors import OutputError

    lat, lon = float(latitude), float(longitude)
    if not (np.isfinite(lat) and -90.0 <= lat <= 90.0 and np.isfinite(lon)
            and -180.0 <= lon <= 180.0):
        raise ConfigError(
            f"PVGIS download: latitude {latitude!r} / longitude {longitude!r} out of range.",
            fix="Give decimal degrees, latitude −90…90 and longitude −180…180 "
            "(east positive), e.g. --lat 31.22 --lon 121.42 for Changning.",
        )
    folder = Path(paths.IRRADIANCE_DIR if dest_dir is None else dest_dir)
    target = folder / pvgis_tmy_filename(lat, lon)
    if target.exists() and not overwrite:
        raise OutputError(
            f"{target} exists already.",
            fix=f"Use it as it is (--weather {target}), or download again with --overwrite.",
        )
    by_hand = ("Download a TMY from the PVGIS web site by hand (tool 'TMY', format csv or "
               "json, at this latitude/longitude) or use an EPW, then pass --weather PATH.")
    try:
        result = pvlib.iotools.get_pvgis_tmy(
            lat, lon, outputformat="json", map_variables=False, timeout=timeout,
            roll_utc_offset=None, coerce_year=None,
        )
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise InputError(
            f"PVGIS could not be reached ({type(exc).__name__}: {_short(exc)}).",
            fix=by_hand,
        ) from exc
    except requests.HTTPError as exc:  # PVGIS answered with an error message
        raise InputError(
            f"PVGIS refused the TMY request for {lat:.3f}, {lon:.3f}: {_short(exc)}.",
            fix="Check the coordinates (PVGIS has no data over the sea); or " + by_hand,
        ) from exc
    except requests.RequestException as exc:
        raise InputError(
            f"PVGIS could not be reached ({type(exc).__name__}: {_short(exc)}).",
            fix=by_hand,
        ) from exc
    if isinstance(result, tuple) and len(result) == 4:  # pvlib < 0.11
        data, months, inputs, meta = result
        meta = {**(meta or {}), "inputs": inputs, "months_selected": months}
    else:
        data, meta = result
    document = _pvgis_json_document(data, meta, lat, lon)

    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".json", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(document, f)
        try:
            checked, _ = read_weather(tmp, format="pvgis-json")
        except InputError as exc:
            raise InputError(
                f"PVGIS answered for {lat:.3f}, {lon:.3f}, but its TMY cannot be used:\n"
                f"{exc.message}",
                fix=by_hand,
            ) from exc
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    logger.info("PVGIS TMY for %.3f, %.3f written to %s (GHI %.0f kWh/m²/yr)",
                lat, lon, target, checked["ghi"].sum() / 1000.0)
    return target


def _short(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _pvgis_json_document(data: pd.DataFrame, meta: Mapping, lat: float, lon: float) -> dict:
    """The PVGIS TMY JSON layout (inputs / outputs / meta) of a get_pvgis_tmy answer."""
    import pvlib
    from pvlib.iotools.pvgis import VARIABLE_MAP

    pvgis_name = {v: k for k, v in VARIABLE_MAP.items()}
    frame = data.rename(columns=lambda c: pvgis_name.get(c, c))
    frame = frame.drop(columns=[c for c in frame.columns if c == "time(UTC)"])
    index = pd.DatetimeIndex(frame.index)
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    records = frame.astype("float64").round(4)
    records.insert(0, "time(UTC)", np.asarray(index.strftime("%Y%m%d:%H%M")))
    inputs = dict(meta.get("inputs") or {})
    descriptions = inputs.pop("descriptions", {})
    location = dict(inputs.get("location") or {})
    location.setdefault("latitude", lat)
    location.setdefault("longitude", lon)
    inputs["location"] = location
    return {
        "inputs": inputs,
        "outputs": {
            "months_selected": list(meta.get("months_selected") or []),
            "tmy_hourly": records.to_dict(orient="records"),
        },
        "meta": {"inputs": descriptions, "outputs": meta.get("outputs") or {}},
        "pvsite": {
            "fetched_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "request": {"latitude": lat, "longitude": lon, "outputformat": "json",
                        "usehorizon": True},
            "via": f"pvlib {pvlib.__version__} iotools.get_pvgis_tmy",
        },
    }


def write_weather_csv(
    data: pd.DataFrame, meta: Mapping[str, object], path: str | os.PathLike
) -> Path:
    """Write a canonical frame as a canonical pvsite weather CSV (atomically).

    Layout: ``# key: value`` comment lines (name, latitude, longitude,
    altitude, is_synthetic, description, source and any other string-able
    keys given), then a header ``time,ghi,dni,dhi,temp_air,wind_speed``
    (``pressure`` if present) and one row per hour, ``time`` in ISO 8601 with
    the ``+08:00`` offset.  Irradiance is written with 1 decimal [W/m²],
    temperature and wind with 2 [°C, m/s], pressure with 0 [Pa]; the output
    is byte-for-byte deterministic.

    Parameters
    ----------
    data : pandas.DataFrame
        Canonical frame (index in Asia/Shanghai).
    meta : mapping
        Header entries; ``source`` should cite where the data come from.
    path : str or path-like
        Output file; replaced atomically (temp file, then rename).

    Returns
    -------
    pathlib.Path
        The written path.
    """
    path = Path(path)
    index = pd.DatetimeIndex(data.index).tz_convert(CANONICAL_TZ)
    utc_offset = index.tz_localize(None) - index.tz_convert("UTC").tz_localize(None)
    if not (utc_offset == pd.Timedelta(hours=8)).all():
        raise ValueError("write_weather_csv: Asia/Shanghai offset is not +08:00 for every row")
    cols = [c for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if c in data.columns]
    decimals = {"ghi": 1, "dni": 1, "dhi": 1, "temp_air": 2, "wind_speed": 2, "pressure": 0}
    out = {"time": np.asarray(index.strftime("%Y-%m-%dT%H:%M:%S")).astype(str)}
    out["time"] = np.char.add(out["time"], "+08:00")
    for c in cols:
        values = np.round(data[c].to_numpy(dtype="float64"), decimals[c]) + 0.0  # -0.0 → 0.0
        out[c] = np.char.mod(f"%.{decimals[c]}f", values)
    header_keys = ["name", "latitude", "longitude", "altitude", "is_synthetic",
                   "description", "source"]
    lines = []
    for key in header_keys + [k for k in meta if k not in header_keys]:
        if key not in meta or meta[key] is None:
            continue
        value = meta[key]
        if isinstance(value, bool):
            value = "true" if value else "false"
        text = str(value).replace("\n", " ").strip()
        lines.append(f"# {key}: {text}")
    lines.append(",".join(["time", *cols]))
    body = np.array(out["time"], dtype=object)
    for c in cols:
        body = body + "," + np.array(out[c], dtype=object)
    lines.extend(body.tolist())
    payload = ("\n".join(lines) + "\n").encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# ---------------------------------------------------------------------------
# Readers (each returns a frame with canonical columns, a tz-aware start-of-
# hour index, a `_line` column, and partial meta)
# ---------------------------------------------------------------------------

_EPW_MISSING = {"ghi": 9999, "dni": 9999, "dhi": 9999, "temp_air": 99.9,
                "wind_speed": 999, "pressure": 999999}
_EPW_HEADER_LINES = 8


def _read_epw(path: Path) -> tuple[pd.DataFrame, dict]:
    import pvlib

    raw, meta = pvlib.iotools.read_epw(str(path))
    raw = raw.rename(columns={"atmospheric_pressure": "pressure"})
    frame = raw[list(REQUIRED_COLUMNS) + ["pressure"]].astype("float64")
    for col, code in _EPW_MISSING.items():
        frame.loc[frame[col] >= code, col] = np.nan
    if frame["pressure"].isna().all():
        frame = frame.drop(columns="pressure")
    elif frame["pressure"].isna().any():
        frame["pressure"] = frame["pressure"].interpolate(limit_direction="both")
    frame["_line"] = np.arange(len(frame)) + _EPW_HEADER_LINES + 1
    frame.index = _typical_index(
        raw["year"].to_numpy(), raw["month"].to_numpy(), raw["day"].to_numpy(),
        raw["hour"].to_numpy() - 1, utc_offset_h=float(meta["TZ"]), source=path,
    )
    frame = frame.sort_index(kind="stable")
    city, state, country = meta.get("city", ""), meta.get("state-prov", ""), meta.get("country", "")
    data_type = str(meta.get("data_type", "")).strip() or "EPW"
    place = ", ".join(p for p in (city, state, country) if p and str(p).strip() not in ("", "-"))
    wmo = str(meta.get("WMO_code", "")).strip()
    station = f"station {wmo} " if wmo else ""
    kind = "typical year" if data_type.upper() in ("CSWD", "TMY", "TMY2", "TMY3", "IWEC",
                                                    "IWEC2", "CTYW", "SWERA") else "weather year"
    return frame, {
        "name": place or path.stem,
        "latitude": float(meta["latitude"]),
        "longitude": float(meta["longitude"]),
        "altitude": float(meta["altitude"]),
        "is_synthetic": False,
        "description": f"Real {data_type} {kind} (EPW), {station}{place}".strip(),
        "station": wmo or None,
        "data_type": data_type,
        "utc_offset_h": float(meta["TZ"]),
    }


_TMY3_MISSING = -9900.0


def _read_tmy3(path: Path) -> tuple[pd.DataFrame, dict]:
    import pvlib

    raw, meta = pvlib.iotools.read_tmy3(str(path), map_variables=True)
    frame = raw[list(REQUIRED_COLUMNS) + ["pressure"]].astype("float64")
    frame = frame.mask(frame <= _TMY3_MISSING)
    frame["pressure"] = frame["pressure"] * 100.0  # mbar → Pa
    frame["_line"] = np.arange(len(frame)) + 3  # 2 header lines
    date = pd.to_datetime(raw["Date (MM/DD/YYYY)"], format="%m/%d/%Y")
    hour_end = raw["Time (HH:MM)"].str.split(":").str[0].astype(int).to_numpy()
    frame.index = _typical_index(
        date.dt.year.to_numpy(), date.dt.month.to_numpy(), date.dt.day.to_numpy(),
        hour_end - 1, utc_offset_h=float(meta["TZ"]), source=path,
    )
    frame = frame.sort_index(kind="stable")
    station_name = str(meta.get("Name", "")).strip().strip('"').strip()
    state = str(meta.get("State", "")).strip()
    place = ", ".join(p for p in (station_name, state) if p)
    return frame, {
        "name": place or path.stem,
        "latitude": float(meta["latitude"]),
        "longitude": float(meta["longitude"]),
        "altitude": float(meta["altitude"]),
        "is_synthetic": False,
        "description": f"TMY3 typical year, USAF station {meta.get('USAF')} {place}".strip(),
        "station": str(meta.get("USAF")),
        "utc_offset_h": float(meta["TZ"]),
    }


def _read_pvgis_csv(path: Path) -> tuple[pd.DataFrame, dict]:
    import pvlib

    raw, meta = pvlib.iotools.read_pvgis_tmy(str(path), pvgis_format="csv", map_variables=True)
    inputs = meta.get("inputs", {})
    with open(path, "rb") as f:
        header_lines = 0
        for line in f:
            header_lines += 1
            if line.startswith(b"time(UTC)"):
                break
    extra = {"irradiance_time_offset_h": inputs.get("irradiance time offset"),
             "months_selected": meta.get("months_selected")}
    return _pvgis_frame(raw, header_lines, path, float(inputs["latitude"]),
                        float(inputs["longitude"]), float(inputs["elevation"]), extra, "csv")


def _read_pvgis_json(path: Path) -> tuple[pd.DataFrame, dict]:
    import pvlib

    with open(path, encoding="utf-8") as f:
        src = json.load(f)
    if "outputs" not in src or "tmy_hourly" not in src.get("outputs", {}):
        raise InputError(
            f"Weather file {path}: JSON without outputs.tmy_hourly — not a PVGIS TMY file.",
            fix="Download the TMY from PVGIS (tool 'TMY', format json), or convert the "
            "data to a CSV with time,ghi,dni,dhi,temp_air,wind_speed columns.",
        )
    raw, meta = pvlib.iotools.read_pvgis_tmy(str(path), pvgis_format="json", map_variables=True)
    loc = meta.get("inputs", {}).get("location", {})
    meteo = meta.get("inputs", {}).get("meteo_data", {})
    extra = {"irradiance_time_offset_h": loc.get("irradiance_time_offset"),
             "months_selected": meta.get("months_selected"),
             "radiation_db": meteo.get("radiation_db"), "meteo_db": meteo.get("meteo_db"),
             "year_min": meteo.get("year_min"), "year_max": meteo.get("year_max")}
    return _pvgis_frame(raw, None, path, float(loc["latitude"]), float(loc["longitude"]),
                        float(loc["elevation"]), extra, "json")


def _pvgis_frame(raw, header_lines, path, lat, lon, elev, extra, kind):
    cols = list(REQUIRED_COLUMNS) + (["pressure"] if "pressure" in raw.columns else [])
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        raise InputError(
            f"Weather file {path}: Data needs to contain {list(REQUIRED_COLUMNS)}. "
            f"Detected: {list(raw.columns)} (PVGIS names G(h), Gb(n), Gd(h), T2m, WS10m).",
            fix="Download the PVGIS TMY again with all variables.",
        )
    frame = raw[cols].astype("float64")
    first = header_lines + 1 if header_lines else 1  # JSON: record number
    frame["_line"] = np.arange(len(frame)) + first
    idx = pd.DatetimeIndex(raw.index).tz_convert("UTC")
    frame.index = _typical_index(idx.year.to_numpy(), idx.month.to_numpy(), idx.day.to_numpy(),
                                 idx.hour.to_numpy(), utc_offset_h=0.0, source=path)
    frame = frame.sort_index(kind="stable")
    db = extra.get("radiation_db")
    years = (f", years {extra['year_min']}–{extra['year_max']}"
             if extra.get("year_min") and extra.get("year_max") else "")
    dbtext = f" ({db}{years})" if db else years
    meta = {
        "name": f"PVGIS TMY {lat:.3f} N, {lon:.3f} E",
        "latitude": lat, "longitude": lon, "altitude": elev,
        "is_synthetic": False,
        "description": f"PVGIS typical meteorological year{dbtext} for {lat:.3f} N, {lon:.3f} E "
                       f"(satellite/reanalysis-based, {kind} download)",
        **{k: v for k, v in extra.items() if v is not None},
    }
    return frame, meta


_CSV_META_KEYS = ("name", "latitude", "longitude", "altitude", "is_synthetic", "description")


def _read_csv(path: Path, columns=None, time_label="start") -> tuple[pd.DataFrame, dict]:
    if time_label not in ("start", "end"):
        raise InputError(
            f"Weather file {path}: time_label must be 'start' or 'end', got {time_label!r}.",
            fix="Use time_label='start' when each time is the start of its hour (canonical).",
        )
    header: dict[str, str] = {}
    n_comment = 0
    with open(path, encoding="utf-8-sig") as f:
        for line in f:
            if not line.startswith("#"):
                break
            n_comment += 1
            body = line[1:].strip()
            if ":" in body:
                key, value = body.split(":", 1)
                header[key.strip().lower()] = value.strip()
    table = pd.read_csv(path, skiprows=n_comment, encoding="utf-8-sig")
    table.columns = [str(c).strip() for c in table.columns]
    mapping = {c: c for c in ("time", *REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)}
    if columns:
        unknown = [k for k in columns if k not in mapping]
        if unknown:
            raise InputError(
                f"Weather file {path}: unknown canonical name(s) {unknown} in the column mapping.",
                fix=f"Map only {list(mapping)} (canonical name → your column).",
            )
        mapping.update(columns)
    absent = [v for k, v in mapping.items()
              if k not in OPTIONAL_COLUMNS and v not in table.columns]
    if absent:
        required = ["time", *REQUIRED_COLUMNS]
        raise InputError(
            f"Weather file {path}: Data needs to contain {required}. "
            f"Detected: {list(table.columns)} (not found: {absent}).",
            fix="Rename the columns, or map them: read_weather(path, columns="
            "{'ghi': 'your GHI column', 'time': 'your time column', ...}).",
        )
    first_line = n_comment + 2
    frame = pd.DataFrame({k: pd.to_numeric(table[v], errors="coerce")
                          for k, v in mapping.items()
                          if k != "time" and v in table.columns})
    frame["_line"] = np.arange(len(frame)) + first_line
    frame.index = _parse_times(table[mapping["time"]], path, first_line)
    if time_label == "end":
        frame.index = frame.index - pd.Timedelta(hours=1)

    meta: dict[str, object] = {}
    for key, value in header.items():
        if key in ("latitude", "longitude", "altitude"):
            try:
                meta[key] = float(value)
            except ValueError:
                raise InputError(
                    f"Weather file {path}: header line '# {key}: {value}' is not a number.",
                    fix=f"Write the {key} in decimal degrees/metres, e.g. '# {key}: 31.40'.",
                ) from None
        elif key == "is_synthetic":
            meta[key] = value.strip().lower() in ("true", "yes", "1")
        elif key == "source":
            meta["citation"] = value  # meta['source'] is the file path
        else:
            meta[key] = value
    meta.setdefault("name", path.stem)
    meta.setdefault("is_synthetic", False)
    meta.setdefault(
        "description",
        f"Weather from CSV file {path.name}" + (" (synthetic)" if meta["is_synthetic"] else ""),
    )
    for key in ("latitude", "longitude", "altitude"):
        if key not in meta:
            logger.warning("%s: no '# %s: ...' header line; meta[%r] is None", path, key, key)
            meta[key] = None
    return frame, meta


def _parse_times(values: pd.Series, path: Path, first_line: int) -> pd.DatetimeIndex:
    text = values.astype(str).str.strip()
    try:
        parsed = pd.to_datetime(text, format="ISO8601")
    except (ValueError, TypeError):
        try:
            parsed = pd.to_datetime(text, format="ISO8601", utc=True)
        except (ValueError, TypeError) as exc:
            bad = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True).isna().to_numpy()
            i = np.flatnonzero(bad)[:_SHOW]
            shown = ", ".join(f"line {first_line + j} ({text.iloc[j]!r})" for j in i)
            raise InputError(
                f"Weather file {path}: times are not ISO 8601 date-times: {shown}.",
                fix="Write times like 2023-01-01T00:00:00+08:00 (start of each hour).",
            ) from exc
    index = pd.DatetimeIndex(parsed)
    if index.tz is None:
        logger.info("%s: times carry no UTC offset; taken as Asia/Shanghai local time", path)
        index = index.tz_localize(CANONICAL_TZ)
    return index.tz_convert(CANONICAL_TZ)


# ---------------------------------------------------------------------------
# Time handling
# ---------------------------------------------------------------------------


def _typical_index(year, month, day, hour_start, utc_offset_h: float, source) -> pd.DatetimeIndex:
    """Start-of-hour Asia/Shanghai index for rows given as local wall-clock parts.

    If the rows' own years already give one contiguous hourly year, that is
    used (a real year).  Otherwise each row keeps month/day/hour, the year
    becomes :data:`TYPICAL_YEAR` (or :data:`TYPICAL_LEAP_YEAR` when 29 Feb is
    present), and after conversion to Asia/Shanghai the hours spilling into
    the previous/next year are wrapped to the other end of the year.  The
    caller sorts the frame by the returned index (stable), so rows keep their
    order apart from that wrap.
    """
    tz = _dt.timezone(_dt.timedelta(hours=utc_offset_h))
    parts = pd.DataFrame({"year": year, "month": month, "day": day, "hour": hour_start})
    real = pd.to_datetime(parts, errors="coerce")
    if not real.isna().any():
        real_idx = pd.DatetimeIndex(real).tz_localize(tz).tz_convert(CANONICAL_TZ)
        steps = np.diff(real_idx.tz_convert("UTC").tz_localize(None).to_numpy())
        if len(real_idx) in _HOURS_PER_YEAR and (steps == np.timedelta64(1, "h")).all():
            return real_idx
    leap = bool(((parts["month"] == 2) & (parts["day"] == 29)).any())
    target = TYPICAL_LEAP_YEAR if leap else TYPICAL_YEAR
    coerced = pd.to_datetime(parts.assign(year=target), errors="coerce")
    if coerced.isna().any():
        i = np.flatnonzero(coerced.isna().to_numpy())[:_SHOW]
        raise InputError(
            f"Weather file {source}: invalid dates in rows {', '.join(str(j + 1) for j in i)}.",
            fix="Check the date columns of the file.",
        )
    idx = pd.DatetimeIndex(coerced).tz_localize(tz).tz_convert(CANONICAL_TZ)
    local = idx.tz_localize(None)
    start = pd.Timestamp(year=target, month=1, day=1)
    end = pd.Timestamp(year=target + 1, month=1, day=1)
    wall = local.to_numpy().copy()
    after = local >= end
    before = local < start
    if after.any() or before.any():
        # one year has 8760 (8784) hours; wrapping by that many keeps the clock time
        n_hours = 8784 if leap else 8760
        shift = np.timedelta64(n_hours, "h")
        wall[after] = wall[after] - shift
        wall[before] = wall[before] + shift
    logger.info(
        "%s: typical year from mixed years; rows coerced to %d (Asia/Shanghai), "
        "%d hours wrapped across the year end", source, target, int(after.sum() + before.sum()),
    )
    return pd.DatetimeIndex(wall).tz_localize(CANONICAL_TZ)


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _complete_meta(meta: dict, path: Path) -> dict:
    for key in ("name", "latitude", "longitude", "altitude", "description"):
        meta.setdefault(key, None)
    meta["is_synthetic"] = bool(meta.get("is_synthetic", False))
    if meta["name"] is None:
        meta["name"] = path.stem
    return meta
