"""Policy scenarios and sizing, with hand-computed expectations."""

import numpy as np
import pandas as pd
import pytest

from pvsite.errors import ConfigError
from pvsite.presets import available, load_preset
from pvsite.planning.sizing import policy_ratios, scenario_rules, size_roofs


def _roofs():
    return pd.DataFrame(
        {
            "building_class": ["public_institution", "public_institution", "factory", "other_public",
                               "other_public", "residential", "other"],
            "building_type": ["school", "government", "factory", "office", "hotel", "residential", "other"],
            "is_new": [True, False, False, True, False, True, True],
            "area_m2": [1000.0, 1000.0, 4000.0, 800.0, 800.0, 600.0, 300.0],
            "usable_area_m2": [814.0, 300.0, 3700.0, 700.0, 700.0, 500.0, 250.0],
        },
        index=[10, 11, 12, 13, 14, 15, 16],
    )


@pytest.mark.parametrize(
    "scenario, expected",
    [
        ("new-2022", [0.5, 0, 0, 0.3, 0, 0, 0]),
        ("existing-2025", [0, 0.5, 0.5, 0, 0, 0, 0]),
        ("plan-2025", [0.5, 0.5, 0.5, 0.3, 0, 0, 0]),
        ("existing-2030", [0, 1.0, 1.0, 0, 0, 0, 0]),
        ("plan-2030", [0.5, 1.0, 1.0, 0.3, 0, 0, 0]),
        ("technical-max", [1.0] * 7),
    ],
)
def test_changning_scenarios(scenario, expected):
    policy = load_preset("policy", "changning-2023")
    _, rules = scenario_rules(policy, scenario)
    got = policy_ratios(_roofs(), rules)
    np.testing.assert_allclose(got["policy_ratio"].to_numpy(), expected)
    assert got.index.tolist() == [10, 11, 12, 13, 14, 15, 16]
    assert got["policy_rule"].notna().sum() == int(np.count_nonzero(expected))


def test_nea_2021_ratios():
    policy = load_preset("policy", "nea-2021-county")
    _, rules = scenario_rules(policy, None)
    got = policy_ratios(_roofs(), rules)["policy_ratio"].to_numpy()
    # school 40 %, government 50 %, factory 30 %, office 0, hotel 0, residential 20 %, other 0
    np.testing.assert_allclose(got, [0.4, 0.5, 0.3, 0, 0, 0.2, 0])


def test_default_scenario_and_unknown():
    policy = load_preset("policy", "changning-2023")
    assert scenario_rules(policy, None)[0] == "plan-2025"
    with pytest.raises(ConfigError) as exc:
        scenario_rules(policy, "plan-2099")
    assert "plan-2025" in str(exc.value) and "technical-max" in str(exc.value)


def test_presets_cite_sources():
    import re

    for name in available("policy"):
        p = load_preset("policy", name)
        assert p["source"] and p["emission_factor_source"] and p["target_kw"] > 0
        # the factor is the one its source states: "X tCO2/10^4 kWh" = X × 1000 kg / 10 000 kWh
        stated = re.search(r"([\d.]+) tCO2/10\^4 kWh", p["emission_factor_source"])
        assert stated, p["emission_factor_source"]
        assert p["emission_factor_kg_per_kwh"] == pytest.approx(float(stated.group(1)) * 1000 / 1e4)
        # and the target is the one its label states in 万千瓦 (10^4 kW)
        label = re.search(r"([\d.]+) ?万千瓦", p["target_label"])
        assert label and p["target_kw"] == pytest.approx(float(label.group(1)) * 1e4), p["target_label"]
    # the figures of the two documents, by hand: 沪环气〔2022〕34号 4.2 t/10^4 kWh; 长府〔2023〕1号 1.6万千瓦
    changning = load_preset("policy", "changning-2023")
    assert "长府〔2023〕1号" in changning["source"] and "沪环气〔2022〕34号" in changning["emission_factor_source"]
    assert changning["emission_factor_kg_per_kwh"] == 0.42 and changning["target_kw"] == 16_000
    # NEA 2021 notice: 党政机关 50 %, 公共建筑 40 %, 工商业厂房 30 %, 农村居民 20 %
    nea = load_preset("policy", "nea-2021-county")
    _, rules = scenario_rules(nea, "nea-2021")
    assert [r["ratio"] for r in rules] == [0.5, 0.4, 0.3, 0.2]


