"""Validation of the weather → energy chain on the real CSWD typical years.

Question (issue "Weather and energy: defensible kWh for every roof"): does a
year synthesised from monthly means (:mod:`pvsite.weather_default`, the
method of pvsite's offline default) give the same annual yield as the real
hourly year it stands in for?  Engine :func:`pvsite.energy.simulate`,
presets generic-550w / pvwatts, the roofs pvsite builds:

* ``flat``: rows at 20° facing south on a flat roof (tilted_rows);
* ``metal S/N`` and ``metal E/W``: a 5° metal-roof pair laid flush, the two
  planes at the ridge axis ± 90° (equal capacity on both);
* ``pitched E/W``: a 25° pitched pair facing east and west (flush).

Deviations are (synthetic − real) / real of the specific yield [%].
Measured with pvlib 0.16.1 (irradiance/README.md holds the full table):

=====================  ===========  ===========  ============  =============
case                   flat 20° S   metal S/N    metal E/W     pitched E/W
=====================  ===========  ===========  ============  =============
Shanghai, as labelled  +2.65        +1.69        +1.72         +3.30
Shanghai, −30 min      +1.97        +0.95        +0.98         +2.98
default vs Shanghai    +2.64        +1.68        +1.71         +3.29
default vs Sh. −30     +2.04        +1.04        +1.07         +3.07
Hangzhou, as labelled  +0.94        −0.03        −0.02         +1.66
Hangzhou, −60 min      −3.11        −3.87        −3.81         −0.52
=====================  ===========  ===========  ============  =============

Single east/west planes are where the CSWD timing lag shows (the real
irradiance peaks 28 min / 63 min after solar noon as labelled): Shanghai
pitched east +8.3 %, west −1.3 % as labelled, +3.5 % / +2.5 % with the
−30 min shift.  The remaining +2–3 % of the synthetic year is its cooler
modules (every day is the month's average day, no hot clear days): with the
temperature coefficient set to 0 the deviation drops below 0.5 %.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from pvsite import energy
from pvsite.presets import load_preset
from pvsite.weather import CSWD_TIME_SHIFT_MIN, default_weather, read_weather
from pvsite.weather_default import monthly_stats_from_weather, synthesise_year

SHANGHAI_EPW = "weather/CHN_Shanghai.Shanghai.583620_CSWD.epw"
HANGZHOU_EPW = "weather/CHN_Zhejiang.Hangzhou.584570_CSWD.epw"

PLANES = pd.DataFrame(
    [(20.0, 180.0, "tilted_rows"), (5.0, 180.0, "flush"), (5.0, 0.0, "flush"),
     (5.0, 90.0, "flush"), (5.0, 270.0, "flush"), (25.0, 90.0, "flush"),
     (25.0, 270.0, "flush")],
    columns=["tilt_deg", "azimuth_deg", "mounting"],
    index=["flat_S", "metal_S", "metal_N", "metal_E", "metal_W", "pitched_E", "pitched_W"],
)
#: Roof cases → planes (equal capacity on each plane of a pair).
CASES = {
    "flat 20° S rows": ["flat_S"],
    "metal 5° pair S/N": ["metal_S", "metal_N"],
    "metal 5° pair E/W": ["metal_E", "metal_W"],
    "pitched 25° pair E/W": ["pitched_E", "pitched_W"],
}
TARGET_PCT = 3.0  # the criterion


@pytest.fixture(scope="module")
def presets():
    return load_preset("module", "generic-550w"), load_preset("losses", "pvwatts")


@pytest.fixture(scope="module")
def years(shared_data):
    """Real years (as labelled and with the documented shift), the synthetic
    year built from each one's own monthly means, and pvsite's default."""
    logging.getLogger("pvsite.weather").setLevel(logging.ERROR)
    out = {}
    for key, rel, station in (("shanghai", SHANGHAI_EPW, "58362"),
                              ("hangzhou", HANGZHOU_EPW, "58457")):
        for suffix, shift in (("", 0.0), ("_shifted", CSWD_TIME_SHIFT_MIN[station])):
            data, meta = read_weather(shared_data / rel, time_shift_min=shift)
            out[key + suffix] = (data, meta)
            stats = monthly_stats_from_weather(data)
            synth = synthesise_year(stats, meta["latitude"], meta["longitude"], meta["altitude"])
            out[key + suffix + "_synth"] = (synth, meta)
    out["default"] = default_weather()
    return out


@pytest.fixture(scope="module")
def yields(years, presets):
    """Specific yield [kWh/kWp] and POA [kWh/m²] of PLANES for every year."""
    module, losses = presets
    res = {}
    for key, (data, meta) in years.items():
        res[key] = energy.simulate(data, meta["latitude"], meta["longitude"], meta["altitude"],
                                   PLANES, module, losses)
    return res


def case_yield(table: pd.DataFrame) -> pd.Series:
    y = table["specific_yield_kwh_per_kwp"]
    return pd.Series({case: y[planes].mean() for case, planes in CASES.items()})


def deviation_pct(yields, synth: str, real: str) -> pd.Series:
    return 100.0 * (case_yield(yields[synth]) / case_yield(yields[real]) - 1.0)


# ---------------------------------------------------------------------------
# (a) Shanghai: synthesised from the EPW's own monthly means
# ---------------------------------------------------------------------------


def test_synthesis_reproduces_shanghai_south_and_metal(yields):
    """Flat rows and both metal pairs within 3 %, as labelled and shifted."""
    for real in ("shanghai", "shanghai_shifted"):
        dev = deviation_pct(yields, real + "_synth", real)
        for case in ("flat 20° S rows", "metal 5° pair S/N", "metal 5° pair E/W"):
            assert abs(dev[case]) < TARGET_PCT, (real, case, dev[case])
        # the synthetic year is a little optimistic, never pessimistic, here
        assert (dev > 0).all(), dev


def test_synthesis_pitched_ew_pair_needs_the_timing_fix(yields):
    """Pitched E/W: +3.3 % as labelled (misses 3 %), +2.98 % with −30 min.

    As labelled the real file gives west roofs 9.5 % more than east ones
    because its irradiance comes late; the synthetic year follows the sun
    (east ≈ west).  With the documented shift the real year is symmetric
    too and every single plane is within 3.5 %.
    """
    dev = deviation_pct(yields, "shanghai_synth", "shanghai")
    assert TARGET_PCT < dev["pitched 25° pair E/W"] < 3.6
    y_real = yields["shanghai"]["specific_yield_kwh_per_kwp"]
    y_syn = yields["shanghai_synth"]["specific_yield_kwh_per_kwp"]
    assert y_real["pitched_W"] / y_real["pitched_E"] > 1.08  # measured 1.095
    assert y_syn["pitched_W"] / y_syn["pitched_E"] == pytest.approx(1.0, abs=0.01)

    dev = deviation_pct(yields, "shanghai_shifted_synth", "shanghai_shifted")
    assert abs(dev["pitched 25° pair E/W"]) < TARGET_PCT
    y_fix = yields["shanghai_shifted"]["specific_yield_kwh_per_kwp"]
    assert y_fix["pitched_W"] / y_fix["pitched_E"] == pytest.approx(1.0, abs=0.015)
    single = 100 * (yields["shanghai_shifted_synth"]["specific_yield_kwh_per_kwp"] / y_fix - 1)
    assert (single.abs() < 3.5).all(), single


def test_synthesis_bias_is_module_temperature_not_irradiance(years, yields, presets):
    """With the lag removed, POA is reproduced within 2 % on every plane
    (measured −1.8 … +0.8 %, flat rows 0.0 %); the yield is 2–3.5 % higher
    because the performance ratio is: the average-day year has no hot clear
    days.  With a zero temperature coefficient the PR difference vanishes
    (< 0.5 %)."""
    real = yields["shanghai_shifted"]
    synth = yields["shanghai_shifted_synth"]
    poa = 100 * (synth["poa_kwh_per_m2"] / real["poa_kwh_per_m2"] - 1)
    assert (poa.abs() < 2.0).all() and abs(poa["flat_S"]) < 0.2, poa
    pr = 100 * (synth["performance_ratio"] / real["performance_ratio"] - 1)
    assert ((pr > 1.5) & (pr < 3.5)).all(), pr

    module, losses = presets
    data, meta = years["shanghai_shifted"]
    syn_data, _ = years["shanghai_shifted_synth"]
    cold = {**module, "gamma_pdc_per_c": 0.0}
    site = (meta["latitude"], meta["longitude"], meta["altitude"])
    a = energy.simulate(data, *site, PLANES, cold, losses)
    b = energy.simulate(syn_data, *site, PLANES, cold, losses)
    pr_cold = 100 * (b["performance_ratio"] / a["performance_ratio"] - 1)
    assert (pr_cold.abs() < 0.5).all(), pr_cold


# ---------------------------------------------------------------------------
# (b) the shipped default year against the real Shanghai year
# ---------------------------------------------------------------------------


def test_default_year_reproduces_real_shanghai(yields, years):
    default, meta = years["default"]
    assert meta["is_synthetic"] is True
    for real in ("shanghai", "shanghai_shifted"):
        dev = deviation_pct(yields, "default", real)
        for case in ("flat 20° S rows", "metal 5° pair S/N", "metal 5° pair E/W"):
            assert 0 < dev[case] < TARGET_PCT, (real, case, dev[case])
        # pitched E/W pair: +3.29 % / +3.07 %, just over the target (cooler modules)
        assert TARGET_PCT < dev["pitched 25° pair E/W"] < 3.5
    # the default is the same method on the .stat means of the same year:
    # within 0.1 % of the year synthesised from the EPW's own means
    same = deviation_pct(yields, "default", "shanghai_synth")
    assert (same.abs() < 0.1).all(), same


# ---------------------------------------------------------------------------
# (c) Hangzhou: second real check of the method
# ---------------------------------------------------------------------------


def test_synthesis_reproduces_hangzhou_as_labelled(yields):
    dev = deviation_pct(yields, "hangzhou_synth", "hangzhou")
    assert (dev.abs() < TARGET_PCT).all(), dev  # +0.94, −0.03, −0.02, +1.66
    # single planes carry the 1-hour lag of this file: east +16 %, west −10 %
    single = 100 * (yields["hangzhou_synth"]["specific_yield_kwh_per_kwp"]
                    / yields["hangzhou"]["specific_yield_kwh_per_kwp"] - 1)
    assert single["pitched_E"] > 12 and single["pitched_W"] < -7


def test_hangzhou_shift_raises_the_real_yield_not_the_synthetic(yields):
    """Moving the Hangzhou irradiance an hour earlier (onto the sun) raises
    the real file's yield on every plane facing south-ish by 3–5 %, while the
    year synthesised from its (unchanged) monthly means stays within 0.5 %;
    the synthetic year then falls 3–4 % short (south and metal)."""
    real = yields["hangzhou"]["specific_yield_kwh_per_kwp"]
    fixed = yields["hangzhou_shifted"]["specific_yield_kwh_per_kwp"]
    gain = 100 * (fixed / real - 1)
    assert ((gain[["flat_S", "metal_S", "metal_N"]] > 3) & (gain[["flat_S", "metal_S", "metal_N"]] < 5)).all(), gain
    syn = 100 * (yields["hangzhou_shifted_synth"]["specific_yield_kwh_per_kwp"]
                 / yields["hangzhou_synth"]["specific_yield_kwh_per_kwp"] - 1)
    assert (syn.abs() < 0.5).all(), syn
    dev = deviation_pct(yields, "hangzhou_shifted_synth", "hangzhou_shifted")
    assert -4.5 < dev["flat 20° S rows"] < -2.5 and -4.5 < dev["metal 5° pair S/N"] < -3.0


# ---------------------------------------------------------------------------
# optimum tilt (south), for the README
# ---------------------------------------------------------------------------


def test_optimum_tilt_real_shanghai_and_default(years, presets):
    """Measured: CSWD Shanghai as read by read_weather 26°, 1002.0 kWh/kWp
    (POA 1302 kWh/m²); default year 29°, 1035.5 kWh/kWp (POA 1317 kWh/m²)."""
    module, losses = presets
    results = {}
    for key in ("shanghai", "default"):
        data, meta = years[key]
        results[key] = energy.optimum_tilt(data, meta["latitude"], meta["longitude"],
                                           meta["altitude"], module, losses)
    real, default = results["shanghai"], results["default"]
    assert real["tilt_deg"] == 26.0
    assert real["specific_yield_kwh_per_kwp"] == pytest.approx(1002.0, abs=1.0)
    assert 27.0 <= default["tilt_deg"] <= 30.0
    assert default["specific_yield_kwh_per_kwp"] == pytest.approx(1035.5, abs=1.0)
    # the default's optimum is 3.3 % above the real optimum (same cooler-module bias)
    ratio = default["specific_yield_kwh_per_kwp"] / real["specific_yield_kwh_per_kwp"]
    assert 1.02 < ratio < 1.04
    # 20° rows (pvsite's flat-roof default) lose < 1 % against the optimum
    flat = PLANES.loc[["flat_S"]]
    data, meta = years["shanghai"]
    y20 = energy.simulate(data, meta["latitude"], meta["longitude"], meta["altitude"], flat,
                          module, losses)["specific_yield_kwh_per_kwp"].iloc[0]
    assert 0.99 < y20 / real["specific_yield_kwh_per_kwp"] < 1.0
