"""Economics: cash-flow maths against numpy-financial, hand-worked examples, presets, EMC and loads."""

from __future__ import annotations

import dataclasses
import tomllib

import numpy as np
import numpy_financial as npf
import pandas as pd
import pytest

from pvsite import economics, presets
from pvsite.config import EconomicsConfig
from pvsite.economics import cashflows, selfconsumption
from pvsite.errors import ConfigError, InputError

PRESET = presets.load_economics("shanghai-2025")


def _roofs(**cols) -> pd.DataFrame:
    base = {"building_id": ["S1", "F1"], "building_type": ["school", "factory"],
            "building_class": ["public_institution", "factory"], "mounting": ["tilted_rows", "flush"],
            "roof_type": ["flat", "metal"], "capacity_kw": [100.0, 500.0], "annual_kwh": [100_000.0, 500_000.0],
            "pv_area_m2": [900.0, 2600.0], "street": ["A", "A"]}
    base.update(cols)
    return pd.DataFrame(base)


def _appraise(roofs, **cfg):
    return economics.appraise(roofs, pd.DataFrame(), EconomicsConfig(**cfg), preset=PRESET)


# --- the two worked examples of the README, by hand --------------------------------------------
# School, 100 kW tilted rows on a flat roof (band 100–1000 kW: 3.3 元/W), 100,000 kWh simulated:
#   capex 330,000 元; year-1 energy 100,000 × (1 − 1 %) = 99,000 kWh; self-use 55 % (preset, school)
#   savings 54,450 × 0.617 = 33,595.65; export 44,550 × 0.4155 = 18,510.525;
#   reward 0.12 × 99,000 (on generation, school on the residential tariff) = 11,880; O&M 0.04 × 100,000 = 4,000
#   net 59,986.175 元 → payback 330,000 / 59,986.175 = 5.5013 yr
# Factory shed, 500 kW flush on a metal roof (3.0 元/W), 500,000 kWh: capex 1,500,000 元; year-1 495,000 kWh;
#   self-use 75 % (class factory) at 0.70 (大工业) = 259,875; export 123,750 × 0.4155 = 51,418.125;
#   reward 0.05 × 123,750 (on export) = 6,187.5; O&M 20,000 → net 297,480.625 → payback 5.0423 yr
WORKED = {"S1": (330_000.0, 59_986.175, 330_000.0 / 59_986.175), "F1": (1_500_000.0, 297_480.625,
                                                                       1_500_000.0 / 297_480.625)}


def test_worked_examples_match_the_hand_computation():
    out = _appraise(_roofs()).set_index("building_id")
    for bid, (capex, net, payback) in WORKED.items():
        assert out.at[bid, "capex_yuan"] == pytest.approx(capex, rel=1e-12)
        assert out.at[bid, "first_year_benefit_yuan"] == pytest.approx(net, rel=1e-9)
        assert out.at[bid, "simple_payback_yr"] == pytest.approx(payback, rel=1e-9)
    assert out.at["S1", "tariff_group"] == "residential_school" and out.at["F1", "tariff_group"] == "large_industry"


def test_simple_payback_is_capex_over_net_first_year_benefit():
    out = _appraise(_roofs(capacity_kw=[37.0, 1200.0], annual_kwh=[38_000.0, 1_150_000.0]))
    np.testing.assert_allclose(out["simple_payback_yr"], out["capex_yuan"] / out["first_year_benefit_yuan"])


@pytest.mark.parametrize("model", ["self", "full-export", "emc"])
def test_npv_irr_lcoe_agree_with_numpy_financial(model):
    roofs = _roofs()
    out = _appraise(roofs, business_model=model)
    years, rate = PRESET.lifetime_yr, PRESET.discount_rate_pct / 100.0
    energy = cashflows.degraded_energy(roofs["annual_kwh"], years, PRESET.first_year_degradation_pct,
                                       PRESET.annual_degradation_pct)
    for i in range(len(roofs)):
        cap_w = roofs["capacity_kw"].iloc[i] * 1000.0
        # rebuild the investing party's flows from the first-year benefit and the year-by-year rules
        flows = _flows_by_hand(roofs.iloc[i], out.iloc[i], energy[i], model)
        assert out["npv_yuan"].iloc[i] == pytest.approx(npf.npv(rate, flows), rel=0.01)
        assert out["irr_pct"].iloc[i] == pytest.approx(npf.irr(flows) * 100.0, rel=0.01)
        costs = np.full(years, PRESET.om_yuan_per_w_yr * cap_w)
        costs[PRESET.inverter_replacement_year - 1] += PRESET.inverter_yuan_per_w * cap_w
        lcoe = npf.npv(rate, np.r_[out["capex_yuan"].iloc[i], costs]) / npf.npv(rate, np.r_[0.0, energy[i]])
        assert out["lcoe_yuan_per_kwh"].iloc[i] == pytest.approx(lcoe, rel=0.01)


