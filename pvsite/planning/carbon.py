"""Carbon: standard coal saved, and the renewable share of task 15 (a PV-only proxy).

Standard coal
    ``tce_t = annual_kwh × coal_gce_per_kwh / 10⁶`` [t/yr]: each kWh of PV
    replaces a kWh of supplied grid power, counted at the emission preset's
    供电标准煤耗 (``presets/emission/*.toml``).  ``co2_t`` uses the same preset's
    ``emission_factor_kg_per_kwh`` (:func:`pvsite.solar.yields.apply_yields`).

Renewable share (``renewable_share_pct``)
    ``PV kWh / consumption kWh × 100`` per street and for the district, from an
    annual energy-use table (``--consumption``, :mod:`pvsite.io.consumption`).
    The plan's task 15 (长府〔2023〕1号, 建筑提质增效行动; 区虹桥办、区建管委、
    区机管局) asks that the **城镇建筑可再生能源替代率** reach 10 % by 2025 and 15 %
    by 2030 (the figures of 《上海市碳达峰实施方案》沪府发〔2022〕7号; the national
    《城乡建设领域碳达峰实施方案》建标〔2022〕53号 sets 8 % for 2025).  Neither plan
    text states a formula, and none was found in the sources pvsite could search;
    the indicator is read as the renewable energy used in urban buildings (solar
    PV, solar thermal, heat pumps / shallow geothermal, biomass …) over the
    buildings' total energy use, both converted to standard coal.
    **pvsite's ratio is therefore a proxy**: it counts rooftop PV electricity
    only, over the consumption the user gives, in kWh without conversion to
    standard coal, for the scenario's *potential* (not what is built).  Use it
    to see how far rooftop PV alone could go, not as the official indicator.

Which PV counts against which consumption
    * a street row: all roofs of that street;
    * building rows (no street row for that street): only the roofs of the
      listed buildings (a building list seldom covers a whole street; their
      PV over their use);
    * a district row: every roof of the run, and only when the run covers the
      whole district (``scope`` ``全区``); otherwise the district value is the
      sum over the streets that have a value, against their PV.

Building ids that match no roof and street names that match no street of the
run are left out and listed in ``attrs["consumption_notes"]``.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from pvsite.frames import own_copy
from pvsite import presets
from pvsite.buildings.streets import resolve_street
from pvsite.errors import InputError, PvsiteError

log = logging.getLogger(__name__)

#: Summary columns this module adds.
SHARE_COLUMNS = ("consumption_kwh", "share_pv_kwh", "renewable_share_pct")
#: Scope label of a whole-district run (:data:`pvsite.buildings.locate` default).
WHOLE_DISTRICT = "全区"


def emission_preset(config, policy) -> presets.EmissionPreset:
    """The run's emission preset: ``[carbon] emission_factor``, else the policy preset's ``emission_preset``.

    A policy preset that names none falls back to ``shanghai-2022`` only when
    its own factor equals that preset's (0.42 kg/kWh); otherwise the run must
    name a preset.

    Raises
    ------
    ConfigError
        Unknown preset, or a policy whose factor no shipped preset carries.
    """
    name = config.carbon.emission_factor or policy.get("emission_preset") or "shanghai-2022"
    chosen = presets.load_emission(name)
    if not config.carbon.emission_factor and not policy.get("emission_preset") and not np.isclose(
            chosen.emission_factor_kg_per_kwh, float(policy["emission_factor_kg_per_kwh"])):
        from pvsite.errors import ConfigError

        raise ConfigError(
            f"The policy preset {policy.get('_path', '')} states emission_factor_kg_per_kwh = "
            f"{float(policy['emission_factor_kg_per_kwh']):g} but names no emission_preset.",
            fix="Add emission_preset = \"<name>\" to the policy preset, or choose one with --emission-factor NAME "
                f"({', '.join(presets.available('emission'))}).",
            zh=f"政策预设 {policy.get('_path', '')} 写明 emission_factor_kg_per_kwh = {float(policy['emission_factor_kg_per_kwh']):g}，但未指定 emission_preset。",
            fix_zh=f"请在政策预设中加 emission_preset = \"<名称>\"，或用 --emission-factor NAME 选择（{', '.join(presets.available('emission'))}）。")
    return chosen


def add_coal(roofs: pd.DataFrame, emission: presets.EmissionPreset) -> pd.DataFrame:
    """``roofs`` with ``tce_t`` = annual_kwh × 供电标准煤耗 / 10⁶ [t standard coal/yr]."""
    out = own_copy(roofs)  # shallow under copy-on-write: a new column copies no other column
    out["tce_t"] = out["annual_kwh"].astype(float).fillna(0.0) * emission.coal_gce_per_kwh / 1e6
    return out


def _street_keys(entries: pd.DataFrame, streets, notes: list) -> pd.Series:
    """Street rows' names resolved to the run's street names (NA where none matches)."""
    resolved = []
    for name, src in zip(entries["key"], entries["source"]):
        try:
            resolved.append(resolve_street(name, streets))
        except PvsiteError:
            resolved.append(pd.NA)
            notes.append(f"{src}: 街道 {name} 不在本次范围 / street not in this run, left out")
    return pd.Series(resolved, index=entries.index, dtype="string")


def renewable_share(summary: pd.DataFrame, roofs: pd.DataFrame, consumption: pd.DataFrame | None,
                    scope_label: str = WHOLE_DISTRICT) -> pd.DataFrame:
    """Summary with ``consumption_kwh``, ``share_pv_kwh`` and ``renewable_share_pct`` (street and district rows).

    Parameters
    ----------
    summary : DataFrame
        From :func:`pvsite.planning.rollup.summarise` (``level``, ``key``).
    roofs : DataFrame
        ``building_id``, ``street``, ``annual_kwh`` [kWh/yr].
    consumption : DataFrame or None
        From :func:`pvsite.io.consumption.read_consumption`; None → the
        three columns are NA.
    scope_label : str
        The run's scope; a district row of the table counts only for ``全区``.

    Returns
    -------
    DataFrame
        ``consumption_kwh`` [kWh/yr], ``share_pv_kwh`` (the PV counted
        against it [kWh/yr]), ``renewable_share_pct`` = share_pv_kwh /
        consumption_kwh × 100 [%] — a PV-only proxy of 城镇建筑可再生能源替代率
        (module docstring); NA on class, department and street×class rows and
        where no consumption applies.  ``attrs["consumption_notes"]``: entries
        left out.

    Raises
    ------
    InputError
        When no entry of the table matches the run (wrong file or ids).
    """
    out = summary.copy()
    for col in SHARE_COLUMNS:
        out[col] = np.nan
    out.attrs["consumption_notes"] = []
    if consumption is None:
        return out
    notes = out.attrs["consumption_notes"]
    kwh = roofs["annual_kwh"].astype(float).fillna(0.0)
    street = roofs["street"].astype("string")
    pv_by_street = kwh.groupby(street.to_numpy()).sum()
    cons: dict[str, float] = {}
    pv: dict[str, float] = {}
    # Building rows: each building's PV against its use, summed per street.
    b = consumption[consumption["level"] == "building"]
    if len(b):
        ids = roofs["building_id"].astype("string")
        matched = b[b["key"].isin(set(ids.dropna()))]
        for src, key in b.loc[~b.index.isin(matched.index), ["source", "key"]].head(20).to_numpy():
            notes.append(f"{src}: 建筑 {key} 不在本次范围 / building not among the roofs, left out")
        if len(b) - len(matched) > 20:
            notes.append(f"… {len(b) - len(matched) - 20} more buildings left out")
        roof_pv = pd.Series(kwh.to_numpy(), index=ids.to_numpy())
        roof_street = pd.Series(street.to_numpy(), index=ids.to_numpy())
        ms = roof_street.reindex(matched["key"]).to_numpy()
        frame = pd.DataFrame({"street": ms, "cons": matched["consumption_kwh"].to_numpy(),
                              "pv": roof_pv.reindex(matched["key"]).to_numpy()}).dropna(subset=["street"])
        grouped = frame.groupby("street")[["cons", "pv"]].sum()
        cons.update(grouped["cons"].to_dict())
        pv.update(grouped["pv"].to_dict())
    # Street rows win over building rows of the same street: all the street's roofs against its use.
    s = consumption[consumption["level"] == "street"]
    if len(s):
        names = _street_keys(s, list(out.loc[out["level"] == "street", "key"]), notes)
        for name, value in zip(names, s["consumption_kwh"]):
            if pd.notna(name):
                cons[str(name)] = float(value)
                pv[str(name)] = float(pv_by_street.get(name, 0.0))
    d = consumption[consumption["level"] == "district"]
    district_cons = district_pv = np.nan
    if len(d) and scope_label == WHOLE_DISTRICT:
        district_cons, district_pv = float(d["consumption_kwh"].iloc[0]), float(kwh.sum())
    elif len(d):
        notes.append(f"{d['source'].iloc[0]}: 全区用能不适用于 {scope_label} / district use does not apply to "
                     f"the selection {scope_label}, left out")
    if cons and np.isnan(district_cons):
        district_cons, district_pv = float(sum(cons.values())), float(sum(pv.values()))
    if not cons and np.isnan(district_cons):
        raise InputError(
            f"No entry of the --consumption table matches this run ({scope_label}): "
            + "; ".join(notes[:5]) + ".",
            fix="Check the building ids (they must be the footprints' building_id) or the street names.",
            zh=f"--consumption 表中没有与本次测算（{scope_label}）对应的条目：" + "；".join(notes[:5]) + "。",
            fix_zh="请核对建筑编号（须为建筑轮廓的 building_id）或街道名称与本次测算一致。")
    streets = out["level"] == "street"
    out.loc[streets, "consumption_kwh"] = out.loc[streets, "key"].map(cons).astype(float)
    out.loc[streets, "share_pv_kwh"] = out.loc[streets, "key"].map(pv).astype(float)
    district = out["level"] == "district"
    out.loc[district, "consumption_kwh"] = district_cons
    out.loc[district, "share_pv_kwh"] = district_pv
    with np.errstate(invalid="ignore", divide="ignore"):
        c = out["consumption_kwh"].to_numpy(dtype=float)
        out["renewable_share_pct"] = np.where(c > 0, out["share_pv_kwh"].to_numpy(dtype=float) / c * 100.0, np.nan)
    for note in notes:
        log.warning("--consumption: %s", note)
    return out
