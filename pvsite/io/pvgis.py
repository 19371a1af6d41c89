"""PVGIS typical meteorological years: download one into ``irradiance/`` (needs internet).

:func:`fetch_pvgis_tmy` asks PVGIS (through :func:`pvlib.iotools.get_pvgis_tmy`)
for the typical year of a point, checks the answer with
:func:`pvsite.io.weather.read_weather` and stores it, unchanged, as a PVGIS TMY
JSON file named by :func:`pvgis_tmy_filename`, written atomically
(:mod:`pvsite.io.atomic`).
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
from pvsite.errors import ConfigError, InputError
from pvsite.io.atomic import atomic_path
from pvsite.io.weather import read_weather

logger = logging.getLogger(__name__)

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
            zh=f"PVGIS 下载：纬度 {latitude!r} / 经度 {longitude!r} 超出范围。",
            fix_zh="请使用十进制度数，纬度 −90…90、经度 −180…180（东经为正），如长宁区 --lat 31.22 --lon 121.42。",
        )
    folder = Path(paths.IRRADIANCE_DIR if dest_dir is None else dest_dir)
    target = folder / pvgis_tmy_filename(lat, lon)
    if target.exists() and not overwrite:
        raise OutputError(
            f"{target} exists already.",
            fix=f"Use it as it is (--weather {target}), or download again with --overwrite.",
            zh=f"{target} 已存在。",
            fix_zh=f"直接使用（--weather {target}），或加 --overwrite 重新下载。",
        )
    by_hand = ("Download a TMY from the PVGIS web site by hand (tool 'TMY', format csv or "
               "json, at this latitude/longitude) or use an EPW, then pass --weather PATH.")
    by_hand_zh = "请从 PVGIS 网站手动下载该经纬度的典型气象年（工具 'TMY'，格式 csv 或 json），或使用 EPW，再传入 --weather PATH。"
    try:
        result = pvlib.iotools.get_pvgis_tmy(
            lat, lon, outputformat="json", map_variables=False, timeout=timeout,
            roll_utc_offset=None, coerce_year=None,
        )
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise InputError(
            f"PVGIS could not be reached ({type(exc).__name__}: {_short(exc)}).",
            fix=by_hand,
            zh=f"无法连接 PVGIS（{type(exc).__name__}：{_short(exc)}）。",
            fix_zh=by_hand_zh,
        ) from exc
    except requests.HTTPError as exc:  # PVGIS answered with an error message
        raise InputError(
            f"PVGIS refused the TMY request for {lat:.3f}, {lon:.3f}: {_short(exc)}.",
            fix="Check the coordinates (PVGIS has no data over the sea); or " + by_hand,
            zh=f"PVGIS 拒绝了 {lat:.3f}, {lon:.3f} 的典型年请求：{_short(exc)}。",
            fix_zh="请检查坐标（PVGIS 在海上没有数据）；或" + by_hand_zh,
        ) from exc
    except requests.RequestException as exc:
        raise InputError(
            f"PVGIS could not be reached ({type(exc).__name__}: {_short(exc)}).",
            fix=by_hand,
            zh=f"无法连接 PVGIS（{type(exc).__name__}：{_short(exc)}）。",
            fix_zh=by_hand_zh,
        ) from exc
    if isinstance(result, tuple) and len(result) == 4:  # pvlib < 0.11
        data, months, inputs, meta = result
        meta = {**(meta or {}), "inputs": inputs, "months_selected": months}
    else:
        data, meta = result
    document = _pvgis_json_document(data, meta, lat, lon)

    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        tmp.write_text(json.dumps(document), encoding="utf-8")
        try:
            checked, _ = read_weather(tmp, format="pvgis-json")
        except InputError as exc:
            raise InputError(
                f"PVGIS answered for {lat:.3f}, {lon:.3f}, but its TMY cannot be used:\n"
                f"{exc.message}",
                fix=by_hand,
                zh=f"PVGIS 返回了 {lat:.3f}, {lon:.3f} 的数据，但其典型年无法使用：{exc.zh or exc.message}",
                fix_zh=by_hand_zh,
            ) from exc
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
