"""Weather readers: every supported file becomes one canonical hourly frame.

``read_weather(path) -> (data, meta)`` and ``default_weather() -> (data, meta)``
are the only entry points the rest of pvsite uses; the checks of the frame
live in :mod:`pvsite.io.weather_checks`, and
:func:`pvsite.io.pvgis.fetch_pvgis_tmy` downloads a PVGIS typical year into
``irradiance/`` (needs internet).

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
  (:data:`pvsite.io.weather_checks.CSWD_TIME_SHIFT_MIN`, irradiance/README.md).
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
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from pvsite import resources as paths
from pvsite.errors import InputError
from pvsite.io.atomic import write_bytes
from pvsite.io.checksums import sha256_of
from pvsite.io.weather_checks import (
    CANONICAL_TZ,
    HOURS_PER_YEAR,
    MAX_ROWS_SHOWN,
    NOON_OFFSET_WARN_MIN,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    check_time_shift,
    irradiance_noon_offset_min,
    shift_time_labels,
    validate_weather,
)

logger = logging.getLogger(__name__)

FORMATS = ("epw", "pvgis-csv", "pvgis-json", "tmy3", "csv", "pvsite-default")

#: Year given to typical-year rows that come from different years (pvsite
#: convention; any non-leap year would do — the year carries no weather).
TYPICAL_YEAR = 2023
#: Year used instead when a typical year holds 29 February.
TYPICAL_LEAP_YEAR = 2024

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
        files are in :data:`pvsite.io.weather_checks.CSWD_TIME_SHIFT_MIN`.  The whole rows move (all
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
    shift_min = check_time_shift(time_shift_min)
    if not path.is_file():
        raise InputError(
            f"Weather file {path} does not exist.",
            fix="Give the path of an EPW, PVGIS TMY (csv/json), TMY3 or CSV file, "
            "or omit --weather to use the embedded Shanghai default year.",
            zh=f"找不到气象文件 {path}。",
            fix_zh="请给出 EPW、PVGIS 典型年（csv/json）、TMY3 或 CSV 文件的路径，或省略 --weather 使用内置的上海默认气象年。",
        )
    fmt = format or detect_format(path)
    if fmt not in FORMATS or fmt == "pvsite-default":
        raise InputError(
            f"Weather file {path}: unknown format {fmt!r}.",
            fix=f"Use one of {', '.join(FORMATS[:-1])}.",
            zh=f"气象文件 {path}：未知格式 {fmt!r}。",
            fix_zh=f"请使用 {', '.join(FORMATS[:-1])} 之一。",
        )
    if columns is not None and fmt != "csv":
        raise InputError(
            f"Weather file {path}: a column mapping only applies to plain CSV files, "
            f"but this file was read as {fmt}.",
            fix="Drop the column mapping, or pass format='csv'.",
            zh=f"气象文件 {path}：列映射只适用于普通 CSV 文件，但该文件按 {fmt} 读取。",
            fix_zh="请删除列映射，或传入 format='csv'。",
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
            zh=f"气象文件 {path} 无法按 {fmt} 读取：{exc}",
            fix_zh="请检查文件是否完整、是否确为该格式（或用 format=... 指定其他格式）。",
        ) from exc
    data = validate_weather(data, path)
    meta = {
        "source": str(path),
        "format": fmt,
        **meta,
        "sha256": sha256_of(path),
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
            zh=f"内置默认气象文件 {path} 缺失。",
            fix_zh="请用 `python -m pvsite.datagen.default_weather` 重新生成，或用 --weather 传入真实气象文件。",
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
    write_bytes(path, payload)
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
            zh=f"气象文件 {path}：JSON 中没有 outputs.tmy_hourly，不是 PVGIS 典型年文件。",
            fix_zh="请从 PVGIS 下载典型年（工具 'TMY'，格式 json），或把数据转成含 time,ghi,dni,dhi,temp_air,wind_speed 列的 CSV。",
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
            zh=f"气象文件 {path}：数据须包含 {list(REQUIRED_COLUMNS)}。现有：{list(raw.columns)}（PVGIS 列名为 G(h)、Gb(n)、Gd(h)、T2m、WS10m）。",
            fix_zh="请重新下载包含全部变量的 PVGIS 典型年。",
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

#: Column headers of plain CSV files recognised without a mapping: canonical name → header
#: phrases, compared after :func:`normalise_header` (case, punctuation and units in brackets or
#: trailing unit words such as ``W/m2``, ``°C``, ``m/s`` ignored).  The phrases are the EPW field
#: names of the EnergyPlus Auxiliary Programs manual ("Global Horizontal Radiation", "Direct
#: Normal Radiation", "Diffuse Horizontal Radiation", "Dry Bulb Temperature", "Wind Speed",
#: "Atmospheric Station Pressure" [Pa]) as written by EPW-to-CSV converters, and the usual
#: irradiance / irradiation / short-name variants (PVGIS ``T2m``, ``WS10m``).
CSV_COLUMN_ALIASES = {
    "time": ("time", "timestamp", "time stamp", "datetime", "date time", "date and time"),
    "ghi": ("ghi", "global horizontal radiation", "global horizontal irradiance", "global horizontal irradiation",
            "global horizontal", "global radiation", "global solar radiation"),
    "dni": ("dni", "bni", "direct normal radiation", "direct normal irradiance", "direct normal irradiation",
            "direct normal", "beam normal radiation", "beam normal irradiance"),
    "dhi": ("dhi", "dif", "diffuse horizontal radiation", "diffuse horizontal irradiance",
            "diffuse horizontal irradiation", "diffuse horizontal", "diffuse radiation"),
    "temp_air": ("temp air", "dry bulb temperature", "drybulb temperature", "dry bulb temp", "dry bulb",
                 "air temperature", "ambient temperature", "temperature", "temp", "t2m", "tamb"),
    "wind_speed": ("wind speed", "windspeed", "wind speed 10m", "ws", "ws10m", "wind"),
    "pressure": ("atmospheric station pressure",),
}

#: Unit words dropped from the end of a header before it is matched (:func:`normalise_header`).
_UNIT_WORDS = frozenset({"w", "m2", "wm2", "wh", "whm2", "kwh", "kwhm2", "c", "degc", "deg", "m", "s", "ms",
                         "mps", "pa", "per"})


def normalise_header(text: str) -> str:
    """A CSV header as matched against :data:`CSV_COLUMN_ALIASES`.

    Lower case; text in ``()``/``[]``/``{}`` dropped; ``°`` and punctuation become spaces;
    trailing unit words (``W/m2``, ``Wh/m²``, ``C``, ``m/s`` …) dropped.
    E.g. ``"Global Horizontal Radiation (Wh/m2)"`` → ``"global horizontal radiation"``,
    ``"GHI_W/m2"`` → ``"ghi"``, ``"Dry Bulb Temperature {C}"`` → ``"dry bulb temperature"``.
    """
    import re

    t = re.sub(r"[(\[{].*?[)\]}]", " ", str(text).lower()).replace("²", "2").replace("°", " ")
    words = re.sub(r"[^0-9a-z]+", " ", t).split()
    while len(words) > 1 and words[-1] in _UNIT_WORDS:
        words.pop()
    return " ".join(words)


def _auto_columns(path: Path, columns_in_file, mapped: dict) -> dict:
    """Canonical name → file column for the names neither mapped nor present under their own name."""
    norm: dict[str, list[str]] = {}
    for c in columns_in_file:
        norm.setdefault(normalise_header(c), []).append(c)
    taken = set(mapped.values())
    found = {}
    for canon, phrases in CSV_COLUMN_ALIASES.items():
        if canon in mapped or canon in columns_in_file:
            continue
        hits = [c for ph in phrases for c in norm.get(ph, []) if c not in taken]
        hits = list(dict.fromkeys(hits))
        if len(hits) > 1:
            raise InputError(
                f"Weather file {path}: columns {hits} all look like {canon!r}.",
                fix=f"Say which one: [weather.columns] {canon} = \"{hits[0]}\" (or --weather-column {canon}=COLUMN).",
                zh=f"气象文件 {path}：列 {hits} 看起来都是 {canon!r}。",
                fix_zh=f"请指明用哪一列：[weather.columns] {canon} = \"{hits[0]}\"（或 --weather-column {canon}=COLUMN）。",
            )
        if hits:
            found[canon] = hits[0]
            taken.add(hits[0])
    return found


def _read_csv(path: Path, columns=None, time_label="start") -> tuple[pd.DataFrame, dict]:
    if time_label not in ("start", "end"):
        raise InputError(
            f"Weather file {path}: time_label must be 'start' or 'end', got {time_label!r}.",
            fix="Use time_label='start' when each time is the start of its hour (canonical).",
            zh=f"气象文件 {path}：time_label 须为 'start' 或 'end'，实为 {time_label!r}。",
            fix_zh="若每个时刻为该小时的开始（标准做法），请用 time_label='start'。",
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
                zh=f"气象文件 {path}：列映射中有未知的标准名 {unknown}。",
                fix_zh=f"只能映射 {list(mapping)}（标准名 → 你的列名）。",
            )
        mapping.update(columns)
    auto = _auto_columns(path, list(table.columns), dict(columns or {}))
    mapping.update(auto)
    if auto:
        logger.info("%s: columns recognised %s", path, auto)
    if mapping["time"] not in table.columns:
        _epw_time_column(table, header, path)
    absent = [v for k, v in mapping.items()
              if k not in OPTIONAL_COLUMNS and v not in table.columns]
    if absent:
        required = ["time", *REQUIRED_COLUMNS]
        raise InputError(
            f"Weather file {path}: Data needs to contain {required}. "
            f"Detected: {list(table.columns)} (not found: {absent}).",
            fix="Rename the columns, or map them: [weather.columns] in the config "
            "(ghi = \"your GHI column\" …), --weather-column ghi=COLUMN, or read_weather(path, columns="
            "{'ghi': 'your GHI column', 'time': 'your time column', ...}).",
            zh=f"气象文件 {path}：数据须包含 {required}。现有：{list(table.columns)}（缺少：{absent}）。",
            fix_zh="请重命名这些列，或在配置文件中映射：[weather.columns]（ghi = \"你的 GHI 列\" …）、--weather-column ghi=COLUMN，或 read_weather(path, columns={...})。",
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
                    zh=f"气象文件 {path}：表头行 '# {key}: {value}' 不是数字。",
                    fix_zh=f"请以十进制度数/米写出 {key}，如 '# {key}: 31.40'。",
                ) from None
        elif key == "is_synthetic":
            meta[key] = value.strip().lower() in ("true", "yes", "1")
        elif key == "source":
            meta["citation"] = value  # meta['source'] is the file path
        else:
            meta[key] = value
    meta.setdefault("name", path.stem)
    meta["column_mapping"] = {k: v for k, v in mapping.items() if v in table.columns}
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


#: EPW-style date columns of a plain CSV without a time column (EPW ``Hour`` 1–24 ends its hour).
_EPW_DATE_COLUMNS = ("year", "month", "day", "hour")


def _epw_time_column(table: pd.DataFrame, header: dict, path: Path) -> None:
    """Add a ``time`` column (start of each hour, ISO 8601) built from EPW-style Year/Month/Day/Hour columns.

    EPW hours run 1–24 and label the *end* of each hour (EnergyPlus Auxiliary Programs, "Hour");
    the local standard time's UTC offset comes from a ``# utc_offset_h:`` header line, else
    UTC+8 (China Standard Time, as for CSV times without an offset).  Nothing is added when the
    columns are not there (the missing-column message then names ``time``).
    """
    by_name = {normalise_header(c): c for c in table.columns}
    if not all(k in by_name for k in _EPW_DATE_COLUMNS):
        return
    parts = [pd.to_numeric(table[by_name[k]], errors="coerce") for k in _EPW_DATE_COLUMNS]
    if any(p.isna().any() for p in parts) or not parts[3].between(1, 24).all():
        raise InputError(
            f"Weather file {path}: the Year/Month/Day/Hour columns hold blanks or hours outside 1–24.",
            fix="EPW-style hours run 1–24 (end of the hour); or give one ISO 8601 time column.",
            zh=f"气象文件 {path}：Year/Month/Day/Hour 列中有空值或 1–24 以外的小时。",
            fix_zh="EPW 式小时为 1–24（该小时结束时刻）；或改用一个 ISO 8601 时间列。",
        )
    offset = float(header.get("utc_offset_h", 8.0))
    idx = _typical_index(parts[0].to_numpy().astype(int), parts[1].to_numpy().astype(int),
                         parts[2].to_numpy().astype(int), parts[3].to_numpy().astype(int) - 1,
                         utc_offset_h=offset, source=path)
    table["time"] = [t.isoformat() for t in idx]


def _parse_times(values: pd.Series, path: Path, first_line: int) -> pd.DatetimeIndex:
    text = values.astype(str).str.strip()
    try:
        parsed = pd.to_datetime(text, format="ISO8601")
    except (ValueError, TypeError):
        try:
            parsed = pd.to_datetime(text, format="ISO8601", utc=True)
        except (ValueError, TypeError) as exc:
            bad = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True).isna().to_numpy()
            i = np.flatnonzero(bad)[:MAX_ROWS_SHOWN]
            shown = ", ".join(f"line {first_line + j} ({text.iloc[j]!r})" for j in i)
            raise InputError(
                f"Weather file {path}: times are not ISO 8601 date-times: {shown}.",
                fix="Write times like 2023-01-01T00:00:00+08:00 (start of each hour).",
                zh=f"气象文件 {path}：时间不是 ISO 8601 日期时间：{shown}。",
                fix_zh="请把时间写成 2023-01-01T00:00:00+08:00 这样的格式（每小时的开始）。",
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
        if len(real_idx) in HOURS_PER_YEAR and (steps == np.timedelta64(1, "h")).all():
            return real_idx
    leap = bool(((parts["month"] == 2) & (parts["day"] == 29)).any())
    target = TYPICAL_LEAP_YEAR if leap else TYPICAL_YEAR
    coerced = pd.to_datetime(parts.assign(year=target), errors="coerce")
    if coerced.isna().any():
        i = np.flatnonzero(coerced.isna().to_numpy())[:MAX_ROWS_SHOWN]
        raise InputError(
            f"Weather file {source}: invalid dates in rows {', '.join(str(j + 1) for j in i)}.",
            fix="Check the date columns of the file.",
            zh=f"气象文件 {source}：第 {', '.join(str(j + 1) for j in i)} 行的日期无效。",
            fix_zh="请检查文件的日期列。",
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


def _complete_meta(meta: dict, path: Path) -> dict:
    for key in ("name", "latitude", "longitude", "altitude", "description"):
        meta.setdefault(key, None)
    meta["is_synthetic"] = bool(meta.get("is_synthetic", False))
    if meta["name"] is None:
        meta["name"] = path.stem
    return meta
