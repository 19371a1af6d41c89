"""Validation of the weather → energy chain on the real CSWD typical years.

Question (issue "Weather and energy: defensible kWh for every roof"): does a
year synthesised from monthly means (:mod:`pvsite.datagen.default_weather`, the
method of pvsite's offline default) give the same annual yield as the real
hourly year it stands in for?  Engine :func:`pvsite.solar.energy.simulate`,
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
Shanghai, as labelled  +2.78        +1.95        +1.95         +2.23
Shanghai, −30 min      +2.05        +1.17        +1.17         +1.88
default vs Shanghai    +2.77        +1.95        +1.95         +2.23
default vs Sh. −30     +2.16        +1.30        +1.31         +2.01
Hangzhou, as labelled  +1.32        +0.25        +0.24         +0.85
Hangzhou, −60 min      −2.82        −3.67        −3.63         −1.39
=====================  ===========  ===========  ============  =============

Single east/west planes are where the CSWD timing lag shows (the real
irradiance peaks 28 min / 63 min after solar noon as labelled): Shanghai
pitched east +7.3 %, west −2.4 % as labelled, +2.4 % / +1.4 % with the
−30 min shift.  Of the remaining +2–3 %, about 1 % is POA (flat rows) and
about 1 % a higher performance ratio (modules a little cooler than with the
real year): with the temperature coefficient set to 0 the PR difference
drops below 0.5 %.  Before the synthetic year had day-to-day variability
(every day the month's average day) the PR excess was 2–3.5 % and the
pitched E/W pair +3.3 %, over the 3 % target.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pandas as pd
import pytest

from pvsite.config import SystemConfig
from pvsite.solar import energy
from pvsite.presets import load_preset
from pvsite.io.weather import default_weather, read_weather
from pvsite.io.weather_checks import CSWD_TIME_SHIFT_MIN
from pvsite.datagen.default_weather import monthly_stats_from_weather, synthesise_year

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
#: System settings of a default run (inverter, DC/AC ratio, temperature model).
SYSTEM = {k: getattr(SystemConfig(), k) for k in ("inverter_efficiency_pct", "dc_ac_ratio", "temperature_model")}


@pytest.fixture(scope="module")
def presets():
    return load_preset("module", "generic-550w"), load_preset("losses", "pvwatts")


@pytest.fixture(scope="module")
def years(shared_data):
    """Real years (as labelled and with the documented shift), the synthetic
    year built from each one's own monthly means, and pvsite's default."""
    logging.getLogger("pvsite.io.weather").setLevel(logging.ERROR)
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
                                   PLANES, module, losses, **SYSTEM)
    return res


def case_yield(table: pd.DataFrame) -> pd.Series:
    y = table["specific_yield_kwh_per_kwp"]
    return pd.Series({case: y[planes].mean() for case, planes in CASES.items()})


def deviation_pct(yields, synth: str, real: str) -> pd.Series:
    return 100.0 * (case_yield(yields[synth]) / case_yield(yields[real]) - 1.0)


# ---------------------------------------------------------------------------
# (a) Shanghai: synthesised from the EPW's own monthly means
# ---------------------------------------------------------------------------


def test_synthesis_reproduces_shanghai_every_roof(yields):
    """Flat rows, both metal pairs and the pitched E/W pair within 3 %, as
    labelled and shifted (measured +1.2 … +2.8 %)."""
    for real in ("shanghai", "shanghai_shifted"):
        dev = deviation_pct(yields, real + "_synth", real)
        assert (dev.abs() < TARGET_PCT).all(), (real, dev)
        # the synthetic year is a little optimistic, never pessimistic, here
        assert (dev > 0).all(), dev


def test_synthesis_single_ew_planes_need_the_timing_fix(yields):
    """Pitched E/W pair: +2.23 % as labelled, +1.88 % with −30 min.

    As labelled the real file gives west roofs 9.5 % more than east ones
    because its irradiance comes late; the synthetic year follows the sun
    (east ≈ west), so the single planes are off by +7 % / −2 %.  With the
    documented shift the real year is symmetric too and every single plane
    is within 3 % (measured +1.0 … +2.4 %).
    """
    dev = deviation_pct(yields, "shanghai_synth", "shanghai")
    assert 1.5 < dev["pitched 25° pair E/W"] < TARGET_PCT
    single = 100 * (yields["shanghai_synth"]["specific_yield_kwh_per_kwp"]
                    / yields["shanghai"]["specific_yield_kwh_per_kwp"] - 1)
    assert single["pitched_E"] > 6 and single["pitched_W"] < -1.5, single
    y_real = yields["shanghai"]["specific_yield_kwh_per_kwp"]
    y_syn = yields["shanghai_synth"]["specific_yield_kwh_per_kwp"]
    assert y_real["pitched_W"] / y_real["pitched_E"] > 1.08  # measured 1.095
    assert y_syn["pitched_W"] / y_syn["pitched_E"] == pytest.approx(1.0, abs=0.01)

    dev = deviation_pct(yields, "shanghai_shifted_synth", "shanghai_shifted")
    assert abs(dev["pitched 25° pair E/W"]) < TARGET_PCT
    y_fix = yields["shanghai_shifted"]["specific_yield_kwh_per_kwp"]
    assert y_fix["pitched_W"] / y_fix["pitched_E"] == pytest.approx(1.0, abs=0.015)
    single = 100 * (yields["shanghai_shifted_synth"]["specific_yield_kwh_per_kwp"] / y_fix - 1)
    assert (single.abs() < TARGET_PCT).all(), single


def test_synthesis_bias_split_between_poa_and_module_temperature(years, yields, presets):
    """With the lag removed, POA is reproduced within 2 % on every plane
    (measured −0.1 … +1.5 %, flat rows +1.0 %); the performance ratio is
    0.9–1.2 % higher (modules a little cooler; it was 2–3.5 % for the
    average-day year without day-to-day variability).  With a zero
    temperature coefficient the PR difference vanishes (< 0.5 %)."""
    real = yields["shanghai_shifted"]
    synth = yields["shanghai_shifted_synth"]
    poa = 100 * (synth["poa_kwh_per_m2"] / real["poa_kwh_per_m2"] - 1)
    assert (poa.abs() < 2.0).all() and abs(poa["flat_S"]) < 1.2, poa
    pr = 100 * (synth["performance_ratio"] / real["performance_ratio"] - 1)
    assert ((pr > 0.5) & (pr < 1.5)).all(), pr

    module, losses = presets
    data, meta = years["shanghai_shifted"]
    syn_data, _ = years["shanghai_shifted_synth"]
    cold = dataclasses.replace(module, gamma_pdc_per_c=0.0)
    site = (meta["latitude"], meta["longitude"], meta["altitude"])
    a = energy.simulate(data, *site, PLANES, cold, losses, **SYSTEM)
    b = energy.simulate(syn_data, *site, PLANES, cold, losses, **SYSTEM)
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
        # every roof within the target: +1.3 … +2.8 % (the average-day year
        # without day-to-day variability missed it on pitched E/W: +3.29 / +3.07 %)
        assert ((dev > 0) & (dev < TARGET_PCT)).all(), (real, dev)
    # the default is the same method on the .stat means of the same year:
    # within 0.1 % of the year synthesised from the EPW's own means
    same = deviation_pct(yields, "default", "shanghai_synth")
    assert (same.abs() < 0.1).all(), same


# ---------------------------------------------------------------------------
# (c) Hangzhou: second real check of the method
# ---------------------------------------------------------------------------


def test_synthesis_reproduces_hangzhou_as_labelled(yields):
    dev = deviation_pct(yields, "hangzhou_synth", "hangzhou")
    assert (dev.abs() < TARGET_PCT).all(), dev  # +1.32, +0.25, +0.24, +0.85
    # single planes carry the 1-hour lag of this file: east +15.5 %, west −10.5 %
    single = 100 * (yields["hangzhou_synth"]["specific_yield_kwh_per_kwp"]
                    / yields["hangzhou"]["specific_yield_kwh_per_kwp"] - 1)
    assert single["pitched_E"] > 12 and single["pitched_W"] < -7


def test_hangzhou_shift_raises_the_real_yield_not_the_synthetic(yields):
    """Moving the Hangzhou irradiance an hour earlier (onto the sun) raises
    the real file's yield on every plane facing south-ish by 3–5 %, while the
    year synthesised from its (unchanged) monthly means stays within 0.5 %;
    the synthetic year then falls 2.8–3.7 % short (south and metal)."""
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
    (POA 1302 kWh/m²); default year 28°, 1033.0 kWh/kWp (POA 1326 kWh/m²)."""
    module, losses = presets
    results = {}
    for key in ("shanghai", "default"):
        data, meta = years[key]
        results[key] = energy.optimum_tilt(data, meta["latitude"], meta["longitude"],
                                           meta["altitude"], module, losses, **SYSTEM)
    real, default = results["shanghai"], results["default"]
    assert real["tilt_deg"] == 26.0
    assert real["specific_yield_kwh_per_kwp"] == pytest.approx(1002.0, abs=1.0)
    assert 27.0 <= default["tilt_deg"] <= 30.0
    assert default["specific_yield_kwh_per_kwp"] == pytest.approx(1033.0, abs=1.0)
    # the default's optimum is 3.1 % above the real optimum (POA +1.8 %, cooler modules)
    ratio = default["specific_yield_kwh_per_kwp"] / real["specific_yield_kwh_per_kwp"]
    assert 1.02 < ratio < 1.04
    # 20° rows (pvsite's flat-roof default) lose < 1 % against the optimum
    flat = PLANES.loc[["flat_S"]]
    data, meta = years["shanghai"]
    y20 = energy.simulate(data, meta["latitude"], meta["longitude"], meta["altitude"], flat,
                          module, losses, **SYSTEM)["specific_yield_kwh_per_kwp"].iloc[0]
    assert 0.99 < y20 / real["specific_yield_kwh_per_kwp"] < 1.0
