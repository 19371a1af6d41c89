"""Usable roof area, roof orientation and PV planes per roof.

Stage ``roofs`` of the pipeline (footprints → classify → **roofs** → shading
→ energy → sizing).  Two steps:

:func:`usable_roofs`
    Per building: footprint area, the usable polygon left after the edge
    setback of its roof type, and the bearing of its long axis.
:func:`roof_planes`
    Per building, one row per PV plane: mounting, tilt, azimuth, share of the
    usable area, and the power density per m² of horizontal roof area.

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

from pvsite.solar import mounting
from pvsite.config import MountingConfig, RoofConfig
from pvsite.errors import ConfigError, InputError

logger = logging.getLogger(__name__)

ROOF_TYPES = ("flat", "pitched", "metal", "unknown")
#: Roof types carrying two flush-mounted planes split at a ridge.
RIDGED_TYPES = ("pitched", "metal")

#: Default sliver threshold [m²]; the run's value is ``RoofConfig.min_part_area_m2``.
#: Just under the 2.58 m² frame of one 550 W-class module (2.279 × 1.134 m),
#: i.e. a part that cannot hold a single module (pvsite assumption).
MIN_PART_AREA_M2 = 2.5


# ---------------------------------------------------------------------------
# Usable area
# ---------------------------------------------------------------------------


def usable_roofs(
    gdf: gpd.GeoDataFrame,
    roof_cfg: RoofConfig | None = None,
    *,
    min_part_area_m2: float | None = None,
    true_north: bool = True,
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
    roof_cfg : RoofConfig, optional
        Setbacks [m], obstruction shares [-], sliver threshold [m²] and
        minimum usable area [m²]; default ``RoofConfig()``.
    min_part_area_m2 : float, optional
        Overrides ``roof_cfg.min_part_area_m2``, the sliver threshold for
        parts of the usable polygon [m²].
    true_north : bool
        Correct ``axis_azimuth_deg`` from grid north to true north using
        the CRS's meridian convergence at the centre of the data (one value
        for the frame; about 0.8° for Changning in UTM 51N).  No correction
        when the frame has no CRS.

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
        ``roof_note`` : missing, or why the usable area is zero;
        ``usable_geometry`` : usable MultiPolygon (None when the usable area
        is zero), a second, non-active geometry column in the same CRS.

    Raises
    ------
    InputError
        No ``roof_type`` column, an unknown roof type, or a geographic CRS.
    ConfigError
        A roof type without a setback or obstruction share in ``roof_cfg``,
        or a value out of range.
    """
    roof_cfg = roof_cfg or RoofConfig()
    if min_part_area_m2 is None:
        min_part_area_m2 = float(roof_cfg.min_part_area_m2)
    if not min_part_area_m2 >= 0:
        raise ConfigError(f"roof.min_part_area_m2 must be ≥ 0 m², found {min_part_area_m2}.")
    roof_type = _check_input(gdf)
    setback = _setbacks(roof_type, roof_cfg)
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
    mrr = shapely.minimum_rotated_rectangle(geoms)
    centre, axis_unit, long_len = _rectangle_axis(mrr)
    grid_bearing = np.degrees(np.arctan2(axis_unit[:, 0], axis_unit[:, 1]))
    north = _grid_north_bearing_deg(gdf) if true_north else 0.0
    axis_deg = (grid_bearing - north) % 180.0
    axis_deg = np.where(axis_deg >= 180.0 - 1e-9, 0.0, axis_deg)  # fold float rounding of 180 to 0

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
    note[nothing] = [f"setback leaves nothing (setback {s:g} m)" for s in setback[nothing]]
    note[slivers] = f"setback leaves only slivers (parts < {min_part_area_m2:g} m²)"
    for mask, values in ((below, usable_area), (small, net_raw)):
        note[mask] = [
            f"usable area {a:.1f} m² < minimum {min_area:g} m²"
            + (f" (after {o * 100:g} % obstruction allowance)" if o > 0 else "")
            for a, o in zip(values[mask], obstruction[mask])
        ]
    note[no_geom] = "no geometry"
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
        )
    if gdf.crs is not None and not gdf.crs.is_projected:
        raise InputError(
            f"The buildings are in a geographic CRS ({gdf.crs.name}); areas and setbacks need metres.",
            fix="Reproject first, e.g. gdf.to_crs(gdf.estimate_utm_crs()).",
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
        )
    return roof_type


