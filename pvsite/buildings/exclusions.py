"""Exclusions: roofs that get no PV in policy scenarios (heritage, no-go areas).

Protected buildings — 上海市优秀历史建筑 (Shanghai excellent historical
buildings) and 文物保护单位 (cultural-relic protection units) — need an
approval for any alteration of the roof; other no-go areas (airport
clearance zones, military sites, ...) are given the same way
(``[[exclusions.layers]]``, :class:`pvsite.config.ExclusionLayerConfig`).  An
exclusion layer is any side layer :func:`pvsite.io.layers.read_layer` reads
(the IO stage reads them: :func:`pvsite.io.run_inputs.read_exclusion_layer`): a
GeoPackage (one layer, or all its layers), Shapefile, GeoJSON, FlatGeobuf or
GeoParquet file in any CRS holding polygons and/or points, or a CSV / XLSX
list with lon/lat columns (how heritage lists arrive); lon/lat from Chinese
web maps are converted from GCJ-02 or BD-09 first.

Matching rule
-------------
* **points** (e.g. an OSM node on a listed building): the roof whose
  footprint contains the point.
* **polygons**: a roof is excluded when the polygon covers at least
  ``min_overlap_share`` (``[exclusions]``, default 5 %) of the roof's
  footprint area.  Heritage outlines from OpenStreetMap and footprints from
  another survey are off by a few metres, so a neighbour sharing a party
  wall with a listed building overlaps it by a thin sliver: ``intersects``
  alone would exclude it.  On the Bund outlines 437 roofs intersect an OSM heritage polygon; 411 of
  them are covered ≥ 5 % and 367 ≥ 50 % (most heritage polygons are the
  building itself).  ``min_overlap_share=0`` gives the plain
  ``intersects`` rule.

The reason names the feature and the layer:
``'heritage: 上海浦东发展银行 (heritage_polygons)'``; several hits are
joined with ``'; '``.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pvsite.config import ExclusionLayerConfig
from pvsite.errors import InputError
from pvsite.io.layers import SideLayer

logger = logging.getLogger(__name__)

#: Columns searched, in order, for a feature's name.
NAME_FIELDS = ("name_zh", "name", "名称", "NAME", "Name", "name_en", "osm_id")

#: At most this many names are listed in one roof's reason.
MAX_NAMES = 3


def exclusion_features(side: SideLayer, spec: ExclusionLayerConfig, target_crs=None) -> gpd.GeoDataFrame:
    """The features of a read exclusion layer with their reason labels, in ``target_crs``.

    Parameters
    ----------
    side : SideLayer
        Layer read by :func:`pvsite.io.run_inputs.read_exclusion_layer` (datum applied).
    spec : pvsite.config.ExclusionLayerConfig
        Its settings: ``kind`` (word the reason starts with, e.g. 'heritage',
        'no-go') and ``name_field`` (column holding the feature name; ``None``
        tries :data:`NAME_FIELDS`).
    target_crs : pyproj.CRS-like, optional
        CRS of the roofs (projected, metres).

    Returns
    -------
    geopandas.GeoDataFrame
        ``label`` ('<kind>: <name> (<layer>)') and geometry; empty and
        missing geometries dropped.
    """
    frame = side.frame
    geoms = np.asarray(frame.geometry.array, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    names = side.names([spec.name_field] if spec.name_field else NAME_FIELDS)
    label = spec.kind + ": " + names + " (" + pd.Series(side.feature_layer, index=frame.index, dtype=object) + ")"
    out = gpd.GeoDataFrame({"label": label.to_numpy()[ok]}, geometry=frame.geometry.to_numpy()[ok], crs=frame.crs)
    if target_crs is not None and out.crs is not None:
        out = out.to_crs(target_crs)
    return out


def mark_exclusions(roofs: gpd.GeoDataFrame, layers, min_overlap_share: float) -> pd.DataFrame:
    """Flag the roofs that exclusion layers touch.

    Parameters
    ----------
    roofs : geopandas.GeoDataFrame
        Building footprints (any CRS; a projected CRS in metres for
        ``min_overlap_share`` > 0); missing geometries are never excluded.
    layers : list of (pvsite.config.ExclusionLayerConfig, SideLayer)
        Exclusion sources as read by the IO stage
        (:attr:`pvsite.io.run_inputs.RunInputs.exclusions`).
    min_overlap_share : float
        Share of a roof's footprint area a polygon must cover [-], in [0, 1]
        (``[exclusions] min_overlap_share``, checked by :mod:`pvsite.config`);
        0 = any intersection.  Points always use containment.

    Returns
    -------
    pandas.DataFrame
        Same index as ``roofs``: ``excluded`` (bool) and
        ``exclusion_reason`` (str, or None when not excluded).
    """
    n = len(roofs)
    geoms = np.asarray(roofs.geometry.array, dtype=object)
    valid = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if roofs.crs is not None and not roofs.crs.is_projected and min_overlap_share > 0:
        raise InputError(
            f"The roofs are in a geographic CRS ({roofs.crs.name}); overlap shares need metres.",
            fix="Project the roofs first (pvsite.geo.crs.to_metric).",
            zh=f"屋顶数据为地理坐标系（{roofs.crs.name}），计算重叠比例需要以米为单位。",
            fix_zh="请先投影屋顶数据（pvsite.geo.crs.to_metric）。",
        )
    hit_roof, hit_label = [], []
    for spec, side in layers:
        feats = exclusion_features(side, spec, roofs.crs)
        fg = np.asarray(feats.geometry.array, dtype=object)
        type_id = shapely.get_type_id(fg)
        is_point = np.isin(type_id, (0, 4))  # Point, MultiPoint
        is_poly = np.isin(type_id, (3, 6))
        other = ~(is_point | is_poly)
        if other.any():
            logger.warning("%s: %d line/other features ignored", spec.path, int(other.sum()))
        tree = shapely.STRtree(geoms[valid])
        roof_pos = np.flatnonzero(valid)
        if is_point.any():
            f_idx, r_idx = tree.query(fg[is_point], predicate="within")
            hit_roof.append(roof_pos[r_idx])
            hit_label.append(feats["label"].to_numpy()[is_point][f_idx])
        if is_poly.any():
            polys = shapely.make_valid(fg[is_poly])
            f_idx, r_idx = tree.query(polys, predicate="intersects")
            if min_overlap_share > 0 and len(f_idx):
                rg = geoms[roof_pos[r_idx]]
                bad = ~shapely.is_valid(rg)
                if bad.any():
                    rg = rg.copy()
                    rg[bad] = shapely.make_valid(rg[bad])
                overlap = shapely.area(shapely.intersection(rg, polys[f_idx]))
                share = overlap / np.maximum(shapely.area(rg), 1e-12)
                # Several polygons of one layer may cover one roof together:
                # then all of them are named; otherwise only those that
                # cover enough by themselves.
                by_roof = pd.Series(share).groupby(r_idx)
                total = by_roof.transform("sum").to_numpy()
                most = by_roof.transform("max").to_numpy()
                keep = (share >= min_overlap_share) | ((total >= min_overlap_share) & (most < min_overlap_share))
                f_idx, r_idx = f_idx[keep], r_idx[keep]
            hit_roof.append(roof_pos[r_idx])
            hit_label.append(feats["label"].to_numpy()[is_poly][f_idx])
        logger.info("exclusion layer %s (%s): %d features", spec.path, spec.layer, len(feats))

    excluded = np.zeros(n, dtype=bool)
    reason = np.full(n, None, dtype=object)
    if hit_roof:
        hits = pd.DataFrame({"roof": np.concatenate(hit_roof), "label": np.concatenate(hit_label)})
        hits = hits.drop_duplicates()
        if len(hits):
            joined = hits.groupby("roof", sort=True)["label"].agg(_join_labels)
            excluded[joined.index.to_numpy()] = True
            reason[joined.index.to_numpy()] = joined.to_numpy()
    logger.info("exclusions: %d of %d roofs excluded", int(excluded.sum()), n)
    return pd.DataFrame({"excluded": excluded, "exclusion_reason": reason}, index=roofs.index)


def _join_labels(labels: pd.Series) -> str:
    uniq = list(dict.fromkeys(labels))
    text = "; ".join(uniq[:MAX_NAMES])
    if len(uniq) > MAX_NAMES:
        text += f"; … (+{len(uniq) - MAX_NAMES})"
    return text


def apply_exclusions(roofs: gpd.GeoDataFrame, layers, exclusions_cfg) -> gpd.GeoDataFrame:
    """Add ``excluded`` (bool) and ``exclusion_reason`` to the roofs from the read exclusion layers.

    Parameters
    ----------
    roofs : geopandas.GeoDataFrame
        Buildings in a metric CRS.
    layers : list of (pvsite.config.ExclusionLayerConfig, SideLayer)
        The layers read by the IO stage (:attr:`pvsite.io.run_inputs.RunInputs.exclusions`).
    exclusions_cfg : pvsite.config.ExclusionsConfig
        ``min_overlap_share``.
    """
    if layers:
        marks = mark_exclusions(roofs, layers, min_overlap_share=exclusions_cfg.min_overlap_share)
    else:
        marks = pd.DataFrame({"excluded": False, "exclusion_reason": pd.NA}, index=roofs.index)
    roofs = roofs.copy()
    roofs["excluded"] = marks["excluded"].astype(bool)
    roofs["exclusion_reason"] = marks["exclusion_reason"]
    return roofs
