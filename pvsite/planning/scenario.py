"""A policy scenario applied to prepared roofs: coverage ratio → modules → capacity → status.

:func:`apply_scenario` is the sizing call of :func:`pvsite.pipeline.size`;
it leaves the prepared roofs and planes untouched, so one preparation serves
every scenario of a preset.  :func:`scenario_potential` gives the same
capacity and energy per roof, lighter, for the comparison of all scenarios.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from pvsite.frames import own_copy
from pvsite.roofs.layout import ModulePanels
from pvsite.planning import sizing
from pvsite.roofs import layout

#: Status of a roof, in the order the rule below tests them.
STATUSES = ("rejected", "unsuitable", "sized", "excluded", "not required", "low yield", "too small")

#: Status part of the ``roof_note`` of every roof without PV (中文 / English); ``{…}`` are the roof's columns.
STATUS_NOTES = {
    "rejected": "几何无效，未计算（{reject_reason}） / rejected: the outline cannot be used ({reject_reason})",
    "under_construction": "在建或拟建建筑，尚无屋顶可装 / under construction or planned: no roof to equip yet",
    "slender_crown": ("超高层塔顶面积小（占地 {area_m2} m²、高 {height_m} m），不宜安装 / slender tower crown "
                      "({area_m2} m² footprint at {height_m} m): not sized"),
    "excluded": "排除：{exclusion_reason} / excluded: {exclusion_reason}",
    "not required": "本情景政策不要求该类建筑安装（{class_zh}） / the scenario asks no PV of this class ({building_class})",
    "low yield": "发电量低 / low yield",
    "too small": "屋顶过小 / too small",
}

#: ``roof_note`` of a roof with planes left out for low yield; ``{n}`` of ``{total}`` planes [-],
#: ``{kw}`` their kW [kW], ``{share}`` the threshold [%] (:func:`pvsite.solar.yields.suitable_planes`).
LOW_YIELD_NOTE = ("{n}/{total} 个面年发电量低于本地最佳朝向的 {share:g}%（北坡或遮挡），不计装机 {kw:,.1f} kW / "
                  "{n} of {total} planes yield below {share:g} % of the site's optimum (north-facing or shaded): "
                  "{kw:,.1f} kW left out")


@dataclass
class SizedRoofs:
    """Roofs and planes sized for one scenario, and the modules it installs."""

    roofs: gpd.GeoDataFrame
    planes: pd.DataFrame
    panels: gpd.GeoDataFrame | ModulePanels | None


def scenario_ratios(roofs: pd.DataFrame, rules: list, flag_only_exclusions: bool):
    """The scenario's policy ratios with the roofs that carry nothing zeroed, and why they carry nothing.

    The one place both :func:`apply_scenario` and :func:`scenario_potential` decide which roofs
    get no PV, so the light comparison path cannot drift from the full sizing.

    Returns
    -------
    ratios : pandas.DataFrame
        :func:`pvsite.planning.sizing.policy_ratios` (``policy_ratio``, ``policy_rule``), with
        ``policy_ratio`` 0 on rejected geometries and on unsuitable roofs (under construction,
        slender crowns: :mod:`pvsite.roofs.unsuitable`).
    rejected, unsuitable : numpy.ndarray of bool
        ``reject_reason`` set; ``unsuitable_reason`` set on a roof not rejected.
    no_pv : numpy.ndarray of bool
        Excluded roofs, unless exclusions only flag (``exclusions.flag_only``): they keep their
        ratio (status ``excluded`` tells the policy would size them) but are asked for no area.
    """
    rejected = roofs["reject_reason"].notna().to_numpy()
    unsuitable = (roofs["unsuitable_reason"].notna().to_numpy() & ~rejected
                  if "unsuitable_reason" in roofs.columns else np.zeros(len(roofs), dtype=bool))
    ratios = sizing.policy_ratios(roofs, rules)
    ratios.loc[rejected | unsuitable, "policy_ratio"] = 0.0
    no_pv = roofs["excluded"].to_numpy(dtype=bool) & (not flag_only_exclusions)
    return ratios, rejected, unsuitable, no_pv


def apply_scenario(roofs: gpd.GeoDataFrame, planes: pd.DataFrame, panels: gpd.GeoDataFrame | ModulePanels | None,
                   rules: list, flag_only_exclusions: bool) -> SizedRoofs:
    """Size every roof for a scenario's rules and give it a status.

    Parameters
    ----------
    roofs : geopandas.GeoDataFrame
        Prepared roofs (``building_class``, ``building_type``, ``is_new``,
        ``area_m2``, ``excluded``, ``reject_reason``).
    planes : pandas.DataFrame
        Prepared planes with the modules that fit.
    panels : geopandas.GeoDataFrame or None
        Every module that fits (or None).
    rules : list
        The scenario's rules (:func:`pvsite.planning.sizing.scenario_rules`).
    flag_only_exclusions : bool
        Excluded roofs keep their PV (they are only flagged).

    Returns
    -------
    SizedRoofs
        Roofs with the sizing columns and ``status`` (one of :data:`STATUSES`):
        ``rejected`` unusable geometry; ``unsuitable`` under construction or a
        slender tower crown (``unsuitable_reason``, :mod:`pvsite.roofs.unsuitable`);
        ``sized`` capacity > 0; ``excluded``
        a no-go roof the policy would size; ``not required`` no rule asks for
        PV; ``low yield`` asked for PV, but modules fit only on planes below
        the suitability threshold (``roof.min_yield_share_pct``); ``too small``
        asked for PV but no module fits.  ``low_yield_kw`` [kW] is what fits
        on a roof's unsuitable planes.  ``roof_note`` of every roof without PV
        starts with the reason (:func:`no_pv_notes`).
    """
    ratios, rejected, unsuitable, no_pv = scenario_ratios(roofs, rules, flag_only_exclusions)
    roofs, planes = sizing.size_roofs(roofs, planes, ratios, no_pv=no_pv)
    if panels is not None:
        panels = layout.select_panels(panels, planes)
    ratio = roofs["policy_ratio"].to_numpy()
    roofs = low_yield(roofs, planes)
    roofs["status"] = np.select(
        [rejected, unsuitable, roofs["capacity_kw"].to_numpy() > 0, no_pv & (ratio > 0), ratio <= 0,
         roofs["low_yield_kw"].to_numpy() > 0],
        list(STATUSES[:6]), default=STATUSES[6],
    )
    roofs["roof_note"] = no_pv_notes(roofs)
    return SizedRoofs(roofs, planes, panels)


def scenario_potential(roofs: pd.DataFrame, planes: pd.DataFrame, rules: list, flag_only_exclusions: bool,
                       emission_factor_kg_per_kwh: float) -> pd.DataFrame:
    """Capacity, energy and CO2 of every roof under a scenario's rules, without the full sizing tables.

    The same figures, to the bit, as :func:`apply_scenario` followed by
    :func:`pvsite.solar.yields.apply_yields` (the same ratios, the same
    :func:`pvsite.roofs.layout.modules_for_policy`, the same per-roof sums),
    but it builds no sized copy of the wide roofs table: what
    :func:`pvsite.pipeline.compare_scenarios` needs for every scenario of a preset
    (:func:`pvsite.planning.rollup.potential_totals`).

    Parameters
    ----------
    roofs, planes, rules, flag_only_exclusions
        As :func:`apply_scenario` (planes with the yield columns of
        :func:`pvsite.solar.yields.plane_yields`: ``specific_yield_kwh_per_kwp``).
    emission_factor_kg_per_kwh : float
        Grid emission factor [kg CO2/kWh].

    Returns
    -------
    pandas.DataFrame
        Indexed like ``roofs``: ``capacity_kw`` [kW], ``annual_kwh`` [kWh], ``co2_t`` [t/yr].
    """
    ratios, _, _, no_pv = scenario_ratios(roofs, rules, flag_only_exclusions)
    asked = sizing.asked_area_m2(ratios["policy_ratio"] * roofs["area_m2"].astype(float).fillna(0.0), no_pv)
    cap = layout.modules_for_policy(planes, asked) * planes["module_power_w"].astype(float) / 1000.0
    per_plane = pd.DataFrame({"roof_index": planes["roof_index"].to_numpy(), "capacity_kw": cap.to_numpy(),
                              "annual_kwh": cap.to_numpy() * planes["specific_yield_kwh_per_kwp"].to_numpy()},
                             index=planes.index)
    out = per_plane.groupby("roof_index")[["capacity_kw", "annual_kwh"]].sum().reindex(roofs.index).fillna(0.0)
    out["co2_t"] = out["annual_kwh"] * float(emission_factor_kg_per_kwh) / 1000.0
    return out


def no_pv_notes(roofs: pd.DataFrame) -> pd.Series:
    """``roof_note`` of every roof, with the reason first on each roof that carries no PV.

    A roof whose status is not ``sized`` (or that has no module) gets the
    bilingual reason of :data:`STATUS_NOTES` — the exclusion layer, the
    unsuitable reason, the class no rule asks for, the rejected outline —
    followed by its existing note (why the usable area is zero, what the
    smallest layout needs, the planes left out for low yield), so the note is
    never empty.  Vectorised: one string operation per reason.

    Parameters
    ----------
    roofs : pandas.DataFrame
        Roofs with ``status`` and ``n_modules``, optionally ``roof_note``,
        ``unsuitable_reason``, ``exclusion_reason``, ``reject_reason``,
        ``building_class``, ``area_m2`` [m²], ``height_m`` [m].

    Returns
    -------
    pandas.Series
        Object dtype, index of ``roofs``.
    """
    note = (roofs["roof_note"].astype(object) if "roof_note" in roofs.columns
            else pd.Series(None, index=roofs.index, dtype=object)).copy()
    status = roofs["status"].astype(str)
    modules = roofs["n_modules"].to_numpy() if "n_modules" in roofs.columns else np.zeros(len(roofs))
    no_pv = (status != "sized").to_numpy() | (modules <= 0)
    if not no_pv.any():
        return note
    key = status.copy()
    if "unsuitable_reason" in roofs.columns:
        key = key.mask(status.eq("unsuitable"), roofs["unsuitable_reason"].astype(str))
    key = key.where(key.isin(list(STATUS_NOTES)), "too small")
    head = pd.Series("", index=roofs.index, dtype=object)
    for k in pd.unique(key[no_pv]):
        rows = no_pv & key.eq(k).to_numpy()
        head[rows] = _fill(STATUS_NOTES[k], roofs.loc[rows])
    old = note.astype("string").fillna("")
    full = head.where(old.eq("").to_numpy(), head + ": " + old.astype(object))
    note[no_pv] = full[no_pv]
    return note


def _fill(template: str, rows: pd.DataFrame) -> pd.Series:
    """``template`` with each ``{column}`` replaced by the rows' values ('—' when missing; m² and m rounded)."""
    out = pd.Series("", index=rows.index, dtype=object)
    for lit, name, _, _ in string.Formatter().parse(template):
        out = out + lit
        if name is None:
            continue
        if name not in rows.columns:
            out = out + "—"
            continue
        v = rows[name]
        if name in ("area_m2", "height_m"):
            v = pd.to_numeric(v, errors="coerce").round(0).map(lambda x: "—" if pd.isna(x) else f"{x:,.0f}")
        out = out + v.astype("string").fillna("—").replace("", "—").astype(object)
    return out