def _setbacks(roof_type: pd.Series, roof_cfg: RoofConfig) -> np.ndarray:
    missing = sorted(set(roof_type.unique()) - set(roof_cfg.setback_m))
    if missing:
        raise ConfigError(
            f"roof.setback_m has no setback for roof type(s) {missing}.",
            fix="Add them to [roof.setback_m], e.g. unknown = 1.5.",
        )
    setback = roof_type.map(roof_cfg.setback_m).to_numpy(dtype=float)
    if np.any(setback < 0) or not np.all(np.isfinite(setback)):
        raise ConfigError(f"roof.setback_m values must be ≥ 0 m, found {roof_cfg.setback_m}.")
    return setback


def obstruction_shares(roof_type, roof_cfg: RoofConfig | None = None) -> np.ndarray:
    """Obstruction share of every roof from its roof type [-].

    Parameters
    ----------
    roof_type : array_like of str
        Roof types in {'flat', 'pitched', 'metal', 'unknown'}.
    roof_cfg : RoofConfig, optional
        ``obstruction_share`` per roof type; default ``RoofConfig()``.

    Returns
    -------
    numpy.ndarray
        Share in [0, 1) per roof.

    Raises
    ------
    ConfigError
        A roof type without a share, or a share outside [0, 1).
    """
    roof_cfg = roof_cfg or RoofConfig()
    shares = roof_cfg.obstruction_share
    types = pd.Series(np.asarray(roof_type, dtype=object))
    missing = sorted(set(types.unique()) - set(shares), key=str)
    if missing:
        raise ConfigError(
            f"roof.obstruction_share has no share for roof type(s) {missing}.",
            fix="Add them to [roof.obstruction_share], e.g. unknown = 0.15 (0 = no allowance).",
        )
    bad = {k: v for k, v in shares.items()
           if isinstance(v, bool) or not (isinstance(v, (int, float)) and 0 <= v < 1)}
    if bad:
        raise ConfigError(
            f"roof.obstruction_share values must be shares in [0, 1), found {bad}.",
            fix="Give the share of usable area lost to roof equipment, e.g. flat = 0.15.",
        )
    return types.map(shares).to_numpy(dtype=float)


def row_azimuths_deg(axis_azimuth_deg, reference_deg: float = 180.0, tolerance_deg: float = 0.0) -> np.ndarray:
    """Azimuth of tilted rows on flat roofs: follow the building or face the reference.

    The building's edges run along its long axis and across it, so its edge
    normals are ``axis + k·90°``.  The normal closest to ``reference_deg``
    (default south) is taken when it is within ``tolerance_deg`` of it:
    the rows then run parallel to the parapets.  Otherwise, and for roofs
    without an axis (NaN), the rows face ``reference_deg``.

    Parameters
    ----------
    axis_azimuth_deg : array_like
        Long-axis bearing of each roof, clockwise from true north [°].
    reference_deg : float
        Row azimuth when not aligned (``MountingConfig.flat_azimuth_deg``) [°].
    tolerance_deg : float
        Largest angle between an edge normal and the reference for which the
        rows follow the building (``MountingConfig.align_tolerance_deg``) [°];
        0 never aligns (except to a building exactly on the reference).

    Returns
    -------
    numpy.ndarray
        Row azimuth in [0, 360) [°].
    """
    if not 0 <= tolerance_deg <= 45:
        raise ConfigError(
            f"mounting.align_tolerance_deg must be between 0 and 45 degrees, found {tolerance_deg}.",
            fix="Use 0 for rows always facing flat_azimuth_deg, or e.g. 15 to follow buildings within 15°.",
        )
    axis = np.asarray(axis_azimuth_deg, dtype=float)
    ref = float(reference_deg) % 360.0
    # Offset of the nearest edge normal from the reference, in [-45, 45).
    off = (axis - ref + 45.0) % 90.0 - 45.0
    follow = np.isfinite(off) & (np.abs(off) <= tolerance_deg)
    return np.where(follow, (ref + np.where(follow, off, 0.0)) % 360.0, ref)


