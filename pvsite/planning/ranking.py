"""What to do next: roofs ranked by a key, the fewest that close the gap, one task list per department.

:func:`rank_roofs` orders every roof with remaining potential by a key of
:data:`RANK_KEYS` (or several, compared in turn), adds ``cumulative_kw`` and
marks ``closes_gap``: the leading roofs of the list whose remaining potential
together first reaches the gap to the target.  :func:`department_tasks` splits
that list by responsible department.  Both are sorts and cumulative sums over
arrays (no per-roof Python), so a million roofs take about a second.

The gap
    ``gap_kw = target_kw − installed_kw − under_construction_kw − planned_kw``:
    what is neither built nor already under way (在建 / 已备案), since the
    roofs of the list carry only their *remaining* potential
    (``remaining_potential_kw`` excludes the kW on the roof in every status).
    Without a registry of installed systems (``--installed``) nothing is known
    to be built: the gap is the whole target and ``attrs["gap_basis"]`` says
    ``potential only``.

Fewest roofs
    For ``rank_by="capacity"`` the prefix of the list (largest remaining
    potential first) that reaches the gap is a set of the fewest roofs that
    reach it: any *k* roofs hold at most the *k* largest potentials, so if the
    first *k* fall short, every set of *k* does (tests check this against a
    brute force).  For the other keys the prefix is the set that follows that
    key's order, not the fewest roofs.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pvsite.errors import InputError


@dataclass(frozen=True)
class RankKey:
    """One ranking key.

    Attributes
    ----------
    column : str
        Roof column it compares (``class_priority`` is derived from
        ``building_class`` and the classification's plan order).
    ascending : bool
        Smallest first (payback, LCOE, class position) or largest first.
    label_zh, label : str
        What it means, in Chinese and English.
    economics : bool
        The column comes from the economics stage (``--economics``); ranking
        by it without that stage is an error.
    """

    column: str
    ascending: bool
    label_zh: str
    label: str
    economics: bool = False


#: Ranking keys: key → :class:`RankKey`.  ``class`` follows the classification preset's plan order
#: (cn-default: 公共机构, 工业厂房, 其他公共建筑, 居住, 其他).
RANK_KEYS: dict[str, RankKey] = {
    "capacity": RankKey("remaining_potential_kw", False, "剩余潜力容量(kW)从大到小", "remaining potential kW, largest first"),
    "yield": RankKey("specific_yield_kwh_per_kwp", False, "等效利用小时(含遮挡)从高到低",
                     "specific yield (shaded unless --no-shading), highest first"),
    "class": RankKey("class_priority", True, "政策类别优先: 公共机构、工业厂房、其他公共建筑…",
                     "policy class in plan order: public institutions, factories, other public …"),
    "payback": RankKey("simple_payback_yr", True, "静态回收期从短到长", "simple payback, shortest first", True),
    "npv": RankKey("npv_yuan", False, "净现值从高到低", "net present value, highest first", True),
    "lcoe": RankKey("lcoe_yuan_per_kwh", True, "度电成本从低到高", "levelised cost of energy, lowest first", True),
}

#: Economics columns carried into the priority list when the economics stage produced them.
ECONOMICS_COLUMNS = ("capex_yuan", "first_year_benefit_yuan", "simple_payback_yr", "npv_yuan", "irr_pct",
                     "lcoe_yuan_per_kwh", "business_model", "econ_note")

#: Columns of the priority list (then :data:`ECONOMICS_COLUMNS` present on the roofs).
PRIORITY_COLUMNS = ("rank", "building_id", "name", "street", "building_class", "class_zh", "responsible_department",
                    "plan_task", "remaining_potential_kw", "annual_kwh", "specific_yield_kwh_per_kwp",
                    "cumulative_kw", "closes_gap")

#: Department key of roofs without one (as :data:`pvsite.planning.rollup.NO_DEPARTMENT`).
NO_DEPARTMENT = "(未指定)"

#: Task status of a listed roof: (status, status_zh), decided from the delivery columns.
STATUS = {"partly_built": "部分已并网", "under_construction": "部分在建", "planned": "部分已备案",
          "to_do": "待建", "not_checked": "未核对(无已建清单)"}

POTENTIAL_ONLY = ("potential only: 未提供已建项目清单 --installed, 已建容量未知, 缺口按目标全额计 / "
                  "no registry of installed systems given: installed capacity unknown, the gap is the whole target")


def parse_rank_by(rank_by: str) -> tuple[str, ...]:
    """``"class, capacity"`` → ``("class", "capacity")``.

    Raises
    ------
    ValueError
        Empty, or a key that is not in :data:`RANK_KEYS` (with the nearest one).
    """
    keys = [k.strip().lower() for k in str(rank_by).split(",")]
    if not any(keys) or not all(keys):
        raise ValueError(f"rank_by {rank_by!r} names no key (empty part)")
    bad = [k for k in keys if k not in RANK_KEYS]
    if bad:
        hints = [f"'{k}'" + (f" (did you mean '{m[0]}'?)" if (m := difflib.get_close_matches(k, RANK_KEYS, 1)) else "")
                 for k in bad]
        raise ValueError(f"unknown ranking key(s) {', '.join(hints)}")
    return tuple(dict.fromkeys(keys))


def remaining_potential_kw(roofs: pd.DataFrame) -> np.ndarray:
    """``remaining_potential_kw`` when the delivery stage gave it, else ``capacity_kw`` [kW] (NaN → 0)."""
    col = "remaining_potential_kw" if "remaining_potential_kw" in roofs.columns else "capacity_kw"
    return pd.to_numeric(roofs[col], errors="coerce").fillna(0.0).to_numpy(dtype=float)


def _sum(frame: pd.DataFrame | None, col: str) -> float | None:
    if frame is None or col not in frame.columns:
        return None
    return float(pd.to_numeric(frame[col], errors="coerce").fillna(0.0).sum())


def gap(roofs: pd.DataFrame, target_kw: float, summary: pd.DataFrame | None = None) -> tuple[float, str]:
    """The kW the ranked roofs must close, and what it rests on.

    Parameters
    ----------
    roofs : DataFrame
        With ``installed_kw``, ``under_construction_kw``, ``planned_kw`` [kW]
        when a registry was given.
    target_kw : float
        The plan's target [kW].
    summary : DataFrame, optional
        Its district row's ``installed_kw`` / ``under_construction_kw`` /
        ``planned_kw`` win over the roofs' sums (they may count registry
        entries matched to no roof).

    Returns
    -------
    gap_kw : float
        ``target_kw − built − under construction − planned`` [kW]; ≤ 0
        when the target is reached.  "built" is what counts toward the
        target (the district row's ``remaining_kw``: projects commissioned
        within the target's years) when the summary has it.
    basis : str
        How it was computed (``potential only`` without a registry).
    """
    district = summary[summary["level"] == "district"] if summary is not None and "level" in summary else None
    source = district if district is not None and "installed_kw" in district.columns and len(district) else roofs
    if "installed_kw" not in source.columns or not source["installed_kw"].notna().any():
        return float(target_kw), POTENTIAL_ONLY
    parts = {c: _sum(source, c) or 0.0 for c in ("installed_kw", "under_construction_kw", "planned_kw")}
    remaining = (source["remaining_kw"].iloc[0] if source is district and "remaining_kw" in source.columns
                 else pd.NA)
    if pd.notna(remaining):
        # target − built capacity that counts toward it (commissioned within the target's years,
        # planning.rollup.counted_toward_target) − what is under way
        counted = float(target_kw) - float(remaining)
        value = float(remaining) - parts["under_construction_kw"] - parts["planned_kw"]
        built = (f"已并网 built {counted:,.0f}" if abs(counted - parts["installed_kw"]) < 1e-6 else
                 f"已并网 built {counted:,.0f} (of {parts['installed_kw']:,.0f}: commissioned within the target's years)")
    else:
        value = float(target_kw) - sum(parts.values())
        built = f"已并网 built {parts['installed_kw']:,.0f}"
    basis = (f"target {target_kw:,.0f} − {built} − 在建 under construction "
             f"{parts['under_construction_kw']:,.0f} − 已备案 planned {parts['planned_kw']:,.0f} kW")
    return value, basis


def _sort_values(roofs: pd.DataFrame, key: str, class_order) -> np.ndarray:
    """Float array that sorts ascending in the key's order, NaN (e.g. never pays back) last."""
    spec = RANK_KEYS[key]
    if key == "class":
        order = {c: i for i, c in enumerate(class_order)}
        v = roofs["building_class"].astype("string").map(order).astype("Float64").fillna(len(order))
        v = v.to_numpy(dtype=float)
    elif key == "capacity":
        v = remaining_potential_kw(roofs)
    else:
        if spec.column not in roofs.columns:
            raise InputError(
                f"--rank-by {key} ranks by {spec.column} ({spec.label}), but the roofs have no economics columns.",
                fix="Run the economics stage (--economics PRESET / [economics]) or rank by capacity, yield or class.",
                zh=f"--rank-by {key} 按{spec.label_zh}（{spec.column}）排序，但屋顶数据没有经济性测算列。",
                fix_zh=f"按{spec.label_zh}排序需要经济性测算结果（--economics PRESET / [economics]）；否则请用 capacity / yield / class 排序。")
        v = pd.to_numeric(roofs[spec.column], errors="coerce").to_numpy(dtype=float)
    v = v if spec.ascending else -v
    return np.where(np.isnan(v), np.inf, v)


def rank_roofs(roofs: pd.DataFrame, rank_by: str, target_kw: float, class_order,
               summary: pd.DataFrame | None = None) -> pd.DataFrame:
    """The priority list: roofs with remaining potential, ranked, with ``cumulative_kw`` and ``closes_gap``.

    Parameters
    ----------
    roofs : DataFrame
        Sized, simulated roofs (``building_id``, ``capacity_kw`` [kW],
        ``specific_yield_kwh_per_kwp`` [kWh/kWp], ``building_class``, …;
        ``remaining_potential_kw``, ``plan_task`` and the economics columns
        when those stages ran).
    rank_by : str
        Key(s) of :data:`RANK_KEYS`, comma-separated, compared in order;
        ``capacity`` breaks the remaining ties (unless already named), then
        ``building_id``, so the order never depends on the input's row order.
    target_kw : float
        The plan's target [kW].
    class_order : sequence of str
        Policy classes in plan order (:attr:`pvsite.presets.ClassifyPreset.class_order`).
    summary : DataFrame, optional
        For the district's installed / in-progress kW (:func:`gap`).

    Returns
    -------
    DataFrame
        :data:`PRIORITY_COLUMNS` (+ economics columns present), one row per
        roof with ``remaining_potential_kw > 0``: ``rank`` (1 = first),
        ``annual_kwh`` = remaining potential × specific yield [kWh/yr],
        ``cumulative_kw`` [kW], ``closes_gap`` (in the leading set that first
        reaches the gap; all False when the gap is ≤ 0 or all roofs together
        fall short).  ``attrs``: ``rank_by``, ``rank_by_zh``, ``gap_kw``,
        ``gap_basis``, ``n_closing`` (roofs that close it, 0 if none can),
        ``shortfall_kw`` (gap left after every roof, ≥ 0), ``missing``
        (inputs absent, in words).

    Raises
    ------
    InputError
        ``payback`` / ``npv`` / ``lcoe`` without the economics columns.
    """
    keys = parse_rank_by(rank_by)
    keys = keys if "capacity" in keys else (*keys, "capacity")
    remaining = remaining_potential_kw(roofs)
    keep = remaining > 0
    # Only the columns the list shows or sorts by (never a copy of the wide roofs table with its geometry:
    # at 300,000 roofs that copy and its reordering were the rollup's peak, ≈ 0.6 GB).
    wanted = {"building_id", "name", "street", "building_class", "class_zh", "responsible_department", "plan_task",
              "specific_yield_kwh_per_kwp", "remaining_potential_kw", "capacity_kw", "installed_kw",
              "under_construction_kw", "planned_kw", *ECONOMICS_COLUMNS, *(RANK_KEYS[k].column for k in keys)}
    listed = roofs.loc[keep, [c for c in roofs.columns if c in wanted]]
    ids = listed["building_id"].astype("string").fillna("").to_numpy(dtype=object)
    by_id = np.argsort(ids, kind="stable")
    values = [_sort_values(listed, k, class_order)[by_id] for k in keys]
    order = by_id[np.lexsort(values[::-1])] if len(listed) else by_id
    rows = listed.iloc[order]
    rem = remaining[keep][order]
    spec_yield = pd.to_numeric(rows["specific_yield_kwh_per_kwp"], errors="coerce").to_numpy(dtype=float)
    cumulative = np.cumsum(rem)
    gap_kw, basis = gap(roofs, target_kw, summary)
    n_closing = 0
    if gap_kw > 0 and len(cumulative) and cumulative[-1] >= gap_kw * (1 - 1e-12):
        n_closing = int(np.searchsorted(cumulative, gap_kw * (1 - 1e-12), side="left")) + 1
    missing = []
    if "remaining_potential_kw" not in roofs.columns:
        missing.append("无已建项目清单: 剩余潜力按装机潜力计 / no installed registry: remaining potential = capacity_kw")
    if "plan_task" not in roofs.columns:
        missing.append("无规划任务字段 plan_task / plan task not assigned")
    out = pd.DataFrame({
        "rank": np.arange(1, len(rows) + 1, dtype=np.int64),
        "building_id": rows["building_id"].to_numpy(),
        "name": rows["name"].to_numpy() if "name" in rows else pd.NA,
        "street": rows["street"].to_numpy(),
        "building_class": rows["building_class"].to_numpy(),
        "class_zh": rows["class_zh"].to_numpy(),
        "responsible_department": rows["responsible_department"].to_numpy(),
        "plan_task": rows["plan_task"].to_numpy() if "plan_task" in rows else pd.NA,
        "remaining_potential_kw": rem,
        "annual_kwh": rem * np.nan_to_num(spec_yield),
        "specific_yield_kwh_per_kwp": spec_yield,
        "cumulative_kw": cumulative,
        "closes_gap": np.arange(len(rows)) < n_closing,
    })
    for col in ECONOMICS_COLUMNS:
        if col in rows.columns:
            out[col] = rows[col].to_numpy()
    for col in ("installed_kw", "under_construction_kw", "planned_kw"):
        if col in rows.columns:  # kept for the task status; dropped by department_tasks
            out[col] = pd.to_numeric(rows[col], errors="coerce").fillna(0.0).to_numpy()
    out["plan_task"] = out["plan_task"].astype("string")
    out.attrs.update(
        rank_by=",".join(keys), rank_by_zh=" → ".join(RANK_KEYS[k].label_zh for k in keys), gap_kw=gap_kw,
        gap_basis=basis, n_closing=n_closing,
        shortfall_kw=max(gap_kw - (float(cumulative[-1]) if len(cumulative) else 0.0), 0.0),
        missing=missing)
    return out


def task_status(priority: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(``status``, ``status_zh``) of every listed roof from its delivery kW (:data:`STATUS`)."""
    n = len(priority)
    if "installed_kw" not in priority.columns:
        return np.full(n, "not_checked", dtype=object), np.full(n, STATUS["not_checked"], dtype=object)
    kw = {c: priority[c].to_numpy(dtype=float) if c in priority.columns else np.zeros(n)
          for c in ("installed_kw", "under_construction_kw", "planned_kw")}
    status = np.select([kw["installed_kw"] > 0, kw["under_construction_kw"] > 0, kw["planned_kw"] > 0],
                       ["partly_built", "under_construction", "planned"], default="to_do").astype(object)
    return status, pd.Series(status).map(STATUS).to_numpy(dtype=object)


def department_tasks(priority: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """One task list per responsible department: its roofs of the priority list, in rank order, with status.

    Parameters
    ----------
    priority : DataFrame
        From :func:`rank_roofs`.

    Returns
    -------
    dict of str to DataFrame
        Department (:data:`NO_DEPARTMENT` for roofs without one) → the
        priority columns plus ``status`` / ``status_zh`` (:data:`STATUS`;
        ``not_checked`` without a registry of installed systems); departments
        by remaining kW, largest first, ties by name.
    """
    status, status_zh = task_status(priority)
    frame = priority.drop(columns=[c for c in ("installed_kw", "under_construction_kw", "planned_kw")
                                   if c in priority.columns])
    frame = frame.assign(status=status, status_zh=status_zh)
    dept = frame["responsible_department"].astype("string").replace("", pd.NA).fillna(NO_DEPARTMENT)
    totals = frame.groupby(dept.to_numpy(), sort=False)["remaining_potential_kw"].sum()
    names = sorted(totals.index, key=lambda d: (-totals[d], d))
    groups = frame.groupby(dept.to_numpy(), sort=False).indices
    return {d: frame.iloc[groups[d]].reset_index(drop=True) for d in names}
