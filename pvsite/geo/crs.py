"""Coordinate reference systems: metric projection and plausibility of the declared CRS.

Two concerns live here:

1. **Metric projection** (:func:`to_metric`, :func:`metric_crs_for`).  Areas,
   lengths and azimuths are computed in a projected CRS whose unit is the metre
   and whose scale is close to 1 over the data.  Geographic data (EPSG:4326,
   CGCS2000 EPSG:4490, ...) is projected to the UTM zone of the data
   (``GeoDataFrame.estimate_utm_crs``; Changning/Shanghai → EPSG:32651,
   WGS 84 / UTM zone 51N).  A projected CRS in metres is kept unless its areal
   scale over the data differs from 1 by more than
   :data:`MAX_AREAL_SCALE_ERROR` (Web Mercator EPSG:3857 inflates areas by
   1/cos²φ ≈ 1.37 at 31° N); a projected CRS in other units (US feet, ...) is
   reprojected as well.

   CGCS2000 data is projected with the *WGS 84* UTM zone: the CGCS2000 and
   WGS 84 reference frames are consistent at the centimetre level and their
   ellipsoids differ only slightly in the flattening, a sub-millimetre effect
   on coordinates (Yang Y. 2009,
   "Chinese geodetic coordinate system 2000", *Chinese Science Bulletin*
   54(15):2714–2721, doi:10.1007/s11434-009-0342-9).  PROJ likewise uses a
   zero "ballpark" offset between EPSG:4490 and EPSG:4326.  Coordinates of the
   same point observed at epochs years apart can differ by a few decimetres of
   plate motion; this is irrelevant for roof areas.

2. **Plausibility of the declared CRS** (:func:`check_lonlat_plausible`,
   :func:`check_projected_plausible`): metres labelled lon/lat, lat/lon with
   swapped axes, and lon/lat degrees labelled with a projected CRS are
   refused with a message that says which and how to fix it.

The Chinese web-map datums GCJ-02 and BD-09 live in :mod:`pvsite.geo.datums`.
"""

from __future__ import annotations

import logging
import math
import os

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from pvsite.errors import InputError

logger = logging.getLogger(__name__)

# ---------------------------------------------------------------------------
# Constants
# ---------------------------------------------------------------------------

#: Largest areal-scale error of a projected CRS that :func:`to_metric` keeps
#: [-] (pvsite assumption: 1 % of area; UTM is within 0.2 % inside its zone).
MAX_AREAL_SCALE_ERROR = 0.01
#: CRS used when there is no geometry to locate a UTM zone: the zone of the
#: default district (Changning, Shanghai: WGS 84 / UTM zone 51N).
FALLBACK_METRIC_CRS = "EPSG:32651"

#: Rows reprojected at a time by :func:`to_metric` (bounds the transient coordinate arrays: ≈ 30 MB for
#: 200,000 footprints of ~5 vertices, against ≈ 150 MB per million rows in one piece).
TRANSFORM_CHUNK_ROWS = 200_000

# ---------------------------------------------------------------------------
# Metric projection
# ---------------------------------------------------------------------------


def _areal_scale_error(crs: pyproj.CRS, bounds_lonlat: tuple) -> float | None:
    """Largest |areal scale − 1| of ``crs`` at the corners and centre of a box.

    Parameters
    ----------
    crs : pyproj.CRS
        Projected CRS.
    bounds_lonlat : tuple of float
        (west, south, east, north) of the data [°].

    Returns
    -------
    float or None
        Relative areal-scale error [-]; None when PROJ cannot compute factors.
    """
    w, s, e, n = bounds_lonlat
    lon = np.array([w, e, w, e, (w + e) / 2])
    lat = np.array([s, s, n, n, (s + n) / 2])
    try:
        factors = pyproj.Proj(crs).get_factors(lon, lat)
        scale = np.asarray(factors.areal_scale, dtype=float)
    except Exception:  # noqa: BLE001 - engineering / exotic CRS
        return None
    if not np.all(np.isfinite(scale)):
        return None
    return float(np.max(np.abs(scale - 1.0)))


def _is_metre_projected(crs: pyproj.CRS) -> bool:
    """True when ``crs`` is projected and both horizontal axes are in metres."""
    if not crs.is_projected:
        return False
    axes = crs.axis_info[:2]
    return len(axes) == 2 and all(abs(a.unit_conversion_factor - 1.0) < 1e-12 for a in axes)