def _modules_per_row(mounting_cfg: MountingConfig) -> int:
    n_up = mounting_cfg.modules_per_row_portrait
    if isinstance(n_up, bool) or not isinstance(n_up, int) or n_up < 1:
        raise ConfigError(
            f"mounting.modules_per_row_portrait must be a whole number ≥ 1, found {n_up!r}.",
            fix="Use 1 (one module per row) or 2 (a 2P table).",
        )
    return n_up


def _rectangle_axis(mrr: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre [m], unit vector of the long side (grid x, y) and long side [m].

    Degenerate rectangles (missing, or a line/point for a collapsed
    footprint) give NaN.  A square takes its first side.
    """
    n = len(mrr)
    centre = np.full((n, 2), np.nan)
    unit = np.full((n, 2), np.nan)
    long_len = np.full(n, np.nan)
    ok = (shapely.get_type_id(mrr) == 3) & (shapely.get_num_coordinates(mrr) == 5)
    if ok.any():
        xy = shapely.get_coordinates(shapely.get_exterior_ring(mrr[ok])).reshape(-1, 5, 2)
        e1 = xy[:, 1] - xy[:, 0]
        e2 = xy[:, 2] - xy[:, 1]
        l1 = np.hypot(*e1.T)
        l2 = np.hypot(*e2.T)
        first = l1 >= l2
        edge = np.where(first[:, None], e1, e2)
        length = np.where(first, l1, l2)
        centre[ok] = xy[:, :4].mean(axis=1)
        unit[ok] = edge / length[:, None]
        long_len[ok] = length
    return centre, unit, long_len


def _grid_north_bearing_deg(gdf: gpd.GeoDataFrame) -> float:
    """Grid bearing of true north at the centre of the data [°] (0 without CRS).

    Found by projecting a 0.001° northward step from the centre of the
    frame's bounds: meridian convergence, e.g. +0.82° at Changning
    (121.42 E, 31.21 N) in UTM zone 51N whose central meridian is 123 E.
    """
    if gdf.crs is None or len(gdf) == 0:
        return 0.0
    from pyproj import Transformer

    x0, y0, x1, y1 = gdf.total_bounds
    if not np.all(np.isfinite([x0, y0, x1, y1])):
        return 0.0
    to_ll = Transformer.from_crs(gdf.crs, "EPSG:4326", always_xy=True)
    to_xy = Transformer.from_crs("EPSG:4326", gdf.crs, always_xy=True)
    lon, lat = to_ll.transform((x0 + x1) / 2.0, (y0 + y1) / 2.0)
    xa, ya = to_xy.transform(lon, lat)
    xb, yb = to_xy.transform(lon, lat + 1e-3)
    bearing = float(np.degrees(np.arctan2(xb - xa, yb - ya)))
    if not np.isfinite(bearing):
        return 0.0
    return bearing


# ---------------------------------------------------------------------------
# PV planes
# ---------------------------------------------------------------------------


def roof_planes(
    roofs: gpd.GeoDataFrame,
    roof_cfg: RoofConfig | None,
    mounting_cfg: MountingConfig | None,
    latitude_deg,
    module: Mapping,
) -> pd.DataFrame:
    """PV planes of every roof with usable area: orientation and power density.

    Flat and unknown roofs carry one plane of **tilted rows** facing
    ``mounting_cfg.flat_azimuth_deg`` at ``flat_tilt_deg`` — or following
    the building when one of its edge normals is within
    ``mounting_cfg.align_tolerance_deg`` of that azimuth
    (:func:`row_azimuths_deg`) — spaced so the rows do not shade each other
    in the no-shade window (:func:`pvsite.solar.mounting.ground_coverage_ratio`,
    evaluated for the rows' own azimuth).  Pitched and metal roofs
    carry two **flush** planes split at the ridge (the long axis), facing
    ``axis ± 90°``, each with half the usable area, at
    ``roof_cfg.pitched_tilt_deg`` / ``metal_tilt_deg``.

    ``ground_coverage_ratio`` is the module area per m² of *horizontal* roof
    area given to the array — the quantity the sizing needs, because usable
    areas are map (horizontal) areas:

    * tilted rows: ``GCR_rows × n·l / (n·l + (n − 1)·gap) × w / (w + gap)``
      — the classic ``L / pitch`` of rows ``n`` modules high in portrait
      (``mounting_cfg.modules_per_row_portrait``, slant length
      ``L = n·l + (n − 1)·gap``), times the fill up the slope and along the
      row lost to the clamp gaps.  ``GCR_rows`` is independent of ``n``;
    * flush: ``packing / cos(tilt)`` — modules cover ``packing`` (clamp gaps,
      :func:`pvsite.solar.mounting.flush_packing_factor`) of the *sloped* plane,
      and a horizontal m² of a plane of slope ``θ`` is ``1 / cos θ`` m² of
      sloped surface; so a 25° roof holds 1.075 m² of module per m² of map
      area.

    ``power_density_w_per_m2 = power_w / (length_m · width_m) × GCR`` is then
    W DC per m² of horizontal roof area given to PV.

    Not modelled (the figures are per unit area of a large array): the last
    row of a flat-roof array needs no shadow gap behind it (slightly
    conservative), and rows or modules do not tile a roof edge exactly, most
    of all when the building is not aligned with the rows (slightly
    optimistic).  Horizontal setbacks on a pitched roof are ``1/cos θ``
    longer along the slope at eaves and ridge (≈ 10 % at 25°).  The two
    halves of a ridged roof get ``area_share`` 0.5 each, exact for a
    rectangle only.  :func:`pvsite.roofs.layout.layout_roofs` places real modules
    in the real halves and gives the count that fits (``modules_fit``).

    Parameters
    ----------
    roofs : geopandas.GeoDataFrame or pandas.DataFrame
        Output of :func:`usable_roofs` (``roof_type``, ``usable_area_m2``,
        ``axis_azimuth_deg``).
    roof_cfg : RoofConfig, optional
        Pitched and metal roof tilts [°]; default ``RoofConfig()``.
    mounting_cfg : MountingConfig, optional
        Flat-roof tilt and azimuth [°], no-shade window [h], module gap [m];
        default ``MountingConfig()``.
    latitude_deg : float or array_like
        Site latitude, north positive [°]; one value, or one per roof.
    module : mapping
        Module preset (``load_preset('module', name)``) with ``power_w``
        [W], ``length_m`` [m] and ``width_m`` [m].

    Returns
    -------
    pandas.DataFrame
        One row per plane, ordered by roof then plane, only for roofs with
        ``usable_area_m2 > 0``: ``roof_index`` (label in ``roofs.index``),
        ``plane`` (0/1), ``roof_type``, ``mounting`` ('tilted_rows' or
        'flush'), ``tilt_deg`` [°], ``azimuth_deg`` [°, 0–360 clockwise from
        north], ``area_share`` (of the roof's usable area),
        ``plane_area_m2`` (horizontal usable area of the plane) [m²],
        ``ground_coverage_ratio`` [m² module / m² horizontal], and
        ``power_density_w_per_m2`` [W/m² horizontal].
    """
    roof_cfg = roof_cfg or RoofConfig()
    mounting_cfg = mounting_cfg or MountingConfig()
    missing = [c for c in ("roof_type", "usable_area_m2", "axis_azimuth_deg") if c not in roofs.columns]
    if missing:
        raise InputError(
            f"roof_planes needs the columns {missing}, which the roofs table lacks.",
            fix="Pass the output of pvsite.roofs.usable.usable_roofs.",
        )
    mounting.power_density_w_per_m2(module, 1.0)  # validates the module preset
    width_m = float(module["width_m"])
    gap_m = float(mounting_cfg.module_gap_m)

    n = len(roofs)
    lat = np.broadcast_to(np.asarray(latitude_deg, dtype=float), (n,))
    roof_type = roofs["roof_type"].astype(object).where(roofs["roof_type"].notna(), "unknown").to_numpy()
    unknown = sorted(set(roof_type) - set(ROOF_TYPES), key=str)
    if unknown:
        raise InputError(f"Unknown roof_type value(s) {unknown}; expected one of {list(ROOF_TYPES)}.")
    usable = roofs["usable_area_m2"].to_numpy(dtype=float)
    axis = roofs["axis_azimuth_deg"].to_numpy(dtype=float)
    has_pv = usable > 0
    ridged = np.isin(roof_type, RIDGED_TYPES)
    if np.any(has_pv & ridged & ~np.isfinite(axis)):
        raise InputError("A pitched or metal roof with usable area has no axis_azimuth_deg.")

    n_planes = np.where(has_pv, np.where(ridged, 2, 1), 0)
    pos = np.repeat(np.arange(n), n_planes)
    plane = np.arange(len(pos)) - np.repeat(np.cumsum(n_planes) - n_planes, n_planes)
    p_ridged = ridged[pos]
    p_type = roof_type[pos]

    # Orientation.
    ridge_tilt = np.where(p_type == "metal", roof_cfg.metal_tilt_deg, roof_cfg.pitched_tilt_deg)
    tilt = np.where(p_ridged, ridge_tilt, mounting_cfg.flat_tilt_deg).astype(float)
    facing = (axis[pos] + np.where(plane == 0, 90.0, 270.0)) % 360.0
    rows_az = row_azimuths_deg(axis[pos], mounting_cfg.flat_azimuth_deg, mounting_cfg.align_tolerance_deg)
    azimuth = np.where(p_ridged, facing, rows_az)
    share = np.where(p_ridged, 0.5, 1.0)

    # Module area per horizontal m².
    gcr = np.empty(len(pos))
    if p_ridged.any():
        packing = mounting.flush_packing_factor(module, gap_m)
        gcr[p_ridged] = packing / np.cos(np.radians(tilt[p_ridged]))
    rows = ~p_ridged
    if rows.any():
        # Rows share one tilt; compute once per distinct (latitude, azimuth).
        n_up = _modules_per_row(mounting_cfg)
        length_m = float(module["length_m"])
        pairs, inverse = np.unique(
            np.column_stack([lat[pos][rows], azimuth[rows]]), axis=0, return_inverse=True
        )
        gcr_rows = mounting.ground_coverage_ratio(
            mounting_cfg.flat_tilt_deg,
            pairs[:, 0],
            mounting_cfg.no_shade_start_hour,
            mounting_cfg.no_shade_end_hour,
            row_azimuth_deg=pairs[:, 1],
        )
        fill_up = n_up * length_m / (n_up * length_m + (n_up - 1) * gap_m)
        gcr[rows] = gcr_rows[inverse.ravel()] * fill_up * width_m / (width_m + gap_m)
    density = mounting.power_density_w_per_m2(module, gcr)

    return pd.DataFrame(
        {
            "roof_index": roofs.index.to_numpy()[pos],
            "plane": plane.astype(np.int64),
            "roof_type": p_type,
            "mounting": np.where(p_ridged, "flush", "tilted_rows"),
            "tilt_deg": tilt,
            "azimuth_deg": azimuth,
            "area_share": share,
            "plane_area_m2": usable[pos] * share,
            "ground_coverage_ratio": gcr,
            "power_density_w_per_m2": density,
        }
    )
