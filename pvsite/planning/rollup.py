"""Rollup: roofs summed by district, street, policy class and department, against the target.

Every total here is a plain sum over rows of the ``roofs`` layer, so the
``summary`` table can always be re-derived from ``roofs`` (a test checks it).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from pvsite.errors import InputError
from pvsite.planning.carbon import renewable_share
from pvsite.presets import CONFIDENCE_LEVELS

NO_STREET = "(未划分街道)"
#: Per-roof registry columns summed by the rollup (:mod:`pvsite.planning.installed`).
REGISTRY_KW = ("installed_kw", "under_construction_kw", "planned_kw")
DELIVERY_COLUMNS = (*REGISTRY_KW, "remaining_potential_kw")
NO_DEPARTMENT = "(未指定)"
#: Economics columns summed per group (present when pvsite.economics.appraise ran, else empty).
ECON_SUMS = ("capex_yuan", "first_year_benefit_yuan", "npv_yuan")


def _class_ranker(class_order):
    """Sort key: plan order of the policy classes; unknown classes after them, by name."""
    order = list(class_order)
    return lambda key: (order.index(key), "") if key in order else (len(order), key)


def _aggregate(roofs: pd.DataFrame, by: pd.Series | None) -> pd.DataFrame:
    cap = roofs["capacity_kw"].astype(float).fillna(0.0)
    if "class_confidence" not in roofs.columns:
        raise InputError("The roofs lack class_confidence (the confidence of each roof's class).",
                         fix="Summarise roofs classified by pvsite.buildings.classify.classify().",
                         zh="屋顶数据缺少 class_confidence（各屋顶类别的置信度）。",
                         fix_zh="请汇总经 pvsite.buildings.classify.classify() 分类的屋顶。")
    level = roofs["class_confidence"].astype("string")
    unknown = level[level.notna() & ~level.isin(CONFIDENCE_LEVELS)].unique()
    if level.isna().any() or len(unknown):
        raise InputError(f"The roofs' class_confidence must be one of {', '.join(CONFIDENCE_LEVELS)} on every "
                         f"roof; found {sorted(map(str, unknown))[:5] or 'missing values'}.",
                         fix="Summarise roofs classified by pvsite.buildings.classify.classify().",
                         zh=f"屋顶的 class_confidence 须为 {', '.join(CONFIDENCE_LEVELS)} 之一；实有 {sorted(map(str, unknown))[:5] or '缺失值'}。",
                         fix_zh="请汇总经 pvsite.buildings.classify.classify() 分类的屋顶。")
    frame = pd.DataFrame(
        {
            "n_buildings": 1,
            "n_sized": (roofs["capacity_kw"] > 0).astype(int),
            "n_exceeds_fit": roofs["policy_exceeds_fit"].astype("boolean").fillna(False).astype(int),
            "area_m2": roofs["area_m2"].astype(float).fillna(0.0),
            "usable_area_m2": roofs["usable_area_m2"].astype(float).fillna(0.0),
            "pv_area_m2": roofs["pv_area_m2"].astype(float).fillna(0.0),
            "capacity_kw": cap,
            **{f"capacity_{lv}_kw": cap.where(level == lv, 0.0) for lv in CONFIDENCE_LEVELS},
            "annual_mwh": roofs["annual_kwh"].astype(float).fillna(0.0) / 1000.0,
            "co2_t": roofs["co2_t"].astype(float).fillna(0.0),
            "tce_t": pd.to_numeric(roofs["tce_t"], errors="coerce").fillna(0.0) if "tce_t" in roofs.columns else np.nan,
            **{c: roofs[c].astype("Float64").fillna(0.0).astype(float) if c in roofs.columns
               else (cap if c == "remaining_potential_kw" else 0.0) for c in DELIVERY_COLUMNS},
            **{c: (roofs[c].astype("Float64").fillna(0.0).astype(float) if c in roofs.columns else np.nan)
               for c in ECON_SUMS},
        },
        index=roofs.index,
    )
    if by is None:
        out = frame.sum().to_frame().T
    else:
        out = frame.groupby(by.to_numpy(), sort=False, dropna=False).sum()
    cap = out["capacity_kw"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["specific_yield_kwh_per_kwp"] = np.where(cap > 0, out["annual_mwh"] * 1000.0 / cap, np.nan)
    return out


def summarise(
    roofs: pd.DataFrame,
    target_kw: float,
    class_names_zh: Mapping[str, str],
    streets: list[str] | None = None,
    scope_label: str = "全区",
    consumption: pd.DataFrame | None = None,
    targets=None,
    entries: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The summary table: one row per district / street / class / department / street×class.

    Parameters
    ----------
    roofs : DataFrame
        The sized, simulated roofs (``capacity_kw``, ``annual_kwh``, ``co2_t``,
        areas, ``street``, ``building_class``, ``class_zh``,
        ``class_confidence``, ``responsible_department``,
        ``policy_exceeds_fit``).
    target_kw : float
        The plan's capacity target [kW].
    class_names_zh : Mapping of str to str
        Policy class → Chinese name, in plan order: the classification
        preset's :attr:`pvsite.presets.ClassifyPreset.class_names_zh`.
    streets : list of str, optional
        Streets to list even when they hold no roof (whole-district runs).
    scope_label : str
        Key of the district row (``全区`` or the selected street).
    consumption : DataFrame, optional
        Annual energy use entries (:func:`pvsite.io.consumption.read_consumption`)
        for ``consumption_kwh`` / ``renewable_share_pct``
        (:func:`pvsite.planning.carbon.renewable_share`); NA without.
    targets : pvsite.presets.Targets, optional
        The policy's ``[targets]``: its ``streets`` / ``departments``
        allocations become those rows' ``target_kw``.
    entries : pandas.DataFrame, optional
        The matched PV projects (:func:`pvsite.planning.installed.match_installed`);
        projects that matched no roof are added to the district row's
        ``installed_kw`` / ``under_construction_kw`` / ``planned_kw`` (they are
        the district's, though on no known roof).  None: no list was given, so
        those columns (and ``remaining_kw``, ``achieved_pct``) are NA — unknown,
        not zero.

    Returns
    -------
    DataFrame
        Columns of :data:`pvsite.outputs.schema` layer ``summary``;
        ``capacity_<level>_kw`` [kW] splits ``capacity_kw`` by the roofs'
        ``class_confidence`` (:data:`pvsite.presets.CONFIDENCE_LEVELS`), so
        the parts add up to it on every row.  With the economics columns
        (:func:`pvsite.economics.appraise`) also ``capex_yuan``,
        ``first_year_benefit_yuan``, ``npv_yuan`` [元] (sums) and
        ``simple_payback_yr`` = capex sum / benefit sum (NaN when the benefit
        ≤ 0, and all four NaN without economics).
    """
    def level(name: str, frame: pd.DataFrame, key_zh=None) -> pd.DataFrame:
        keys = frame.index.astype(str)
        frame.insert(0, "level", name)
        frame.insert(1, "key", keys)
        frame.insert(2, "key_zh", keys if key_zh is None else [key_zh(k) for k in keys])
        return frame

    street = roofs["street"].astype("string").fillna(NO_STREET)
    cls = roofs["building_class"].astype("string").fillna("other")
    dept = roofs["responsible_department"].astype("string").replace("", pd.NA).fillna(NO_DEPARTMENT)

    total = _aggregate(roofs, None)
    total.index = [scope_label]

    by_street = _aggregate(roofs, street)
    order = list(streets or [])
    order += [s for s in by_street.index if s not in order]
    by_street = by_street.reindex(order).fillna(0)

    class_zh = dict(class_names_zh)
    class_rank = _class_ranker(class_zh)
    by_class = _aggregate(roofs, cls)
    by_class = by_class.reindex(sorted(by_class.index, key=class_rank))

    # Departments by capacity, ties by name, so the order never depends on the input's row order.
    by_dept = _aggregate(roofs, dept)
    by_dept = by_dept.loc[sorted(by_dept.index, key=lambda k: (-by_dept.at[k, "capacity_kw"], k))]

    by_sc = _aggregate(roofs, street + " / " + cls)
    rank = {s: i for i, s in enumerate(order)}
    by_sc = by_sc.reindex(sorted(by_sc.index, key=lambda k: (rank.get(k.rsplit(" / ", 1)[0], len(rank)),
                                                              class_rank(k.rsplit(" / ", 1)[1]), k)))

    def street_class_zh(key: str) -> str:
        s, c = key.rsplit(" / ", 1)
        return f"{s} / {class_zh.get(c, c)}"

    parts = [
        level("district", total),
        level("street", by_street),
        level("class", by_class, lambda k: class_zh.get(k, k)),
        level("department", by_dept),
        level("street_class", by_sc, street_class_zh),
    ]
    out = pd.concat(parts, ignore_index=True)
    _targets(out, float(target_kw), targets, entries, dict(zip(roofs["building_id"].astype(str), dept))
             if "building_id" in roofs.columns else {})
    with np.errstate(invalid="ignore", divide="ignore"):
        benefit = out["first_year_benefit_yuan"].to_numpy(dtype=float)
        out["simple_payback_yr"] = np.where(benefit > 0, out["capex_yuan"].to_numpy(dtype=float) / benefit, np.nan)
    if "capex_yuan" not in roofs.columns:  # no economics: say nothing rather than zero
        out[[*ECON_SUMS, "simple_payback_yr"]] = np.nan
    for col in ("n_buildings", "n_sized", "n_exceeds_fit"):
        out[col] = out[col].round().astype("Int64")
    return renewable_share(out, roofs, consumption, scope_label)


