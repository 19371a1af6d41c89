"""Sizing: the policy coverage turned into PV area and kW per roof.

Meaning of *coverage* (the policy's "屋顶面积…安装光伏比例"): the share of a
building's roof area (its horizontal footprint area) that is given to PV
arrays — the array field, including the gaps between tilted rows that keep
them from shading each other.  The PV area a scenario asks for is
``policy_ratio × area_m2``; what is installed is that area capped by the
usable area after setbacks (``pv_area_m2``).  Where the policy asks for more
than fits, ``policy_exceeds_fit`` is set and the roof carries what fits.
``fit_pv_area_m2`` is the array field of every module that physically fits.

Capacity is counted in whole modules placed by :mod:`pvsite.roofs.layout` (row by
row inside each usable polygon): a roof takes modules until their array field
reaches the required area, capped by what fits::

    capacity_kw = n_modules × module W / 1000
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from pvsite.presets import PolicyPreset, Rule

log = logging.getLogger(__name__)


def scenario_rules(policy: PolicyPreset, scenario: str | None) -> tuple[str, tuple[Rule, ...]]:
    """Resolve a scenario of a policy preset into its ordered list of rules.

    Parameters
    ----------
    policy : PolicyPreset
        Policy preset (:func:`pvsite.presets.load_policy`); its rules, includes
        and ratios were checked when it was loaded.
    scenario : str or None
        Scenario name; ``None`` takes the preset's ``default_scenario``.

    Returns
    -------
    name : str
        The scenario's name.
    rules : tuple of Rule
        Own rules first, then the rules of the included scenarios in order.

    Raises
    ------
    ConfigError
        Unknown scenario (the message lists the valid ones).
    """
    return policy.resolve(scenario)


def describe_rule(rule: Rule) -> str:
    """Human-readable rule, e.g. ``new-2022#1: public_institution new → 50 %``."""
    parts = [p for p in (rule.building_class, rule.building_type) if p is not None]
    if rule.is_new is not None:
        parts.append("new" if rule.is_new else "existing")
    who = " ".join(parts) or "all roofs"
    return f"{rule.scenario}#{rule.index}: {who} → {rule.ratio * 100:g} %"


