"""Building heights and roof planes from a height raster (DSM / nDSM).

Optional part of stage ``roofs``: when a height raster is configured
(``RoofConfig.height_raster``), every footprint is sampled on it.

:func:`roof_surface`
    Pure: from the pixels inside each footprint
    (:func:`pvsite.io.rasters.footprint_pixels`), per roof: median height,
    pixel count, and a least-squares plane fitted to each half of the roof on
    either side of the ridge (the long axis of the footprint's minimum
    rotated rectangle, :func:`pvsite.roofs.orientation.long_axis`, as in
    :func:`pvsite.roofs.usable.usable_roofs`), plus one plane fitted to the
    whole roof; from these a shape in {'flat', 'pitched', 'mono-pitch',
    'unknown'}.
:func:`roof_surface_from_raster`
    Reads the pixels (:mod:`pvsite.io.rasters`), then :func:`roof_surface`.
:func:`apply_raster_planes`
    Replaces the assumed tilt and azimuth of :func:`pvsite.roofs.planes.roof_planes`
    by the measured ones where the raster shows a sloped roof.

Sampling
--------
A pixel belongs to a roof when its **centre** lies inside the footprint
(GDAL's default rasterisation rule; :mod:`pvsite.io.rasters` has the
details).  All *measurements* — plane slopes, pixel areas, the ridge split —
are made on pixel centres transformed back to the roofs' metric CRS, so a
raster in Web Mercator (EPSG:3857), whose nominal metre is
``1 / cos(latitude)`` ground metres (1 m pixel ≈ 0.855 m at 31.2° N), gives
true slopes.  Nothing is resampled: every value is an original pixel value.

Thresholds (all **pvsite assumptions**, configurable by keyword)
----------------------------------------------------------------
``min_pixels = 20``
    Fewer valid pixels → 'unknown'.  Three points fix a plane; 20 leaves
    about ten per half for the two-plane fit and is 20 m² at 1 m pixels,
    the default ``RoofConfig.min_usable_area_m2`` below which a roof carries
    no PV anyway.  Each half also needs ≥ 3 pixels off the ridge band.
``min_coverage = 0.5``
    Valid pixel area below half the footprint area (roof mostly outside the
    raster or under nodata) → 'unknown'.
``flat_max_tilt_deg = 5``
    A plane flatter than 5° is "flat": this is the usual split between flat
    roofs (≤ 1:20 falls to drains, ≈ 3°; GB 50345-2012 屋面工程技术规范
    requires ≥ 2 % fall on flat roofs) and sloped roofs.  Light-steel sheds
    at 1:20–1:10 (3–6°) therefore mostly read as 'flat', and keep their
    assumed planes.
``max_rmse_m = 0.5``
    A fit worse than 0.5 m RMS is "poor" (rooftop structures, several roof
    levels, a hip or complex roof, misregistration): the roof is 'unknown'
    unless another model fits.  Airborne LiDAR DSMs are good to ≈ 0.1–0.2 m
    vertically and photogrammetric ones to ≈ 0.3–0.5 m, so a true plane
    passes with margin.
``opposite_tolerance_deg = 45``
    'pitched' (gable) needs both halves ≥ ``flat_max_tilt_deg`` with each
    half's downslope within 45° of its own side's outward normal
    (``axis + 90°`` for plane 0, ``axis + 270°`` for plane 1), i.e. both
    falling away from the ridge.
``ridge_gap_m`` (default: one pixel side in metres)
    Pixels closer than half this to the ridge line are left out of the
    half-plane fits (a DSM pixel on the ridge mixes both slopes); they
    still count for the height and the whole-roof fit.

Classification, in order: 'unknown' (too few pixels or too little
coverage); 'flat' (whole roof and both halves < 5°, whole-roof RMSE ≤ 0.5 m);
'pitched' (gable test above, two-plane RMSE ≤ 0.5 m); 'mono-pitch' (one
plane over the whole roof ≥ 5° with RMSE ≤ 0.5 m); else 'unknown'.  A hip
roof reads as 'pitched' with slightly low tilts (each half includes a hip
end) or, when the hips are large, 'unknown'.

Azimuths are true bearings clockwise from north (180 = south) of the
*downslope* direction, corrected for the roofs' CRS grid convergence at the
centre of the data exactly as :func:`pvsite.roofs.usable.usable_roofs` does (one
value per frame; 0.82° at Changning in UTM 51N).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pvsite.config import MountingConfig
from pvsite.errors import InputError
from pvsite.io.rasters import TILE_PIXELS, FootprintPixels, footprint_pixels
from pvsite.roofs.orientation import axis_bearing_deg, grid_north_bearing_deg, long_axis
from pvsite.roofs.usable import RIDGED_TYPES
from pvsite.solar import mounting

logger = logging.getLogger(__name__)

SHAPES = ("flat", "pitched", "mono-pitch", "unknown")

#: Defaults of :func:`roof_surface_from_raster` (pvsite assumptions, see the
#: module docstring for the reasoning).
MIN_PIXELS = 20
MIN_COVERAGE = 0.5
FLAT_MAX_TILT_DEG = 5.0
MAX_RMSE_M = 0.5
OPPOSITE_TOLERANCE_DEG = 45.0

SURFACE_COLUMNS = (
    "raster_height_m", "raster_pixels", "raster_coverage",
    "plane0_tilt_deg", "plane0_azimuth_deg", "plane1_tilt_deg", "plane1_azimuth_deg",
    "pair_rmse_m", "mono_tilt_deg", "mono_azimuth_deg", "mono_rmse_m",
    "fit_rmse_m", "raster_roof_shape",
)


# ---------------------------------------------------------------------------
# Sampling and fitting
# ---------------------------------------------------------------------------


def roof_surface_from_raster(
    roofs: gpd.GeoDataFrame,
    raster_path,
    *,
    band: int = 1,
    min_pixels: int = MIN_PIXELS,
    min_coverage: float = MIN_COVERAGE,
    flat_max_tilt_deg: float = FLAT_MAX_TILT_DEG,
    max_rmse_m: float = MAX_RMSE_M,
    opposite_tolerance_deg: float = OPPOSITE_TOLERANCE_DEG,
    ridge_gap_m: float | None = None,
    tile_pixels: int = TILE_PIXELS,
    north_deg: float | None = None,
) -> pd.DataFrame:
    """Height and roof planes of every footprint from a height raster.

    Reads the pixels inside the footprints
    (:func:`pvsite.io.rasters.footprint_pixels`) and fits them
    (:func:`roof_surface`).

    Parameters
    ----------
    roofs : geopandas.GeoDataFrame
        Footprints (Polygon/MultiPolygon, None allowed) in a projected CRS in
        metres, e.g. the output of :func:`pvsite.roofs.usable.usable_roofs`; its
        ``axis_azimuth_deg`` [°] is used for the ridge when present.
    raster_path : str or os.PathLike or None
        Single-band height raster (GeoTIFF or any GDAL raster) with a CRS,
        values in metres [m].  Heights above ground (nDSM) give building
        heights; an absolute DSM gives elevations (planes are the same).
        None returns an all-'unknown' table.
    band : int
        Band to read (1-based).
    min_pixels, min_coverage, flat_max_tilt_deg, max_rmse_m, opposite_tolerance_deg, ridge_gap_m
        Thresholds of :func:`roof_surface`.
    tile_pixels : int
        Roofs are read in tiles of about this many pixels a side [px]
        (memory bound: a tile's window is read whole).
    north_deg : float, optional
        Grid bearing of true north [°] instead of the frame's own (the whole run's, :mod:`pvsite.compute`).

    Returns
    -------
    pandas.DataFrame
        Index ``roofs.index``, columns:

        ``raster_height_m`` : median of the roof's valid pixels [m];
        ``raster_pixels`` : valid pixels with centre in the footprint [-];
        ``raster_coverage`` : valid pixel area / footprint area [-];
        ``plane0_tilt_deg``, ``plane0_azimuth_deg`` : plane fitted to the
        half on the side ``axis + 90°`` (plane 0 of
        :func:`pvsite.roofs.planes.roof_planes`): slope [°] and downslope bearing
        [°, clockwise from true north];
        ``plane1_tilt_deg``, ``plane1_azimuth_deg`` : same, side
        ``axis + 270°``;
        ``pair_rmse_m`` : RMS residual of the two half planes together [m];
        ``mono_tilt_deg``, ``mono_azimuth_deg``, ``mono_rmse_m`` : one plane
        fitted to the whole roof [°, °, m];
        ``fit_rmse_m`` : RMSE of the model behind the shape (pair for
        'flat'/'pitched', mono for 'mono-pitch'; NaN for 'unknown') [m];
        ``raster_roof_shape`` : 'flat', 'pitched', 'mono-pitch' or 'unknown'.

    Raises
    ------
    InputError
        The raster cannot be opened, has no CRS, or lacks the band; the
        roofs are in a geographic CRS or have none.
    """
    if raster_path is None or len(roofs) == 0:
        return _empty_surface(roofs.index)
    _check_metric(roofs)
    pixels = footprint_pixels(roofs, raster_path, band=band, tile_pixels=tile_pixels)
    surface = roof_surface(
        roofs, pixels, min_pixels=min_pixels, min_coverage=min_coverage, flat_max_tilt_deg=flat_max_tilt_deg,
        max_rmse_m=max_rmse_m, opposite_tolerance_deg=opposite_tolerance_deg, ridge_gap_m=ridge_gap_m,
        north_deg=north_deg,
    )
    if pixels is not None:
        logger.info("height raster %s: %d roofs sampled, %d pixels; shapes %s",
                    os.fspath(raster_path), int((surface["raster_pixels"] > 0).sum()), len(pixels.z),
                    surface["raster_roof_shape"].value_counts().to_dict())
    return surface


def roof_surface(
    roofs: gpd.GeoDataFrame,
    pixels: FootprintPixels | None,
    *,
    min_pixels: int = MIN_PIXELS,
    min_coverage: float = MIN_COVERAGE,
    flat_max_tilt_deg: float = FLAT_MAX_TILT_DEG,
    max_rmse_m: float = MAX_RMSE_M,
    opposite_tolerance_deg: float = OPPOSITE_TOLERANCE_DEG,
    ridge_gap_m: float | None = None,
    north_deg: float | None = None,
) -> pd.DataFrame:
    """Height, fitted planes and roof shape of every footprint from its pixels (pure).

    Parameters
    ----------
    roofs : geopandas.GeoDataFrame
        Footprints in a projected CRS in metres (None allowed); its
        ``axis_azimuth_deg`` [°] is used for the ridge when present, else the
        long axis of the minimum rotated rectangle.
    pixels : FootprintPixels or None
        Valid pixels inside the footprints, positions into ``roofs``, centres
        in the roofs' CRS (:func:`pvsite.io.rasters.footprint_pixels`); None
        (no overlap) gives an all-'unknown' table.
    min_pixels : int
        Fewest valid pixels for a fit [-].
    min_coverage : float
        Least valid pixel area / footprint area [-].
    flat_max_tilt_deg : float
        Planes flatter than this are flat [°].
    max_rmse_m : float
        Largest RMS residual of an accepted fit [m].
    opposite_tolerance_deg : float
        Largest angle between a half's downslope and its outward normal for
        a gable [°].
    ridge_gap_m : float, optional
        Width of the band along the ridge left out of the half fits [m];
        default one pixel side in metres.
    north_deg : float, optional
        Grid bearing of true north [°] instead of the frame's own (the whole run's, :mod:`pvsite.compute`).

    Returns
    -------
    pandas.DataFrame
        Index ``roofs.index``, columns:

        ``raster_height_m`` : median of the roof's valid pixels [m];
        ``raster_pixels`` : valid pixels with centre in the footprint [-];
        ``raster_coverage`` : valid pixel area / footprint area [-];
        ``plane0_tilt_deg``, ``plane0_azimuth_deg`` : plane fitted to the
        half on the side ``axis + 90°`` (plane 0 of
        :func:`pvsite.roofs.planes.roof_planes`): slope [°] and downslope bearing
        [°, clockwise from true north];
        ``plane1_tilt_deg``, ``plane1_azimuth_deg`` : same, side
        ``axis + 270°``;
        ``pair_rmse_m`` : RMS residual of the two half planes together [m];
        ``mono_tilt_deg``, ``mono_azimuth_deg``, ``mono_rmse_m`` : one plane
        fitted to the whole roof [°, °, m];
        ``fit_rmse_m`` : RMSE of the model behind the shape (pair for
        'flat'/'pitched', mono for 'mono-pitch'; NaN for 'unknown') [m];
        ``raster_roof_shape`` : 'flat', 'pitched', 'mono-pitch' or 'unknown'.

    Raises
    ------
    InputError
        The roofs are in a geographic CRS or have none.
    """
    out = _empty_surface(roofs.index)
    if pixels is None or len(roofs) == 0:
        return out
    _check_metric(roofs)
    n = len(roofs)
    roof, x, y, z = pixels.footprint, pixels.x, pixels.y, pixels.z
    geoms = np.asarray(roofs.geometry.array, dtype=object)
    count, coverage, median = _pixel_statistics(roof, z, pixels.pixel_area_m2, geoms)

    # Ridge: the long axis through the centre of the minimum rotated rectangle.
    north = grid_north_bearing_deg(roofs) if north_deg is None else float(north_deg)
    centre, unit, _ = long_axis(geoms)
    if "axis_azimuth_deg" in roofs.columns:
        axis_true = roofs["axis_azimuth_deg"].to_numpy(dtype=float)
    else:
        axis_true = axis_bearing_deg(unit, north)
    psi = np.radians(axis_true + north)  # grid bearing of the (folded) axis
    gap = np.sqrt(pixels.pixel_area_m2) if ridge_gap_m is None else float(ridge_gap_m)
    side = (x - centre[roof, 0]) * np.cos(psi[roof]) - (y - centre[roof, 1]) * np.sin(psi[roof])
    # side > 0: towards axis + 90° (plane 0); side < 0: plane 1.
    off_ridge = np.abs(side) >= gap / 2.0
    half = np.where(side > 0, 0, 1)

    mono = _plane_fit(roof, x, y, z, n)
    sel = off_ridge & np.isfinite(side)
    pair = _plane_fit(roof[sel] * 2 + half[sel], x[sel], y[sel], z[sel], 2 * n)
    tilt_h = pair["tilt_deg"].reshape(n, 2)
    grid_h = pair["grid_bearing_deg"].reshape(n, 2)
    sse_h = pair["sse"].reshape(n, 2)
    cnt_h = pair["count"].reshape(n, 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        pair_rmse = np.sqrt(sse_h.sum(axis=1) / cnt_h.sum(axis=1))
        mono_rmse = np.sqrt(mono["sse"] / mono["count"])
    az_h = (grid_h - north) % 360.0
    mono_az = (mono["grid_bearing_deg"] - north) % 360.0

    # Classification.
    normal = np.column_stack([(axis_true + 90.0) % 360.0, (axis_true + 270.0) % 360.0])
    dev = np.abs((az_h - normal + 180.0) % 360.0 - 180.0)
    enough = (count > 0) & (count >= min_pixels) & (coverage >= min_coverage) & np.all(cnt_h >= 3, axis=1)
    enough &= np.isfinite(mono["tilt_deg"])
    halves_ok = np.all(np.isfinite(tilt_h), axis=1)
    flat = (
        enough & (mono["tilt_deg"] < flat_max_tilt_deg) & (mono_rmse <= max_rmse_m)
        & (~halves_ok | np.all(np.nan_to_num(tilt_h) < flat_max_tilt_deg, axis=1))
    )
    gable = (
        enough & halves_ok & np.all(tilt_h >= flat_max_tilt_deg, axis=1)
        & np.all(dev <= opposite_tolerance_deg, axis=1) & (pair_rmse <= max_rmse_m)
    )
    shed = enough & (mono["tilt_deg"] >= flat_max_tilt_deg) & (mono_rmse <= max_rmse_m)
    shape = np.select([flat, gable & ~flat, shed & ~flat & ~gable], ["flat", "pitched", "mono-pitch"], "unknown")
    fit_rmse = np.select([shape == "flat", shape == "pitched", shape == "mono-pitch"],
                         [mono_rmse, pair_rmse, mono_rmse], np.nan)

    out["raster_height_m"] = median
    out["raster_pixels"] = count.astype(np.int64)
    out["raster_coverage"] = coverage
    out["plane0_tilt_deg"] = tilt_h[:, 0]
    out["plane0_azimuth_deg"] = az_h[:, 0]
    out["plane1_tilt_deg"] = tilt_h[:, 1]
    out["plane1_azimuth_deg"] = az_h[:, 1]
    out["pair_rmse_m"] = pair_rmse
    out["mono_tilt_deg"] = mono["tilt_deg"]
    out["mono_azimuth_deg"] = mono_az
    out["mono_rmse_m"] = mono_rmse
    out["fit_rmse_m"] = fit_rmse
    out["raster_roof_shape"] = pd.Series(shape, index=roofs.index, dtype=object)
    return out


def _check_metric(roofs: gpd.GeoDataFrame) -> None:
    if roofs.crs is None or not roofs.crs.is_projected:
        raise InputError(
            f"roof_surface_from_raster needs footprints in a projected CRS in metres, found {roofs.crs}.",
            fix="Reproject first, e.g. gdf.to_crs(gdf.estimate_utm_crs()).",
            zh=f"roof_surface_from_raster 需要以米为单位的投影坐标系下的建筑轮廓，实为 {roofs.crs}。",
            fix_zh="请先重投影，如 gdf.to_crs(gdf.estimate_utm_crs())。",
        )


def _pixel_statistics(roof: np.ndarray, z: np.ndarray, pixel_area_m2: float, geoms: np.ndarray):
    """Pixel count [-], coverage (pixel area / footprint area) [-] and median height [m] per roof."""
    n = len(geoms)
    footprint_area = np.where(shapely.is_missing(geoms), 0.0, shapely.area(geoms))
    count = np.bincount(roof, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        coverage = np.where(footprint_area > 0, count * pixel_area_m2 / footprint_area, np.nan)
    # Median per roof: sort by (roof, z), take the middle element(s).
    zs = z[np.lexsort((z, roof))]
    start = np.cumsum(count) - count
    has = count > 0
    lo = start + (count - 1) // 2
    hi = start + count // 2
    median = np.full(n, np.nan)
    median[has] = (zs[lo[has]] + zs[hi[has]]) / 2.0
    return count, coverage, median


def _empty_surface(index: pd.Index) -> pd.DataFrame:
    out = pd.DataFrame(index=index)
    for c in SURFACE_COLUMNS:
        out[c] = np.nan
    out["raster_pixels"] = np.zeros(len(index), dtype=np.int64)
    out["raster_roof_shape"] = pd.Series("unknown", index=index, dtype=object)
    return out


def _plane_fit(group, x, y, z, n_groups) -> dict:
    """Least-squares plane ``z = a·x + b·y + c`` per group (vectorised).

    Returns per group: ``count``, ``tilt_deg`` = atan(|∇z|) [°],
    ``grid_bearing_deg`` of the downslope ``−∇z`` [°, clockwise from grid
    north] and ``sse`` (sum of squared residuals) [m²]; NaN where the
    pixels are fewer than 3 or collinear.
    """
    cnt = np.bincount(group, minlength=n_groups).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = np.bincount(group, x, n_groups) / cnt
        my = np.bincount(group, y, n_groups) / cnt
        mz = np.bincount(group, z, n_groups) / cnt
    dx, dy, dz = x - mx[group], y - my[group], z - mz[group]
    sxx = np.bincount(group, dx * dx, n_groups)
    sxy = np.bincount(group, dx * dy, n_groups)
    syy = np.bincount(group, dy * dy, n_groups)
    sxz = np.bincount(group, dx * dz, n_groups)
    syz = np.bincount(group, dy * dz, n_groups)
    det = sxx * syy - sxy * sxy
    good = (cnt >= 3) & (det > 1e-9 * np.maximum(sxx * syy, 1e-300))
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.where(good, (sxz * syy - syz * sxy) / det, np.nan)
        b = np.where(good, (syz * sxx - sxz * sxy) / det, np.nan)
    res = dz - np.nan_to_num(a)[group] * dx - np.nan_to_num(b)[group] * dy
    sse = np.where(good, np.bincount(group, res * res, n_groups), np.nan)
    return {
        "count": cnt.astype(np.int64),
        "tilt_deg": np.degrees(np.arctan(np.hypot(a, b))),
        "grid_bearing_deg": np.degrees(np.arctan2(-a, -b)) % 360.0,
        "sse": sse,
    }


# ---------------------------------------------------------------------------
# Planes
# ---------------------------------------------------------------------------


def apply_raster_planes(
    planes: pd.DataFrame,
    surface: pd.DataFrame,
    roofs: pd.DataFrame,
    module: Mapping,
    mounting_cfg: MountingConfig,
) -> pd.DataFrame:
    """Use the raster's roof planes where it shows a sloped roof.

    * ``raster_roof_shape == 'pitched'``: the roof gets two **flush** planes
      (plane 0 facing ``axis + 90°``, plane 1 ``axis + 270°`` as in
      :func:`pvsite.roofs.planes.roof_planes`) with the measured tilt and downslope
      azimuth of each half, whatever its ``roof_type`` (a 'flat' or
      'unknown' roof whose raster shows a gable loses its tilted rows).
    * ``'mono-pitch'``: one flush plane with the measured tilt and azimuth
      of the whole-roof fit, ``area_share`` 1 (the layout uses the whole
      roof for a roof with a single flush plane).
    * (historical note) earlier versions emitted two identical planes,
      ``area_share`` 0.5 each.  Two planes,
      not one, because :func:`pvsite.roofs.layout.layout_roofs` clips every flush
      plane to the half of the roof on its facing side of the ridge: a
      single plane would be laid out on half the roof.  With two identical
      planes each half-roof count is taken twice, right for a roof
      symmetric about its long axis; the ``panels`` layer then shows the
      modules of the facing half twice (layout change proposed to the lead).
    * 'flat' and 'unknown': planes unchanged (flat roofs keep their tilted
      rows; a ridged roof the raster reads as flat keeps its assumed flush
      planes, logged).

    Flush planes get ``ground_coverage_ratio = packing / cos(tilt)`` and the
    matching power density, exactly as :func:`pvsite.roofs.planes.roof_planes`
    (:func:`pvsite.solar.mounting.flush_packing_factor`,
    :func:`pvsite.solar.mounting.power_density_w_per_m2`).  Areas keep the roof's
    ``usable_area_m2`` (computed with the setback of its ``roof_type``).

    Parameters
    ----------
    planes : pandas.DataFrame
        Output of :func:`pvsite.roofs.planes.roof_planes`.
    surface : pandas.DataFrame
        Output of :func:`roof_surface_from_raster` (index = roof labels).
    roofs : pandas.DataFrame
        Output of :func:`pvsite.roofs.usable.usable_roofs` (``usable_area_m2`` [m²]).
    module : mapping
        Module preset with ``power_w`` [W], ``length_m`` [m], ``width_m``
        [m].
    mounting_cfg : MountingConfig
        ``module_gap_m`` [m].

    Returns
    -------
    pandas.DataFrame
        ``planes`` with replaced rows, ordered by roof then plane, plus
        ``plane_source``: 'raster' (tilt and azimuth measured) or 'assumed'.
    """
    need = [c for c in ("raster_roof_shape", "plane0_tilt_deg", "plane0_azimuth_deg", "plane1_tilt_deg",
                        "plane1_azimuth_deg", "mono_tilt_deg", "mono_azimuth_deg") if c not in surface.columns]
    if need:
        raise InputError(f"apply_raster_planes needs the columns {need} in the surface table.",
                         fix="Pass the output of pvsite.roofs.heights.roof_surface_from_raster.",
                         zh=f"apply_raster_planes 需要屋面表中的列 {need}。",
                         fix_zh="请传入 pvsite.roofs.heights.roof_surface_from_raster 的输出。")
    planes = planes.copy()
    planes["plane_source"] = "assumed"
    shape = surface["raster_roof_shape"].reindex(roofs.index).fillna("unknown").to_numpy(dtype=object)
    sloped = np.isin(shape, ("pitched", "mono-pitch"))
    in_planes = roofs.index.isin(planes["roof_index"])
    replace = sloped & in_planes
    ridged_flat = (shape == "flat") & roofs.get("roof_type", pd.Series(index=roofs.index, dtype=object)).isin(
        RIDGED_TYPES).to_numpy() & in_planes
    if ridged_flat.any():
        logger.info("%d pitched/metal roofs read as flat (< %g°) on the raster keep their assumed planes",
                    int(ridged_flat.sum()), FLAT_MAX_TILT_DEG)
    if not replace.any():
        return planes

    labels = roofs.index[replace]
    s = surface.reindex(labels)
    mono = (s["raster_roof_shape"] == "mono-pitch").to_numpy()
    tilt = np.column_stack([
        np.where(mono, s["mono_tilt_deg"], s["plane0_tilt_deg"]),
        np.where(mono, s["mono_tilt_deg"], s["plane1_tilt_deg"]),
    ]).ravel()
    azimuth = np.column_stack([
        np.where(mono, s["mono_azimuth_deg"], s["plane0_azimuth_deg"]),
        np.where(mono, s["mono_azimuth_deg"], s["plane1_azimuth_deg"]),
    ]).ravel()
    usable = roofs.loc[labels, "usable_area_m2"].to_numpy(dtype=float)
    first = planes.drop_duplicates("roof_index").set_index("roof_index")["roof_type"]
    # Gables: two planes, half the area each.  Mono-pitch: one plane on the whole roof.
    keep = np.column_stack([np.ones(len(labels), dtype=bool), ~mono]).ravel()
    share = np.where(np.repeat(mono, 2), 1.0, 0.5)[keep]
    tilt, azimuth = tilt[keep], azimuth[keep]
    packing = mounting.flush_packing_factor(module, float(mounting_cfg.module_gap_m))
    gcr = packing / np.cos(np.radians(tilt))
    new = pd.DataFrame({
        "roof_index": np.repeat(labels.to_numpy(), 2)[keep],
        "plane": np.tile(np.array([0, 1], dtype=np.int64), len(labels))[keep],
        "roof_type": np.repeat(first.reindex(labels).to_numpy(dtype=object), 2)[keep],
        "mounting": "flush",
        "tilt_deg": tilt,
        "azimuth_deg": azimuth % 360.0,
        "area_share": share,
        "plane_area_m2": np.repeat(usable, 2)[keep] * share,
        "ground_coverage_ratio": gcr,
        "power_density_w_per_m2": mounting.power_density_w_per_m2(module, gcr),
        "plane_source": "raster",
    })
    kept = planes[~planes["roof_index"].isin(labels)]
    out = pd.concat([kept, new[[c for c in new.columns if c in planes.columns]]], ignore_index=True)
    out = out[planes.columns]
    pos = roofs.index.get_indexer(out["roof_index"])
    out = out.iloc[np.lexsort((out["plane"].to_numpy(), pos))].reset_index(drop=True)
    logger.info("raster planes: %d roofs take measured planes (%d mono-pitch)", len(labels), int(mono.sum()))
    return out
