"""Weather readers, the canonical frame contract, and the synthetic default year.

Expected values come from the files themselves (raw EPW/TMY3 columns parsed
independently here), from the CSWD .stat report, or from the shared data
README (annual GHI of the Shanghai CSWD year: 1271 kWh/m²).
"""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pandas as pd
import pytest

from pvsite import resources as paths
from pvsite.errors import ConfigError, InputError, OutputError
from pvsite.io.pvgis import fetch_pvgis_tmy, pvgis_tmy_filename
from pvsite.io.weather import (
    CANONICAL_TZ,
    REQUIRED_COLUMNS,
    default_weather,
    detect_format,
    read_weather,
    write_weather_csv,
)
from pvsite.io.weather_checks import CSWD_TIME_SHIFT_MIN, shift_time_labels
from pvsite.datagen.default_weather import (
    MONTHS,
    SHANGHAI_CSWD_58362,
    bendt_kt_quantile,
    main,
    monthly_stats_from_stat_file,
    monthly_stats_from_weather,
    monthly_table,
    monthly_table_markdown,
    synthesise_year,
)

pvlib = pytest.importorskip("pvlib")
PVLIB_DATA = __import__("pathlib").Path(pvlib.__file__).parent / "data"
DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


# ---------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shanghai_epw(shared_data):
    return shared_data / "weather" / "CHN_Shanghai.Shanghai.583620_CSWD.epw"


@pytest.fixture(scope="module")
def hangzhou_epw(shared_data):
    return shared_data / "weather" / "CHN_Zhejiang.Hangzhou.584570_CSWD.epw"


@pytest.fixture(scope="module")
def shanghai_stat(shared_data):
    return shared_data / "weather" / "CHN_Shanghai.Shanghai.583620_CSWD.stat"


@pytest.fixture(scope="module")
def shanghai(shanghai_epw):
    return read_weather(shanghai_epw)


@pytest.fixture(scope="module")
def default():
    return default_weather()


def _raw_epw_rows(path):
    """EPW data rows as a list of field lists (independent of pvlib)."""
    with open(path, encoding="latin-1") as f:
        return [line.rstrip("\n").split(",") for line in f.readlines()[8:]]


def _assert_canonical(data):
    assert list(data.columns[:5]) == list(REQUIRED_COLUMNS)
    assert set(data.columns) <= set(REQUIRED_COLUMNS) | {"pressure"}
    assert all(dt == np.float64 for dt in data.dtypes)
    assert str(data.index.tz) == CANONICAL_TZ
    assert len(data) in (8760, 8784)
    steps = np.diff(data.index.tz_convert("UTC").tz_localize(None).to_numpy())
    assert (steps == np.timedelta64(1, "h")).all()
    assert not data.isna().to_numpy().any()


def _write_canonical_csv(tmp_path, data, name="w.csv"):
    meta = {"name": "test", "latitude": 31.4, "longitude": 121.45, "altitude": 6.0,
            "is_synthetic": True, "description": "test weather"}
    return write_weather_csv(data, meta, tmp_path / name)


# ---------------------------------------------------------------------------
# EPW (real CSWD files)
# ---------------------------------------------------------------------------


def test_epw_shanghai_canonical_frame(shanghai, shanghai_epw):
    data, meta = shanghai
    _assert_canonical(data)
    assert len(data) == 8760
    # EPW hour 1 of 1 Jan (00:00–01:00 local) is the first row, labelled 00:00
    assert data.index[0] == pd.Timestamp("2005-01-01 00:00", tz=CANONICAL_TZ)
    assert data.index[-1] == pd.Timestamp("2005-12-31 23:00", tz=CANONICAL_TZ)
    rows = _raw_epw_rows(shanghai_epw)
    raw_ghi = np.array([float(r[13]) for r in rows])
    raw_dni = np.array([float(r[14]) for r in rows])
    raw_temp = np.array([float(r[6]) for r in rows])
    np.testing.assert_array_equal(data["ghi"].to_numpy(), raw_ghi)
    np.testing.assert_array_equal(data["dni"].to_numpy(), raw_dni)
    np.testing.assert_array_equal(data["temp_air"].to_numpy(), raw_temp)
    # row for EPW "1/1 hour 10" (09:00–10:00) is labelled 09:00
    i = next(k for k, r in enumerate(rows) if r[1:4] == ["1", "1", "10"])
    assert data.index[i] == pd.Timestamp("2005-01-01 09:00", tz=CANONICAL_TZ)
    assert data["ghi"].sum() == raw_ghi.sum()
    # shared data README: annual GHI 1271, DNI 938, DHI 614 kWh/m², mean 16.7 °C
    assert data["ghi"].sum() / 1000 == pytest.approx(1271, abs=0.5)
    assert data["dni"].sum() / 1000 == pytest.approx(938, abs=0.5)
    assert data["dhi"].sum() / 1000 == pytest.approx(614, abs=0.5)
    assert data["temp_air"].mean() == pytest.approx(16.7, abs=0.05)
    assert data["pressure"].between(90_000, 110_000).all()  # Pa


def test_epw_shanghai_meta(shanghai, shanghai_epw):
    _, meta = shanghai
    assert meta["format"] == "epw"
    assert meta["source"] == str(shanghai_epw)
    assert meta["latitude"] == pytest.approx(31.40)
    assert meta["longitude"] == pytest.approx(121.45)
    assert meta["altitude"] == pytest.approx(5.5)
    assert meta["is_synthetic"] is False
    assert "Shanghai" in meta["name"]
    assert "CSWD" in meta["description"] and "583620" in meta["description"]
    assert meta["sha256"] == hashlib.sha256(shanghai_epw.read_bytes()).hexdigest()
    # the CSWD irradiance comes ~half an hour late relative to the sun
    assert 20 < meta["irradiance_noon_offset_min"] < 40


