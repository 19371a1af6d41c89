"""Roof suitability: planes below a share of the site's optimum yield keep no modules.

The optimum is simulated with the same chain (pvlib, the default Shanghai year); the threshold is
``roof.min_yield_share_pct`` (80 %, Gagnon et al. 2016, NREL/TP-6A20-65298).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pvsite.config import Config, SystemConfig
from pvsite.errors import ConfigError
from pvsite.io.weather import default_weather
from pvsite.planning import scenario
from pvsite.presets import Rule, load_losses, load_module
from pvsite.solar import energy, yields

SITE = (31.22, 121.42, 5.0)  # Changning [°N, °E, m]


@pytest.fixture(scope="module")
def setup():
    weather, meta = default_weather()
    return weather, {"altitude": SITE[2]}, load_module("generic-550w"), load_losses("pvwatts"), SystemConfig()


def _planes() -> pd.DataFrame:
    """A 25° gable (south + north slope), an east slope, a flat roof's 10° south rows."""
    return pd.DataFrame({
        "roof_index": [0, 0, 1, 2], "plane": [0, 1, 0, 0],
        "tilt_deg": [25.0, 25.0, 25.0, 10.0], "azimuth_deg": [180.0, 0.0, 90.0, 180.0],
        "mounting": ["flush", "flush", "flush", "tilted_rows"], "modules_fit": [40, 40, 30, 100],
        "module_power_w": 550.0, "field_area_per_module_m2": 2.6, "ground_coverage_ratio": 0.9,
    }, index=[10, 11, 12, 13])


def test_optimum_is_the_best_equator_facing_tilt(setup):
    weather, meta, module, losses, system = setup
    opt = yields.optimum_yields(weather, meta, SITE[0], SITE[1], module, losses, system, ["flush", "tilted_rows"])
    assert list(opt.index) == ["flush", "tilted_rows"] and (opt["azimuth_deg"] == 180.0).all()
    assert (opt["tilt_deg"].between(15, 35)).all()  # ≈ latitude − a few degrees at 31° N
    # no other south tilt of the same chain does better (brute check on a coarse grid)
    grid = pd.DataFrame({"tilt_deg": np.arange(0, 61, 5.0), "azimuth_deg": 180.0, "mounting": "flush"})
    sim = energy.simulate(weather, SITE[0], SITE[1], SITE[2], grid, module, losses,
                          inverter_efficiency_pct=system.inverter_efficiency_pct, dc_ac_ratio=system.dc_ac_ratio,
                          temperature_model=system.temperature_model)
    assert sim["specific_yield_kwh_per_kwp"].max() <= opt.at["flush", "specific_yield_kwh_per_kwp"] + 1e-9
    # the southern hemisphere looks north
    south = yields.optimum_yields(weather, meta, -SITE[0], SITE[1], module, losses, system, ["flush"])
    assert south.at["flush", "azimuth_deg"] == 0.0


def test_north_slope_dropped_south_east_and_rows_kept(setup):
    weather, meta, module, losses, system = setup
    out = yields.plane_yields(_planes(), weather, meta, SITE[0], SITE[1], module, losses, system, 80.0)
    share = out["yield_share_pct"]
    assert share[11] < 80.0 < share[12] < share[10] and share[13] > 95.0
    assert list(out["modules_fit"]) == [40, 0, 30, 100]
    assert list(out["modules_low_yield"]) == [0, 40, 0, 0]
    info = out.attrs["suitability"]
    assert info["n_planes_low_yield"] == 1 and info["modules_low_yield"] == 40
    # the share is the plane's yield over its mounting's optimum
    ref = info["optimum"]["flush"]["specific_yield_kwh_per_kwp"]
    assert share[11] == pytest.approx(100 * out.at[11, "specific_yield_kwh_per_kwp"] / ref, rel=1e-4)
    # yields themselves do not move
    plain = yields.plane_yields(_planes(), weather, meta, SITE[0], SITE[1], module, losses, system)
    np.testing.assert_array_equal(plain["specific_yield_kwh_per_kwp"], out["specific_yield_kwh_per_kwp"])


def test_threshold_zero_leaves_every_plane(setup):
    weather, meta, module, losses, system = setup
    out = yields.plane_yields(_planes(), weather, meta, SITE[0], SITE[1], module, losses, system, 0.0)
    assert list(out["modules_fit"]) == [40, 40, 30, 100] and "yield_share_pct" not in out
    assert "suitability" not in out.attrs


def test_threshold_100_keeps_only_the_optimum_or_better():
    planes = _planes().assign(specific_yield_kwh_per_kwp=[990.0, 700.0, 880.0, 1000.0])
    opt = pd.DataFrame({"specific_yield_kwh_per_kwp": [1000.0, 1000.0]}, index=["flush", "tilted_rows"])
    out = yields.suitable_planes(planes, opt, 100.0)
    assert list(out["modules_fit"]) == [0, 0, 0, 100]
    out = yields.suitable_planes(planes.assign(specific_yield_kwh_per_kwp=[np.nan, 700, 880, 1000]), opt, 75.0)
    assert list(out["modules_fit"]) == [40, 0, 30, 100]  # unknown yield (NaN) kept; 70 % < 75 % dropped


def test_config_range():
    with pytest.raises(ConfigError, match="min_yield_share_pct"):
        Config().with_overrides(roof={"min_yield_share_pct": 120.0})


def test_low_yield_status_and_note():
    """A roof whose only modules sit on low-yield planes is 'low yield' with a bilingual note; others keep PV."""
    import geopandas as gpd
    import shapely

    planes = _planes().assign(specific_yield_kwh_per_kwp=[990.0, 700.0, 650.0, 1000.0])
    opt = pd.DataFrame({"specific_yield_kwh_per_kwp": [1000.0, 1000.0]}, index=["flush", "tilted_rows"])
    planes = yields.suitable_planes(planes, opt, 80.0)
    roofs = gpd.GeoDataFrame({
        "building_class": "factory", "building_type": "factory", "is_new": False, "area_m2": 500.0,
        "excluded": False, "reject_reason": None, "roof_note": [None, None, "setback 1.5 m"],
    }, geometry=[shapely.box(0, 0, 10, 10)] * 3, index=[0, 1, 2])
    rules = [Rule(building_class=None, building_type=None, is_new=None, ratio=1.0, scenario="t", index=0)]
    r = scenario.apply_scenario(roofs, planes, None, rules, False).roofs
    assert list(r["status"]) == ["sized", "low yield", "sized"]
    assert r.at[1, "capacity_kw"] == 0 and r.at[1, "low_yield_kw"] == pytest.approx(30 * 0.55)
    assert r.at[0, "low_yield_kw"] == pytest.approx(40 * 0.55) and r.at[0, "capacity_kw"] == pytest.approx(22.0)
    assert "1/2 个面" in r.at[0, "roof_note"] and "1 of 2 planes" in r.at[0, "roof_note"]
    assert "80 %" in r.at[1, "roof_note"] and r.at[2, "roof_note"] == "setback 1.5 m"
    from pvsite.outputs import schema
    assert not schema.unlabelled("status", r["status"])
