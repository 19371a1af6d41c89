"""Plan tasks and departments per roof, from the policy preset's ``[tasks]`` (the plan's task table).

Changning's plan (长府〔2023〕1号, 重点任务分工表) obliges roofs by two tasks —
36 (new buildings from 2022) and 37 (existing public institutions and
factories) — and names the departments responsible (责任单位) for each; task 34
is the district total.  :func:`assign_tasks` gives every roof:

* ``plan_task`` — the number of the task whose scenarios' rules cover the roof
  (ratio > 0), ``""`` when none does;
* ``plan_task_departments`` — that task's departments as printed, "、"-joined;
* ``responsible_department`` — the one department whose list carries the roof:
  by ``owner_type`` (区属国企 → 区国资委), then by building type (schools →
  区教育局 …), else the task's ``responsible_default`` (``street``: the roof's
  street or town, the plan's 各街道镇).  Roofs of no task keep ``""``.

The mapping is preset data (``presets/policy/changning-2023.toml``), so a
district with another task table edits TOML, not code.  A policy without
``[tasks]`` (or ``[delivery] departments = "classify"``) keeps the
classification preset's per-type department.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pvsite.planning.sizing import policy_ratios
from pvsite.presets import STREET_DEPARTMENT, PolicyPreset

#: Department given to a task-37 roof whose street is unknown (the plan's own words).
ALL_STREETS = "各街道镇"


def assign_tasks(roofs: pd.DataFrame, policy: PolicyPreset, source: str = "plan") -> pd.DataFrame:
    """Add ``plan_task``, ``plan_task_departments`` and set ``responsible_department``.

    Parameters
    ----------
    roofs : pandas.DataFrame
        Classified roofs: ``building_class``, ``building_type``, ``is_new``,
        ``street``, ``responsible_department`` (the classification preset's),
        optionally ``owner_type``.
    policy : pvsite.presets.PolicyPreset
        Its ``tasks`` (may be empty).
    source : {'plan', 'classify'}
        ``classify`` leaves ``responsible_department`` as classified
        (``[delivery] departments``); the task columns are filled either way.

    Returns
    -------
    pandas.DataFrame
        A copy with the two task columns (text, ``""`` for no task). The first
        task in preset order that covers a roof is its task.
    """
    out = roofs.copy()
    n = len(out)
    task = np.full(n, "", dtype=object)
    depts = np.full(n, "", dtype=object)
    resp = np.full(n, "", dtype=object)
    owner = (out["owner_type"].astype("string").fillna("") if "owner_type" in out.columns
             else pd.Series("", index=out.index, dtype="string")).to_numpy(dtype=object)
    btype = out["building_type"].astype("string").fillna("").to_numpy(dtype=object)
    street = out["street"].astype("string").fillna("").to_numpy(dtype=object) if "street" in out.columns \
        else np.full(n, "", dtype=object)
    for number, t in policy.tasks.items():
        if not t.scenarios:
            continue
        rules = tuple(r for sc in t.scenarios for r in policy.resolve(sc)[1])
        hit = (policy_ratios(out, rules)["policy_ratio"].to_numpy() > 0) & (task == "")
        task[hit] = number
        depts[hit] = "、".join(t.departments)
        default = np.where(street != "", street, ALL_STREETS) if t.responsible_default == STREET_DEPARTMENT \
            else np.full(n, t.responsible_default, dtype=object)
        by_type = pd.Series(btype).map(dict(t.responsible_by_type)).to_numpy(dtype=object)
        by_owner = pd.Series(owner).map(dict(t.responsible_by_owner)).to_numpy(dtype=object)
        pick = np.where(pd.notna(by_owner), by_owner, np.where(pd.notna(by_type), by_type, default))
        resp[hit] = pick[hit]
    out["plan_task"] = pd.Series(task, index=out.index, dtype="str")
    out["plan_task_departments"] = pd.Series(depts, index=out.index, dtype="str")
    if source == "plan" and policy.tasks:
        out["responsible_department"] = pd.Series(resp, index=out.index, dtype="str")
    return out