def test_epw_hangzhou_is_hangzhou(hangzhou_epw):
    data, meta = read_weather(hangzhou_epw)
    _assert_canonical(data)
    assert "Hangzhou" in meta["name"] and "Shanghai" not in meta["name"]
    assert "Shanghai" not in meta["description"]
    assert meta["latitude"] == pytest.approx(30.23)
    assert meta["longitude"] == pytest.approx(120.17)
    # shared data README: 1202 / 801 / 581 kWh/m², 17.0 °C
    assert data["ghi"].sum() / 1000 == pytest.approx(1202, abs=0.5)
    assert data["dni"].sum() / 1000 == pytest.approx(801, abs=0.5)
    assert data["dhi"].sum() / 1000 == pytest.approx(581, abs=0.5)
    assert data["temp_air"].mean() == pytest.approx(17.0, abs=0.05)


def test_epw_missing_code_is_reported(tmp_path, shanghai_epw):
    lines = shanghai_epw.read_text(encoding="latin-1").splitlines(keepends=True)
    fields = lines[8 + 4000].split(",")
    fields[13] = "9999"  # EPW missing-value code for GHI
    lines[8 + 4000] = ",".join(fields)
    bad = tmp_path / "missing_ghi.epw"
    bad.write_text("".join(lines), encoding="latin-1")
    with pytest.raises(InputError) as err:
        read_weather(bad)
    msg = str(err.value)
    assert "missing_ghi.epw" in msg and "missing values" in msg
    assert f"line {8 + 4000 + 1}" in msg  # file line of that data row


# ---------------------------------------------------------------------------
# TMY3 (pvlib's bundled NSRDB files)
# ---------------------------------------------------------------------------


def test_tmy3_greensboro_labels_and_year():
    path = PVLIB_DATA / "723170TYA.CSV"
    if not path.is_file():
        pytest.skip("pvlib's bundled TMY3 file is not installed")
    data, meta = read_weather(path)
    _assert_canonical(data)
    assert meta["format"] == "tmy3" and detect_format(path) == "tmy3"
    assert meta["latitude"] == pytest.approx(36.1) and meta["longitude"] == pytest.approx(-79.95)
    assert "GREENSBORO" in meta["name"]
    raw, _ = pvlib.iotools.read_tmy3(str(path), map_variables=True)
    # the months come from 1976–1990: coerced to one year in Asia/Shanghai time
    assert data.index[0] == pd.Timestamp("2023-01-01 00:00", tz=CANONICAL_TZ)
    assert data.index[-1] == pd.Timestamp("2023-12-31 23:00", tz=CANONICAL_TZ)
    # the TMY3 hour ending 12:00 on 01/01 (11:00–12:00 UTC−5) starts 00:00 2 Jan UTC+8
    row = raw[(raw["Date (MM/DD/YYYY)"] == "01/01/1988") & (raw["Time (HH:MM)"] == "12:00")].iloc[0]
    got = data.loc[pd.Timestamp("2023-01-02 00:00", tz=CANONICAL_TZ)]
    assert row["ghi"] > 0
    for col in ("ghi", "dni", "dhi", "temp_air", "wind_speed"):
        assert got[col] == pytest.approx(float(row[col]))
    assert got["pressure"] == pytest.approx(100.0 * float(row["pressure"]))  # mbar → Pa
    # the 13 hours of 31 Dec after 11:00 local wrap to the start of the year
    last = raw[(raw["Date (MM/DD/YYYY)"].str.startswith("12/31")) & (raw["Time (HH:MM)"] == "12:00")]
    assert data["ghi"].iloc[0] == pytest.approx(float(last["ghi"].iloc[0]))
    assert data["ghi"].sum() == pytest.approx(raw["ghi"].sum())
    # start labels: the daylight centres on solar noon
    assert abs(meta["irradiance_noon_offset_min"]) < 5


def test_tmy3_sand_point():
    path = PVLIB_DATA / "703165TY.csv"
    if not path.is_file():
        pytest.skip("pvlib's bundled TMY3 file is not installed")
    data, meta = read_weather(path)
    _assert_canonical(data)
    assert meta["name"].startswith("SAND POINT")
    assert (data["pressure"] == 101200.0).all()  # the file's constant 1012 mbar
    assert abs(meta["irradiance_noon_offset_min"]) < 5


# ---------------------------------------------------------------------------
# PVGIS TMY (csv and json written here in the real PVGIS layout)
# ---------------------------------------------------------------------------

_MONTH_YEARS = (2018, 2007, 2009, 2013, 2008, 2006, 2011, 2010, 2020, 2006, 2007, 2016)
_PVGIS_COLS = ("T2m", "RH", "G(h)", "Gb(n)", "Gd(h)", "IR(h)", "WS10m", "WD10m", "SP")


def _pvgis_rows(local):
    """The local-time frame as PVGIS TMY rows (UTC labels, months from mixed years)."""
    values = local.to_numpy()
    rolled = np.roll(values, -8, axis=0)  # UTC row i holds local hour i + 8
    utc = pd.date_range("2023-01-01", periods=8760, freq="h")
    years = np.array(_MONTH_YEARS)[utc.month - 1]
    stamps = [f"{y:04d}{m:02d}{d:02d}:{h:02d}00" for y, m, d, h in
              zip(years, utc.month, utc.day, utc.hour)]
    cols = list(local.columns)
    rows = []
    for stamp, v in zip(stamps, rolled):
        rec = dict(zip(cols, v))
        rows.append({"time(UTC)": stamp, "T2m": rec["temp_air"], "RH": 80.0, "G(h)": rec["ghi"],
                     "Gb(n)": rec["dni"], "Gd(h)": rec["dhi"], "IR(h)": 330.0,
                     "WS10m": rec["wind_speed"], "WD10m": 180.0, "SP": 101000.0})
    return rows