def metric_crs_for(gdf: gpd.GeoDataFrame, path: str | os.PathLike | None = None) -> pyproj.CRS:
    """The metric CRS in which pvsite measures ``gdf``.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Features with a declared CRS.
    path : str or path-like, optional
        Source file, named in error messages.

    Returns
    -------
    pyproj.CRS
        ``gdf.crs`` itself when it is projected in metres with an areal scale
        within :data:`MAX_AREAL_SCALE_ERROR` of 1 over the data; otherwise the
        WGS 84 UTM zone of the data (:data:`FALLBACK_METRIC_CRS` when there is
        no non-empty geometry to locate).

    Raises
    ------
    InputError
        When ``gdf`` has no CRS.
    """
    src = path if path is not None else "the input"
    if gdf.crs is None:
        raise InputError(
            f"{src}: the features declare no coordinate reference system, so pvsite cannot "
            "measure areas in metres.",
            fix="Give the CRS with --crs (e.g. --crs EPSG:4326 for lon/lat, --crs EPSG:4549 for "
            "CGCS2000 3-degree Gauss-Kruger CM 120E), or add a .prj file beside the Shapefile.",
            zh=f"{src}：要素未声明坐标系，pvsite 无法以米为单位计算面积。",
            fix_zh="请用 --crs 指定坐标系（经纬度如 --crs EPSG:4326；CGCS2000 3 度带高斯-克吕格中央经线 120°E 为 --crs EPSG:4549），或在 Shapefile 旁添加 .prj 文件。",
        )
    crs = pyproj.CRS(gdf.crs)
    geoms = gdf.geometry.values
    located = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not located.any():
        if _is_metre_projected(crs):
            return crs
        logger.warning("%s: no non-empty geometry; using %s as the metric CRS", src, FALLBACK_METRIC_CRS)
        return pyproj.CRS(FALLBACK_METRIC_CRS)
    sub = gdf[located]
    if _is_metre_projected(crs):
        bounds_ll = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform_bounds(
            *sub.total_bounds
        )
        err = _areal_scale_error(crs, bounds_ll)
        if err is None or err <= MAX_AREAL_SCALE_ERROR:
            return crs
        logger.info(
            "%s: %s distorts areas by %.1f %% here; reprojecting to UTM", src, crs.name, 100 * err
        )
    elif crs.is_projected:
        logger.info("%s: %s is not in metres; reprojecting to UTM", src, crs.name)
    utm = sub.estimate_utm_crs(datum_name="WGS 84")
    return pyproj.CRS(utm)


def to_metric(gdf: gpd.GeoDataFrame, path: str | os.PathLike | None = None) -> gpd.GeoDataFrame:
    """Return ``gdf`` in a metric CRS (see :func:`metric_crs_for`).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Features with a declared CRS.  Null and empty geometries pass through
        unchanged (row order and index preserved).
    path : str or path-like, optional
        Source file, named in error messages.

    Returns
    -------
    geopandas.GeoDataFrame
        ``gdf`` itself (same object) when already metric, otherwise a
        reprojected copy; the metric CRS is ``result.crs``.
    """
    target = metric_crs_for(gdf, path)
    if pyproj.CRS(gdf.crs) == target:
        return gdf
    if len(gdf) <= TRANSFORM_CHUNK_ROWS:
        return gdf.to_crs(target)
    # GeoDataFrame.to_crs in slices of rows: each coordinate is transformed alone, so the result is
    # identical, and only one slice's coordinate arrays (get / transform / set) are in memory at a time.
    out = gdf.copy()
    geom = out.geometry
    pieces = [geom.iloc[i:i + TRANSFORM_CHUNK_ROWS].to_crs(target)
              for i in range(0, len(geom), TRANSFORM_CHUNK_ROWS)]
    out[geom.name] = gpd.GeoSeries(np.concatenate([np.asarray(p.values) for p in pieces]), index=geom.index,
                                   crs=pieces[0].crs)
    return out


# ---------------------------------------------------------------------------
# Plausibility of the declared CRS
# ---------------------------------------------------------------------------


