"""planning.scenario.scenario_potential: the figures of apply_scenario + apply_yields, to the bit, lighter."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pvsite import pipeline
from pvsite.config import Config
from pvsite.planning import sizing
from pvsite.planning.rollup import potential_totals
from pvsite.planning.scenario import apply_scenario, scenario_potential
from pvsite.solar import yields


@pytest.fixture(scope="module")
def prepared():
    return pipeline.prepare(Config())


@pytest.mark.parametrize("flag_only", [False, True])
def test_scenario_potential_equals_the_full_sizing_exactly(prepared, flag_only):
    p = prepared
    roofs = p.roofs.copy()  # the sample has no no-go roofs: flag some, and reject some, to run both branches
    k = np.arange(len(roofs))
    roofs["excluded"] = k % 7 == 0
    roofs["reject_reason"] = roofs["reject_reason"].mask(k % 11 == 0, "test")
    ef = p.emission.emission_factor_kg_per_kwh
    for name in p.policy["scenarios"]:
        _, rules = sizing.scenario_rules(p.policy, name)
        sized = apply_scenario(roofs, p.planes, None, rules, flag_only)
        full, _ = yields.apply_yields(sized.roofs, sized.planes, ef)
        light = scenario_potential(roofs, p.planes, rules, flag_only, ef)
        assert light.index.equals(full.index)
        for col in ("capacity_kw", "annual_kwh", "co2_t"):
            np.testing.assert_array_equal(light[col].to_numpy(), full[col].to_numpy(dtype=float), err_msg=(name, col))
        assert potential_totals(light, 16000.0) == potential_totals(full, 16000.0)
        flagged_kw = light.loc[roofs["excluded"], "capacity_kw"].sum()
        assert (flagged_kw > 0) if (flag_only and name == "technical-max") else (flag_only or flagged_kw == 0)


def test_compare_scenarios_table_is_the_one_of_the_full_sizing(prepared):
    """pipeline.compare_scenarios (light path) = the table built from apply_scenario + apply_yields, exactly."""
    p, rows = prepared, []
    for name in p.policy["scenarios"]:
        _, rules = sizing.scenario_rules(p.policy, name)
        sized = apply_scenario(p.roofs, p.planes, p.panels, rules, p.config.exclusions.flag_only)
        roofs, _ = yields.apply_yields(sized.roofs, sized.planes, p.emission.emission_factor_kg_per_kwh)
        rows.append({"scenario": name, "description_zh": p.policy["scenarios"][name].get("description_zh", ""),
                     **potential_totals(roofs, float(p.policy["target_kw"]))})
    pd.testing.assert_frame_equal(pipeline.compare_scenarios(p), pd.DataFrame(rows), check_exact=True)
