"""Policy scenarios and sizing, with hand-computed expectations."""

import numpy as np
import pandas as pd
import pytest

from pvsite.errors import ConfigError
from pvsite.presets import available, load_preset
from pvsite.sizing import policy_ratios, scenario_rules, size_roofs


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


def test_bad_rule_key_and_ratio():
    bad = {"default_scenario": "x", "scenarios": {"x": {"rules": [{"clas": "factory", "ratio": 0.5}]}}}
    with pytest.raises(ConfigError, match="unknown key"):
        scenario_rules(bad)
    bad = {"default_scenario": "x", "scenarios": {"x": {"rules": [{"ratio": 1.5}]}}}
    with pytest.raises(ConfigError, match="between 0 and 1"):
        scenario_rules(bad)


def test_presets_cite_sources():
    for name in available("policy"):
        p = load_preset("policy", name)
        assert p["source"] and p["emission_factor_source"] and p["target_kw"] > 0


def test_size_roofs_hand_computed():
    roofs = _roofs()
    policy = load_preset("policy", "changning-2023")
    _, rules = scenario_rules(policy, "plan-2025")
    ratios = policy_ratios(roofs, rules)
    # one flat plane (132 W/m²) per roof, except roof 12: two metal planes 200 W/m² each half
    planes = pd.DataFrame(
        {
            "roof_index": [10, 11, 12, 12, 13, 14, 15, 16],
            "plane": [0, 0, 0, 1, 0, 0, 0, 0],
            "area_share": [1, 1, 0.5, 0.5, 1, 1, 1, 1.0],
            "power_density_w_per_m2": [132.0, 132.0, 200.0, 200.0, 132.0, 132.0, 132.0, 132.0],
            "ground_coverage_ratio": [0.62, 0.62, 0.94, 0.94, 0.62, 0.62, 0.62, 0.62],
        }
    )
    out, p = size_roofs(roofs, planes, ratios)
    # school: 50 % of 1000 m² = 500 m² ≤ 814 usable → 500 × 132 W = 66 kW
    assert out.loc[10, "pv_area_m2"] == pytest.approx(500.0)
    assert out.loc[10, "capacity_kw"] == pytest.approx(66.0)
    assert not out.loc[10, "policy_exceeds_fit"]
    # government (existing): asks 500 m², only 300 fits → 300 × 132 = 39.6 kW, flagged
    assert out.loc[11, "pv_area_m2"] == pytest.approx(300.0)
    assert out.loc[11, "capacity_kw"] == pytest.approx(39.6)
    assert out.loc[11, "policy_exceeds_fit"]
    # factory: 2000 m² split over two planes at 200 W/m² → 400 kW
    assert out.loc[12, "capacity_kw"] == pytest.approx(400.0)
    assert p.loc[p.roof_index == 12, "capacity_kw"].tolist() == pytest.approx([200.0, 200.0])
    # new office 30 % of 800 = 240 m² → 31.68 kW
    assert out.loc[13, "capacity_kw"] == pytest.approx(31.68)
    # no rule → nothing
    assert out.loc[[14, 15, 16], "capacity_kw"].tolist() == [0.0, 0.0, 0.0]
    assert out["capacity_kw"].sum() == pytest.approx(p["capacity_kw"].sum())