def _crs_hint(x: float, y: float) -> str:
    """Suggest EPSG codes for projected-looking Chinese coordinates.

    Parameters
    ----------
    x, y : float
        A typical easting / northing of the data [m].

    Returns
    -------
    str
        Human-readable suggestion.
    """
    zone = int(x // 1_000_000)
    if 25 <= zone <= 45 and 0 < y < 6_500_000:
        # Eastings with a 2-digit 3-degree zone prefix: CGCS2000 3-degree GK zone N
        # = EPSG:4513 (zone 25) ... EPSG:4533 (zone 45).
        return (
            f"the eastings carry the zone prefix {zone}: CGCS2000 3-degree Gauss-Kruger zone {zone} "
            f"is --crs EPSG:{4488 + zone}"
        )
    if 13 <= zone <= 23 and 0 < y < 6_500_000:
        # CGCS2000 6-degree GK zone N = EPSG:4491 (zone 13) ... EPSG:4501 (zone 23).
        return (
            f"the eastings carry the zone prefix {zone}: CGCS2000 6-degree Gauss-Kruger zone {zone} "
            f"is --crs EPSG:{4478 + zone}"
        )
    return (
        "for Shanghai try --crs EPSG:4549 (CGCS2000 3-degree Gauss-Kruger CM 120E, west of "
        "121.5°E, e.g. Changning), EPSG:4550 (CM 123E, east of 121.5°E, e.g. Pudong) or "
        "EPSG:32651 (WGS 84 / UTM 51N); a Shanghai city local grid has no EPSG code and needs "
        "its PROJ string or WKT from the data supplier"
    )


def _located_bounds(gdf: gpd.GeoDataFrame) -> np.ndarray | None:
    """Per-feature bounds (n × 4) of the non-null, non-empty geometries; None when there are none."""
    geoms = np.asarray(gdf.geometry.values)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not ok.any():
        return None
    b = shapely.bounds(geoms[ok])
    b = b[np.all(np.isfinite(b), axis=1)]
    return b if len(b) else None


def within_lonlat(bounds) -> bool:
    """True when (minx, miny, maxx, maxy) fit longitude ±180° and latitude ±90° [°]."""
    minx, miny, maxx, maxy = bounds
    return bool(-180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90)


def lonlat_swapped(bounds) -> bool:
    """True when (x, y) bounds are not lon/lat but would be with the axes swapped.

    Latitude stored as x and longitude as y (a CSV's ``lat, lon`` columns
    read as x, y; EPSG:4326's authority axis order lat/lon written by some
    tools): x fits ±90°, y fits ±180° and |y| > 90° somewhere, which no
    latitude can be.  Data at |longitude| ≤ 90° cannot be told apart this way.

    Parameters
    ----------
    bounds : tuple of float
        (minx, miny, maxx, maxy) [°].

    Returns
    -------
    bool
    """
    minx, miny, maxx, maxy = bounds
    return bool(-90 <= minx and maxx <= 90 and -180 <= miny and maxy <= 180 and max(abs(miny), abs(maxy)) > 90)


def check_lonlat_plausible(gdf: gpd.GeoDataFrame, path: str | os.PathLike | None = None) -> None:
    """Refuse geographic data whose coordinates cannot be longitude/latitude.

    A Shapefile with a wrong ``.prj``, or a GeoJSON (always declared lon/lat)
    written from a projected survey, carries metres under an EPSG:4326/4490
    label; every area computed from it would be nonsense.  Latitude/longitude
    written in the wrong order (x = latitude) is recognised when the
    longitude exceeds 90° (all of China) and reported as swapped axes.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Features; checked only when ``gdf.crs`` is geographic.
    path : str or path-like, optional
        Source file, named in the message.

    Raises
    ------
    InputError
        When some coordinate lies outside ±180° longitude or ±90° latitude;
        the message names the file and the offending bounds, and says the
        axes look swapped or suggests a projected ``--crs``.
    """
    if gdf.crs is None or not pyproj.CRS(gdf.crs).is_geographic:
        return
    bounds = _located_bounds(gdf)
    if bounds is None:
        return
    total = (bounds[:, 0].min(), bounds[:, 1].min(), bounds[:, 2].max(), bounds[:, 3].max())
    if within_lonlat(total):
        return
    minx, miny, maxx, maxy = total
    src = path if path is not None else "the input"
    name = pyproj.CRS(gdf.crs).name
    where = f"x {minx:.6g}…{maxx:.6g}, y {miny:.6g}…{maxy:.6g}"
    if lonlat_swapped(total):
        raise InputError(
            f"{src}: the coordinates are not lon/lat as {name} requires ({where}): y reaches "
            f"{max(abs(miny), abs(maxy)):.6g}°, which no latitude can, while x fits a latitude; the axes "
            "look swapped (x = latitude, y = longitude).",
            fix="Re-export the file with longitude first (x = longitude, y = latitude): when the points or "
                "polygons were built from a table, give the longitude column as X (geopandas: "
                "points_from_xy(df.lon, df.lat); QGIS 'Add Delimited Text Layer': X field = longitude), "
                "or swap the axes with shapely.transform(geoms, lambda xy: xy[:, ::-1]).",
            zh=f"{src}：坐标不是 {name} 要求的经纬度（{where}）：y 达到 {max(abs(miny), abs(maxy)):.6g}°，超出任何纬度，而 x 却像纬度；坐标轴看起来被对调了（x = 纬度，y = 经度）。",
            fix_zh="请以经度在前（x = 经度，y = 纬度）重新导出文件：若点或面由表格生成，请把经度列作为 X（geopandas：points_from_xy(df.lon, df.lat)；QGIS“添加分隔文本图层”：X 字段 = 经度），或用 shapely.transform(geoms, lambda xy: xy[:, ::-1]) 对调坐标轴。",
        )
    bad = (bounds[:, 0] < -180) | (bounds[:, 2] > 180) | (bounds[:, 1] < -90) | (bounds[:, 3] > 90)
    hint = _crs_hint(float(np.median(bounds[bad, 0])), float(np.median(bounds[bad, 1])))
    raise InputError(
        f"{src}: the file declares geographic coordinates ({name}) but {int(bad.sum())} of "
        f"{len(bounds)} features lie outside ±180° / ±90° ({where}), which are not lon/lat; "
        "the coordinates look projected (metres).",
        fix=f"Run again with the projected CRS of the data, e.g. --crs EPSG:xxxx; {hint}; "
            "and correct the CRS stored in the file (.prj; QGIS: Layer ▸ Set CRS of Layer).",
        zh=f"{src}：文件声明为地理坐标系（{name}），但 {len(bounds)} 个要素中有 {int(bad.sum())} 个超出 ±180° / ±90°（{where}），不是经纬度；坐标看起来是投影坐标（米）。",
        fix_zh=f"请用数据的投影坐标系重新运行，如 --crs EPSG:xxxx；{hint}；并改正文件中保存的坐标系（.prj；QGIS：图层 ▸ 设置图层坐标系）。",
    )


#: How far outside a projected CRS's EPSG area of use data may lie before
#: :func:`check_projected_plausible` refuses it [°] (pvsite assumption: a
#: 3-degree Gauss-Kruger zone is routinely used ~0.5° beyond its edge, e.g.
#: EPSG:4549 (to 121.5°E) for all of Shanghai (to ~122.2°E); 2° tolerates that
#: and still catches coordinates thousands of km off).
AREA_OF_USE_MARGIN_DEG = 2.0
#: Largest feature extent (bounding-box diagonal) below which lon/lat-sized
#: coordinates under a metre CRS are taken to be degrees [m] (pvsite
#: assumption: no building footprint is smaller than 1 m across).
MIN_FEATURE_EXTENT_M = 1.0


def _outside_area_of_use(crs: pyproj.CRS, total: tuple) -> tuple[float, tuple | None]:
    """Degrees by which data bounds lie outside ``crs``'s area of use, and the bounds in lon/lat.

    Parameters
    ----------
    crs : pyproj.CRS
        Projected CRS with an area of use.
    total : tuple of float
        (minx, miny, maxx, maxy) of the data in ``crs`` units.

    Returns
    -------
    tuple
        (distance [°], (west, south, east, north) [°] or None); the distance is
        ``inf`` when PROJ cannot place the data at all, 0 inside.
    """
    aou = crs.area_of_use
    try:
        ll = pyproj.Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True).transform_bounds(
            *total, densify_pts=21
        )
    except Exception:  # noqa: BLE001 - PROJ refuses points far outside the projection's domain
        return math.inf, None
    if not np.all(np.isfinite(ll)):
        return math.inf, None
    w, s, e, n = ll
    dy = max(aou.south - n, s - aou.north, 0.0)
    dx = 0.0 if aou.west > aou.east else max(aou.west - e, w - aou.east, 0.0)  # antimeridian: lat only
    return float(max(dx, dy)), (w, s, e, n)


