"""What is built, under construction and planned: PV projects matched to roofs, and the trajectory to the target.

The plan's 16,000 kW (长府〔2023〕1号 task 34) is capacity *built* in
2021–2025, while a scenario gives *potential*.  This module places the
projects of the ``--installed`` lists (:mod:`pvsite.io.installed`) on the
roofs and derives, per roof, what is on it and what potential remains:

* :func:`match_installed` — per project, in order: the roof whose
  ``building_id`` the row names (``id``); else the smallest roof containing
  its point (``contains``); else the nearest roof within
  :attr:`pvsite.config.DeliveryConfig.tolerance_m` (``nearest``); else
  ``unmatched``.  Unmatched projects are kept (they count toward the district
  total, not toward any roof or street) and reported by :func:`findings`.
* :func:`apply_installed` — per roof ``installed_kw`` (已并网),
  ``under_construction_kw`` (在建), ``planned_kw`` (已备案) and
  ``remaining_potential_kw`` = max(capacity_kw − the three, 0).
* :func:`trajectory` — built kW commissioned per year, cumulative, beside the
  preset's cumulative milestones (``[targets]`` of the policy preset).
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from pvsite.frames import own_copy
from pvsite.buildings.checks import Finding
from pvsite.buildings.registry import locate_points
from pvsite.geo import crs as crs_mod

log = logging.getLogger(__name__)

#: Columns of :attr:`pvsite.pipeline.RunResult.installed_entries` (contracts.md).
ENTRY_COLUMNS = ("project_name", "capacity_kw", "capacity_ac_kw", "status", "status_zh", "commissioned",
                 "building_id", "street", "match_method", "match_distance_m", "note", "source")
#: Per-roof columns :func:`apply_installed` adds; status key → column.
STATUS_COLUMNS = {"built": "installed_kw", "under_construction": "under_construction_kw", "planned": "planned_kw"}
#: Years of the trajectory (the plan's 十四五 and 十五五, to its 2030 应装尽装).
TRAJECTORY_YEARS = tuple(range(2021, 2031))


def match_installed(roofs, lists, tolerance_m: float):
    """Place every PV project of the lists on a roof.

    Parameters
    ----------
    roofs : geopandas.GeoDataFrame
        The surveyed roofs (``building_id``, ``street``, geometry with a CRS).
    lists : sequence of pvsite.io.installed.InstalledList
        As read by :func:`pvsite.io.installed.read_installed`.
    tolerance_m : float
        Largest distance from a point to the nearest roof not containing it [m].

    Returns
    -------
    pandas.DataFrame or None
        :data:`ENTRY_COLUMNS`, one row per project of every list, in list and
        row order; ``building_id`` / ``street`` NA and ``match_method``
        ``unmatched`` when no roof was found (``note`` says why).  None when no
        list is given.
    """
    if not lists:
        return None
    frames = [lst.frame for lst in lists]
    entries = pd.concat([pd.DataFrame(f.drop(columns=f.geometry.name)) for f in frames], ignore_index=True)
    points = pd.concat([f.geometry for f in frames], ignore_index=True)
    roofs_m = crs_mod.to_metric(roofs)
    ids = roofs_m["building_id"].astype("str").to_numpy(dtype=object)
    pos_of = pd.Series(np.arange(len(ids)), index=ids)
    pos_of = pos_of[~pos_of.index.duplicated()]
    given = entries["building_id"].astype("str")
    by_id = given.map(pos_of).astype("Int64")

    pts = np.asarray(gpd.GeoSeries(points.values, crs="EPSG:4326").to_crs(roofs_m.crs).values, dtype=object)
    located = locate_points(roofs_m, np.where(by_id.notna().to_numpy(), None, pts), tolerance_m)
    roof = np.where(by_id.notna().to_numpy(), by_id.fillna(-1).to_numpy(dtype=np.int64),
                    located["roof"].to_numpy())
    method = np.where(by_id.notna().to_numpy(), "id", located["method"].to_numpy())
    dist = np.where(by_id.notna().to_numpy(), 0.0, located["distance_m"].to_numpy(dtype=float))
    matched = roof >= 0
    note = np.full(len(entries), "", dtype=object)
    unknown_id = given.notna().to_numpy() & by_id.isna().to_numpy()
    note[unknown_id] = [f"building id {b} is not among the roofs of this run" for b in given[unknown_id]]
    no_pt = ~matched & pd.isna(pts)
    note[no_pt & ~unknown_id] = "no coordinates and no building id"
    far = ~matched & ~pd.isna(pts) & np.isfinite(dist)
    note[far] = [(n + "; " if n else "") + f"nearest roof {d:.0f} m away (tolerance {tolerance_m:g} m)"
                 for n, d in zip(note[far], dist[far])]
    take = np.where(matched, roof, 0)
    street = roofs_m["street"].astype("str").to_numpy(dtype=object)[take] if "street" in roofs_m.columns \
        else np.full(len(entries), None, dtype=object)
    out = entries.assign(
        building_id=pd.Series(np.where(matched, ids[take], None), dtype="str"),
        street=pd.Series(np.where(matched, street, None), dtype="str"),
        match_method=pd.Series(method, dtype="str"),
        match_distance_m=pd.Series(np.where(np.isfinite(dist), dist, np.nan)).astype("Float64"),
        note=pd.Series(note, dtype="str"),
    )
    n_un = int((~matched).sum())
    log.info("installed PV: %d of %d projects matched to roofs (tolerance %g m)", int(matched.sum()),
             len(out), tolerance_m)
    if n_un:
        log.warning("installed PV: %d project(s) matched no roof (listed in installed_entries)", n_un)
    return out[list(ENTRY_COLUMNS)]


def per_roof_kw(roofs, entries) -> pd.DataFrame:
    """kW per roof and status (:data:`STATUS_COLUMNS`), indexed like ``roofs``, 0 where nothing matched."""
    out = pd.DataFrame(0.0, index=roofs.index, columns=list(STATUS_COLUMNS.values()))
    if entries is None or len(entries) == 0:
        return out
    hit = entries[entries["building_id"].notna()]
    sums = hit.pivot_table(index="building_id", columns="status", values="capacity_kw", aggfunc="sum", fill_value=0.0)
    bids = roofs["building_id"].astype("str")
    for status, col in STATUS_COLUMNS.items():
        if status in sums.columns:
            out[col] = bids.map(sums[status]).fillna(0.0).to_numpy(dtype=float)
    return out


def apply_installed(roofs, entries):
    """Add ``installed_kw``, ``under_construction_kw``, ``planned_kw``, ``remaining_potential_kw`` [kW].

    ``remaining_potential_kw`` = max(``capacity_kw`` − installed − under
    construction − planned, 0): what the scenario still finds on the roof
    beyond the projects already on it.  Without a list (``entries`` None) the
    three registry columns are NA (unknown, not zero) and the remaining
    potential equals ``capacity_kw``.
    """
    roofs = own_copy(roofs)  # shallow under copy-on-write: a new column copies no other column
    cap = roofs["capacity_kw"].astype(float).fillna(0.0)
    if entries is None:
        for col in STATUS_COLUMNS.values():
            roofs[col] = pd.Series(pd.NA, index=roofs.index, dtype="Float64")
        roofs["remaining_potential_kw"] = cap.astype("Float64")
        return roofs
    kw = per_roof_kw(roofs, entries)
    for col in STATUS_COLUMNS.values():
        roofs[col] = kw[col].astype("Float64")
    roofs["remaining_potential_kw"] = (cap - kw.sum(axis=1)).clip(lower=0.0).astype("Float64")
    return roofs


def trajectory(entries, targets, years=TRAJECTORY_YEARS) -> pd.DataFrame:
    """Built capacity year by year against the preset's cumulative target.

    Parameters
    ----------
    entries : pandas.DataFrame or None
        :func:`match_installed` (every project, matched or not: all count toward the district).
    targets : pvsite.presets.Targets or None
        The policy preset's ``[targets]``.
    years : sequence of int
        Rows of the table.

    Returns
    -------
    pandas.DataFrame or None
        ``year``, ``added_kw`` (built projects commissioned that year [kW]),
        ``cumulative_kw`` (built since ``targets.first_year``, or since the first
        year of the table [kW]), ``target_kw`` (cumulative milestone of that
        year, NA where the preset gives none).  ``attrs["before_kw"]``: built
        before the first year (not counted toward the target).  None without a list.
    """
    if entries is None:
        return None
    first = targets.first_year if targets is not None else years[0]
    built = entries[entries["status"] == "built"]
    year = pd.to_datetime(built["commissioned"]).dt.year
    added = built["capacity_kw"].groupby(year).sum()
    out = pd.DataFrame({"year": list(years)})
    out["added_kw"] = out["year"].map(added).fillna(0.0).astype(float)
    before = float(added[added.index < first].sum())
    counted = out["added_kw"].where(out["year"] >= first, 0.0)
    out["cumulative_kw"] = counted.cumsum()
    miles = dict(targets.milestones) if targets is not None else {}
    out["target_kw"] = out["year"].map(miles).astype("Float64")
    out.attrs["before_kw"] = before
    out.attrs["first_year"] = first
    out.attrs["after_kw"] = float(added[added.index > max(years)].sum())
    return out


def findings(entries, traj) -> list[Finding]:
    """Unmatched projects, and built capacity outside the target's years, as findings."""
    out = []
    if entries is None:
        return out
    un = entries[entries["match_method"] == "unmatched"]
    if len(un):
        kw = float(un["capacity_kw"].sum())
        listing = "; ".join(f"{r.source} {r.project_name} ({r.capacity_kw:,.0f} kW{': ' + r.note if r.note else ''})"
                            for r in un.head(10).itertuples())
        more = f" … (+{len(un) - 10})" if len(un) > 10 else ""
        out.append(Finding(
            "installed_unmatched", "warning",
            f"{len(un)} 个光伏项目（{kw:,.0f} kW）未匹配到屋顶：计入全区已建/在建合计，不计入任何屋顶或街道。{listing}{more}",
            f"{len(un)} PV project(s) ({kw:,.0f} kW) matched no roof: counted in the district totals, not in any "
            f"roof or street. {listing}{more}  Fix: give their building id, correct the coordinates or datum, "
            f"or raise [delivery] tolerance_m.",
            {"n_unmatched": len(un), "unmatched_kw": kw}))
    if traj is not None and traj.attrs.get("before_kw", 0.0) > 0:
        b, first = traj.attrs["before_kw"], traj.attrs["first_year"]
        out.append(Finding(
            "installed_before_target_period", "warning",
            f"{b:,.0f} kW 已并网项目在 {first} 年之前投运：计入屋顶已建容量，但不计入规划期内新增（进度表）。",
            f"{b:,.0f} kW of built projects were commissioned before {first}: on their roofs, but not in the "
            f"trajectory of capacity built since {first} (the target counts {first} onward).",
            {"before_kw": b}))
    return out