def test_size_roofs_hand_computed():
    roofs = _roofs()
    policy = load_preset("policy", "changning-2023")
    _, rules = scenario_rules(policy, "plan-2025")
    ratios = policy_ratios(roofs, rules)
    # Flat roofs: one south plane, 4.0 m² of array field per 550 W module.
    # Roof 12 (factory): two metal planes facing east/west, 2.6 m² per module, 500 fit on each.
    planes = pd.DataFrame(
        {
            "roof_index": [10, 11, 12, 12, 13, 14, 15, 16],
            "plane": [0, 0, 0, 1, 0, 0, 0, 0],
            "azimuth_deg": [180, 180, 90, 270, 180, 180, 180, 180.0],
            "modules_fit": [150, 60, 500, 500, 150, 150, 100, 50],
            "field_area_per_module_m2": [4.0, 4.0, 2.6, 2.6, 4.0, 4.0, 4.0, 4.0],
            "module_power_w": [550.0] * 8,
            "ground_coverage_ratio": [0.65, 0.65, 0.97, 0.97, 0.65, 0.65, 0.65, 0.65],
        }
    )
    out, p = size_roofs(roofs, planes, ratios)
    # school: 50 % of 1000 m² = 500 m² → ceil(500 / 4) = 125 modules → 68.75 kW
    assert out.loc[10, "n_modules"] == 125
    assert out.loc[10, "pv_area_m2"] == pytest.approx(500.0)
    assert out.loc[10, "capacity_kw"] == pytest.approx(68.75)
    assert not out.loc[10, "policy_exceeds_fit"]
    # government (existing): asks 500 m², only 60 modules (240 m²) fit → 33 kW, flagged
    assert out.loc[11, "n_modules"] == 60 and out.loc[11, "capacity_kw"] == pytest.approx(33.0)
    assert out.loc[11, "fit_pv_area_m2"] == pytest.approx(240.0)
    assert out.loc[11, "policy_exceeds_fit"]
    # factory: 2000 m² → plane 0 full (500 modules, 1300 m²), plane 1 ceil(700 / 2.6) = 270
    assert p.loc[p.roof_index == 12, "n_modules"].tolist() == [500, 270]
    assert out.loc[12, "capacity_kw"] == pytest.approx(770 * 0.55)
    # new office: 30 % of 800 = 240 m² → 60 modules → 33 kW
    assert out.loc[13, "capacity_kw"] == pytest.approx(33.0)
    # no rule → nothing
    assert out.loc[[14, 15, 16], "capacity_kw"].tolist() == [0.0, 0.0, 0.0]
    assert out["capacity_kw"].sum() == pytest.approx(p["capacity_kw"].sum())
    # power density of the installed field: 550 W / 4 m² = 137.5 W/m²
    assert out.loc[10, "power_density_w_per_m2"] == pytest.approx(137.5)


def test_excluded_roofs_carry_nothing():
    roofs = _roofs()
    _, rules = scenario_rules(load_preset("policy", "changning-2023"), "technical-max")
    planes = pd.DataFrame({"roof_index": roofs.index, "plane": 0, "azimuth_deg": 180.0, "modules_fit": 100,
                           "field_area_per_module_m2": 4.0, "module_power_w": 550.0,
                           "ground_coverage_ratio": 0.65})
    no_pv = np.array([True, False, False, False, False, False, True])
    out, _ = size_roofs(roofs, planes, policy_ratios(roofs, rules), no_pv=no_pv)
    assert out.loc[[10, 16], "capacity_kw"].tolist() == [0.0, 0.0]
    assert (out.loc[[11, 12, 13, 14, 15], "n_modules"] > 0).all()
