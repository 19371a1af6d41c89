"""Economics stage: investment, benefit, payback, NPV, IRR and LCOE of every sized roof.

One call, :func:`appraise`, in :func:`pvsite.pipeline.size` after the yields::

    roofs = economics.appraise(roofs, planes, config.economics, load=..., hourly_pv=...)

* :mod:`.selfconsumption` — share of PV used on site (preset per type/class, or
  hour by hour from ``--load``);
* :mod:`.models` — the business models (self / full-export / emc) as yearly
  cash flows of the investing party and of the EMC host;
* :mod:`.cashflows` — NPV, IRR, LCOE and simple payback on the (roofs × years)
  matrices, vectorised;
* :mod:`.sensitivity` — the district's payback and NPV with capex ± 20 %,
  tariff ± 10 %, self-consumption ± 20 points (``RunResult.sensitivity``);
  :func:`group_economics` — capacity-weighted LCOE and business models per
  street / department (the workbook's 经济性 sheet and the report).

Costs, tariffs, rewards and contract terms come from an economics preset
(``presets/economics/shanghai-2025.toml``), every number cited or labelled a
pvsite assumption.  Money is real (constant 元 of the preset's year).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from pvsite import presets
from pvsite.economics import cashflows, models, selfconsumption
from pvsite.economics.sensitivity import sensitivity
from pvsite.frames import own_copy

__all__ = ["BLOCK_ROOFS", "CASH_FLOW_COLUMNS", "ECON_COLUMNS", "CashFlows", "appraisal_shares", "appraise", "blocks",
           "capex_per_w", "cash_flows", "group_economics", "roof_inputs", "sensitivity"]

#: Columns :func:`appraise` adds to the roofs (pvsite/outputs/schema.py describes each).
ECON_COLUMNS = ("business_model", "capex_yuan", "om_yuan_per_yr", "self_consumption_share",
                "self_consumption_source", "tariff_group", "first_year_benefit_yuan", "simple_payback_yr",
                "npv_yuan", "irr_pct", "lcoe_yuan_per_kwh", "host_benefit_yuan_per_yr", "investor_irr_pct",
                "econ_note")

#: Roofs whose cash flows exist at once (issue 15).  The cash flows are (roofs × years) matrices — energy,
#: replacement, reward fraction, investor and host flows, the IRR bisection's temporaries: about 15 of them,
#: 50,000 × 26 years × 8 B ≈ 10 MB each — so :func:`appraise` and :func:`sensitivity` build them for one
#: block of this many roofs at a time and keep only per-roof figures.  Every figure is computed row by
#: row (the IRR bisection too, and the NPV / LCOE sums: :func:`pvsite.economics.cashflows.npv`), so no
#: result depends on the block size; the tests compare a block of 7 roofs with one block for all.
BLOCK_ROOFS = 50_000

#: The roof columns :func:`cash_flows` reads (a block is cut from these, never from the wide roofs table).
CASH_FLOW_COLUMNS = ("capacity_kw", "annual_kwh", "pv_area_m2", "mounting", "roof_type", "building_type",
                     "building_class")


def capex_per_w(roofs: pd.DataFrame, preset) -> np.ndarray:
    """Installed cost [元/W DC] of each roof by mounting and size band.

    ``tilted_rows`` → ``flat_racks``; ``flush`` on a ``metal`` roof →
    ``metal_flush``; any other flush plane → ``pitched_flush``.  The band is
    the last ``capex_bands_kw`` lower bound ≤ the roof's ``capacity_kw``.
    """
    mounting = roofs["mounting"].astype("string").fillna("tilted_rows").to_numpy()
    roof_type = roofs["roof_type"].astype("string").fillna("unknown").to_numpy()
    kind = np.where(mounting == "tilted_rows", "flat_racks",
                    np.where(roof_type == "metal", "metal_flush", "pitched_flush"))
    band = np.searchsorted(np.asarray(preset.capex_bands_kw), roofs["capacity_kw"].to_numpy(dtype=float),
                           side="right") - 1
    band = np.clip(band, 0, len(preset.capex_bands_kw) - 1)
    table = np.array([preset.capex_yuan_per_w[m] for m in presets.CAPEX_MOUNTINGS])  # (3, bands)
    row = np.searchsorted(np.array(presets.CAPEX_MOUNTINGS), kind)
    order = np.argsort(np.array(presets.CAPEX_MOUNTINGS))
    return table[order[row], band]


def roof_inputs(roofs: pd.DataFrame, preset, config) -> pd.DataFrame:
    """Per-roof tariff group, tariff, reward and business model (before any cash flow)."""
    btype = roofs["building_type"].astype(object)
    bclass = roofs["building_class"].astype(object)
    group = btype.map(dict(preset.tariff_by_type)).fillna(bclass.map(dict(preset.tariff_by_class)))
    fallback = dict(preset.tariff_by_class).get("other", next(iter(preset.tariffs)))
    group = group.fillna(fallback).astype(str)
    tg = {k: preset.tariffs[k] for k in group.unique()}
    by_class = dict(config.business_model_by_class)
    model = bclass.map(by_class).fillna(config.business_model).astype(str) if by_class else \
        pd.Series(config.business_model, index=roofs.index).astype(str)
    return pd.DataFrame({
        "tariff_group": group,
        "tariff_yuan_per_kwh": group.map({k: g.flat_yuan_per_kwh for k, g in tg.items()}).astype(float),
        "subsidy_yuan_per_kwh": group.map({k: g.subsidy_yuan_per_kwh for k, g in tg.items()}).astype(float),
        "subsidy_on_generation": group.map({k: g.subsidy_basis == "generation" for k, g in tg.items()}).astype(bool),
        "business_model": model,
    }, index=roofs.index)


def appraise(roofs: pd.DataFrame, planes: pd.DataFrame, config, load: pd.DataFrame | None = None,
             hourly_pv: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
             preset=None) -> pd.DataFrame:
    """The economics columns (:data:`ECON_COLUMNS`) of every roof.

    Parameters
    ----------
    roofs : pandas.DataFrame
        Sized, simulated roofs: ``capacity_kw`` [kW DC], ``annual_kwh`` [kWh],
        ``pv_area_m2`` [m²], ``mounting``, ``roof_type``, ``building_type``,
        ``building_class``, ``building_id``, ``street``.
    planes : pandas.DataFrame
        Sized planes (``roof_index``, ``capacity_kw``, ``annual_kwh``); used
        only with ``load``.
    config : pvsite.config.EconomicsConfig
        Preset, business model(s), discount-rate and lifetime overrides.
    load : pandas.DataFrame, optional
        Hourly load [kWh] (:func:`pvsite.io.loads.read_load`); the shares of
        the roofs it covers follow from the hours.
    hourly_pv : callable, optional
        ``planes → DataFrame`` of hourly AC energy per kWp [kWh/kWp] (rows the
        weather hours, columns the planes' labels); needed with ``load``
        (:func:`pvsite.solar.hourly.plane_profiles`).
    preset : pvsite.presets.EconomicsPreset, optional
        Default: ``presets.load_economics(config.preset)``.

    Returns
    -------
    pandas.DataFrame
        ``roofs`` with :data:`ECON_COLUMNS` added.  Money [元], rates [%],
        LCOE [元/kWh]; unsized roofs get zero money and empty ratios.
    """
    preset = preset or presets.load_economics(config.preset)
    share, source = appraisal_shares(roofs, planes, preset, load, hourly_pv)
    share = share.to_numpy(dtype=float)
    narrow = roofs[list(CASH_FLOW_COLUMNS)]
    parts = [_appraise_block(narrow.iloc[sl], share[sl], config, preset) for sl in blocks(len(roofs))]
    econ = {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}
    full_export = econ["business_model"] == "full-export"
    econ["self_consumption_share"] = np.where(full_export, 0.0, share)
    econ["self_consumption_source"] = np.where(full_export, "full-export", source.to_numpy())
    out = own_copy(roofs)  # shallow under copy-on-write: the wide roofs' columns are not copied
    for k in ECON_COLUMNS:
        out[k] = econ[k]
    return out


def blocks(n: int, size: int | None = None) -> list[slice]:
    """Consecutive row slices of at most ``size`` (default :data:`BLOCK_ROOFS`) rows covering ``range(n)``.

    At least one slice (empty when ``n == 0``), so an empty frame runs the same code as a full one.
    """
    size = max(int(size or BLOCK_ROOFS), 1)
    return [slice(i, min(i + size, n)) for i in range(0, max(n, 1), size)]


#: ``econ_note`` of a roof without PV.
_NO_PV_NOTE = "未装光伏 no PV sized"
_IRR_NOTE = "IRR无解 IRR undefined (no sign change in the cash flows)"


def _appraise_block(roofs: pd.DataFrame, share: np.ndarray, config, preset) -> dict[str, np.ndarray]:
    """The per-roof economics of one block of roofs; its (roofs × years) matrices live only here."""
    cap = roofs["capacity_kw"].to_numpy(dtype=float)
    sized = cap > 0
    c = cash_flows(roofs, share, config, preset)
    inp, capex, om, energy, replacement, flows, rate = (c.inputs, c.capex, c.om, c.energy, c.replacement,
                                                        c.flows, c.rate)
    matrix = np.column_stack([-capex, flows.investor])
    first = flows.investor[:, 0]
    payback, note = cashflows.simple_payback(capex, first, c.years)
    irr = cashflows.irr(matrix) * 100.0
    model = inp["business_model"].to_numpy()
    is_emc = model == "emc"
    return {
        "business_model": model,
        "capex_yuan": np.where(sized, capex, 0.0),
        "om_yuan_per_yr": np.where(sized, om, 0.0),
        "tariff_group": inp["tariff_group"].to_numpy(),
        "first_year_benefit_yuan": np.where(sized, first, 0.0),
        "simple_payback_yr": np.where(sized, payback, np.nan),
        "npv_yuan": np.where(sized, cashflows.npv(rate, matrix), 0.0),
        "irr_pct": np.where(sized, irr, np.nan),
        "lcoe_yuan_per_kwh": np.where(sized, cashflows.lcoe(capex, om[:, None] + replacement, energy, rate),
                                      np.nan),
        "host_benefit_yuan_per_yr": np.where(sized & is_emc, flows.host[:, 0], np.nan),
        "investor_irr_pct": np.where(sized & is_emc, irr, np.nan),
        "econ_note": np.where(sized, _join_notes(note, np.isnan(irr)), _NO_PV_NOTE),
    }


def _join_notes(payback_note: np.ndarray, irr_undefined: np.ndarray) -> np.ndarray:
    """``payback_note ; IRR note`` per roof (either alone when the other is empty), by table look-up."""
    kinds, code = np.unique(np.asarray(payback_note, dtype=str), return_inverse=True)
    table = [" ; ".join(x for x in (k, i) if x) for k in kinds for i in ("", _IRR_NOTE)]
    if not table:
        return np.asarray(payback_note, dtype=str)
    return np.asarray(table, dtype=str)[code.reshape(-1) * 2 + np.asarray(irr_undefined, dtype=int)]


def appraisal_shares(roofs: pd.DataFrame, planes: pd.DataFrame, preset, load: pd.DataFrame | None = None,
                     hourly_pv: Callable | None = None) -> tuple[pd.Series, pd.Series]:
    """Self-consumed share [0–1] of every roof and its source: the preset's, then the hours of ``load``."""
    share, source = selfconsumption.preset_shares(roofs, preset)
    share, source = pd.Series(share, index=roofs.index), pd.Series(source, index=roofs.index, dtype=object)
    if load is not None:
        s, src = _load_shares(roofs, planes, load, hourly_pv)
        share.loc[s.index], source.loc[src.index] = s.to_numpy(), src.to_numpy()
    return share, source


@dataclass
class CashFlows:
    """The yearly cash flows of a set of roofs under one preset (:func:`cash_flows`).

    Attributes
    ----------
    inputs : pandas.DataFrame
        :func:`roof_inputs` (tariff group, tariff, reward, business model).
    capex, om : ndarray (R,)
        Investment [元] and O&M per year [元/yr].
    energy, replacement : ndarray (R, N)
        Degraded AC energy [kWh] and inverter replacement [元] of years 1 … N.
    flows : pvsite.economics.models.Flows
        Net flows of the investing party and of the EMC host [元], years 1 … N.
    years : int
        Life [yr].
    rate : float
        Real discount rate [fraction/yr].
    """

    inputs: pd.DataFrame
    capex: np.ndarray
    om: np.ndarray
    energy: np.ndarray
    replacement: np.ndarray
    flows: models.Flows
    years: int
    rate: float


def cash_flows(roofs: pd.DataFrame, share, config, preset) -> CashFlows:
    """Capex, O&M, degraded energy and the business models' yearly flows of every roof.

    The one place the cash flows are built: :func:`appraise` and
    :func:`pvsite.economics.sensitivity.sensitivity` both call it.

    Parameters
    ----------
    roofs : pandas.DataFrame
        As :func:`appraise`.
    share : array_like (R,)
        Self-consumed share [0–1] (:func:`appraisal_shares`).
    config : pvsite.config.EconomicsConfig
    preset : pvsite.presets.EconomicsPreset
    """
    years = int(config.lifetime_yr or preset.lifetime_yr)
    rate = float(preset.discount_rate_pct if config.discount_rate_pct is None else config.discount_rate_pct) / 100.0
    cap = roofs["capacity_kw"].to_numpy(dtype=float)
    inp = roof_inputs(roofs, preset, config)
    capex = capex_per_w(roofs, preset) * cap * 1000.0
    om = preset.om_yuan_per_w_yr * cap * 1000.0
    energy = cashflows.degraded_energy(roofs["annual_kwh"].to_numpy(dtype=float), years,
                                       preset.first_year_degradation_pct, preset.annual_degradation_pct)
    replacement = np.zeros_like(energy)
    if preset.inverter_replacement_year <= years:
        replacement[:, preset.inverter_replacement_year - 1] = preset.inverter_yuan_per_w * cap * 1000.0
    flows = models.yearly_flows(
        inp["business_model"].to_numpy(), energy, np.asarray(share, dtype=float),
        inp["tariff_yuan_per_kwh"].to_numpy(), preset.feed_in_yuan_per_kwh, inp["subsidy_yuan_per_kwh"].to_numpy(),
        inp["subsidy_on_generation"].to_numpy(),
        models.subsidy_fraction(energy, cap, preset.subsidy_cap_full_load_hours, preset.subsidy_cap_years),
        om, replacement, preset.emc_host_discount_pct / 100.0, preset.emc_contract_years,
        preset.emc_roof_rent_yuan_per_m2_yr * roofs["pv_area_m2"].to_numpy(dtype=float))
    return CashFlows(inp, capex, om, energy, replacement, flows, years, rate)


def _load_shares(roofs, planes, load, hourly_pv):
    """Shares of the roofs ``load`` covers, from hourly PV summed over each roof's planes."""
    from pvsite.errors import ConfigError

    idx = selfconsumption.covered(roofs, load)
    if idx.empty:
        return pd.Series(dtype=float), pd.Series(dtype=object)
    if hourly_pv is None:
        raise ConfigError("A load profile was given but no hourly PV profile to match it with.",
                          fix="Call economics.appraise(..., hourly_pv=pvsite.solar.hourly.plane_profiles bound "
                              "to the run's weather), as pvsite.pipeline.size does.",
                          zh="给出了负荷曲线（--load），却没有可与之逐时匹配的光伏出力曲线。",
                          fix_zh="调用 economics.appraise(..., hourly_pv=绑定本次气象数据的 "
                                 "pvsite.solar.hourly.plane_profiles)，与 pvsite.pipeline.size 的做法相同。")
    sel = planes[planes["roof_index"].isin(idx) & (planes["capacity_kw"] > 0)]
    per_kwp = hourly_pv(sel)  # (T, planes) kWh/kWp
    kwh = per_kwp.to_numpy() * sel["capacity_kw"].to_numpy(dtype=float)[None, :]
    # scale each plane to its annual kWh (which carries the shading loss the unshaded profile lacks)
    total = kwh.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        kwh = kwh * np.where(total > 0, sel["annual_kwh"].to_numpy(dtype=float) / total, 0.0)[None, :]
    roof_pv = pd.DataFrame(kwh, columns=sel["roof_index"].to_numpy()).T.groupby(level=0).sum().T
    return selfconsumption.load_shares(roofs, roof_pv, load)


def group_economics(roofs: pd.DataFrame, scope_label: str) -> pd.DataFrame:
    """Capacity-weighted LCOE and the business models of the sized roofs, per district, street and department.

    The keys are those of :func:`pvsite.planning.rollup.summarise` (``level``,
    ``key``), so the rows join the summary's money sums.

    Parameters
    ----------
    roofs : pandas.DataFrame
        Appraised roofs (:func:`appraise`): ``capacity_kw``, ``lcoe_yuan_per_kwh``,
        ``business_model``, ``street``, ``responsible_department``.
    scope_label : str
        Key of the district row.

    Returns
    -------
    pandas.DataFrame
        ``level``, ``key``, ``lcoe_yuan_per_kwh`` = Σ(LCOE × kW) / Σ kW over
        the sized roofs with an LCOE [元/kWh] (NaN without), ``business_model``:
        the models used, in :data:`pvsite.economics.models.MODELS` order,
        comma-joined codes ("" without sized roofs).
    """
    from pvsite.planning.rollup import NO_DEPARTMENT, NO_STREET  # noqa: PLC0415

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
        k = key.to_numpy()
        g = frame.groupby(k)
        sums = g[["w", "wl"]].sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            weighted = np.where(sums["w"] > 0, sums["wl"] / sums["w"], np.nan)
        # the models each group uses, in MODELS order: one membership test per model, not a call per group
        pairs = pd.MultiIndex.from_arrays([k, frame["model"].to_numpy()]).unique()
        used = np.full(len(sums), "", dtype=object)
        for m in models.MODELS:
            has = sums.index.isin(pairs[pairs.get_level_values(1) == m].get_level_values(0))
            used[has] = [u + "," + m if u else m for u in used[has].tolist()]
        parts.append(pd.DataFrame({"level": level, "key": sums.index.astype(str), "lcoe_yuan_per_kwh": weighted,
                                   "business_model": used}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["level", "key", "lcoe_yuan_per_kwh", "business_model"])