def check_projected_plausible(gdf: gpd.GeoDataFrame, path: str | os.PathLike | None = None) -> None:
    """Refuse projected data whose coordinates cannot be in the declared CRS.

    Companion of :func:`check_lonlat_plausible`.  Lon/lat degrees saved under
    a metre CRS label (e.g. EPSG:4549) make every Changning building
    ~0.0003 m wide and every roof "too small": the run would succeed with
    0 kW.  Two tests, either refuses:

    * the data's bounds, transformed to the CRS's geographic datum, lie more
      than :data:`AREA_OF_USE_MARGIN_DEG` outside the CRS's EPSG area of use
      (``pyproj.CRS.area_of_use``; skipped when the CRS has none);
    * the CRS is in metres, every coordinate fits ±180° / ±90° and no
      feature is :data:`MIN_FEATURE_EXTENT_M` across (catches world-wide CRSs
      such as EPSG:3857, and UTM zones whose area reaches the equator).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Features; checked only when ``gdf.crs`` is projected.
    path : str or path-like, optional
        Source file, named in the message.

    Raises
    ------
    InputError
        Naming the file, the CRS and the bounds; when the coordinates look
        like lon/lat degrees the fix suggests ``--crs EPSG:4490`` (CGCS2000)
        or ``EPSG:4326`` (WGS 84).
    """
    if gdf.crs is None:
        return
    crs = pyproj.CRS(gdf.crs)
    if not crs.is_projected:
        return
    bounds = _located_bounds(gdf)
    if bounds is None:
        return
    total = (float(bounds[:, 0].min()), float(bounds[:, 1].min()), float(bounds[:, 2].max()),
             float(bounds[:, 3].max()))
    looks_lonlat = within_lonlat(total)
    problem = None
    if crs.area_of_use is not None:
        dist, ll = _outside_area_of_use(crs, total)
        if dist > AREA_OF_USE_MARGIN_DEG:
            aou = crs.area_of_use
            at = ("PROJ cannot place them anywhere on Earth" if ll is None else
                  f"they would lie at {ll[0]:.2f}…{ll[2]:.2f}°E, {ll[1]:.2f}…{ll[3]:.2f}°N")
            problem = (f"{at}, {dist:.0f}° outside the area where {crs.to_string()} is used "
                       f"({aou.name.rstrip('.')}: {aou.west:g}…{aou.east:g}°E, {aou.south:g}…{aou.north:g}°N)"
                       if ll is not None else f"{at} (area of use of {crs.to_string()}: {aou.name.rstrip('.')})")
    if problem is None and looks_lonlat and _is_metre_projected(crs):
        extent_m = float(np.hypot(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1]).max())
        if extent_m < MIN_FEATURE_EXTENT_M:
            problem = (f"the largest feature is {extent_m:.2g} m across, smaller than any building "
                       f"({MIN_FEATURE_EXTENT_M:g} m)")
    if problem is None:
        return
    src = path if path is not None else "the input"
    where = f"x {total[0]:.6g}…{total[2]:.6g}, y {total[1]:.6g}…{total[3]:.6g}"
    if looks_lonlat:
        raise InputError(
            f"{src}: the file declares the projected CRS {crs.to_string()} ({crs.name}) but its coordinates "
            f"({where}) look like lon/lat degrees: {problem}.",
            fix="The coordinates are longitude/latitude: run again with --crs EPSG:4490 (CGCS2000 lon/lat) "
                "or --crs EPSG:4326 (WGS 84), and correct the CRS stored in the file (.prj; QGIS: "
                "Layer ▸ Set CRS of Layer — set, do not reproject).",
            zh=f"{src}：文件声明为投影坐标系 {crs.to_string()}（{crs.name}），但坐标（{where}）看起来是经纬度：{problem}。",
            fix_zh="坐标是经纬度：请用 --crs EPSG:4490（CGCS2000 经纬度）或 --crs EPSG:4326（WGS 84）重新运行，并改正文件中保存的坐标系（.prj；QGIS：图层 ▸ 设置图层坐标系——是设置，不是重投影）。",
        )
    raise InputError(
        f"{src}: the coordinates ({where}) do not fit the declared CRS {crs.to_string()} ({crs.name}): "
        f"{problem}.",
        fix=f"Run again with the CRS the coordinates really are in, e.g. --crs EPSG:xxxx; "
            f"{_crs_hint(float(np.median(bounds[:, 0])), float(np.median(bounds[:, 1])))}.",
        zh=f"{src}：坐标（{where}）与声明的坐标系 {crs.to_string()}（{crs.name}）不符：{problem}。",
        fix_zh=f"请用坐标真实所在的坐标系重新运行，如 --crs EPSG:xxxx；{_crs_hint(float(np.median(bounds[:, 0])), float(np.median(bounds[:, 1])))}。",
    )
