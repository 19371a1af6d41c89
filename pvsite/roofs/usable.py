"""Usable roof area: setbacks, obstruction allowance, usable polygons.

Stage ``roofs`` of the pipeline (footprints → classify → **roofs** → layout
→ energy → sizing).  :func:`usable_roofs` gives every building its footprint
area, the usable polygon left after the edge setback of its roof type, the
area left after the obstruction allowance, and the bearing of its long axis
(:mod:`pvsite.roofs.orientation`).  The PV planes of each roof come next
(:func:`pvsite.roofs.planes.roof_planes`).

Every area is a horizontal (map) area in the square metres of the input's
projected CRS; every azimuth is a *true* bearing, clockwise from true north
(180 = south), corrected for the CRS's grid convergence.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pvsite.config import RoofConfig
from pvsite.errors import InputError
from pvsite.roofs.orientation import axis_bearing_deg, grid_north_bearing_deg, long_axis

logger = logging.getLogger(__name__)

ROOF_TYPES = ("flat", "pitched", "metal", "unknown")
#: Roof types carrying two flush-mounted planes split at a ridge.
RIDGED_TYPES = ("pitched", "metal")

# ---------------------------------------------------------------------------
# Usable area
# ---------------------------------------------------------------------------


def usable_roofs(
    gdf: gpd.GeoDataFrame,
    roof_cfg: RoofConfig,
    *,
    true_north: bool = True,
    north_deg: float | None = None,
) -> gpd.GeoDataFrame:
    """Usable roof polygons, areas and long-axis bearing of every building.

    The usable polygon is the footprint shrunk by the setback of its roof
    type (``roof_cfg.setback_m``), a negative buffer with mitred joins, so a
    40 × 25 m flat roof with a 1.5 m setback leaves exactly 37 × 22 = 814 m²
    and a courtyard (hole) grows by the setback on every side.  Ridged roofs
    (pitched, metal) also keep the setback on both sides of the ridge,
    modelled as one ridge along the long axis of the footprint's minimum
    rotated rectangle through its centre: a strip ``2 × setback`` wide is
    removed along it (for an L-shaped or multi-part footprint a single
    ridge is an approximation: real roofs have one ridge per wing).  Parts
    smaller than ``roof_cfg.min_part_area_m2`` are dropped as slivers.

    The obstruction allowance (``roof_cfg.obstruction_share`` of the roof
    type: stair/lift housings, tanks, HVAC) is then taken off the *area*:
    ``usable_area_m2 = setback area × (1 − share)``.  The usable polygon is
    not cut (where the equipment stands is unknown), so its area is
    ``usable_area_m2 + obstruction_area_m2``; :mod:`pvsite.roofs.layout` removes
    the same share of the modules that fit.  A roof whose usable area after
    the allowance is below ``roof_cfg.min_usable_area_m2`` gets zero usable
    area and a note.

    No row is ever dropped: a missing or empty geometry gives zero areas and
    the note ``'no geometry'``.  Invalid geometries are repaired with
    ``shapely.make_valid`` first (logged).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        One row per building in a projected CRS in metres, with a
        ``roof_type`` column in {'flat', 'pitched', 'metal', 'unknown'}
        (missing values count as 'unknown') and Polygon/MultiPolygon
        geometries (holes allowed, None allowed).
    roof_cfg : RoofConfig
        Setbacks [m] and obstruction shares [-] per roof type, sliver
        threshold [m²] and minimum usable area [m²] (values checked once by
        :mod:`pvsite.config`).
    true_north : bool
        Correct ``axis_azimuth_deg`` from grid north to true north using
        the CRS's meridian convergence at the centre of the data (one value
        for the frame; about 0.8° for Changning in UTM 51N).  No correction
        when the frame has no CRS.
    north_deg : float, optional
        Grid bearing of true north to use instead of the frame's own
        (:func:`pvsite.roofs.orientation.grid_north_bearing_deg` of the
        frame): a partitioned run (:mod:`pvsite.compute`) passes the whole
        run's value so every partition orients its roofs exactly as one
        process would.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``gdf`` (same index and order, same active geometry) with:

        ``area_m2`` : footprint area [m²];
        ``usable_area_m2`` : usable area after setbacks and the obstruction
        allowance, 0 below the minimum [m²];
        ``obstruction_area_m2`` : area taken off by the obstruction
        allowance (0 when the roof has no usable area) [m²];
        ``axis_azimuth_deg`` : true bearing of the long axis in [0, 180) [°],
        NaN without geometry;
        ``roof_note`` : missing, or why the usable area is zero (中文 / English);
        ``usable_geometry`` : usable MultiPolygon (None when the usable area
        is zero), a second, non-active geometry column in the same CRS.

    Raises
    ------
    InputError
        No ``roof_type`` column, an unknown roof type, or a geographic CRS.
    """
    min_part_area_m2 = float(roof_cfg.min_part_area_m2)
    roof_type = _check_input(gdf)
    setback = roof_type.map(roof_cfg.setback_m).to_numpy(dtype=float)
    obstruction = obstruction_shares(roof_type, roof_cfg)

    geoms = np.asarray(gdf.geometry.array, dtype=object).copy()
    no_geom = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    invalid = ~no_geom & ~shapely.is_valid(geoms)
    if invalid.any():
        logger.info("repairing %d invalid roof geometries with make_valid", int(invalid.sum()))
        try:  # shapely ≥ 2.1: keep only polygonal output
            fixed = shapely.make_valid(geoms[invalid], method="structure", keep_collapsed=False)
        except TypeError:  # shapely 2.0
            fixed = shapely.make_valid(geoms[invalid])
        geoms[invalid] = fixed
    geoms[no_geom] = None
    area = np.where(no_geom, 0.0, shapely.area(geoms))

    # Long axis from the minimum rotated (minimum-area) rectangle.
    centre, axis_unit, long_len = long_axis(geoms)
    north = (grid_north_bearing_deg(gdf) if north_deg is None else float(north_deg)) if true_north else 0.0
    axis_deg = axis_bearing_deg(axis_unit, north)

    # Setback: negative buffer, mitred so rectangular corners stay square.
    shrunk = shapely.buffer(geoms, -setback, join_style="mitre")
    ridged = roof_type.isin(RIDGED_TYPES).to_numpy() & ~no_geom & np.isfinite(long_len)
    if ridged.any():
        half = (long_len[ridged] / 2.0 + 1.0)[:, None]  # reach past both gables
        ends = np.stack(
            [centre[ridged] - axis_unit[ridged] * half, centre[ridged] + axis_unit[ridged] * half], axis=1
        )
        strip = shapely.buffer(shapely.linestrings(ends), setback[ridged], cap_style="flat")
        shrunk[ridged] = shapely.difference(shrunk[ridged], strip)

    # Drop slivers part by part, then regroup into one MultiPolygon per roof.
    parts, owner = shapely.get_parts(shrunk, return_index=True)
    polygonal = np.isin(shapely.get_type_id(parts), (3,))  # Polygon parts only
    keep = polygonal & (shapely.area(parts) >= min_part_area_m2)
    usable = np.full(len(geoms), None, dtype=object)
    if keep.any():
        shapely.multipolygons(parts[keep], indices=owner[keep], out=usable)
    geom_area = np.where(shapely.is_missing(usable), 0.0, shapely.area(usable))
    usable_area = geom_area * (1.0 - obstruction)

    # Notes (Python loops only over the few rejected roofs).
    min_area = roof_cfg.min_usable_area_m2
    raw_area = np.where(shapely.is_missing(shrunk), 0.0, shapely.area(shrunk))  # before sliver removal
    net_raw = raw_area * (1.0 - obstruction)
    below = (usable_area > 0) & (usable_area < min_area)
    nothing = ~no_geom & (raw_area == 0)
    small = ~no_geom & (usable_area == 0) & (raw_area > 0) & (net_raw < min_area)
    slivers = ~no_geom & (usable_area == 0) & (raw_area > 0) & (net_raw >= min_area)
    note = np.full(len(geoms), None, dtype=object)
    note[nothing] = [f"退界后无可用面积（退界 {s:g} m） / setback leaves nothing (setback {s:g} m)"
                     for s in setback[nothing]]
    note[slivers] = (f"退界后只剩碎片（每块 < {min_part_area_m2:g} m²） / "
                     f"setback leaves only slivers (parts < {min_part_area_m2:g} m²)")
    for mask, values in ((below, usable_area), (small, net_raw)):
        note[mask] = [
            f"可用面积 {a:.1f} m² 小于最小值 {min_area:g} m²" + (f"（已扣除 {o * 100:g}% 障碍物折减）" if o > 0 else "")
            + f" / usable area {a:.1f} m² < minimum {min_area:g} m²"
            + (f" (after {o * 100:g} % obstruction allowance)" if o > 0 else "")
            for a, o in zip(values[mask], obstruction[mask])
        ]
    note[no_geom] = "无几何图形 / no geometry"
    usable[below] = None
    usable_area[below] = 0.0
    obstruction_area = np.where(usable_area > 0, geom_area - usable_area, 0.0)

    out = gdf.copy()
    out["area_m2"] = area
    out["usable_area_m2"] = usable_area
    out["obstruction_area_m2"] = obstruction_area
    out["axis_azimuth_deg"] = axis_deg
    out["roof_note"] = pd.Series(note, index=gdf.index, dtype=object)
    out["usable_geometry"] = gpd.GeoSeries(usable, index=gdf.index, crs=gdf.crs)
    logger.info(
        "roofs: %d buildings, %.0f m² footprint, %.0f m² usable, %d with no usable area",
        len(out), area.sum(), usable_area.sum(), int((usable_area == 0).sum()),
    )
    return out


def _check_input(gdf: gpd.GeoDataFrame) -> pd.Series:
    """Validate the frame; return roof types with missing → 'unknown'."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise TypeError(f"usable_roofs expects a GeoDataFrame, got {type(gdf).__name__}")
    if "roof_type" not in gdf.columns:
        raise InputError(
            f"The buildings have no 'roof_type' column (columns: {', '.join(map(str, gdf.columns))}).",
            fix="Run the classify stage first, or map a roof type field in [input.fields].",
            zh=f"建筑数据没有 'roof_type' 字段（现有字段：{', '.join(map(str, gdf.columns))}）。",
            fix_zh="请先运行分类步骤，或在 [input.fields] 中映射屋顶类型字段。",
        )
    if gdf.crs is not None and not gdf.crs.is_projected:
        raise InputError(
            f"The buildings are in a geographic CRS ({gdf.crs.name}); areas and setbacks need metres.",
            fix="Reproject first, e.g. gdf.to_crs(gdf.estimate_utm_crs()).",
            zh=f"建筑数据为地理坐标系（{gdf.crs.name}），计算面积和退让距离需要以米为单位。",
            fix_zh="请先重投影，如 gdf.to_crs(gdf.estimate_utm_crs())。",
        )
    if gdf.crs is None:
        logger.warning("buildings have no CRS: coordinates are taken as metres, axes as grid bearings")
    roof_type = gdf["roof_type"].astype(object).where(gdf["roof_type"].notna(), "unknown")
    bad = sorted(set(roof_type.unique()) - set(ROOF_TYPES), key=str)
    if bad:
        rows = gdf.index[roof_type.isin(bad)][:5].tolist()
        raise InputError(
            f"Unknown roof_type value(s) {bad} (e.g. rows {rows}); expected one of {list(ROOF_TYPES)}.",
            fix="Fix the classification rules or the roof type field so every value is one of those.",
            zh=f"未知的 roof_type 值 {bad}（如第 {rows} 行）；应为 {list(ROOF_TYPES)} 之一。",
            fix_zh="请改正分类规则或屋顶类型字段，使每个值都属于上述之一。",
        )
    return roof_type


def obstruction_shares(roof_type, roof_cfg: RoofConfig) -> np.ndarray:
    """Obstruction share of every roof from its roof type [-].

    Parameters
    ----------
    roof_type : array_like of str
        Roof types in {'flat', 'pitched', 'metal', 'unknown'}.
    roof_cfg : RoofConfig
        ``obstruction_share`` per roof type, each in [0, 1) (checked once by
        :mod:`pvsite.config`).

    Returns
    -------
    numpy.ndarray
        Share in [0, 1) per roof.
    """
    return pd.Series(np.asarray(roof_type, dtype=object)).map(roof_cfg.obstruction_share).to_numpy(dtype=float)
