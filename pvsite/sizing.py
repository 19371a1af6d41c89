"""Sizing: the policy coverage turned into PV area and kW per roof.

Meaning of *coverage* (the policy's "屋顶面积…安装光伏比例"): the share of a
building's roof area (its horizontal footprint area) that is given to PV
arrays — the array field, including the gaps between tilted rows that keep
them from shading each other.  The PV area a scenario asks for is
``policy_ratio × area_m2``; what is installed is that area capped by the
usable area after setbacks (``pv_area_m2``).  Where the policy asks for more
than fits, ``policy_exceeds_fit`` is set and the roof carries what fits.

Capacity follows from the array field's power density (W of modules per m² of
horizontal roof given to PV, from :mod:`pvsite.mounting`)::

    capacity_kw = Σ_planes  pv_area_m2 × area_share × power_density_w_per_m2 / 1000
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from pvsite.errors import ConfigError

log = logging.getLogger(__name__)

RULE_KEYS = {"building_class", "building_type", "is_new", "ratio"}


def scenario_rules(policy: dict, scenario: str | None = None) -> tuple[str, list[dict]]:
    """Resolve a scenario of a policy preset into its ordered list of rules.

    Parameters
    ----------
    policy : dict
        Policy preset (``presets/policy/*.toml``).
    scenario : str, optional
        Scenario name; ``None`` takes the preset's ``default_scenario``.

    Returns
    -------
    name : str
        The scenario's name.
    rules : list of dict
        Own rules first, then the rules of the included scenarios in order.

    Raises
    ------
    ConfigError
        Unknown scenario (the message lists the valid ones), a rule with an
        unknown key or a ratio outside [0, 1], an include cycle.
    """
    scenarios = policy.get("scenarios", {})
    name = scenario or policy.get("default_scenario")
    source = policy.get("_path", "policy preset")
    if name not in scenarios:
        raise ConfigError(
            f"Unknown scenario '{name}' in {source}.",
            fix=f"Use --scenario with one of: {', '.join(scenarios)}.",
        )

    def collect(n: str, seen: tuple[str, ...]) -> list[dict]:
        if n in seen:
            raise ConfigError(f"{source}: scenario include cycle {' → '.join(seen + (n,))}.")
        if n not in scenarios:
            raise ConfigError(f"{source}: scenario '{seen[-1]}' includes unknown scenario '{n}'.")
        sc = scenarios[n]
        rules = []
        for i, rule in enumerate(sc.get("rules", [])):
            bad = set(rule) - RULE_KEYS
            if bad:
                raise ConfigError(
                    f"{source}: scenario '{n}' rule {i + 1} has unknown key(s) {sorted(bad)}.",
                    fix=f"Rule keys are {sorted(RULE_KEYS)}.",
                )
            ratio = rule.get("ratio")
            if not isinstance(ratio, (int, float)) or not 0 <= ratio <= 1:
                raise ConfigError(
                    f"{source}: scenario '{n}' rule {i + 1} needs a ratio between 0 and 1, found {ratio!r}."
                )
            rules.append({**rule, "_scenario": n, "_index": i + 1})
        for inc in sc.get("include", []):
            rules.extend(collect(inc, seen + (n,)))
        return rules

    return name, collect(name, ())


def describe_rule(rule: dict) -> str:
    """Human-readable rule, e.g. ``new-2022#1: public_institution new → 50 %``."""
    parts = []
    if "building_class" in rule:
        parts.append(rule["building_class"])
    if "building_type" in rule:
        parts.append(rule["building_type"])
    if "is_new" in rule:
        parts.append("new" if rule["is_new"] else "existing")
    who = " ".join(parts) or "all roofs"
    return f"{rule['_scenario']}#{rule['_index']}: {who} → {rule['ratio'] * 100:g} %"


def policy_ratios(roofs: pd.DataFrame, rules: list[dict]) -> pd.DataFrame:
    """The policy ratio of every roof: the first matching rule wins, else 0.

    Parameters
    ----------
    roofs : DataFrame
        Needs ``building_class``, ``building_type``, ``is_new``.
    rules : list of dict
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
        if "building_class" in rule:
            hit &= cls == rule["building_class"]
        if "building_type" in rule:
            hit &= typ == rule["building_type"]
        if "is_new" in rule:
            hit &= new == bool(rule["is_new"])
        ratio[hit] = float(rule["ratio"])
        rule_text[hit] = describe_rule(rule)
        unset &= ~hit
    return pd.DataFrame({"policy_ratio": ratio, "policy_rule": rule_text}, index=roofs.index)


def size_roofs(roofs: pd.DataFrame, planes: pd.DataFrame, ratios: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """PV area and DC capacity per roof and per plane.

    Parameters
    ----------
    roofs : DataFrame
        Needs ``area_m2`` [m²] and ``usable_area_m2`` [m²].
    planes : DataFrame
        One row per PV plane: ``roof_index``, ``area_share`` [-],
        ``power_density_w_per_m2`` [W/m²], ``ground_coverage_ratio`` [-].
    ratios : DataFrame
        From :func:`policy_ratios`.

    Returns
    -------
    roofs : DataFrame
        Adds ``policy_ratio``, ``policy_rule``, ``required_pv_area_m2``,
        ``pv_area_m2``, ``policy_exceeds_fit``, ``capacity_kw``,
        ``ground_coverage_ratio``, ``power_density_w_per_m2`` (area-weighted
        over the roof's planes).
    planes : DataFrame
        Adds ``pv_area_m2`` and ``capacity_kw`` per plane.
    """
    roofs = roofs.copy()
    roofs["policy_ratio"] = ratios["policy_ratio"]
    roofs["policy_rule"] = ratios["policy_rule"]
    area = roofs["area_m2"].astype(float).fillna(0.0)
    usable = roofs["usable_area_m2"].astype(float).fillna(0.0)
    required = roofs["policy_ratio"] * area
    roofs["required_pv_area_m2"] = required
    roofs["pv_area_m2"] = np.minimum(required, usable)
    roofs["policy_exceeds_fit"] = (required > usable + 1e-6) & (roofs["policy_ratio"] > 0)

    planes = planes.copy()
    roof_pv = roofs["pv_area_m2"].reindex(planes["roof_index"]).to_numpy()
    planes["pv_area_m2"] = roof_pv * planes["area_share"].to_numpy()
    planes["capacity_kw"] = planes["pv_area_m2"] * planes["power_density_w_per_m2"] / 1000.0

    per_roof = planes.groupby("roof_index").agg(
        capacity_kw=("capacity_kw", "sum"),
    )
    weighted = planes.assign(
        _gcr=planes["ground_coverage_ratio"] * planes["area_share"],
        _pd=planes["power_density_w_per_m2"] * planes["area_share"],
    ).groupby("roof_index")[["_gcr", "_pd", "area_share"]].sum()
    roofs["capacity_kw"] = per_roof["capacity_kw"].reindex(roofs.index).fillna(0.0)
    share = weighted["area_share"].reindex(roofs.index)
    roofs["ground_coverage_ratio"] = (weighted["_gcr"].reindex(roofs.index) / share)
    roofs["power_density_w_per_m2"] = (weighted["_pd"].reindex(roofs.index) / share)
    return roofs, planes
