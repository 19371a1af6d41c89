"""Row spacing, ground coverage and packing, against hand computations.

The hand computations use the spherical-astronomy formulas written out with
``math`` (the arccos form of the azimuth, independent of the atan2 form in
``pvsite.solar.mounting``), and pvlib's SPA for the sun's altitude.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pvsite.config import MountingConfig
from pvsite.errors import ConfigError
from pvsite.solar.mounting import (
    flush_packing_factor,
    ground_coverage_ratio,
    module_area_m2,
    module_dims,
    power_density_w_per_m2,
    rack_rows,
    row_pitch_m,
    shadow_factor,
    solar_altitude_azimuth,
)
from pvsite.presets import load_preset

DEC_WINTER = -23.44  # declination on the December solstice [°]
SITES = {  # name: (latitude [°N], longitude [°E])
    "shenzhen": (22.5, 114.1),
    "shanghai": (31.2, 121.47),
    "beijing": (39.9, 116.4),
}


def hand_sun(lat, dec, omega):
    """Altitude and azimuth-from-south [°] by the textbook formulas."""
    p, d, w = map(math.radians, (lat, dec, omega))
    sin_alt = math.sin(p) * math.sin(d) + math.cos(p) * math.cos(d) * math.cos(w)
    alt = math.asin(sin_alt)
    # cos(azimuth from south) = (sin α sin φ − sin δ) / (cos α cos φ); sign of ω gives E/W.
    cos_az_s = (sin_alt * math.sin(p) - math.sin(d)) / (math.cos(alt) * math.cos(p))
    az_s = math.degrees(math.acos(max(-1.0, min(1.0, cos_az_s))))
    return math.degrees(alt), math.copysign(az_s, omega)  # negative = east of south


def hand_pitch_over_l(lat, tilt, omega, dec=DEC_WINTER):
    """D/L = cosβ + sinβ cos γs / tan αs for due-south rows."""
    alt, az_s = hand_sun(lat, dec, omega)
    b = math.radians(tilt)
    return math.cos(b) + math.sin(b) * math.cos(math.radians(az_s)) / math.tan(math.radians(alt))


# --------------------------------------------------------------------------
# Sun position
# --------------------------------------------------------------------------


def test_sun_shanghai_0900_winter_solstice_by_hand():
    # sin α = sin31.2·sin(−23.44) + cos31.2·cos23.44·cos45
    #       = 0.5180·(−0.3978) + 0.8554·0.9175·0.7071 = −0.2061 + 0.5550 = 0.3489 → α = 20.42°
    alt, az = solar_altitude_azimuth(31.2, DEC_WINTER, -45.0)
    assert alt == pytest.approx(20.42, abs=0.01)
    assert 180.0 - az == pytest.approx(43.8, abs=0.05)  # 43.8° east of south
    h_alt, h_az_s = hand_sun(31.2, DEC_WINTER, -45.0)
    assert alt == pytest.approx(h_alt, abs=1e-9)
    assert az == pytest.approx(180.0 + h_az_s, abs=1e-9)


@pytest.mark.parametrize("omega", [-75.0, -45.0, -10.0, 0.0, 30.0, 60.0])
@pytest.mark.parametrize("lat", [-35.0, 0.0, 22.5, 39.9, 53.0])
@pytest.mark.parametrize("dec", [-23.44, 0.0, 23.44])
def test_sun_atan2_form_matches_arccos_form(lat, dec, omega):
    alt, az = solar_altitude_azimuth(lat, dec, omega)
    h_alt, h_az_s = hand_sun(lat, dec, omega)
    assert alt == pytest.approx(h_alt, abs=1e-9)
    if abs(90 - abs(h_alt)) > 1e-3 and omega != 0.0:  # azimuth undefined at the zenith
        assert (az - 180.0 - h_az_s + 180.0) % 360.0 - 180.0 == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("site", list(SITES))
def test_altitude_matches_pvlib_spa_at_solar_0900(site):
    pvlib = pytest.importorskip("pvlib")
    lat, lon = SITES[site]
    day = pd.Timestamp("2021-12-21", tz="UTC")
    eot_min = float(pvlib.solarposition.equation_of_time_spencer71(day.day_of_year))
    # true solar time = UTC + lon/15 h + EoT  →  UTC of solar 09:00
    utc = day + pd.Timedelta(hours=9.0 - lon / 15.0 - eot_min / 60.0)
    spa = pvlib.solarposition.get_solarposition(pd.DatetimeIndex([utc]), lat, lon)
    alt, az = solar_altitude_azimuth(lat, DEC_WINTER, -45.0)
    assert float(spa["elevation"].iloc[0]) == pytest.approx(float(alt), abs=0.1)
    assert float(spa["azimuth"].iloc[0]) == pytest.approx(float(az), abs=0.1)


# --------------------------------------------------------------------------
# Row pitch on the winter solstice, three latitudes
# --------------------------------------------------------------------------

# Hand values at 09:00 (ω = −45°), β = 20°:
#   Shenzhen 22.5 N: α = asin(0.4472) = 26.56°, γs = 42.3°, D/L = 0.9397 + 0.3420·0.7398/0.4999 = 1.4107
#   Shanghai 31.2 N: α = 20.42°, γs = 43.8°, D/L = 0.9397 + 0.3420·0.7218/0.3723 = 1.6028 → GCR 0.624
#   Beijing  39.9 N: α = asin(0.2425) = 14.04°, γs = 44.7°, D/L = 0.9397 + 0.3420·0.7106/0.2501 = 1.9569
HAND_D_OVER_L = {"shenzhen": 1.4107, "shanghai": 1.6028, "beijing": 1.9569}


@pytest.mark.parametrize("site", list(SITES))
def test_row_pitch_winter_solstice_three_latitudes(site):
    lat, _ = SITES[site]
    L = 2.279
    pitch = float(row_pitch_m(L, 20.0, lat, 9.0, 15.0))
    # the worst instant of 09:00–15:00 for due-south rows is an end (symmetric)
    hand = max(hand_pitch_over_l(lat, 20.0, -45.0), hand_pitch_over_l(lat, 20.0, 45.0))
    assert pitch / L == pytest.approx(hand, rel=1e-9)
    assert pitch / L == pytest.approx(HAND_D_OVER_L[site], abs=2e-4)
    assert float(ground_coverage_ratio(20.0, lat, 9.0, 15.0)) == pytest.approx(1.0 / HAND_D_OVER_L[site], abs=1e-4)


@pytest.mark.parametrize("site", list(SITES))
def test_row_pitch_matches_gb50797_closed_form(site):
    # For ω = −45°, δ = −23.45°, due-south rows the shadow term
    # cosγs/tanαs = (cosω tanφ − tanδ)/(tanφ tanδ + cosω) = (0.707 tanφ + 0.4338)/(0.707 − 0.4338 tanφ)
    lat, _ = SITES[site]
    t = math.tan(math.radians(lat))
    b = math.radians(20.0)
    closed = math.cos(b) + math.sin(b) * (0.707 * t + 0.4338) / (0.707 - 0.4338 * t)
    assert float(shadow_factor(20.0, lat, 9.0, 15.0)) == pytest.approx(closed, rel=2e-3)


def test_shanghai_gcr_is_062():
    assert float(ground_coverage_ratio(20.0, 31.2, 9.0, 15.0)) == pytest.approx(0.624, abs=0.001)


def test_pitch_scales_with_slant_length_and_gcr_does_not():
    p1 = row_pitch_m(1.0, 20.0, 31.2, 9.0, 15.0)
    p2 = row_pitch_m(2.0 * 2.279 + 0.02, 20.0, 31.2, 9.0, 15.0)
    assert float(p2 / p1) == pytest.approx(2.0 * 2.279 + 0.02)
    assert float(ground_coverage_ratio(20.0, 31.2, 9.0, 15.0)) == pytest.approx(1.0 / float(p1))


def test_vectorised_over_tilt_and_latitude():
    tilts = np.array([10.0, 20.0, 30.0])[:, None]
    lats = np.array([22.5, 31.2, 39.9])[None, :]
    f = shadow_factor(tilts, lats, 9.0, 15.0)
    assert f.shape == (3, 3)
    for i, t in enumerate([10.0, 20.0, 30.0]):
        for j, lat in enumerate([22.5, 31.2, 39.9]):
            assert f[i, j] == pytest.approx(hand_pitch_over_l(lat, t, -45.0), rel=1e-9)
    assert np.all(np.diff(f, axis=0) > 0)  # steeper rows need more room
    assert np.all(np.diff(f, axis=1) > 0)  # so does a lower winter sun


def test_flat_laid_modules_need_no_gap():
    assert float(ground_coverage_ratio(0.0, 31.2, 9.0, 15.0)) == pytest.approx(1.0)


# --------------------------------------------------------------------------
# Whole window, rotated rows, hemispheres
# --------------------------------------------------------------------------


def test_rows_facing_sw_and_se_are_mirror_images():
    f_se = float(shadow_factor(20.0, 31.2, 9.0, 15.0, row_azimuth_deg=150.0))
    f_sw = float(shadow_factor(20.0, 31.2, 9.0, 15.0, row_azimuth_deg=210.0))
    assert f_se == pytest.approx(f_sw, rel=1e-12)
    # SW rows: worst at 15:00 where the sun is 43.8° west of south = 16.2° off the row normal
    alt, az_s = hand_sun(31.2, DEC_WINTER, 45.0)
    b = math.radians(20.0)
    hand = math.cos(b) + math.sin(b) * math.cos(math.radians(az_s - 30.0)) / math.tan(math.radians(alt))
    assert f_sw == pytest.approx(hand, rel=1e-6)
    assert f_sw > float(shadow_factor(20.0, 31.2, 9.0, 15.0))  # rotated rows need more room in winter


def test_worst_instant_inside_the_window_is_found():
    # Summer-solstice design day at 30 N: at 09:00 and 15:00 the sun is north of the
    # east-west line (shadow falls forward → term 0), but at noon it stands
    # 90 − (30 − 23.44) = 83.44° high due south: term = tan(6.56°) = 0.1150.
    b = math.radians(20.0)
    hand = math.cos(b) + math.sin(b) * math.tan(math.radians(30.0 - 23.44))
    assert float(shadow_factor(20.0, 30.0, 9.0, 15.0, day="summer_solstice")) == pytest.approx(hand, rel=1e-6)
    assert hand > math.cos(b) + 0.03  # the end points alone would have given cos β


def test_sun_behind_rows_needs_only_the_footprint():
    # 22.5 N on the June solstice: the sun stays north of east–west all window.
    assert float(shadow_factor(20.0, 22.5, 9.0, 15.0, day="summer_solstice")) == pytest.approx(
        math.cos(math.radians(20.0)), rel=1e-12
    )


def test_southern_hemisphere_mirrors_northern():
    # Local winter solstice south of the equator is in June; rows face north.
    north = float(row_pitch_m(2.279, 20.0, 31.2, 9.0, 15.0))
    south = float(row_pitch_m(2.279, 20.0, -31.2, 9.0, 15.0))
    assert south == pytest.approx(north, rel=1e-12)
    # South-facing rows in the southern winter have the sun behind them all window.
    away = float(row_pitch_m(2.279, 20.0, -31.2, 9.0, 15.0, row_azimuth_deg=180.0))
    assert away == pytest.approx(2.279 * math.cos(math.radians(20.0)), rel=1e-12)


def test_window_reaching_night_is_refused():
    # 60 N, Dec 21: sunrise at ω0 = −acos(tan60·tan23.44) = −41.3° → 09:15 solar time.
    with pytest.raises(ConfigError, match="below the horizon"):
        row_pitch_m(2.0, 20.0, 60.0, 9.0, 15.0)
    assert float(row_pitch_m(2.0, 20.0, 60.0, start_hour=10.0, end_hour=14.0)) > 2.0


@pytest.mark.parametrize("kwargs", [dict(start_hour=15.0, end_hour=9.0), dict(day="christmas")])
def test_bad_arguments_raise_config_error(kwargs):
    # Tilts are checked once, by pvsite.config (mounting.flat_tilt_deg in [0, 90)).
    args = dict(tilt_deg=20.0, latitude_deg=31.2, start_hour=9.0, end_hour=15.0) | kwargs
    with pytest.raises(ConfigError):
        shadow_factor(**args)


# --------------------------------------------------------------------------
# Packing and power density
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def module550():
    return load_preset("module", "generic-550w")


def test_flush_packing_factor_by_hand(module550):
    # 2.279 × 1.134 = 2.584386 m²; (2.299 × 1.154) = 2.653046 m² → 0.974120
    assert module_area_m2(module550) == pytest.approx(2.584386, abs=1e-9)
    assert flush_packing_factor(module550, 0.02) == pytest.approx(2.584386 / 2.653046, rel=1e-12)
    assert flush_packing_factor(module550, 0.02) == pytest.approx(0.97412, abs=1e-5)
    assert flush_packing_factor(module550, 0.0) == pytest.approx(1.0)


def test_power_density_by_hand(module550):
    # 550 W / 2.584386 m² = 212.81 W/m² of module; × GCR 0.5 = 106.41 W/m²
    assert float(power_density_w_per_m2(module550, 1.0)) == pytest.approx(212.8165, abs=1e-3)
    np.testing.assert_allclose(
        power_density_w_per_m2(module550, [0.5, 0.624]), [106.408, 132.797], atol=1e-3
    )


def test_bad_module_preset_raises_config_error():
    with pytest.raises(ConfigError, match="length_m"):
        flush_packing_factor({"power_w": 550.0, "width_m": 1.1}, 0.02)
    with pytest.raises(ConfigError, match="positive"):
        module_area_m2({"power_w": 550.0, "length_m": 0.0, "width_m": 1.1})


def test_module_dims(module550):
    assert module_dims(module550) == (550.0, 2.279, 1.134)


# --------------------------------------------------------------------------
# Rack rows: the one evaluation of the row rule
# --------------------------------------------------------------------------


def test_rack_rows_by_hand(module550):
    # 2P at 31.2 N, 20°, 09–15 h: L = 2 × 2.279 + 0.02 = 4.578 m; D/L from the
    # textbook formula at the window's end (due south, symmetric);
    # GCR = (L/D) × (2 × 2.279 / 4.578) × (1.134 / 1.154).
    d_over_l = max(hand_pitch_over_l(31.2, 20.0, -45.0), hand_pitch_over_l(31.2, 20.0, 45.0))
    rows = rack_rows(module550, MountingConfig(), 31.2, 20.0, 180.0)
    assert rows.slant_length_m == pytest.approx(4.578, abs=1e-12)
    assert rows.row_pitch_m.shape == (1,) and rows.ground_coverage_ratio.shape == (1,)
    assert rows.row_pitch_m[0] == pytest.approx(4.578 * d_over_l, rel=1e-9)
    assert rows.row_pitch_m[0] == pytest.approx(7.3375, abs=1e-3)
    gcr = 1.0 / d_over_l * (4.558 / 4.578) * (1.134 / 1.154)
    assert rows.ground_coverage_ratio[0] == pytest.approx(gcr, rel=1e-9)
    # Module area per m² of horizontal field = module area / (pitch × column width / modules per column).
    assert rows.ground_coverage_ratio[0] == pytest.approx(
        2.279 * 1.134 / (rows.row_pitch_m[0] * 1.154 / 2), rel=1e-12)
    one_p = rack_rows(module550, MountingConfig(modules_per_row_portrait=1, module_gap_m=0.0), 31.2, 20.0, 180.0)
    assert one_p.slant_length_m == 2.279
    assert one_p.ground_coverage_ratio[0] == pytest.approx(1.0 / d_over_l, rel=1e-9)


def test_rack_rows_per_plane_equals_the_rule_for_each(module550):
    # Repeated (latitude, tilt, azimuth) are evaluated once; each plane still
    # gets exactly the value of its own arguments.
    lat = np.array([31.2, 39.9, 31.2, 31.2, 39.9])
    tilt = np.array([20.0, 20.0, 20.0, 10.0, 20.0])
    az = np.array([180.0, 180.0, 180.0, 170.0, 180.0])
    rows = rack_rows(module550, MountingConfig(), lat, tilt, az)
    for i in range(len(lat)):
        single = float(row_pitch_m(4.578, tilt[i], lat[i], 9.0, 15.0, row_azimuth_deg=az[i]))
        assert rows.row_pitch_m[i] == pytest.approx(single, rel=1e-12)
    assert rows.row_pitch_m[0] == rows.row_pitch_m[2] and rows.row_pitch_m[1] == rows.row_pitch_m[4]
    assert rows.row_pitch_m[1] > rows.row_pitch_m[0]  # lower winter sun in Beijing
    # An empty set of planes gives empty arrays.
    empty = rack_rows(module550, MountingConfig(), 31.2, np.empty(0), np.empty(0))
    assert len(empty.row_pitch_m) == 0 and len(empty.ground_coverage_ratio) == 0


def test_high_latitude_fallback_keeps_the_sunlit_part_of_the_window():
    # 60 N, Dec 21: the sun stands ≥ 5° from 10:46 to 13:14 solar time; the fallback spaces rows for that window.
    from pvsite.solar.mounting import shade_window

    w = shade_window(60.0, 9.0, 15.0, 5.0)
    assert w.narrowed and w.noon_elevation_deg == pytest.approx(90 - 60 - 23.44)
    fallback = float(row_pitch_m(2.0, 20.0, 60.0, 9.0, 15.0, min_sun_elevation_deg=5.0))
    explicit = float(row_pitch_m(2.0, 20.0, 60.0, w.kept_start_hour, w.kept_end_hour))
    assert fallback == pytest.approx(explicit, rel=1e-9)
    # narrower than the noon-only spacing would be wrong: the window's edges have the lower sun
    noon_only = float(row_pitch_m(2.0, 20.0, 60.0, 12.0, 12.0 + 1e-9))
    assert fallback > noon_only


def test_fallback_leaves_mid_latitudes_alone_and_spaces_for_noon_when_nothing_is_left():
    from pvsite.solar.mounting import shade_window

    for lat in (18.0, 31.2, 45.0, 51.5):
        assert float(row_pitch_m(2.0, 20.0, lat, 9.0, 15.0, min_sun_elevation_deg=5.0)) == pytest.approx(
            float(row_pitch_m(2.0, 20.0, lat, 9.0, 15.0)), rel=1e-12)
        assert not shade_window(lat, 9.0, 15.0, 5.0).narrowed
    # 65 N: the noon sun stands 1.56° up, below 5°: rows spaced for the noon sun (shadow due north)
    noon = 90 - 65 - 23.44
    want = 2.0 * (math.cos(math.radians(20)) + math.sin(math.radians(20)) / math.tan(math.radians(noon)))
    assert float(row_pitch_m(2.0, 20.0, 65.0, 9.0, 15.0, min_sun_elevation_deg=5.0)) == pytest.approx(want, rel=1e-9)
    w = shade_window(65.0, 9.0, 15.0, 5.0)
    assert (w.kept_start_hour, w.kept_end_hour) == (12.0, 12.0)
    with pytest.raises(ConfigError, match="polar night"):
        row_pitch_m(2.0, 20.0, 70.0, 9.0, 15.0, min_sun_elevation_deg=5.0)