def _write_pvgis_csv(path, rows, lat, lon, elev):
    lines = [f"Latitude (decimal degrees): {lat:.3f}", f"Longitude (decimal degrees): {lon:.3f}",
             f"Elevation (m): {elev:.1f}", "Irradiance Time Offset (h): 0.1761", "month,year"]
    lines += [f"{m},{y}" for m, y in enumerate(_MONTH_YEARS, start=1)]
    lines.append("time(UTC)," + ",".join(_PVGIS_COLS))
    lines += [r["time(UTC)"] + "," + ",".join(f"{r[c]:.2f}" for c in _PVGIS_COLS) for r in rows]
    lines += ["", "T2m: 2-m air temperature (degree Celsius)",
              "G(h): Global irradiance on the horizontal plane (W/m2)",
              "PVGIS (c) European Union, 2001-2025"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _write_pvgis_json(path, rows, lat, lon, elev):
    doc = {"inputs": {"location": {"latitude": lat, "longitude": lon, "elevation": elev,
                                   "irradiance_time_offset": 0.1761},
                      "meteo_data": {"radiation_db": "PVGIS-SARAH3", "meteo_db": "ERA5",
                                     "year_min": 2005, "year_max": 2023, "use_horizon": True,
                                     "horizon_db": "DEM-calculated"}},
           "outputs": {"months_selected": [{"month": m, "year": y}
                                           for m, y in enumerate(_MONTH_YEARS, start=1)],
                       "tmy_hourly": [{k: (round(v, 2) if isinstance(v, float) else v)
                                       for k, v in r.items()} for r in rows]},
           "meta": {"inputs": {}, "outputs": {}}}
    path.write_text(json.dumps(doc), encoding="utf-8")


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_pvgis_tmy_roundtrip(tmp_path, default, kind):
    local, _ = default
    rows = _pvgis_rows(local)
    path = tmp_path / f"tmy_31.400_121.450_2005_2023.{kind}"
    (_write_pvgis_csv if kind == "csv" else _write_pvgis_json)(path, rows, 31.4, 121.45, 6.0)
    data, meta = read_weather(path)
    _assert_canonical(data)
    assert meta["format"] == f"pvgis-{kind}"
    assert meta["latitude"] == pytest.approx(31.4) and meta["altitude"] == pytest.approx(6.0)
    assert meta["is_synthetic"] is False and "PVGIS" in meta["description"]
    # UTC labels → Asia/Shanghai start of hour, mixed years → one year, 8 h wrapped
    assert data.index.equals(local.index)
    for col in REQUIRED_COLUMNS:
        np.testing.assert_allclose(data[col].to_numpy(), local[col].to_numpy(), atol=0.006)
    assert (data["pressure"] == 101000.0).all()


# ---------------------------------------------------------------------------
# plain / canonical CSV
# ---------------------------------------------------------------------------


def test_csv_with_column_mapping_and_end_labels(tmp_path, default):
    local, _ = default
    end_naive = (local.index + pd.Timedelta(hours=1)).tz_localize(None)
    table = pd.DataFrame({
        "stamp": end_naive.strftime("%Y-%m-%d %H:%M"),
        "GHI_Wm2": local["ghi"].to_numpy(), "DNI": local["dni"].to_numpy(),
        "DHI": local["dhi"].to_numpy(), "Tair": local["temp_air"].to_numpy(),
        "WS": local["wind_speed"].to_numpy(),
    })
    path = tmp_path / "logger_export.csv"
    table.to_csv(path, index=False)
    data, meta = read_weather(
        path,
        columns={"time": "stamp", "ghi": "GHI_Wm2", "dni": "DNI", "dhi": "DHI",
                 "temp_air": "Tair", "wind_speed": "WS"},
        time_label="end",
    )
    _assert_canonical(data)
    assert data.index.equals(local.index)
    np.testing.assert_allclose(data.to_numpy(), local.to_numpy())
    assert meta["format"] == "csv" and meta["is_synthetic"] is False
    assert meta["name"] == "logger_export" and meta["latitude"] is None


def test_canonical_csv_roundtrip_keeps_meta(tmp_path, default):
    local, _ = default
    meta_in = {"name": "Site X", "latitude": 31.2, "longitude": 121.4, "altitude": 4.0,
               "is_synthetic": False, "description": "Logger data, site X", "source": "own logger"}
    path = write_weather_csv(local, meta_in, tmp_path / "x.csv")
    data, meta = read_weather(path)
    np.testing.assert_allclose(data.to_numpy(), local.to_numpy(), atol=0.006)
    assert (meta["name"], meta["latitude"], meta["longitude"], meta["altitude"]) == (
        "Site X", 31.2, 121.4, 4.0)
    assert meta["is_synthetic"] is False
    assert meta["citation"] == "own logger" and meta["source"] == str(path)


# ---------------------------------------------------------------------------
# bad input: every check names the file and the rows
# ---------------------------------------------------------------------------


def _bad(tmp_path, frame, name):
    path = _write_canonical_csv(tmp_path, frame, name)
    with pytest.raises(InputError) as err:
        read_weather(path)
    msg = str(err.value)
    assert name in msg
    return msg


def test_bad_nan_rows(tmp_path, default):
    frame = default[0].copy()
    frame.iloc[[100, 101, 102], frame.columns.get_loc("ghi")] = np.nan
    msg = _bad(tmp_path, frame, "nan_rows.csv")
    # 6 comment lines + header → data row i (0-based) is on line i + 8
    assert "3 rows have missing values" in msg
    assert "line 108 (2023-01-05T04:00:00+08:00), line 109" in msg
    assert "2023-01-05T04:00:00+08:00" in msg  # row 100 = 4 Jan + 100 h


def test_bad_gap(tmp_path, default):
    frame = default[0].copy()
    extra = frame.iloc[[-1]].copy()
    extra.index = extra.index + pd.Timedelta(hours=1)
    frame = pd.concat([frame.drop(frame.index[5000]), extra])  # still 8760 rows
    msg = _bad(tmp_path, frame, "gap.csv")
    assert "not consecutive hours" in msg
    assert "(2023-07-28T07:00:00+08:00) next is 2023-07-28T09:00:00+08:00" in msg
    assert "8760 rows" not in msg


def test_bad_row_count(tmp_path, default):
    msg = _bad(tmp_path, default[0].iloc[:-1], "short.csv")
    assert "8759 rows" in msg and "8760" in msg


def test_bad_ghi_in_kw(tmp_path, default):
    frame = default[0].copy()
    frame[["ghi", "dni", "dhi"]] /= 1000.0
    msg = _bad(tmp_path, frame, "kw.csv")
    assert "kW/m²" in msg and "1000" in msg


def test_bad_ghi_too_high(tmp_path, default):
    frame = default[0].copy()
    frame[["ghi", "dni", "dhi"]] *= 3.6  # kJ/m² per hour
    msg = _bad(tmp_path, frame, "kj.csv")
    assert "above 1500 W/m²" in msg


def test_bad_temperature_in_kelvin(tmp_path, default):
    frame = default[0].copy()
    frame["temp_air"] += 273.15
    msg = _bad(tmp_path, frame, "kelvin.csv")
    assert "kelvin" in msg and "273.15" in msg and "8760 rows" in msg


def test_bad_missing_column(tmp_path, default):
    msg = _bad(tmp_path, default[0].drop(columns="wind_speed"), "nowind.csv")
    assert "Data needs to contain" in msg and "Detected:" in msg and "wind_speed" in msg


def test_bad_negative_irradiance_and_small_negatives_clipped(tmp_path, default):
    frame = default[0].copy()
    frame.iloc[3, 0] = -3.0  # within tolerance → 0
    path = _write_canonical_csv(tmp_path, frame, "small_negative.csv")
    data, _ = read_weather(path)
    assert data["ghi"].iloc[3] == 0.0
    frame.iloc[3, 0] = -20.0
    msg = _bad(tmp_path, frame, "negative.csv")
    assert "below -5 W/m²" in msg and "line 11 (2023-01-01T03:00:00+08:00)" in msg


def test_missing_file_and_unknown_json(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_weather(tmp_path / "nope.epw")
    path = tmp_path / "other.json"
    path.write_text('{"a": 1}')
    with pytest.raises(InputError, match="other.json"):
        read_weather(path)


# ---------------------------------------------------------------------------
# the synthetic default year
# ---------------------------------------------------------------------------


def test_default_year_is_labelled_synthetic(default):
    data, meta = default
    _assert_canonical(data)
    assert len(data) == 8760 and data.index[0] == pd.Timestamp("2023-01-01", tz=CANONICAL_TZ)
    assert meta["source"] == "pvsite default" and meta["format"] == "pvsite-default"
    assert meta["is_synthetic"] is True
    assert meta["description"].startswith("Synthetic Shanghai typical year")
    assert "58362" in meta["citation"] and "CHN_Shanghai.Shanghai.583620_CSWD.stat" in meta["citation"]
    assert meta["latitude"] == 31.40 and meta["longitude"] == 121.45 and meta["altitude"] == 6.0
    assert abs(meta["irradiance_noon_offset_min"]) < 2  # follows the sun


def test_default_year_matches_cited_monthly_statistics(default):
    data, _ = default
    month = data.index.month
    for col, ref in (("ghi", SHANGHAI_CSWD_58362.ghi_wh_m2_day),
                     ("dhi", SHANGHAI_CSWD_58362.dhi_wh_m2_day),
                     ("dni", SHANGHAI_CSWD_58362.dni_wh_m2_day)):
        per_day = data[col].groupby(month).sum().to_numpy() / DAYS
        np.testing.assert_allclose(per_day, ref, rtol=0.01, err_msg=col)
    annual_ghi = data["ghi"].sum() / 1000
    assert annual_ghi == pytest.approx(1271, rel=0.01)
    # Σ days × "Global Avg" of the .stat = 1271.326 kWh/m²
    assert annual_ghi == pytest.approx((DAYS * SHANGHAI_CSWD_58362.ghi_wh_m2_day).sum() / 1000,
                                       abs=0.05)
    temp = data["temp_air"].groupby(month).mean().to_numpy()
    np.testing.assert_allclose(temp, SHANGHAI_CSWD_58362.temp_air_c, atol=0.01)
    wind = data["wind_speed"].groupby(month).mean().to_numpy()
    np.testing.assert_allclose(wind, SHANGHAI_CSWD_58362.wind_speed_m_s, atol=0.01)


def test_default_year_is_physical(default):
    data, meta = default
    loc = pvlib.location.Location(meta["latitude"], meta["longitude"], CANONICAL_TZ, meta["altitude"])
    zen = loc.get_solarposition(data.index + pd.Timedelta(minutes=30))["apparent_zenith"].to_numpy()
    cos_z = np.clip(np.cos(np.radians(zen)), 0, None)
    assert (data[["ghi", "dni", "dhi"]] >= 0).all().all()
    assert (data["dhi"] <= data["ghi"] + 0.05).all()
    assert (data.loc[zen > 90, "dni"] == 0).all()
    # the CSWD DNI statistic is below closure, so DHI + DNI·cos Z never exceeds GHI
    assert (data["dhi"] + data["dni"] * cos_z <= data["ghi"] + 0.2).all()
    # no steps between months: daily temperature means move < 1 °C a day
    daily = data["temp_air"].resample("D").mean()
    assert daily.diff().abs().max() < 1.0


def test_bendt_distribution_of_daily_clearness():
    # K_min = 0.05; K_max = 0.6313 + 0.267·0.5 − 11.9·(0.5 − 0.75)^8 = 0.764618 (hand)
    assert bendt_kt_quantile(0.0, 0.5) == pytest.approx(0.05, abs=1e-9)
    assert bendt_kt_quantile(1.0, 0.5) == pytest.approx(0.764618, abs=1e-6)
    u = (np.arange(20000) + 0.5) / 20000
    for kt_mean in (0.3, 0.36, 0.45, 0.6):
        k = bendt_kt_quantile(u, kt_mean)
        assert (np.diff(k) > 0).all()
        assert k.mean() == pytest.approx(kt_mean, abs=1e-3)  # γ solved from the mean
    # K̄ = 0.4074 ≈ (K_min + K_max)/2 → γ ≈ 0: uniform, median = mean
    k_max = 0.6313 + 0.267 * 0.4074 - 11.9 * (0.4074 - 0.75) ** 8
    mid = 0.5 * (0.05 + k_max)
    assert bendt_kt_quantile(0.5, mid) == pytest.approx(mid, abs=2e-3)
    # a dull month (K̄ 0.3) is skewed to dull days: median below the mean
    assert bendt_kt_quantile(0.5, 0.3) < 0.3


def test_default_year_has_clear_and_overcast_days(default):
    data, meta = default
    loc = pvlib.location.Location(meta["latitude"], meta["longitude"], CANONICAL_TZ, meta["altitude"])
    clear = loc.get_clearsky(data.index + pd.Timedelta(minutes=30), model="ineichen")
    day_ghi = data["ghi"].resample("D").sum()
    day_cs = clear["ghi"].resample("D").sum()
    month = day_ghi.index.month
    ratio = day_ghi / day_ghi.groupby(month).transform("mean")
    for m in range(1, 13):
        r = ratio[month == m]
        # Bendt et al. spread: overcast days below half, clear days above 1.5× the mean
        assert r.min() < 0.5 and r.max() > 1.5, (m, r.min(), r.max())
    # never brighter than clear sky (1 % for the hour-start vs mid-hour sampling)
    assert (day_ghi <= 1.01 * day_cs).all()
    # clear days are warmer by day: daily max temperature anomaly follows daily GHI
    tmax = data["temp_air"].resample("D").max()
    tmean = data["temp_air"].resample("D").mean()
    corr = pd.DataFrame({"g": ratio, "t": tmax - tmean}).groupby(month).corr().xs("g", level=1)["t"]
    assert (corr > 0.8).all(), corr
    # … while the monthly mean diurnal profile stays the cited one
    hourly = data["temp_air"].groupby([data.index.hour, data.index.month]).mean().unstack()
    cited = np.asarray(SHANGHAI_CSWD_58362.temp_air_hourly_c)
    np.testing.assert_allclose(hourly.to_numpy() - hourly.to_numpy().mean(axis=0),
                               cited - cited.mean(axis=0), atol=0.01)


@pytest.mark.slow
def test_variability_seed_and_switch():
    stats = SHANGHAI_CSWD_58362
    a = synthesise_year(stats, 31.4, 121.45, 6.0)
    b = synthesise_year(stats, 31.4, 121.45, 6.0, seed=1)
    flat = synthesise_year(stats, 31.4, 121.45, 6.0, variability=False)
    pd.testing.assert_frame_equal(a, synthesise_year(stats, 31.4, 121.45, 6.0))  # seeded
    month = a.index.month
    for col in ("ghi", "dhi", "dni", "temp_air"):
        np.testing.assert_allclose(b[col].groupby(month).sum(), a[col].groupby(month).sum(),
                                   rtol=1e-6, err_msg=col)
        np.testing.assert_allclose(flat[col].groupby(month).sum(), a[col].groupby(month).sum(),
                                   rtol=1e-6, err_msg=col)
    day_a, day_b = a["ghi"].resample("D").sum(), b["ghi"].resample("D").sum()
    assert (np.abs(day_a / day_b - 1) > 0.1).mean() > 0.5  # another sequence of days
    # without variability neighbouring days of a month are alike (< 2 % apart)
    day_flat = flat["ghi"].resample("D").sum()
    same_month = day_flat.index.month[1:] == day_flat.index.month[:-1]
    assert (np.abs(day_flat.pct_change().to_numpy()[1:][same_month]) < 0.02).all()
    assert (np.abs(day_a.pct_change().to_numpy()[1:][same_month]) > 0.2).mean() > 0.5


@pytest.mark.slow
def test_regenerate_gives_committed_bytes(tmp_path):
    out = tmp_path / "regen.csv"
    assert main(["-o", str(out), "-q"]) == 0
    assert out.read_bytes() == paths.DEFAULT_WEATHER.read_bytes()
    # a second run finds it identical and leaves it alone; a differing file is refused
    assert main(["-o", str(out), "-q"]) == 0
    out.write_text("x")
    assert main(["-o", str(out), "-q"]) == 4
    assert main(["-o", str(out), "-q", "--overwrite"]) == 0
    assert out.read_bytes() == paths.DEFAULT_WEATHER.read_bytes()


def test_readme_table_is_generated(default):
    readme = (paths.IRRADIANCE_DIR / "README.md").read_text(encoding="utf-8")
    assert monthly_table_markdown(default[0], SHANGHAI_CSWD_58362) in readme


# ---------------------------------------------------------------------------
# statistics and synthesis on real data
# ---------------------------------------------------------------------------


def test_stat_file_parser_gives_the_cited_constants(shanghai_stat):
    parsed = monthly_stats_from_stat_file(shanghai_stat)
    assert parsed == SHANGHAI_CSWD_58362  # every transcribed figure
    assert parsed.ghi_wh_m2_day[0] == 2025 and parsed.dni_wh_m2_day[3] == 2597


def test_stat_agrees_with_its_epw(shanghai, shanghai_stat):
    from_epw = monthly_stats_from_weather(shanghai[0])
    stat = monthly_stats_from_stat_file(shanghai_stat)
    # the .stat prints whole Wh/m²/day (sometimes truncated, e.g. Jan GHI 2025.55 → 2025)
    for name in ("ghi_wh_m2_day", "dhi_wh_m2_day", "dni_wh_m2_day"):
        np.testing.assert_allclose(getattr(from_epw, name), getattr(stat, name), atol=1.0)
    for name in ("temp_air_c", "wind_speed_m_s"):
        np.testing.assert_allclose(getattr(from_epw, name), getattr(stat, name), atol=0.051)
    # (the .stat rounds its hourly table loosely: 8.348 → 8.4)
    np.testing.assert_allclose(from_epw.temp_air_hourly_c, stat.temp_air_hourly_c, atol=0.06)


@pytest.mark.slow
def test_synthesise_from_hangzhou_epw_means(hangzhou_epw):
    real, meta = read_weather(hangzhou_epw)
    stats = monthly_stats_from_weather(real, source="Hangzhou CSWD EPW")
    synth = synthesise_year(stats, meta["latitude"], meta["longitude"], meta["altitude"], year=2005)
    _assert_canonical(synth)
    assert synth.index.equals(real.index)
    table = monthly_table(synth, stats)
    assert table.loc[list(MONTHS), "ghi_diff_pct"].abs().max() < 0.01
    assert table.loc[list(MONTHS), "dhi_diff_pct"].abs().max() < 1.0
    assert table.loc[list(MONTHS), "dni_diff_pct"].abs().max() < 0.5
    np.testing.assert_allclose(synth["temp_air"].groupby(synth.index.month).mean(),
                               stats.temp_air_c, atol=0.01)
    # closure variant: exact closure, DNI no longer imposed (CSWD DNI is below closure)
    closure = synthesise_year(stats, meta["latitude"], meta["longitude"], meta["altitude"],
                              year=2005, dni="closure")
    assert closure["dni"].sum() > 1.05 * real["dni"].sum()
    np.testing.assert_allclose(closure["ghi"], synth["ghi"])


def test_synthesise_leap_year_and_fallback_profiles():
    stats = SHANGHAI_CSWD_58362
    bare = type(stats)(ghi_wh_m2_day=stats.ghi_wh_m2_day, dhi_wh_m2_day=stats.dhi_wh_m2_day,
                       temp_air_c=stats.temp_air_c, wind_speed_m_s=stats.wind_speed_m_s,
                       temp_air_range_c=stats.temp_air_range_c)
    year = synthesise_year(bare, 31.4, 121.45, 6.0, year=2024)
    _assert_canonical(year)
    assert len(year) == 8784
    feb = year[year.index.month == 2]
    assert feb["ghi"].sum() / 29 == pytest.approx(stats.ghi_wh_m2_day[1], rel=1e-6)
    # cosine cycle of the ASHRAE mean daily range: the mean diurnal range equals it
    jan = year[year.index.month == 1]["temp_air"]
    profile = jan.groupby(jan.index.hour).mean()
    assert profile.max() - profile.min() == pytest.approx(stats.temp_air_range_c[0], abs=0.3)
    assert profile.idxmax() in (15, 16)
    # no wind profile: constant monthly mean
    assert year.loc[year.index.month == 3, "wind_speed"].nunique() == 1


def test_detect_format(tmp_path, shanghai_epw):
    assert detect_format(shanghai_epw) == "epw"
    assert detect_format(paths.DEFAULT_WEATHER) == "csv"
    p = tmp_path / "a.csv"
    p.write_text("Latitude (decimal degrees): 31.4\n")
    assert detect_format(p) == "pvgis-csv"


def test_epw_copy_has_different_source_same_data(tmp_path, shanghai_epw, shanghai):
    copy = tmp_path / "copy.epw"
    shutil.copy(shanghai_epw, copy)
    data, meta = read_weather(copy)
    assert meta["source"] == str(copy) and meta["sha256"] == shanghai[1]["sha256"]
    pd.testing.assert_frame_equal(data, shanghai[0])


# ---------------------------------------------------------------------------
# opt-in time shift (CSWD timing)
# ---------------------------------------------------------------------------


def test_no_shift_by_default(shanghai):
    _, meta = shanghai
    assert meta["time_shift_min"] == 0.0
    assert "irradiance_noon_offset_min_as_labelled" not in meta
    assert "shifted" not in meta["description"]


def test_time_shift_shanghai_centres_on_noon(shanghai_epw, shanghai, caplog):
    """Measured: +28.5 min as labelled, −1.5 min with the documented −30 min."""
    shift = CSWD_TIME_SHIFT_MIN["58362"]
    assert shift == -30.0
    with caplog.at_level("WARNING", logger="pvsite.io.weather"):
        data, meta = read_weather(shanghai_epw, time_shift_min=shift)
    assert any("shifted by -30 min" in r.getMessage() for r in caplog.records)
    raw, raw_meta = shanghai
    assert meta["time_shift_min"] == -30.0
    assert "time labels shifted by -30 min" in meta["description"]
    assert meta["irradiance_noon_offset_min_as_labelled"] == raw_meta["irradiance_noon_offset_min"]
    assert meta["irradiance_noon_offset_min"] == pytest.approx(
        raw_meta["irradiance_noon_offset_min"] - 30.0, abs=0.5)
    assert abs(meta["irradiance_noon_offset_min"]) < 5
    assert meta["sha256"] == raw_meta["sha256"]  # same file, recorded shift
    # one regular year, labels on the half hour; the first (night) row wrapped to the end
    assert len(data) == 8760
    assert data.index[0] == pd.Timestamp("2005-01-01 00:30", tz=CANONICAL_TZ)
    assert data.index[-1] == pd.Timestamp("2005-12-31 23:30", tz=CANONICAL_TZ)
    steps = np.diff(data.index.asi8)
    assert (steps == 3_600_000_000_000).all()
    np.testing.assert_array_equal(data.iloc[:-1].to_numpy(), raw.iloc[1:].to_numpy())
    np.testing.assert_array_equal(data.iloc[-1].to_numpy(), raw.iloc[0].to_numpy())
    # EPW "1/1 hour 13" (12:00–13:00 as labelled) is now 11:30–12:30
    assert data.loc[pd.Timestamp("2005-01-01 11:30", tz=CANONICAL_TZ), "ghi"] == \
        raw.loc[pd.Timestamp("2005-01-01 12:00", tz=CANONICAL_TZ), "ghi"]


def test_time_shift_hangzhou_whole_hour(hangzhou_epw):
    raw, raw_meta = read_weather(hangzhou_epw)
    data, meta = read_weather(hangzhou_epw, time_shift_min=CSWD_TIME_SHIFT_MIN["58457"])
    assert raw_meta["irradiance_noon_offset_min"] == pytest.approx(63.5, abs=0.5)
    assert abs(meta["irradiance_noon_offset_min"]) < 5  # measured +3.5
    assert (data.index.minute == 0).all()
    assert data["ghi"].sum() == raw["ghi"].sum()


def test_time_shift_wraps_round_the_year(default):
    data, _ = default
    out = shift_time_labels(data, 90)
    start = data.index[0]
    assert out.index[0] == start + pd.Timedelta(minutes=30)
    assert out.index[-1] == start + pd.Timedelta(hours=8759, minutes=30)
    # the last row (Dec 31 23:00 + 90 min) re-enters at the start of the year
    pd.testing.assert_series_equal(out.iloc[0], data.iloc[-1], check_names=False)
    pd.testing.assert_series_equal(out.iloc[1], data.iloc[0], check_names=False)
    assert shift_time_labels(data, 0) is data


@pytest.mark.parametrize("bad", [181, -500, float("nan"), "half an hour", None])
def test_time_shift_bad_values(bad):
    with pytest.raises(ConfigError, match="time_shift_min"):
        read_weather(paths.DEFAULT_WEATHER, time_shift_min=bad)


# ---------------------------------------------------------------------------
# PVGIS download (network replaced by a fake; this machine has no internet)
# ---------------------------------------------------------------------------


def _fake_pvgis_answer(local, lat, lon, elev):
    """What pvlib.iotools.get_pvgis_tmy(outputformat='json', map_variables=False,
    roll_utc_offset=None, coerce_year=None) returns: PVGIS names, UTC index with
    each month in its own year, meta with inputs/descriptions/months_selected."""
    rows = _pvgis_rows(local)
    frame = pd.DataFrame(rows)
    frame.index = pd.to_datetime(frame.pop("time(UTC)"), format="%Y%m%d:%H%M", utc=True)
    meta = {
        "inputs": {"location": {"latitude": lat, "longitude": lon, "elevation": elev,
                                "irradiance_time_offset": 0.1761},
                   "meteo_data": {"radiation_db": "PVGIS-ERA5", "meteo_db": "ERA5",
                                  "year_min": 2005, "year_max": 2023, "use_horizon": True,
                                  "horizon_db": "DEM-calculated"},
                   "descriptions": {"location": {"description": "Selected location"}}},
        "outputs": {"tmy_hourly": {"description": "Typical Meteorological Year"}},
        "months_selected": [{"month": m, "year": y} for m, y in enumerate(_MONTH_YEARS, 1)],
    }
    return frame, meta


def test_fetch_pvgis_tmy_writes_a_file_read_weather_reads(tmp_path, default, monkeypatch):
    local, _ = default
    calls = []

    def fake(latitude, longitude, **kwargs):
        calls.append((latitude, longitude, kwargs))
        return _fake_pvgis_answer(local, latitude, longitude, 4.0)

    monkeypatch.setattr(pvlib.iotools, "get_pvgis_tmy", fake)
    path = fetch_pvgis_tmy(31.22, 121.42, dest_dir=tmp_path, timeout=7)
    assert path == tmp_path / "pvgis_tmy_31.220N_121.420E.json"
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temp file left
    (lat, lon, kwargs), = calls
    assert (lat, lon) == (31.22, 121.42)
    assert kwargs["timeout"] == 7 and kwargs["outputformat"] == "json"
    assert kwargs["map_variables"] is False and kwargs["coerce_year"] is None

    data, meta = read_weather(path)
    _assert_canonical(data)
    assert meta["format"] == "pvgis-json"
    assert meta["latitude"] == pytest.approx(31.22) and meta["longitude"] == pytest.approx(121.42)
    assert meta["altitude"] == pytest.approx(4.0)
    assert meta["radiation_db"] == "PVGIS-ERA5" and meta["year_min"] == 2005
    assert meta["irradiance_time_offset_h"] == pytest.approx(0.1761)
    assert meta["is_synthetic"] is False and "PVGIS" in meta["description"]
    assert meta["months_selected"][0] == {"month": 1, "year": 2018}
    # UTC rows from mixed years come back as the same local year
    assert data.index.equals(local.index)
    for col in REQUIRED_COLUMNS:
        np.testing.assert_allclose(data[col].to_numpy(), local[col].to_numpy(), atol=0.006)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["outputs"]["tmy_hourly"][0]["time(UTC)"] == "20180101:0000"
    assert doc["pvsite"]["request"] == {"latitude": 31.22, "longitude": 121.42,
                                        "outputformat": "json", "usehorizon": True}

    # a second download does not clobber the first without overwrite
    with pytest.raises(OutputError, match="exists"):
        fetch_pvgis_tmy(31.22, 121.42, dest_dir=tmp_path)
    assert fetch_pvgis_tmy(31.22, 121.42, dest_dir=tmp_path, overwrite=True) == path
    assert len(calls) == 2


def test_fetch_pvgis_default_folder_and_names(monkeypatch, tmp_path):
    monkeypatch.setattr(paths, "IRRADIANCE_DIR", tmp_path / "irr")

    def offline(*args, **kwargs):
        raise __import__("requests").ConnectionError("no route to host")

    monkeypatch.setattr(pvlib.iotools, "get_pvgis_tmy", offline)
    with pytest.raises(InputError):
        fetch_pvgis_tmy(31.22, 121.42)
    assert not (tmp_path / "irr").exists()  # nothing written on failure
    assert pvgis_tmy_filename(-33.8688, -70.6693) == "pvgis_tmy_33.869S_70.669W.json"


@pytest.mark.parametrize("error", ["ConnectionError", "Timeout", "ConnectTimeout"])
def test_fetch_pvgis_network_failure_is_input_error(tmp_path, monkeypatch, error):
    requests = pytest.importorskip("requests")

    def offline(*args, **kwargs):
        raise getattr(requests, error)("Max retries exceeded with url: /api/tmy " + "x" * 500)

    monkeypatch.setattr(pvlib.iotools, "get_pvgis_tmy", offline)
    with pytest.raises(InputError) as info:
        fetch_pvgis_tmy(31.22, 121.42, dest_dir=tmp_path)
    err = info.value
    assert err.message.startswith("PVGIS could not be reached (")
    assert error in err.message and len(err.message) < 300
    assert "by hand" in err.fix and "--weather PATH" in err.fix and "EPW" in err.fix
    assert list(tmp_path.iterdir()) == []


def test_fetch_pvgis_refusal_and_bad_answer(tmp_path, monkeypatch, default):
    requests = pytest.importorskip("requests")

    def refuses(*args, **kwargs):
        raise requests.HTTPError("Location over the sea. Please, select another location")

    monkeypatch.setattr(pvlib.iotools, "get_pvgis_tmy", refuses)
    with pytest.raises(InputError, match="over the sea"):
        fetch_pvgis_tmy(31.0, 123.5, dest_dir=tmp_path)

    local, _ = default

    def truncated(latitude, longitude, **kwargs):
        frame, meta = _fake_pvgis_answer(local, latitude, longitude, 4.0)
        return frame.iloc[:8000], meta

    monkeypatch.setattr(pvlib.iotools, "get_pvgis_tmy", truncated)
    with pytest.raises(InputError, match="8000 rows"):
        fetch_pvgis_tmy(31.22, 121.42, dest_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ConfigError, match="out of range"):
        fetch_pvgis_tmy(121.42, 31.22, dest_dir=tmp_path)


# --- EPW-style CSV headers and the [weather.columns] mapping --------------------------------

@pytest.mark.parametrize("headers", [
    {"ghi": "Global Horizontal Radiation (Wh/m2)", "dni": "Direct Normal Radiation (Wh/m2)",
     "dhi": "Diffuse Horizontal Radiation (Wh/m2)", "temp_air": "Dry Bulb Temperature (C)",
     "wind_speed": "Wind Speed (m/s)"},
    {"ghi": "GHI_W/m2", "dni": "DNI [W/m²]", "dhi": "diffuse_horizontal_irradiance", "temp_air": "Dry Bulb Temp {C}",
     "wind_speed": "WindSpeed"},
])
def test_epw_style_headers_are_recognised(tmp_path, shared_data, headers):
    epw = shared_data / "weather" / "CHN_Shanghai.Shanghai.583620_CSWD.epw"
    path = _epw_style_csv_from(tmp_path, epw, headers)
    data, meta = read_weather(path)
    ref, _ = read_weather(epw)
    assert meta["column_mapping"]["ghi"] == headers["ghi"]
    for c in REQUIRED_COLUMNS:
        np.testing.assert_allclose(data[c].to_numpy(), ref[c].to_numpy(), equal_nan=True)
    assert (data.index == ref.index).all()  # EPW hour 1 = the hour starting at 00:00
    assert data["ghi"].sum() / 1000 == pytest.approx(1271, abs=1)


def _epw_style_csv_from(tmp_path, epw, headers):
    """The real Shanghai CSWD year as a CSV with the given headers and EPW Year/Month/Day/Hour (1–24) columns."""
    import pvlib

    raw, _ = pvlib.iotools.read_epw(str(epw))
    table = pd.DataFrame({"Year": raw["year"].to_numpy(), "Month": raw["month"].to_numpy(),
                          "Day": raw["day"].to_numpy(), "Hour": raw["hour"].to_numpy()})
    for canon in ("ghi", "dni", "dhi", "temp_air", "wind_speed"):
        table[headers[canon]] = raw[canon].to_numpy()
    path = tmp_path / "epw_style.csv"
    path.write_text("# latitude: 31.40\n# longitude: 121.45\n# utc_offset_h: 8\n" + table.to_csv(index=False),
                    encoding="utf-8")
    return path


def test_two_columns_for_one_quantity_are_refused(tmp_path, shared_data):
    epw = shared_data / "weather" / "CHN_Shanghai.Shanghai.583620_CSWD.epw"
    path = _epw_style_csv_from(tmp_path, epw, {"ghi": "GHI", "dni": "DNI", "dhi": "DHI",
                                                "temp_air": "Temperature", "wind_speed": "WS"})
    text = path.read_text(encoding="utf-8").splitlines()
    text[3] += ",Air Temperature"
    text[4:] = [line + ",1.0" for line in text[4:]]
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="temp_air"):
        read_weather(path)
    data, meta = read_weather(path, columns={"temp_air": "Temperature"})
    assert meta["column_mapping"]["temp_air"] == "Temperature"


def test_weather_columns_from_toml_reach_the_reader(tmp_path, shared_data):
    from pvsite.config import load_config
    from pvsite.io.run_inputs import read_weather as run_read_weather

    epw = shared_data / "weather" / "CHN_Shanghai.Shanghai.583620_CSWD.epw"
    path = _epw_style_csv_from(tmp_path, epw, {"ghi": "G_h", "dni": "B_n", "dhi": "D_h", "temp_air": "T_a",
                                                "wind_speed": "v_w"})
    with pytest.raises(InputError, match=r"\[weather.columns\]"):
        read_weather(path)
    toml = tmp_path / "cfg.toml"
    toml.write_text(f'[weather]\npath = "{path.name}"\n[weather.columns]\nghi = "G_h"\ndni = "B_n"\n'
                    'dhi = "D_h"\ntemp_air = "T_a"\nwind_speed = "v_w"\n', encoding="utf-8")
    cfg = load_config(toml)
    assert cfg.weather.columns["dni"] == "B_n"
    data, meta = run_read_weather(cfg)
    assert data["ghi"].sum() / 1000 == pytest.approx(1271, abs=1)
    assert meta["column_mapping"]["wind_speed"] == "v_w"
