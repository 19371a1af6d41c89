"""Share of PV energy used on site: from the preset per type / class, or hour by hour from a load.

Without a load profile the share is the preset's figure for the roof's
building type, else for its policy class (stated as a pvsite assumption in
the preset).  With hourly loads (``--load``, read by
:func:`pvsite.io.loads.read_load`) the self-consumed energy of an hour is
``min(PV, load)``, so the share is ``Σ min(PV_h, L_h) / Σ PV_h``.

A load column may belong to one building (its ``building_id``), to a street
or to a policy class.  A street or class column is the load of all those
buildings together; their PV is summed hour by hour against it and the one
share that results is given to each of their roofs (an approximation: it
assumes the load sits where the PV is).  A building's own column wins over
its street's, a street's over its class's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Where a roof's self-consumption share came from (``self_consumption_source``).
SOURCES = ("preset:type", "preset:class", "load:building", "load:street", "load:class")


def preset_shares(roofs: pd.DataFrame, preset) -> tuple[np.ndarray, np.ndarray]:
    """The preset's share [0–1] per roof (type first, then class) and its source.

    Parameters
    ----------
    roofs : pandas.DataFrame
        ``building_type``, ``building_class``.
    preset : pvsite.presets.EconomicsPreset
    """
    by_type = roofs["building_type"].astype(object).map(dict(preset.self_consumption_by_type))
    by_class = roofs["building_class"].astype(object).map(dict(preset.self_consumption_by_class))
    share = by_type.astype(float).fillna(by_class.astype(float))
    other = dict(preset.self_consumption_by_class).get("other", 0.0)
    share = share.fillna(other).to_numpy(dtype=float)
    source = np.where(by_type.notna().to_numpy(), "preset:type", "preset:class")
    return share, source


def hourly_share(pv_kwh, load_kwh) -> np.ndarray:
    """``Σ_h min(PV_h, L_h) / Σ_h PV_h`` per column [0–1], NaN without PV.

    Parameters
    ----------
    pv_kwh, load_kwh : array_like (T, K)
        Hourly PV energy and load [kWh] of K meters.
    """
    pv, load = np.asarray(pv_kwh, dtype=float), np.asarray(load_kwh, dtype=float)
    total = pv.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, np.minimum(pv, load).sum(axis=0) / total, np.nan)


def load_shares(roofs: pd.DataFrame, roof_pv_kwh: pd.DataFrame, load: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Shares of the roofs a load column covers, from the hours.

    Parameters
    ----------
    roofs : pandas.DataFrame
        ``building_id``, ``street``, ``building_class``.
    roof_pv_kwh : pandas.DataFrame
        Hourly AC energy [kWh] of the covered roofs: rows the hours of the
        weather year, columns the roofs' index labels.
    load : pandas.DataFrame
        Hourly load [kWh], same number of rows, one column per building id,
        street or class (:func:`pvsite.io.loads.read_load`).

    Returns
    -------
    share : pandas.Series
        Share [0–1] of each covered roof (index: roof labels).
    source : pandas.Series
        ``load:building`` / ``load:street`` / ``load:class`` per covered roof.
    """
    share, source = pd.Series(dtype=float), pd.Series(dtype=object)
    cols = set(map(str, load.columns))
    keys = {"building": roofs["building_id"].astype("string"), "street": roofs["street"].astype("string"),
            "class": roofs["building_class"].astype("string")}
    pv = roof_pv_kwh
    for level in ("building", "street", "class"):
        key = keys[level].reindex(pv.columns)
        todo = key[key.isin(cols) & ~key.index.isin(share.index)]
        if todo.empty:
            continue
        # PV of every roof of a key summed per hour: one meter per key
        group_pv = pv[todo.index].T.groupby(todo.to_numpy()).sum().T
        s = pd.Series(hourly_share(group_pv.to_numpy(), load[group_pv.columns].to_numpy()), index=group_pv.columns)
        share = pd.concat([share, pd.Series(s.reindex(todo.to_numpy()).to_numpy(), index=todo.index)])
        source = pd.concat([source, pd.Series(f"load:{level}", index=todo.index)])
    return share, source


def covered(roofs: pd.DataFrame, load: pd.DataFrame) -> pd.Index:
    """Labels of the sized roofs whose building id, street or class names a load column."""
    cols = set(map(str, load.columns))
    hit = (roofs["building_id"].astype("string").isin(cols) | roofs["street"].astype("string").isin(cols)
           | roofs["building_class"].astype("string").isin(cols))
    return roofs.index[hit.to_numpy() & (roofs["capacity_kw"].to_numpy(dtype=float) > 0)]
