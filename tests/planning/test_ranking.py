"""Priority list: order by key, cumulative kW, the fewest roofs that close the gap, department task lists."""

import itertools

import numpy as np
import pandas as pd
import pytest

from pvsite.config import Config
from pvsite.errors import ConfigError, InputError
from pvsite.planning import ranking

ORDER = ("public_institution", "factory", "other_public", "residential", "other")


def _roofs(n, seed=0, **extra):
    rng = np.random.default_rng(seed)
    cap = np.round(rng.uniform(0, 500, n) * (rng.random(n) > 0.2), 1)
    return pd.DataFrame({
        "building_id": [f"B{i:04d}" for i in range(n)],
        "name": [f"楼{i}" for i in range(n)],
        "street": rng.choice(["新华路街道", "虹桥街道"], n),
        "building_class": rng.choice(ORDER, n),
        "class_zh": "x",
        "responsible_department": rng.choice(["区教育局", "区机管局", ""], n),
        "capacity_kw": cap,
        "specific_yield_kwh_per_kwp": rng.uniform(800, 1100, n),
        **extra,
    })


def _fewest(caps, gap):
    """Brute force: the smallest number of roofs whose kW reach the gap (None when none can)."""
    for k in range(1, len(caps) + 1):
        if max(sum(c) for c in itertools.combinations(caps, k)) >= gap - 1e-9:
            return k
    return None


@pytest.mark.parametrize("seed", range(40))
def test_capacity_prefix_is_the_fewest_roofs(seed):
    rng = np.random.default_rng(seed)
    roofs = _roofs(int(rng.integers(1, 10)), seed)
    target = float(rng.uniform(1, 2500))
    pr = ranking.rank_roofs(roofs, "capacity", target, ORDER)
    caps = list(roofs.loc[roofs["capacity_kw"] > 0, "capacity_kw"])
    want = _fewest(caps, target)
    assert pr.attrs["n_closing"] == (want or 0)
    assert int(pr["closes_gap"].sum()) == (want or 0)
    assert np.all(np.diff(pr["remaining_potential_kw"]) <= 0)
    np.testing.assert_allclose(pr["cumulative_kw"], np.cumsum(pr["remaining_potential_kw"]))
    if want:
        assert pr.loc[pr["closes_gap"], "remaining_potential_kw"].sum() >= target - 1e-9
    else:
        assert pr.attrs["shortfall_kw"] == pytest.approx(target - sum(caps))


def test_class_first_then_capacity_and_lexicographic_keys():
    roofs = _roofs(300, 1)
    pr = ranking.rank_roofs(roofs, "class", 16000, ORDER)
    pos = pr["building_class"].map({c: i for i, c in enumerate(ORDER)}).to_numpy()
    assert np.all(np.diff(pos) >= 0)
    for _, g in pr.groupby("building_class"):
        assert np.all(np.diff(g["remaining_potential_kw"].to_numpy()) <= 0)
    assert pr.attrs["rank_by"] == "class,capacity"
    y = ranking.rank_roofs(roofs, "yield", 16000, ORDER)
    assert np.all(np.diff(y["specific_yield_kwh_per_kwp"]) <= 0)
    assert len(pr) == int((roofs["capacity_kw"] > 0).sum())  # only roofs with remaining potential


def test_order_does_not_depend_on_row_order():
    roofs = _roofs(200, 2)
    roofs.loc[:50, "capacity_kw"] = 100.0  # many ties
    a = ranking.rank_roofs(roofs, "class,capacity", 5000, ORDER)
    b = ranking.rank_roofs(roofs.sample(frac=1, random_state=3), "class,capacity", 5000, ORDER)
    assert list(a["building_id"]) == list(b["building_id"])


