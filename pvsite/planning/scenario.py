"""A policy scenario applied to prepared roofs: coverage ratio → modules → capacity → status.

:func:`apply_scenario` is the sizing call of :func:`pvsite.pipeline.size`;
it leaves the prepared roofs and planes untouched, so one preparation serves
every scenario of a preset.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from pvsite.roofs.layout import ModulePanels
from pvsite.planning import sizing
from pvsite.roofs import layout

#: Status of a roof, in the order the rule below tests them.
STATUSES = ("rejected", "sized", "excluded", "not required", "too small")


@dataclass
class SizedRoofs:
    """Roofs and planes sized for one scenario, and the modules it installs."""

    roofs: gpd.GeoDataFrame
    planes: pd.DataFrame
    panels: gpd.GeoDataFrame | ModulePanels | None


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
        ``rejected`` unusable geometry; ``sized`` capacity > 0; ``excluded``
        a no-go roof the policy would size; ``not required`` no rule asks for
        PV; ``too small`` asked for PV but no module fits.
    """
    rejected = roofs["reject_reason"].notna().to_numpy()
    ratios = sizing.policy_ratios(roofs, rules)
    ratios.loc[rejected, "policy_ratio"] = 0.0  # rejected geometries carry nothing
    no_pv = roofs["excluded"].to_numpy(dtype=bool) & (not flag_only_exclusions)
    roofs, planes = sizing.size_roofs(roofs, planes, ratios, no_pv=no_pv)
    if panels is not None:
        panels = layout.select_panels(panels, planes)
    ratio = roofs["policy_ratio"].to_numpy()
    roofs["status"] = np.select(
        [rejected, roofs["capacity_kw"].to_numpy() > 0, no_pv & (ratio > 0), ratio <= 0],
        list(STATUSES[:4]), default=STATUSES[4],
    )
    return SizedRoofs(roofs, planes, panels)
