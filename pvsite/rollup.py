"""Rollup: roofs summed by district, street, policy class and department, against the target.

Every total here is a plain sum over rows of the ``roofs`` layer, so the
``summary`` table can always be re-derived from ``roofs`` (a test checks it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NO_STREET = "(未划分街道)"
NO_DEPARTMENT = "(未指定)"

CLASS_ZH = {
    "public_institution": "公共机构",
    "factory": "工业厂房",
    "other_public": "其他公共建筑",
    "residential": "居住",
    "other": "其他",
}
CLASS_ORDER = list(CLASS_ZH)


def _aggregate(roofs: pd.DataFrame, by: pd.Series | None) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "n_buildings": 1,
            "n_sized": (roofs["capacity_kw"] > 0).astype(int),
            "n_exceeds_fit": roofs["policy_exceeds_fit"].astype("boolean").fillna(False).astype(int),
            "area_m2": roofs["area_m2"].astype(float).fillna(0.0),
            "usable_area_m2": roofs["usable_area_m2"].astype(float).fillna(0.0),
            "pv_area_m2": roofs["pv_area_m2"].astype(float).fillna(0.0),
            "capacity_kw": roofs["capacity_kw"].astype(float).fillna(0.0),
            "annual_mwh": roofs["annual_kwh"].astype(float).fillna(0.0) / 1000.0,
            "co2_t": roofs["co2_t"].astype(float).fillna(0.0),
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
    streets: list[str] | None = None,
    scope_label: str = "全区",
) -> pd.DataFrame:
    """The summary table: one row per district / street / class / department / street×class.

    Parameters
    ----------
    roofs : DataFrame
        The sized, simulated roofs (``capacity_kw``, ``annual_kwh``, ``co2_t``,
        areas, ``street``, ``building_class``, ``class_zh``,
        ``responsible_department``, ``policy_exceeds_fit``).
    target_kw : float
        The plan's capacity target [kW].
    streets : list of str, optional
        Streets to list even when they hold no roof (whole-district runs).
    scope_label : str
        Key of the district row (``全区`` or the selected street).

    Returns
    -------
    DataFrame
        Columns of :data:`pvsite.schema` layer ``summary``.
    """
    parts = []

    total = _aggregate(roofs, None)
    total.insert(0, "level", "district")
    total.insert(1, "key", scope_label)
    total.insert(2, "key_zh", scope_label)
    parts.append(total)

    street = roofs["street"].astype("string").fillna(NO_STREET)
    by_street = _aggregate(roofs, street)
    order = list(streets or [])
    order += [s for s in by_street.index if s not in order]
    by_street = by_street.reindex(order).fillna(0)
    by_street.insert(0, "level", "street")
    by_street.insert(1, "key", by_street.index.astype(str))
    by_street.insert(2, "key_zh", by_street.index.astype(str))
    parts.append(by_street)

    cls = roofs["building_class"].astype("string").fillna("other")
    by_class = _aggregate(roofs, cls)
    by_class = by_class.reindex([c for c in CLASS_ORDER if c in by_class.index]
                                + [c for c in by_class.index if c not in CLASS_ORDER])
    by_class.insert(0, "level", "class")
    by_class.insert(1, "key", by_class.index.astype(str))
    by_class.insert(2, "key_zh", [CLASS_ZH.get(k, k) for k in by_class.index])
    parts.append(by_class)

    dept = roofs["responsible_department"].astype("string").replace("", pd.NA).fillna(NO_DEPARTMENT)
    by_dept = _aggregate(roofs, dept).sort_values("capacity_kw", ascending=False, kind="stable")
    by_dept.insert(0, "level", "department")
    by_dept.insert(1, "key", by_dept.index.astype(str))
    by_dept.insert(2, "key_zh", by_dept.index.astype(str))
    parts.append(by_dept)

    sc_key = street + " / " + cls
    by_sc = _aggregate(roofs, sc_key)
    by_sc.insert(0, "level", "street_class")
    by_sc.insert(1, "key", by_sc.index.astype(str))
    zh = {f"{s} / {c}": f"{s} / {CLASS_ZH.get(c, c)}" for s, c in zip(street, cls)}
    by_sc.insert(2, "key_zh", [zh.get(k, k) for k in by_sc.index])
    parts.append(by_sc)

    out = pd.concat(parts, ignore_index=True)
    out["target_kw"] = np.where(out["level"] == "district", float(target_kw), np.nan)
    out["share_of_target_pct"] = out["capacity_kw"] / float(target_kw) * 100.0
    for col in ("n_buildings", "n_sized", "n_exceeds_fit"):
        out[col] = out[col].round().astype("Int64")
    return out