def test_gap_uses_installed_and_in_progress_and_remaining_potential():
    roofs = _roofs(50, 4)
    roofs["installed_kw"] = 0.0
    roofs["under_construction_kw"] = 0.0
    roofs["planned_kw"] = 0.0
    roofs.loc[0, "installed_kw"] = 1000.0
    roofs.loc[1, "under_construction_kw"] = 500.0
    roofs.loc[2, "planned_kw"] = 250.0
    roofs["remaining_potential_kw"] = (roofs["capacity_kw"] - roofs[["installed_kw", "under_construction_kw",
                                                                      "planned_kw"]].sum(axis=1)).clip(lower=0)
    pr = ranking.rank_roofs(roofs, "capacity", 16000, ORDER)
    assert pr.attrs["gap_kw"] == pytest.approx(16000 - 1750)
    assert pr["remaining_potential_kw"].sum() == pytest.approx(roofs["remaining_potential_kw"].sum())
    assert not pr.attrs["missing"] or "plan_task" in pr.attrs["missing"][0]
    tasks = ranking.department_tasks(pr)
    allrows = pd.concat(tasks.values())
    assert sorted(allrows["building_id"]) == sorted(pr["building_id"])
    assert set(allrows["status"]) <= set(ranking.STATUS)
    done = ranking.rank_roofs(roofs, "capacity", 1500, ORDER)
    assert done.attrs["gap_kw"] < 0 and not done["closes_gap"].any()


def test_without_registry_the_gap_is_potential_only():
    pr = ranking.rank_roofs(_roofs(20, 5), "capacity", 16000, ORDER)
    assert pr.attrs["gap_kw"] == 16000 and pr.attrs["gap_basis"].startswith("potential only")
    tasks = ranking.department_tasks(pr)
    assert "(未指定)" in tasks and all((t["status"] == "not_checked").all() for t in tasks.values())
    totals = [t["remaining_potential_kw"].sum() for t in tasks.values()]
    assert totals == sorted(totals, reverse=True)


def test_economics_keys_need_the_economics_columns():
    roofs = _roofs(30, 6)
    with pytest.raises(InputError, match="economics"):
        ranking.rank_roofs(roofs, "payback", 16000, ORDER)
    roofs["simple_payback_yr"] = np.where(np.arange(30) % 5 == 0, np.nan, np.arange(30) % 7 + 3.0)
    roofs["npv_yuan"] = np.arange(30) * 1000.0
    pr = ranking.rank_roofs(roofs, "payback", 16000, ORDER)
    pb = pr["simple_payback_yr"].to_numpy()
    finite = pb[~np.isnan(pb)]
    assert np.all(np.diff(finite) >= 0) and np.isnan(pb[len(finite):]).all()  # never-pays-back last
    assert np.all(np.diff(ranking.rank_roofs(roofs, "npv", 1, ORDER)["npv_yuan"]) <= 0)


def test_bad_keys_are_config_errors():
    with pytest.raises(ValueError, match="did you mean 'capacity'"):
        ranking.parse_rank_by("capacty")
    with pytest.raises(ConfigError, match="rank_by"):
        Config().with_overrides(priority={"rank_by": "class,,yield"})
    assert ranking.parse_rank_by(" Class , capacity ") == ("class", "capacity")


@pytest.mark.slow
def test_a_million_roofs():
    """Vectorised: one sort and one cumulative sum (no assertion on time)."""
    roofs = _roofs(1_000_000, 7)
    pr = ranking.rank_roofs(roofs, "class,capacity", 16000, ORDER)
    assert pr["rank"].iloc[-1] == len(pr) and pr["closes_gap"].iloc[0]


def test_the_list_reads_only_the_columns_it_shows():
    """Extra wide columns (geometry, anything else) change nothing in the ranked list."""
    rng = np.random.default_rng(5)
    n = 200
    roofs = pd.DataFrame({"building_id": [f"b{i:03d}" for i in range(n)], "capacity_kw": rng.uniform(0, 500, n),
                          "specific_yield_kwh_per_kwp": rng.uniform(800, 1200, n),
                          "building_class": rng.choice(["public_institution", "factory", "other_public"], n),
                          "class_zh": "类", "street": "甲街道", "responsible_department": "区发改委",
                          "name": "楼"})
    base = ranking.rank_roofs(roofs, "class,capacity", 10_000.0, ["public_institution", "factory", "other_public"])
    wide = roofs.assign(extra=np.arange(n), blob=[{"x": i} for i in range(n)])
    got = ranking.rank_roofs(wide, "class,capacity", 10_000.0, ["public_institution", "factory", "other_public"])
    pd.testing.assert_frame_equal(base, got)
    assert got.attrs == base.attrs and len(got) > 100