def _flows_by_hand(roof, row, energy, model):
    """The investing party's flows written out year by year, one roof, plain Python."""
    g = PRESET.tariffs[row["tariff_group"]]
    cap_w = roof["capacity_kw"] * 1000.0
    share = 0.0 if model == "full-export" else row["self_consumption_share"]
    flows, cum = [-row["capex_yuan"]], 0.0
    for t, e in enumerate(energy, start=1):
        own, export = e * share, e * (1 - share)
        left = max(0.0, min(1.0, (PRESET.subsidy_cap_full_load_hours * roof["capacity_kw"] - cum) / e))
        cum += e
        reward = (e if g.subsidy_basis == "generation" else export) * g.subsidy_yuan_per_kwh
        reward *= left if t <= PRESET.subsidy_cap_years else 0.0
        cost = PRESET.om_yuan_per_w_yr * cap_w + (PRESET.inverter_yuan_per_w * cap_w
                                                    if t == PRESET.inverter_replacement_year else 0.0)
        price = g.flat_yuan_per_kwh * (1 - PRESET.emc_host_discount_pct / 100.0 if model == "emc" else 1.0)
        flows.append(own * price + export * PRESET.feed_in_yuan_per_kwh + reward - cost)
    return np.array(flows)


def test_irr_is_nan_without_a_sign_change_and_matches_npf_elsewhere():
    flows = np.array([[-100.0, 30, 30, 30, 30, 30], [-100.0, -1, -1, -1, -1, -1], [-100.0, 10, 10, 10, 10, 80]])
    got = cashflows.irr(flows)
    assert got[0] == pytest.approx(npf.irr(flows[0]), abs=1e-9)
    assert np.isnan(got[1])
    assert got[2] == pytest.approx(npf.irr(flows[2]), abs=1e-9)


def test_irr_of_a_row_does_not_depend_on_the_other_rows():
    # only bracketed rows are bisected: a row's root is the same alone, among unbracketed rows or in any order
    rng = np.random.default_rng(7)
    flows = np.column_stack([-rng.uniform(50, 150, 40), rng.uniform(1, 30, (40, 25))])
    flows[::3] = 0.0  # roofs without PV: no sign change
    got = cashflows.irr(flows)
    assert np.isnan(got[::3]).all() and np.isfinite(np.delete(got, np.s_[::3])).all()
    alone = np.array([cashflows.irr(row[None, :])[0] for row in flows])
    np.testing.assert_array_equal(got, alone)
    order = rng.permutation(len(flows))
    np.testing.assert_array_equal(cashflows.irr(flows[order]), got[order])


def test_a_roof_that_never_pays_back_gets_no_payback_and_a_note():
    # 1 kWh a year cannot carry the O&M; 20 kWh/kWp pays a little but not within the lifetime
    out = _appraise(_roofs(annual_kwh=[100.0, 500_000.0 * 0.1]))
    assert np.isnan(out["simple_payback_yr"].iloc[0]) and "不回收" in out["econ_note"].iloc[0]
    assert np.isnan(out["irr_pct"].iloc[0]) and "IRR" in out["econ_note"].iloc[0]
    assert out["first_year_benefit_yuan"].iloc[0] < 0
    assert np.isnan(out["simple_payback_yr"].iloc[1]) and "lifetime" in out["econ_note"].iloc[1]
    assert out["first_year_benefit_yuan"].iloc[1] > 0
    assert np.isfinite(out["simple_payback_yr"]).sum() == 0 and not np.isinf(out["npv_yuan"]).any()