def policy_ratios(roofs: pd.DataFrame, rules) -> pd.DataFrame:
    """The policy ratio of every roof: the first matching rule wins, else 0.

    Parameters
    ----------
    roofs : DataFrame
        Needs ``building_class``, ``building_type``, ``is_new``.
    rules : sequence of Rule
        From :func:`scenario_rules`.

    Returns
    -------
    DataFrame
        ``policy_ratio`` [-] and ``policy_rule`` (str or None), same index.
    """
    n = len(roofs)
    ratio = np.zeros(n)
    rule_text = np.full(n, None, dtype=object)
    unset = np.ones(n, dtype=bool)
    cls = roofs["building_class"].astype("string").to_numpy(na_value="")
    typ = roofs["building_type"].astype("string").to_numpy(na_value="")
    new = roofs["is_new"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    for rule in rules:
        hit = unset.copy()
        if rule.building_class is not None:
            hit &= cls == rule.building_class
        if rule.building_type is not None:
            hit &= typ == rule.building_type
        if rule.is_new is not None:
            hit &= new == rule.is_new
        ratio[hit] = rule.ratio
        rule_text[hit] = describe_rule(rule)
        unset &= ~hit
    return pd.DataFrame({"policy_ratio": ratio, "policy_rule": rule_text}, index=roofs.index)


def asked_area_m2(required_m2: pd.Series, no_pv=None) -> pd.Series:
    """Array field each roof is asked for [m²]: ``required_m2``, 0 on the roofs that must carry no PV.

    Parameters
    ----------
    required_m2 : pandas.Series
        ``policy_ratio × area_m2`` per roof [m²].
    no_pv : array of bool, optional
        Roofs that must carry no PV (excluded), aligned with ``required_m2``.
    """
    asked = required_m2.copy()
    if no_pv is not None:
        asked[np.asarray(no_pv, dtype=bool)] = 0.0
    return asked


def size_roofs(
    roofs: pd.DataFrame, planes: pd.DataFrame, ratios: pd.DataFrame, no_pv=None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Modules, PV area and DC capacity per roof and per plane.

    The policy asks for ``required_pv_area_m2 = policy_ratio × area_m2`` of
    array field.  Each roof takes whole modules from the layout, row by row
    from the front row of its best-facing plane, until their array field
    (``n_modules × field_area_per_module_m2``) reaches the required area,
    capped by the modules that physically fit
    (:func:`pvsite.roofs.layout.modules_for_policy`).  Hence
    ``capacity_kw = n_modules × module W``.

    Parameters
    ----------
    roofs : DataFrame
        Needs ``area_m2`` [m²].
    planes : DataFrame
        From :func:`pvsite.roofs.layout.layout_roofs`: ``roof_index``, ``plane``,
        ``azimuth_deg`` [°], ``modules_fit`` [-], ``field_area_per_module_m2``
        [m²], ``module_power_w`` [W], ``ground_coverage_ratio`` [-].
    ratios : DataFrame
        From :func:`policy_ratios`.
    no_pv : array of bool, optional
        Roofs that must carry no PV (excluded), aligned with ``roofs``.

    Returns
    -------
    roofs : DataFrame
        Adds ``policy_ratio``, ``policy_rule``, ``required_pv_area_m2``,
        ``fit_pv_area_m2`` (array field of every module that fits),
        ``modules_fit``, ``n_modules``, ``pv_area_m2``, ``policy_exceeds_fit``,
        ``capacity_kw``, ``ground_coverage_ratio`` (module area per m² of
        array field) and ``power_density_w_per_m2`` (W per m² of array
        field), the last two from the installed (else fitting) modules.
    planes : DataFrame
        Adds ``n_modules``, ``pv_area_m2`` and ``capacity_kw`` per plane.
    """
    from pvsite.roofs import layout

    roofs = roofs.copy()
    roofs["policy_ratio"] = ratios["policy_ratio"]
    roofs["policy_rule"] = ratios["policy_rule"]
    area = roofs["area_m2"].astype(float).fillna(0.0)
    required = roofs["policy_ratio"] * area
    roofs["required_pv_area_m2"] = required
    asked = asked_area_m2(required, no_pv)

    planes = planes.copy()
    planes["n_modules"] = layout.modules_for_policy(planes, asked)
    cell = planes["field_area_per_module_m2"].astype(float)
    planes["pv_area_m2"] = planes["n_modules"] * cell
    planes["capacity_kw"] = planes["n_modules"] * planes["module_power_w"].astype(float) / 1000.0
    planes["_fit_area"] = planes["modules_fit"] * cell
    planes["_fit_kw"] = planes["modules_fit"] * planes["module_power_w"].astype(float) / 1000.0
    planes["_module_m2"] = planes["ground_coverage_ratio"].astype(float) * cell

    sums = planes.groupby("roof_index")[
        ["n_modules", "modules_fit", "pv_area_m2", "capacity_kw", "_fit_area", "_fit_kw"]
    ].sum()
    inst_module_m2 = (planes["_module_m2"] * planes["n_modules"]).groupby(planes["roof_index"]).sum()
    fit_module_m2 = (planes["_module_m2"] * planes["modules_fit"]).groupby(planes["roof_index"]).sum()

    def col(values) -> pd.Series:
        """Per-roof sum aligned with ``roofs`` (roofs without planes get 0)."""
        series = sums[values] if isinstance(values, str) else values
        return series.reindex(roofs.index).fillna(0.0)

    roofs["modules_fit"] = col("modules_fit").astype(int)
    roofs["n_modules"] = col("n_modules").astype(int)
    roofs["fit_pv_area_m2"] = col("_fit_area")
    roofs["pv_area_m2"] = col("pv_area_m2")
    roofs["capacity_kw"] = col("capacity_kw")
    roofs["policy_exceeds_fit"] = (required > roofs["fit_pv_area_m2"] + 1e-6) & (roofs["policy_ratio"] > 0)

    use_inst = roofs["n_modules"] > 0
    field_area = np.where(use_inst, roofs["pv_area_m2"], roofs["fit_pv_area_m2"])
    kw = np.where(use_inst, roofs["capacity_kw"], col("_fit_kw"))
    module_m2 = np.where(use_inst, col(inst_module_m2), col(fit_module_m2))
    with np.errstate(invalid="ignore", divide="ignore"):
        roofs["ground_coverage_ratio"] = np.where(field_area > 0, module_m2 / field_area, np.nan)
        roofs["power_density_w_per_m2"] = np.where(field_area > 0, kw * 1000.0 / field_area, np.nan)
    planes = planes.drop(columns=["_fit_area", "_fit_kw", "_module_m2"])
    return roofs, planes