def low_yield(roofs: pd.DataFrame, planes: pd.DataFrame) -> pd.DataFrame:
    """``low_yield_kw`` and the ``roof_note`` of roofs with planes below the suitability threshold.

    Parameters
    ----------
    roofs : pandas.DataFrame
        Sized roofs (``roof_note``).
    planes : pandas.DataFrame
        Planes with ``roof_index``, ``module_power_w`` [W] and, when the
        threshold was applied, ``modules_low_yield`` and ``attrs['suitability']``.

    Returns
    -------
    pandas.DataFrame
        ``roofs`` with ``low_yield_kw`` [kW] (0 everywhere without the threshold).
    """
    roofs = own_copy(roofs)  # shallow under copy-on-write: a new column copies no other column
    if "modules_low_yield" not in planes.columns:
        roofs["low_yield_kw"] = 0.0
        return roofs
    kw = planes["modules_low_yield"].to_numpy(dtype=float) * planes["module_power_w"].to_numpy(dtype=float) / 1000.0
    g = pd.DataFrame({"roof_index": planes["roof_index"].to_numpy(), "kw": kw, "low": kw > 0}).groupby("roof_index")
    sums = g.agg(kw=("kw", "sum"), n=("low", "sum"), total=("low", "size")).reindex(roofs.index)
    roofs["low_yield_kw"] = sums["kw"].fillna(0.0).to_numpy()
    hit = roofs["low_yield_kw"].to_numpy() > 0
    if hit.any():
        share = float(planes.attrs.get("suitability", {}).get("min_yield_share_pct", np.nan))
        notes = [LOW_YIELD_NOTE.format(n=int(n), total=int(t), share=share, kw=k)
                 for n, t, k in zip(sums["n"][hit], sums["total"][hit], sums["kw"][hit])]
        old = roofs["roof_note"].to_numpy(dtype=object)[hit] if "roof_note" in roofs else [None] * len(notes)
        note = roofs["roof_note"].astype(object).to_numpy().copy() if "roof_note" in roofs else \
            np.full(len(roofs), None, dtype=object)
        note[hit] = [f"{o}; {n}" if isinstance(o, str) and o else n for o, n in zip(old, notes)]
        roofs["roof_note"] = pd.Series(note, index=roofs.index, dtype=object)
    return roofs
