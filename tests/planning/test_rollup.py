"""Rollup totals are sums over roofs; every level partitions the district."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from pvsite.errors import InputError
from pvsite.planning import rollup
from pvsite.planning.rollup import NO_STREET
from pvsite.presets import load_classify

CLASS_ZH = load_classify("cn-default").class_names_zh


def summarise(roofs, target_kw, **kw):
    return rollup.summarise(roofs, target_kw, CLASS_ZH, **kw)

CLASSES = ["public_institution", "factory", "other_public", "residential", "other"]
LEVELS = ["high", "medium", "low", "none"]
CONF_COLS = [f"capacity_{lv}_kw" for lv in LEVELS]


def _roofs(n, seed=0):
    rng = np.random.default_rng(seed)
    cap = rng.uniform(0, 200, n) * (rng.random(n) > 0.3)
    return pd.DataFrame(
        {
            "street": rng.choice(["新华路街道", "虹桥街道", None], n),
            "building_class": rng.choice(CLASSES, n),
            "class_confidence": rng.choice(LEVELS, n),
            "responsible_department": rng.choice(["区教育局", "区机管局", ""], n),
            "policy_exceeds_fit": rng.random(n) > 0.8,
            "area_m2": rng.uniform(50, 5000, n),
            "usable_area_m2": rng.uniform(0, 4000, n),
            "pv_area_m2": cap * 7.5,
            "capacity_kw": cap,
            "annual_kwh": cap * 1100.0,
            "co2_t": cap * 1100.0 * 0.42 / 1000,
        }
    )


def test_hand_example():
    roofs = pd.DataFrame(
        {
            "street": ["A", "A", "B"],
            "building_class": ["factory", "public_institution", "factory"],
            "class_confidence": ["high", "low", "medium"],
            "responsible_department": ["区商务委", "区教育局", "区商务委"],
            "policy_exceeds_fit": [False, True, False],
            "area_m2": [1000.0, 500.0, 2000.0],
            "usable_area_m2": [800.0, 300.0, 1800.0],
            "pv_area_m2": [500.0, 250.0, 1000.0],
            "capacity_kw": [100.0, 50.0, 200.0],
            "annual_kwh": [110000.0, 50000.0, 230000.0],
            "co2_t": [46.2, 21.0, 96.6],
        }
    )
    s = summarise(roofs, target_kw=16000.0, streets=["A", "B", "C"])
    d = s[s.level == "district"].iloc[0]
    assert d.capacity_kw == 350.0 and d.annual_mwh == pytest.approx(390.0)
    assert d.potential_x_target == pytest.approx(350 / 16000)
    assert pd.isna(d.installed_kw) and pd.isna(d.achieved_pct)  # no --installed: unknown, not 0
    assert d.specific_yield_kwh_per_kwp == pytest.approx(390000 / 350)
    st_rows = s[s.level == "street"].set_index("key")
    assert st_rows.index.tolist() == ["A", "B", "C"]  # C listed though empty
    assert st_rows.loc["A", "capacity_kw"] == 150.0 and st_rows.loc["C", "n_buildings"] == 0
    assert st_rows.loc["A", "n_exceeds_fit"] == 1
    cls = s[s.level == "class"].set_index("key")
    assert cls.loc["factory", "capacity_kw"] == 300.0 and cls.loc["factory", "key_zh"] == "工业厂房"
    dept = s[s.level == "department"].set_index("key")
    assert dept.loc["区商务委", "capacity_kw"] == 300.0
    # capacity by confidence: 100 kW high, 50 kW low (the school), 200 kW medium
    assert d[CONF_COLS].tolist() == [100.0, 200.0, 50.0, 0.0]
    assert cls.loc["factory", CONF_COLS].tolist() == [100.0, 200.0, 0.0, 0.0]
    assert st_rows.loc["A", CONF_COLS].tolist() == [100.0, 0.0, 50.0, 0.0]


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 60), seed=st.integers(0, 10_000))
def test_every_level_sums_to_district(n, seed):
    roofs = _roofs(n, seed)
    s = summarise(roofs, target_kw=16000.0)
    d = s[s.level == "district"].iloc[0]
    assert d.capacity_kw == pytest.approx(roofs.capacity_kw.sum())
    assert d.n_buildings == n
    for level in ("street", "class", "department", "street_class"):
        part = s[s.level == level]
        assert part.capacity_kw.sum() == pytest.approx(d.capacity_kw)
        assert part.annual_mwh.sum() == pytest.approx(d.annual_mwh)
        assert part.n_buildings.sum() == n
    # the confidence parts add up to the capacity on every row, and each is a sum over its roofs
    np.testing.assert_allclose(s[CONF_COLS].sum(axis=1), s.capacity_kw, rtol=1e-12, atol=1e-9)
    for lv in LEVELS:
        assert d[f"capacity_{lv}_kw"] == pytest.approx(roofs.capacity_kw[roofs.class_confidence == lv].sum())
    if roofs.street.isna().any():
        assert NO_STREET in set(s[s.level == "street"].key)


def test_order_invariant():
    roofs = _roofs(50, 3)
    a = summarise(roofs, 16000.0).set_index(["level", "key"]).sort_index()
    b = summarise(roofs.sample(frac=1, random_state=1), 16000.0).set_index(["level", "key"]).sort_index()
    pd.testing.assert_frame_equal(a, b, check_exact=False)


@pytest.mark.parametrize("bad", [None, "certain"])
def test_missing_or_unknown_confidence_is_an_input_error(bad):
    roofs = _roofs(5, 1)
    roofs.loc[2, "class_confidence"] = bad
    with pytest.raises(InputError, match="class_confidence"):
        summarise(roofs, 16000.0)
    with pytest.raises(InputError, match="class_confidence"):
        summarise(roofs.drop(columns="class_confidence"), 16000.0)


@pytest.mark.slow
def test_sample_district_capacity_by_confidence_adds_up_at_every_level():
    from pvsite import pipeline
    from pvsite.config import Config

    res = pipeline.size(pipeline.prepare(Config()), "plan-2025")
    s, roofs = res.summary, res.roofs
    np.testing.assert_allclose(s[CONF_COLS].sum(axis=1), s.capacity_kw, rtol=1e-12, atol=1e-6)
    d = s[s.level == "district"].iloc[0]
    for lv in LEVELS:
        assert d[f"capacity_{lv}_kw"] == pytest.approx(roofs.capacity_kw[roofs.class_confidence == lv].sum())
    # the sample's use column decides most of the figure; names decide the rest (no OSM tags in it)
    assert d.capacity_high_kw > 0.9 * d.capacity_kw and d.capacity_low_kw > 0 and d.capacity_medium_kw == 0
