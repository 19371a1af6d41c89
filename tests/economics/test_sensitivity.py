"""Sensitivity of the district payback / NPV, and the per-group economics (LCOE, business models)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pvsite import economics, presets
from pvsite.config import EconomicsConfig
from pvsite.economics.sensitivity import CASES, scaled_preset, sensitivity
from pvsite.outputs import schema

PRESET = presets.load_economics("shanghai-2025")


def _roofs(share_school=None) -> pd.DataFrame:
    return pd.DataFrame({
        "building_id": ["S1", "F1", "H1", "X0"], "building_type": ["school", "factory", "hospital", "office"],
        "building_class": ["public_institution", "factory", "public_institution", "other"],
        "mounting": ["tilted_rows", "flush", "tilted_rows", "tilted_rows"],
        "roof_type": ["flat", "metal", "flat", "flat"], "capacity_kw": [100.0, 500.0, 80.0, 0.0],
        "annual_kwh": [100_000.0, 500_000.0, 85_000.0, 0.0], "pv_area_m2": [900.0, 2600.0, 700.0, 0.0],
        "street": ["A", "B", "A", "B"], "responsible_department": ["区教育局", "B", "区卫健委", ""]})


def _district(appraised: pd.DataFrame) -> tuple[float, float]:
    capex, benefit = appraised["capex_yuan"].sum(), appraised["first_year_benefit_yuan"].sum()
    return capex / benefit, appraised["npv_yuan"].sum()


def test_every_case_equals_the_appraisal_under_the_changed_preset():
    cfg = EconomicsConfig()
    roofs = _roofs()
    base = economics.appraise(roofs, pd.DataFrame(), cfg, preset=PRESET)
    table = sensitivity(base, pd.DataFrame(), cfg, preset=PRESET)
    assert list(table["parameter"]) == ["base"] + [c[0] for c in CASES]
    assert table.attrs["n_roofs"] == 3  # the unsized roof is not appraised
    row = table.iloc[0]
    assert (row["payback_yr"], row["npv_yuan"]) == pytest.approx(_district(base), rel=1e-12)
    for parameter in ("capex", "tariff"):
        for change in (-20.0, 20.0) if parameter == "capex" else (-10.0, 10.0):
            again = economics.appraise(roofs, pd.DataFrame(), cfg, preset=scaled_preset(PRESET, parameter, change))
            r = table[(table["parameter"] == parameter) & (table["change"] == change)].iloc[0]
            assert (r["payback_yr"], r["npv_yuan"]) == pytest.approx(_district(again), rel=1e-12)
    # capex only moves the investment: payback scales by exactly 1.2, NPV falls by 20 % of the capex
    up = table[(table["parameter"] == "capex") & (table["change"] == 20.0)].iloc[0]
    assert up["payback_yr"] == pytest.approx(row["payback_yr"] * 1.2, rel=1e-12)
    assert up["npv_yuan"] == pytest.approx(row["npv_yuan"] - 0.2 * base["capex_yuan"].sum(), rel=1e-12)
    # a dearer tariff makes self-consumption worth more: shorter payback
    t = table[table["parameter"] == "tariff"].set_index("change")["payback_yr"]
    assert t[10.0] < row["payback_yr"] < t[-10.0]


def test_self_consumption_shift_is_clipped_to_one_and_matches_a_preset_of_those_shares():
    cfg = EconomicsConfig()
    roofs = _roofs()
    base = economics.appraise(roofs, pd.DataFrame(), cfg, preset=PRESET)
    table = sensitivity(base, pd.DataFrame(), cfg, preset=PRESET)
    shifted = np.clip(base["self_consumption_share"] + 0.2, 0, 1)
    assert shifted.iloc[2] == 1.0  # the hospital, 0.95 + 0.20, is clipped
    by_type = {t: float(s) for t, s in zip(roofs["building_type"], shifted)}
    p = presets.EconomicsPreset(**{**{f: getattr(PRESET, f) for f in PRESET.__dataclass_fields__},
                                   "self_consumption_by_type": by_type})
    again = economics.appraise(roofs, pd.DataFrame(), cfg, preset=p)
    r = table[(table["parameter"] == "self_consumption") & (table["change"] == 20.0)].iloc[0]
    assert (r["payback_yr"], r["npv_yuan"]) == pytest.approx(_district(again), rel=1e-12)
    assert r["change_label"] == "+20 个百分点 pp"


def test_full_export_roofs_do_not_move_with_tariff_or_self_consumption():
    cfg = EconomicsConfig(business_model="full-export")
    base = economics.appraise(_roofs(), pd.DataFrame(), cfg, preset=PRESET)
    table = sensitivity(base, pd.DataFrame(), cfg, preset=PRESET).set_index(["parameter", "change"])
    for key in (("tariff", 10.0), ("self_consumption", -20.0), ("self_consumption", 20.0)):
        assert table.loc[key, "payback_yr"] == pytest.approx(table.loc[("base", 0.0), "payback_yr"], rel=1e-12)


def test_sample_sensitivity_is_on_the_result_and_matches_the_summary(sample_result):
    s = sample_result.sensitivity
    d = sample_result.district
    base = s[s["parameter"] == "base"].iloc[0]
    assert base["payback_yr"] == pytest.approx(d["simple_payback_yr"], rel=1e-9)
    assert base["npv_yuan"] == pytest.approx(d["npv_yuan"], rel=1e-9)
    assert len(s) == 1 + len(CASES) and s["payback_yr"].notna().all()


def test_group_economics_weights_lcoe_by_capacity_and_lists_the_models():
    cfg = EconomicsConfig(business_model_by_class={"factory": "emc"})
    a = economics.appraise(_roofs(), pd.DataFrame(), cfg, preset=PRESET)
    g = economics.group_economics(a, "全区").set_index(["level", "key"])
    sized = a[a["capacity_kw"] > 0]
    want = (sized["lcoe_yuan_per_kwh"] * sized["capacity_kw"]).sum() / sized["capacity_kw"].sum()
    assert g.loc[("district", "全区"), "lcoe_yuan_per_kwh"] == pytest.approx(want, rel=1e-12)
    assert g.loc[("district", "全区"), "business_model"] == "self,emc"
    assert g.loc[("street", "A"), "business_model"] == "self"
    a_roofs = sized[sized["street"] == "A"]
    assert g.loc[("street", "A"), "lcoe_yuan_per_kwh"] == pytest.approx(
        np.average(a_roofs["lcoe_yuan_per_kwh"], weights=a_roofs["capacity_kw"]), rel=1e-12)
    assert ("department", "区教育局") in g.index
    label = schema.label_series("business_model", pd.Series(["self,emc"])).iloc[0]
    assert label == "自发自用、余电上网 + 合同能源管理(EMC)"


def _group_economics_per_group(roofs: pd.DataFrame, scope_label: str) -> pd.DataFrame:
    """The earlier group_economics (a Python call per group for the models): the reference of the vectorised one."""
    from pvsite.economics import models
    from pvsite.planning.rollup import NO_DEPARTMENT, NO_STREET

    sized = roofs[roofs["capacity_kw"].to_numpy(dtype=float) > 0]
    kw = sized["capacity_kw"].to_numpy(dtype=float)
    lcoe = sized["lcoe_yuan_per_kwh"].to_numpy(dtype=float, na_value=np.nan)
    ok = np.isfinite(lcoe)
    frame = pd.DataFrame({"w": np.where(ok, kw, 0.0), "wl": np.where(ok, kw * lcoe, 0.0),
                          "model": sized["business_model"].astype(str).to_numpy()}, index=sized.index)
    keys = {"district": pd.Series(scope_label, index=sized.index),
            "street": sized["street"].astype("string").fillna(NO_STREET),
            "department": sized["responsible_department"].astype("string").replace("", pd.NA).fillna(NO_DEPARTMENT)}
    parts = []
    for level, key in keys.items():
        g = frame.groupby(key.to_numpy())
        sums = g[["w", "wl"]].sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            weighted = np.where(sums["w"] > 0, sums["wl"] / sums["w"], np.nan)
        used = g["model"].agg(lambda m: ",".join(x for x in models.MODELS if x in set(m)))
        parts.append(pd.DataFrame({"level": level, "key": sums.index.astype(str), "lcoe_yuan_per_kwh": weighted,
                                   "business_model": used.reindex(sums.index).to_numpy()}))
    return pd.concat(parts, ignore_index=True)


@pytest.mark.parametrize("case", ["mixed", "no_lcoe", "none_sized"])
def test_group_economics_equals_the_per_group_reference(case):
    """Vectorised group_economics gives exactly the frame of the per-group version: models in MODELS order,
    missing streets and departments grouped, NaN LCOE where no roof of a group has one, no sized roof."""
    cfg = EconomicsConfig(business_model_by_class={"factory": "emc", "other": "full-export"})
    roofs = pd.concat([_roofs()] * 5, ignore_index=True)
    roofs["capacity_kw"] = roofs["capacity_kw"] * np.arange(1, len(roofs) + 1) + (roofs.index % 4 == 3) * 7.0
    roofs.loc[[2, 9], "street"] = None
    roofs.loc[[4, 11], "responsible_department"] = None
    a = economics.appraise(roofs, pd.DataFrame(), cfg, preset=PRESET)
    if case == "no_lcoe":
        a.loc[a["street"] == "A", "lcoe_yuan_per_kwh"] = np.nan
    if case == "none_sized":
        a["capacity_kw"] = 0.0
    got = economics.group_economics(a, "全区")
    want = _group_economics_per_group(a, "全区")
    if case != "none_sized":
        assert set(got["business_model"]) > {"self", "emc"} and got["lcoe_yuan_per_kwh"].notna().any()
    pd.testing.assert_frame_equal(got, want)