def counted_toward_target(entries: pd.DataFrame, targets) -> pd.Series:
    """Built capacity that counts toward the target [kW] per project: commissioned within the target's years.

    The plan's target is capacity built in ``targets.first_year`` … the last
    milestone year (十四五 = 2021–2025 for Changning); a project commissioned
    before or after is on its roof (``installed_kw``) but not toward that target.
    Without ``[targets]`` every built project counts.
    """
    built = (entries["status"] == "built").to_numpy()
    kw = entries["capacity_kw"].astype(float).where(built, 0.0)
    if targets is None:
        return kw
    year = pd.to_datetime(entries["commissioned"]).dt.year
    inside = (year >= targets.first_year) & (year <= targets.last_year)
    return kw.where(inside.fillna(False).astype(bool), 0.0)


def _targets(out: pd.DataFrame, target_kw: float, targets, entries, dept_of: dict) -> None:
    """Registry totals, ``target_kw``, ``remaining_kw``, ``achieved_pct`` and ``potential_x_target``, in place.

    ``target_kw``: the district row's target, and the street / department rows
    the preset allocates a target to (NA elsewhere).  ``remaining_kw`` =
    target_kw − built capacity counted toward it (:func:`counted_toward_target`;
    equal to ``installed_kw`` when every project was commissioned within the
    target's years), negative when the target is exceeded; ``achieved_pct`` =
    that built capacity / target_kw × 100 (under construction and planned are
    not achieved).  ``potential_x_target`` = capacity_kw / target_kw — the row's
    own target where it has one, else the district's — a multiple of the
    target, not an achievement.
    """
    district = (out["level"] == "district").to_numpy()
    tgt = np.where(district, target_kw, np.nan)
    for level, table in (("street", getattr(targets, "streets", {})), ("department", getattr(targets, "departments", {}))):
        rows = (out["level"] == level).to_numpy()
        tgt = np.where(rows, out["key"].map(dict(table)).to_numpy(dtype=float), tgt)
    known = entries is not None
    counted = pd.Series(np.nan, index=out.index)
    if known:
        un = entries[entries["match_method"] == "unmatched"]
        for status, col in (("built", "installed_kw"), ("under_construction", "under_construction_kw"),
                            ("planned", "planned_kw")):
            out.loc[district, col] += float(un.loc[un["status"] == status, "capacity_kw"].sum())
        kw = counted_toward_target(entries, targets)
        counted[:] = 0.0
        counted[district] = float(kw.sum())
        by_street = kw.groupby(entries["street"].astype("string").fillna("")).sum()
        by_dept = kw.groupby(entries["building_id"].astype("string").map(dept_of).astype("string").fillna("")).sum()
        for level, sums in (("street", by_street), ("department", by_dept)):
            rows = (out["level"] == level).to_numpy()
            counted[rows] = out.loc[rows, "key"].map(sums).fillna(0.0).to_numpy(dtype=float)
    for col in REGISTRY_KW:
        out[col] = out[col].astype("Float64") if known else pd.array([pd.NA] * len(out), dtype="Float64")
    out["remaining_potential_kw"] = out["remaining_potential_kw"].astype("Float64")
    out["target_kw"] = pd.array(tgt, dtype="Float64")
    done = pd.array(counted.to_numpy(), dtype="Float64")
    out["remaining_kw"] = out["target_kw"] - done
    with np.errstate(invalid="ignore", divide="ignore"):
        out["achieved_pct"] = (done / out["target_kw"] * 100.0).astype("Float64")
        ref = out["target_kw"].fillna(target_kw).astype(float)
        out["potential_x_target"] = pd.array(out["capacity_kw"].astype(float) / ref, dtype="Float64")


def potential_totals(roofs: pd.DataFrame, target_kw: float) -> dict:
    """The district totals of one scenario's potential (what :func:`summarise` gives its district row).

    Parameters
    ----------
    roofs : DataFrame
        Sized roofs with ``capacity_kw``, ``annual_kwh``, ``co2_t``.
    target_kw : float
        The plan's target [kW].

    Returns
    -------
    dict
        ``n_sized``, ``capacity_kw`` [kW], ``annual_mwh`` [MWh], ``co2_t`` [t/yr],
        ``specific_yield_kwh_per_kwp``, ``potential_x_target`` (capacity / target:
        a multiple of the target, not an achievement).
    """
    cap = roofs["capacity_kw"].astype(float).fillna(0.0)
    kw, kwh = float(cap.sum()), float(roofs["annual_kwh"].astype(float).fillna(0.0).sum())
    return {"n_sized": int((cap > 0).sum()), "capacity_kw": kw, "annual_mwh": kwh / 1000.0,
            "co2_t": float(roofs["co2_t"].astype(float).fillna(0.0).sum()),
            "specific_yield_kwh_per_kwp": kwh / kw if kw > 0 else np.nan,
            "potential_x_target": kw / float(target_kw) if target_kw > 0 else np.nan}