def test_unsized_roofs_cost_nothing_and_show_no_ratios():
    out = _appraise(_roofs(capacity_kw=[0.0, 500.0], annual_kwh=[0.0, 500_000.0]))
    assert out["capex_yuan"].iloc[0] == 0 and np.isnan(out["lcoe_yuan_per_kwh"].iloc[0])
    assert out["econ_note"].iloc[0].startswith("未装光伏")


def test_subsidy_stops_at_the_year_or_hour_cap():
    from pvsite.economics.models import subsidy_fraction

    e = np.full((2, 8), 1500.0)  # 1,500 h/yr on 1 kW: 6,050 h reached in year 5 (4 × 1,500 = 6,000)
    frac = subsidy_fraction(e, [1.0, 1.0], 6050.0, 5)
    np.testing.assert_allclose(frac[0], [1, 1, 1, 1, 50 / 1500, 0, 0, 0])
    frac = subsidy_fraction(e / 2, [1.0, 1.0], 6050.0, 5)
    np.testing.assert_allclose(frac[0], [1, 1, 1, 1, 1, 0, 0, 0])


def test_business_model_by_class_overrides_the_global_one():
    out = _appraise(_roofs(), business_model="self", business_model_by_class={"factory": "emc"})
    assert list(out["business_model"]) == ["self", "emc"]
    assert np.isnan(out["host_benefit_yuan_per_yr"].iloc[0]) and out["host_benefit_yuan_per_yr"].iloc[1] > 0
    with pytest.raises(ConfigError, match="business_model_by_class"):
        EconomicsConfig(business_model_by_class={"factory": "lease"})


def test_emc_on_the_sample_gives_hosts_a_benefit_and_investors_an_irr(sample_result):
    from pvsite.economics import appraise

    roofs = sample_result.roofs
    sized = roofs[roofs["capacity_kw"] > 0]
    assert len(sized) > 100
    out = appraise(sized, sample_result.planes, EconomicsConfig(business_model="emc"))
    assert (out["host_benefit_yuan_per_yr"] > 0).all()
    assert np.isfinite(out["investor_irr_pct"]).all() and (out["investor_irr_pct"] > 0).all()
    np.testing.assert_allclose(out["investor_irr_pct"], out["irr_pct"])
    # the host's saving is the discount on the self-consumed energy of year 1
    e1 = out["annual_kwh"] * (1 - PRESET.first_year_degradation_pct / 100)
    tariff = out["tariff_group"].map({k: g.flat_yuan_per_kwh for k, g in PRESET.tariffs.items()})
    np.testing.assert_allclose(out["host_benefit_yuan_per_yr"],
                               e1 * out["self_consumption_share"] * tariff * PRESET.emc_host_discount_pct / 100)


def test_sample_figures_are_plausible_and_roll_up(sample_result):
    roofs, summary = sample_result.roofs, sample_result.summary
    s = roofs[roofs["capacity_kw"] > 0]
    per_w = s["capex_yuan"] / (s["capacity_kw"] * 1000)
    assert per_w.between(2.5, 4.0).all()
    assert s["lcoe_yuan_per_kwh"].between(0.2, 0.5).all()
    assert s["simple_payback_yr"].between(3, 12).all()
    d = summary[summary["level"] == "district"].iloc[0]
    assert d["capex_yuan"] == pytest.approx(roofs["capex_yuan"].sum())
    assert d["simple_payback_yr"] == pytest.approx(roofs["capex_yuan"].sum() / roofs["first_year_benefit_yuan"].sum())
    streets = summary[summary["level"] == "street"]
    assert streets["npv_yuan"].sum() == pytest.approx(d["npv_yuan"])


