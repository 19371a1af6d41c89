"""Sensitivity of the district's payback and NPV to capex, tariff and self-consumption.

    table = sensitivity(roofs, planes, config)      # one row per case, the base case first

Each case recomputes the cash flows of every sized roof through
:func:`pvsite.economics.cash_flows` — the appraisal's own code, one block of
:data:`pvsite.economics.BLOCK_ROOFS` roofs at a time — with one input changed (:data:`CASES`, the ranges issue 14 asks for):

* ``capex`` ± 20 %: every 元/W of the preset's ``[capex]`` table scaled
  (O&M and the inverter replacement keep their own 元/W);
* ``tariff`` ± 10 %: the host's grid price of every ``[tariffs.*]`` group
  scaled — the value of a self-consumed kWh, and under EMC the price the
  investor sells at; the feed-in price (燃煤发电基准价, set by policy) and
  the Shanghai reward are left as they are;
* ``self_consumption`` ± 20 percentage points: every roof's self-consumed
  share (the preset's, or the hourly one of ``--load``) shifted and clipped
  to 0–1; full-export roofs stay at 0.

The district figures are those of the summary's district row: simple
payback = Σ capex / Σ net first-year benefit (empty when the benefit ≤ 0),
NPV = Σ NPV of the investing parties, at the run's real discount rate.
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import numpy as np
import pandas as pd

from pvsite import presets

__all__ = ["CASES", "PARAMETERS_ZH", "scaled_preset", "sensitivity"]

#: The cases: (parameter, change, unit of the change).  ``%`` scales, ``pp`` shifts a 0–1 share.
CASES = (("capex", -20.0, "%"), ("capex", 20.0, "%"), ("tariff", -10.0, "%"), ("tariff", 10.0, "%"),
         ("self_consumption", -20.0, "pp"), ("self_consumption", 20.0, "pp"))
#: Chinese names of the parameters (the tornado chart and the tables).
PARAMETERS_ZH = {"base": "基准", "capex": "投资", "tariff": "电价", "self_consumption": "自用比例"}


def scaled_preset(preset, parameter: str, change_pct: float):
    """``preset`` with its capex table or its host tariffs scaled by ``1 + change_pct / 100``.

    Parameters
    ----------
    preset : pvsite.presets.EconomicsPreset
    parameter : {'capex', 'tariff'}
    change_pct : float
        Change [%].
    """
    k = 1.0 + change_pct / 100.0
    if parameter == "capex":
        table = {m: tuple(v * k for v in vals) for m, vals in preset.capex_yuan_per_w.items()}
        return dataclasses.replace(preset, capex_yuan_per_w=MappingProxyType(table))
    if parameter == "tariff":
        groups = {name: dataclasses.replace(g, flat_yuan_per_kwh=g.flat_yuan_per_kwh * k)
                  for name, g in preset.tariffs.items()}
        return dataclasses.replace(preset, tariffs=MappingProxyType(groups))
    raise ValueError(f"no preset table scales with parameter {parameter!r} (capex, tariff)")


def _change_label(change: float, unit: str) -> str:
    sign = "+" if change > 0 else "−" if change < 0 else "±"
    return f"{sign}{abs(change):g} %" if unit == "%" else f"{sign}{abs(change):g} 个百分点 pp"


def sensitivity(roofs: pd.DataFrame, planes: pd.DataFrame, config, *, load: pd.DataFrame | None = None,
                hourly_pv=None, preset=None, cases=CASES) -> pd.DataFrame:
    """District payback and NPV of the base case and of each case of ``cases``.

    Parameters
    ----------
    roofs : pandas.DataFrame
        Sized, simulated roofs (as :func:`pvsite.economics.appraise` takes
        them).  When they carry ``self_consumption_share`` (the appraisal's
        output) those shares are the base; otherwise they are computed as the
        appraisal does (preset, then the hours of ``load``).
    planes : pandas.DataFrame
        Sized planes; used only with ``load`` and no ``self_consumption_share``.
    config : pvsite.config.EconomicsConfig
    load, hourly_pv : optional
        As :func:`pvsite.economics.appraise`.
    preset : pvsite.presets.EconomicsPreset, optional
        Default: ``presets.load_economics(config.preset)``.
    cases : sequence of (parameter, change, unit)
        Default :data:`CASES`.

    Returns
    -------
    pandas.DataFrame
        One row per case, the base case (``parameter == 'base'``) first:
        ``parameter``, ``parameter_zh``, ``change`` [% or percentage points],
        ``change_unit`` (``%`` / ``pp``), ``change_label``, ``capex_yuan``,
        ``first_year_benefit_yuan`` [元, district sums], ``payback_yr``
        (Σ capex / Σ benefit; NaN when the benefit ≤ 0), ``npv_yuan`` [元].
        ``attrs``: ``preset`` (name), ``n_roofs`` (sized roofs appraised).
    """
    from pvsite import economics  # noqa: PLC0415 (the package imports this module)

    preset = preset or presets.load_economics(config.preset)
    is_sized = roofs["capacity_kw"].to_numpy(dtype=float) > 0
    if "self_consumption_share" in roofs.columns:
        share = roofs["self_consumption_share"].to_numpy(dtype=float)[is_sized]
    else:
        share = economics.appraisal_shares(roofs[is_sized], planes, preset, load, hourly_pv)[0].to_numpy()
    sized = roofs.loc[is_sized, list(economics.CASH_FLOW_COLUMNS)]  # the few columns the cash flows read

    def district(p, s) -> tuple[float, float, float]:
        # the cash flows of one block of roofs at a time; the per-roof capex, first-year benefit and NPV are
        # kept (3 floats a roof) and summed once, so the sums do not depend on the block size
        capex, first, npv = np.empty(len(sized)), np.empty(len(sized)), np.empty(len(sized))
        for sl in economics.blocks(len(sized)):
            c = economics.cash_flows(sized.iloc[sl], s[sl], config, p)
            capex[sl], first[sl] = c.capex, c.flows.investor[:, 0]
            npv[sl] = economics.cashflows.npv(c.rate, np.column_stack([-c.capex, c.flows.investor]))
        return float(capex.sum()), float(first.sum()), float(npv.sum())

    rows = [("base", 0.0, "", *district(preset, share))]
    for parameter, change, unit in cases:
        if parameter == "self_consumption":
            rows.append((parameter, change, unit,
                         *district(preset, np.clip(share + change / 100.0, 0.0, 1.0))))
        else:
            rows.append((parameter, change, unit, *district(scaled_preset(preset, parameter, change), share)))
    out = pd.DataFrame(rows, columns=["parameter", "change", "change_unit", "capex_yuan",
                                      "first_year_benefit_yuan", "npv_yuan"])
    benefit = out["first_year_benefit_yuan"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["payback_yr"] = np.where(benefit > 0, out["capex_yuan"].to_numpy() / benefit, np.nan)
    out.insert(1, "parameter_zh", out["parameter"].map(PARAMETERS_ZH).fillna(out["parameter"]))
    out.insert(4, "change_label", ["基准 base" if p == "base" else _change_label(c, u)
                                   for p, c, u in zip(out["parameter"], out["change"], out["change_unit"])])
    out = out[["parameter", "parameter_zh", "change", "change_unit", "change_label", "capex_yuan",
               "first_year_benefit_yuan", "payback_yr", "npv_yuan"]]
    out.attrs.update(preset=preset.name, n_roofs=int(len(sized)))
    return out
