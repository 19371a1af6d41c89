"""Economics in roof blocks (issue 15): the block size changes the memory held, never a figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pvsite import economics, presets
from pvsite.config import EconomicsConfig

PRESET = presets.load_economics("shanghai-2025")


def _both(monkeypatch, fn):
    """``fn()`` with one block for every roof, then with blocks of 7 roofs."""
    monkeypatch.setattr(economics, "BLOCK_ROOFS", 10**9)
    whole = fn()
    monkeypatch.setattr(economics, "BLOCK_ROOFS", 7)
    return whole, fn()


def test_blocks_cover_every_row_once():
    assert economics.blocks(0) == [slice(0, 0)]
    assert economics.blocks(15, 7) == [slice(0, 7), slice(7, 14), slice(14, 15)]
    assert economics.blocks(14, 7) == [slice(0, 7), slice(7, 14)]
    assert economics.blocks(3) == [slice(0, 3)]


@pytest.mark.parametrize("cfg", [{}, {"business_model": "emc"}, {"business_model": "full-export"},
                                 {"business_model": "self", "business_model_by_class": {"factory": "emc"}}])
def test_appraisal_and_sensitivity_do_not_depend_on_the_block_size(sample_result, monkeypatch, cfg):
    roofs, planes = sample_result.roofs, sample_result.planes
    keep = [c for c in roofs.columns if c not in economics.ECON_COLUMNS]
    raw = roofs[keep]
    sized = raw["capacity_kw"] > 0
    assert (~sized).any() and sized.sum() > 7 * 3  # unsized roofs, and many blocks of sized ones
    config = EconomicsConfig(**cfg)
    whole, blocked = _both(monkeypatch, lambda: economics.appraise(raw, planes, config, preset=PRESET))
    pd.testing.assert_frame_equal(whole, blocked, check_exact=True)
    assert list(whole.columns) == keep + list(economics.ECON_COLUMNS)
    assert (whole.loc[~sized, "econ_note"] == "未装光伏 no PV sized").all()
    s_whole, s_blocked = _both(monkeypatch, lambda: economics.sensitivity(whole, planes, config, preset=PRESET))
    pd.testing.assert_frame_equal(s_whole, s_blocked, check_exact=True)
    # the shares computed inside sensitivity (no self_consumption_share column) give the same table
    pd.testing.assert_frame_equal(s_whole, economics.sensitivity(raw, planes, config, preset=PRESET),
                                  check_exact=True)


def test_notes_join_the_payback_and_irr_reasons():
    """Unsized, never paying, paying and IRR-less roofs in one frame: each note as the per-roof join gives it."""
    roofs = pd.DataFrame({"building_id": ["S1", "F1", "F2", "S2"], "building_type": ["school", "factory"] * 2,
                          "building_class": ["public_institution", "factory"] * 2,
                          "mounting": ["tilted_rows", "flush", "flush", "tilted_rows"],
                          "roof_type": ["flat", "metal", "metal", "flat"], "capacity_kw": [100.0, 0.0, 50.0, 80.0],
                          "annual_kwh": [110_000.0, 0.0, 1.0, 90_000.0], "pv_area_m2": [900.0, 0.0, 300.0, 700.0],
                          "street": ["A"] * 4, "npv_yuan": [1.0, 2.0, 3.0, 4.0]})
    before = roofs.copy()
    out = economics.appraise(roofs, pd.DataFrame(), EconomicsConfig(), preset=PRESET)
    pd.testing.assert_frame_equal(roofs, before)  # the input is left alone
    irr = out["irr_pct"].to_numpy()
    from pvsite.economics import cashflows
    _, payback_note = cashflows.simple_payback(out["capex_yuan"], out["first_year_benefit_yuan"], PRESET.lifetime_yr)
    expected = [" ; ".join(x for x in (n, "IRR无解 IRR undefined (no sign change in the cash flows)"
                                       if np.isnan(r) else "") if x) if kw > 0 else "未装光伏 no PV sized"
                for n, r, kw in zip(payback_note, irr, roofs["capacity_kw"])]
    assert list(out["econ_note"]) == expected
    assert "IRR无解" in out["econ_note"].iloc[2] and out["econ_note"].iloc[0] == ""
    assert out["npv_yuan"].iloc[1] == 0.0 and list(out.columns[:10]) == list(before.columns)