def test_every_number_of_the_shipped_presets_has_a_source_or_an_assumption_label():
    for name in presets.available("economics"):
        data = tomllib.loads(presets.preset_path("economics", name).read_text(encoding="utf-8"))

        def walk(table, where):
            nums = [k for k, v in table.items() if isinstance(v, (int, float, list, dict)) and not
                    (isinstance(v, dict) and all(isinstance(x, dict) for x in v.values()))]
            if nums and where:
                src = table.get("source", "")
                assert src.strip(), f"{name}: [{where}] has numbers {nums} but no source"
                assert presets.ASSUMPTION_LABEL in src or "〔" in src or "号" in src, f"{name}: [{where}] source"
            for k, v in table.items():
                if isinstance(v, dict) and all(isinstance(x, dict) for x in v.values()):
                    for kk, vv in v.items():
                        walk(vv, f"{k}.{kk}")
                elif isinstance(v, dict) and k not in ("by_type", "by_class"):
                    walk(v, k)

        walk(data, "")
        p = presets.load_economics(name)
        assert set(p.sources) >= {"capex", "om", "finance", "feed_in", "subsidy", "emc", "self_consumption"}


def test_a_preset_without_a_source_or_with_a_bad_value_names_the_key(tmp_path):
    text = presets.preset_path("economics", "shanghai-2025").read_text(encoding="utf-8")
    bad = text.replace("yuan_per_w_yr = 0.04\nsource", "yuan_per_w_yr = -1\nnosource")
    bad = bad.replace('subsidy_basis = "export"', 'subsidy_basis = "exports"', 1)
    path = tmp_path / "bad.toml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        presets.load_economics(str(path))
    msg = str(err.value)
    assert "om.yuan_per_w_yr" in msg and "om.source" in msg and "subsidy_basis" in msg and "bad.toml" in msg


def test_hourly_share_and_load_matching():
    pv = np.array([[0.0, 0.0], [5.0, 5.0], [10.0, 10.0], [0.0, 0.0]])
    load = np.array([[3.0, 100.0], [3.0, 100.0], [3.0, 100.0], [3.0, 100.0]])
    np.testing.assert_allclose(selfconsumption.hourly_share(pv, load), [6 / 15, 1.0])
    roofs = pd.DataFrame({"building_id": ["a", "b", "c"], "street": ["S", "S", "T"],
                          "building_class": ["factory"] * 3}, index=[10, 11, 12])
    roof_pv = pd.DataFrame(np.c_[pv[:, 0], pv[:, 0], pv[:, 0]], columns=[10, 11, 12])
    loads = pd.DataFrame({"a": [0.0, 1.0, 1.0, 0.0], "S": [0.0, 10.0, 10.0, 0.0], "factory": [9.0] * 4})
    share, source = selfconsumption.load_shares(roofs, roof_pv, loads)
    assert share[10] == pytest.approx(2 / 15) and source[10] == "load:building"
    # b is alone in street S once a has its own meter
    assert share[11] == pytest.approx(15 / 15) and source[11] == "load:street"
    assert share[12] == pytest.approx(14 / 15) and source[12] == "load:class"


def test_read_load_aligns_to_the_weather_hours_and_names_bad_input(tmp_path):
    from pvsite.io.loads import read_load

    idx = pd.date_range("2019-01-01", periods=8760, freq="h", tz="Asia/Shanghai")
    times = pd.date_range("2024-01-01", periods=8784, freq="h")  # a leap year: 29 Feb dropped
    path = tmp_path / "load.csv"
    pd.DataFrame({"time": times.strftime("%Y-%m-%d %H:%M"), "factory": np.arange(8784) % 24}).to_csv(path, index=False)
    got = read_load(path, idx)
    assert got.shape == (8760, 1) and (got.index == idx).all()
    assert got["factory"].iloc[13] == 13
    short = tmp_path / "short.csv"
    pd.DataFrame({"time": times[:100].strftime("%Y-%m-%d %H:%M"), "x": 1.0}).to_csv(short, index=False)
    with pytest.raises(InputError, match="short.csv.*负荷数据不完整"):
        read_load(short, idx)
    neg = tmp_path / "neg.csv"
    pd.DataFrame({"time": times.strftime("%Y-%m-%d %H:%M"), "x": -1.0}).to_csv(neg, index=False)
    with pytest.raises(InputError, match="'x'.*≥ 0"):
        read_load(neg, idx)


