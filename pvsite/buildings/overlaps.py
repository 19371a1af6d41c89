"""Overlapping footprints: detected, counted and resolved so that no roof area is counted twice.

Footprint sources overlap: an OSM extract holds a building and its
``building:part`` outlines, two surveys merged hold the same building twice,
a re-digitised block sits a metre off the old one.  Summed as they are, such
roofs count the shared area twice (10.8 % of the roof area of one real OSM
extract, issue 11).

The rule (one, applied to the whole input before any selection, so a street
run gives the district run's figures):

* footprints are ranked by area, larger first; equal areas by input row,
  earlier first;
* the part of a footprint that a higher-ranked footprint covers is **not roof
  again**: it is subtracted from the lower-ranked footprint's geometry before
  the usable area is computed (every higher-ranked footprint's own outline is
  subtracted, so three stacked copies leave one, and the remaining pieces tile
  the union of the footprints exactly);
* a footprint covered by at least :data:`DUPLICATE_SHARE` of its area is a
  duplicate: it carries no PV (``reject_reason`` = duplicate, so it goes to the
  ``rejected`` layer with its outline);
* overlaps smaller than :data:`MIN_OVERLAP_M2` are left alone: they are the
  centimetre slivers of neighbours digitised with a shared wall slightly
  apart (the real Bund outlines have 50 such pairs, 46 m² in all), not a
  building counted twice.

Every input row stays; ``overlap_note`` says what was subtracted and from
which footprint.  Detection is one STRtree query and the subtraction is done
in rounds of vectorised ``shapely.difference`` (round *k* subtracts every
footprint's *k*-th higher-ranked partner), so there is no per-building loop.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

log = logging.getLogger(__name__)

#: Overlaps smaller than this are ignored [m²] (pvsite assumption: digitising slivers along shared walls).
MIN_OVERLAP_M2 = 1.0
#: A footprint covered by this share of its area or more by larger footprints is a duplicate [-]
#: (pvsite assumption; a copy shifted by 1 m of a 20 m × 20 m building is covered 90 %, of a
#: 50 m × 50 m one 96 %).
DUPLICATE_SHARE = 0.95


def resolve_overlaps(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Subtract from every footprint the parts that larger footprints cover (see the module docstring).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Footprints in a metric CRS with ``building_id`` and ``reject_reason``
        (rows with a reason, or without geometry, take no part).

    Returns
    -------
    geopandas.GeoDataFrame
        Copy with the reduced geometries, ``overlap_note`` (text; NA where
        nothing overlaps), ``overlap_removed_m2`` [m²] (area subtracted) and
        ``reject_reason`` set for duplicates.  ``attrs["overlaps"]`` holds the
        counts: ``n_pairs``, ``n_reduced``, ``n_duplicates``, ``removed_m2``,
        ``footprint_m2`` (summed before).
    """
    out = gdf.copy()
    out["overlap_note"] = pd.Series(pd.NA, index=out.index, dtype="string")
    out["overlap_removed_m2"] = 0.0
    geoms = np.asarray(out.geometry.array, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) & out["reject_reason"].isna().to_numpy()
    idx = np.flatnonzero(ok)
    area = shapely.area(geoms[idx])
    stats = {"n_pairs": 0, "n_reduced": 0, "n_duplicates": 0, "removed_m2": 0.0, "footprint_m2": float(area.sum())}
    out.attrs["overlaps"] = stats
    if len(idx) < 2:
        return out
    g = geoms[idx]
    a, b = shapely.STRtree(g).query(g, predicate="intersects")
    # b outranks a: larger, or equal area and earlier row
    outranks = (area[b] > area[a]) | ((area[b] == area[a]) & (b < a))
    a, b = a[outranks], b[outranks]
    if len(a) == 0:
        return out
    shared = shapely.area(shapely.intersection(g[a], g[b]))
    big = shared >= MIN_OVERLAP_M2
    a, b = a[big], b[big]
    stats["n_pairs"] = int(len(a))
    if len(a) == 0:
        return out
    order = np.lexsort((-area[b], a))  # per footprint, its partners largest first
    a, b = a[order], b[order]
    first = np.r_[True, a[1:] != a[:-1]]
    rank = np.arange(len(a)) - np.maximum.accumulate(np.where(first, np.arange(len(a)), 0))
    reduced = g.copy()
    for k in range(int(rank.max()) + 1):
        sel = rank == k
        reduced[a[sel]] = shapely.difference(reduced[a[sel]], g[b[sel]])
    touched = np.unique(a)
    removed = area[touched] - shapely.area(reduced[touched])
    share = removed / area[touched]
    dup = share >= DUPLICATE_SHARE
    ids = out["building_id"].astype(str).to_numpy()[idx]
    biggest = b[first]  # largest partner of each touched footprint (a is sorted, so aligned with touched)
    rows = out.index[idx[touched]]
    n_partners = np.bincount(a)[touched]
    note = [("duplicate: " if d else "") + f"{r:,.1f} m² ({100 * s:.0f} %) covered by larger footprint {ids[j]}"
            + (f" (+{n - 1} more)" if n > 1 else "") + ("" if d else " — not counted again")
            for r, s, j, n, d in zip(removed, share, biggest, n_partners, dup)]
    out.loc[rows, "overlap_note"] = note
    out.loc[rows, "overlap_removed_m2"] = removed
    geom_col = out.geometry.name
    keep = reduced[touched]
    keep[dup] = geoms[idx[touched]][dup]  # a duplicate keeps its outline (shown in the rejected layer)
    out.loc[rows, geom_col] = gpd.GeoSeries(keep, index=rows, crs=out.crs)
    out.loc[rows[dup], "reject_reason"] = [f"duplicate footprint: {100 * s:.0f} % covered by {ids[j]}"
                                           for s, j in zip(share[dup], biggest[dup])]
    stats.update(n_reduced=int((~dup).sum()), n_duplicates=int(dup.sum()), removed_m2=float(removed.sum()))
    log.warning("overlapping footprints: %d pairs; %d footprints reduced, %d duplicates (no PV); %.0f m² not "
                "counted twice", stats["n_pairs"], stats["n_reduced"], stats["n_duplicates"], stats["removed_m2"])
    return out