def test_load_profile_sets_the_shares_of_the_roofs_it_covers(sample_prepared, tmp_path):
    """--load through the pipeline: hourly PV (summing to the simulated yield) against the meters."""
    from pvsite import pipeline
    from pvsite.io.loads import read_load
    from pvsite.solar.hourly import plane_profiles

    p = sample_prepared
    base = pipeline.size(p)
    sized = base.roofs[base.roofs["capacity_kw"] > 0]
    school = sized[sized["building_type"] == "school"].iloc[0]
    planes = base.planes[base.planes["roof_index"] == school.name]
    prof = pipeline._hourly_pv(p)(planes)
    assert prof.sum().to_numpy() == pytest.approx(planes["specific_yield_kwh_per_kwp"].to_numpy(), rel=1e-6)
    idx = p.inputs.weather.index
    path = tmp_path / "load.csv"
    pd.DataFrame({"time": idx.strftime("%Y-%m-%d %H:%M"), school["building_id"]: 1e6,
                  "factory": 0.0}).to_csv(path, index=False)
    inputs = dataclasses.replace(p.inputs, load=read_load(path, idx))
    r = pipeline.size(dataclasses.replace(p, inputs=inputs))
    got = r.roofs.loc[school.name]
    assert got["self_consumption_share"] == pytest.approx(1.0) and got["self_consumption_source"] == "load:building"
    fac = r.roofs[(r.roofs["building_class"] == "factory") & (r.roofs["capacity_kw"] > 0)]
    assert (fac["self_consumption_share"] == 0).all() and (fac["self_consumption_source"] == "load:class").all()
    assert (r.roofs["capacity_kw"] == base.roofs["capacity_kw"]).all()


def test_lcoe_agrees_with_pysam_lcoefcr_for_level_flows():
    """PySAM's LCOE module (Lcoefcr: capex × FCR + fixed O&M over annual energy) takes level cash flows
    only, so compare on a preset without degradation or inverter replacement, FCR = capital recovery factor."""
    PySAM = pytest.importorskip("PySAM.Lcoefcr")
    level = dataclasses.replace(PRESET, first_year_degradation_pct=0.0, annual_degradation_pct=0.0,
                                inverter_replacement_year=PRESET.lifetime_yr + 1)
    roofs = _roofs()
    out = economics.appraise(roofs, pd.DataFrame(), EconomicsConfig(), preset=level)
    r, n = level.discount_rate_pct / 100.0, level.lifetime_yr
    crf = r * (1 + r) ** n / ((1 + r) ** n - 1)
    for i in range(len(roofs)):
        m = PySAM.new()
        m.SimpleLCOE.annual_energy = float(roofs["annual_kwh"].iloc[i])
        m.SimpleLCOE.capital_cost = float(out["capex_yuan"].iloc[i])
        m.SimpleLCOE.fixed_charge_rate = crf
        m.SimpleLCOE.fixed_operating_cost = float(out["om_yuan_per_yr"].iloc[i])
        m.SimpleLCOE.variable_operating_cost = 0.0
        m.execute()
        assert out["lcoe_yuan_per_kwh"].iloc[i] == pytest.approx(m.Outputs.lcoe_fcr, rel=0.01)


def test_cli_options_reach_the_economics_config():
    from pvsite import api

    cfg = api.configure(None, economics="shanghai-2025", business_model="emc", load=None)
    assert (cfg.economics.preset, cfg.economics.business_model) == ("shanghai-2025", "emc")
    with pytest.raises(ConfigError, match="economics.business_model"):
        api.configure(None, business_model="lease")
    with pytest.raises(ConfigError, match="economics"):
        presets.load_economics("no-such-economics")


def test_rank_by_payback_orders_the_priority_sheet(tmp_path):
    """--rank-by payback: the workbook's 优先屋顶清单 runs from the quickest payback up (issue 14, done-when)."""
    import openpyxl

    from pvsite import api, pipeline
    from pvsite.outputs import xlsx

    res = pipeline.run(api.configure(rank_by="payback"))
    assert res.priority.attrs["rank_by"].split(",")[0] == "payback"  # ties broken by capacity
    wb = openpyxl.load_workbook(xlsx.write_xlsx(tmp_path / "w.xlsx", res), read_only=True)
    rows = list(wb["优先屋顶清单"].iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r and "静态回收期(年)" in r)
    col = rows[head].index("静态回收期(年)")
    paybacks = [r[col] for r in rows[head + 1:] if r and r[col] is not None]
    assert len(paybacks) > 100 and paybacks == sorted(paybacks)
