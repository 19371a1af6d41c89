"""Roof orientation: long axis, grid north, row azimuths.

The geometry shared by :mod:`pvsite.roofs.usable` (long-axis bearing, the
ridge of ridged roofs), :mod:`pvsite.roofs.planes` (row azimuths of flat
roofs), :mod:`pvsite.roofs.layout` (the ridge that splits flush planes, grid
bearings of the array frames) and :mod:`pvsite.roofs.heights` (the ridge
that splits the raster pixels).  Pure numpy / shapely, no IO.

Bearings are in degrees clockwise from north.  A *grid* bearing is measured
from the +y axis of the projected CRS; a *true* bearing from true north.  The
two differ by the meridian convergence (:func:`grid_north_bearing_deg`).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely


def rectangle_axis(mrr: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre, long-side direction and long-side length of rectangles.

    Parameters
    ----------
    mrr : numpy.ndarray of shapely geometries
        Rectangles, typically ``shapely.minimum_rotated_rectangle(geoms)``
        (a closed ring of 5 coordinates).  Missing geometries and degenerate
        rectangles (a line or a point for a collapsed footprint) are allowed.

    Returns
    -------
    centre : numpy.ndarray, shape (n, 2)
        Mean of the four corners, grid x and y [m].
    unit : numpy.ndarray, shape (n, 2)
        Unit vector along the long side, grid x and y [-].  Its sign follows
        the ring's vertex order; a square takes its first side.
    long_len : numpy.ndarray, shape (n,)
        Length of the long side [m].

    All three are NaN for missing or degenerate rectangles.
    """
    n = len(mrr)
    centre = np.full((n, 2), np.nan)
    unit = np.full((n, 2), np.nan)
    long_len = np.full(n, np.nan)
    ok = (shapely.get_type_id(mrr) == 3) & (shapely.get_num_coordinates(mrr) == 5)
    if ok.any():
        xy = shapely.get_coordinates(shapely.get_exterior_ring(mrr[ok])).reshape(-1, 5, 2)
        side1 = xy[:, 1] - xy[:, 0]
        side2 = xy[:, 2] - xy[:, 1]
        len1 = np.hypot(*side1.T)
        len2 = np.hypot(*side2.T)
        first_is_long = len1 >= len2
        edge = np.where(first_is_long[:, None], side1, side2)
        length = np.where(first_is_long, len1, len2)
        centre[ok] = xy[:, :4].mean(axis=1)
        unit[ok] = edge / length[:, None]
        long_len[ok] = length
    return centre, unit, long_len


def long_axis(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Long axis of footprints: :func:`rectangle_axis` of their minimum rotated rectangles.

    Parameters
    ----------
    geoms : numpy.ndarray of shapely geometries
        Footprints in a projected CRS in metres (None allowed).

    Returns
    -------
    centre, unit, long_len : numpy.ndarray
        As :func:`rectangle_axis`: centre [m], unit vector of the long side
        [-], long side [m]; NaN without geometry.
    """
    return rectangle_axis(shapely.minimum_rotated_rectangle(geoms))


def axis_bearing_deg(unit: np.ndarray, north_deg: float) -> np.ndarray:
    """True bearing of an axis, folded into [0, 180) [°].

    Parameters
    ----------
    unit : numpy.ndarray, shape (n, 2)
        Direction of the axis, grid x and y (e.g. from :func:`long_axis`).
    north_deg : float
        Grid bearing of true north (:func:`grid_north_bearing_deg`; 0 to
        keep grid bearings) [°].

    Returns
    -------
    numpy.ndarray
        Bearing clockwise from true north in [0, 180) [°]; an axis and its
        reverse give the same value; NaN where ``unit`` is NaN.
    """
    grid_bearing = np.degrees(np.arctan2(unit[:, 0], unit[:, 1]))
    bearing = (grid_bearing - north_deg) % 180.0
    return np.where(bearing >= 180.0 - 1e-9, 0.0, bearing)  # fold float rounding of 180 to 0


def grid_north_bearing_deg(gdf: gpd.GeoDataFrame) -> float:
    """Grid bearing of true north at the centre of the data [°] (0 without CRS).

    Found by projecting a 0.001° northward step from the centre of the
    frame's bounds: the meridian convergence, e.g. +0.82° at Changning
    (121.42 E, 31.21 N) in UTM zone 51N, whose central meridian is 123 E.
    A true bearing is the grid bearing minus this value.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Any frame in a projected CRS.

    Returns
    -------
    float
        Convergence [°]; 0 when the frame has no CRS, no rows or no finite
        bounds.
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


def row_azimuths_deg(axis_azimuth_deg, reference_deg: float, tolerance_deg: float) -> np.ndarray:
    """Azimuth of tilted rows on flat roofs: follow the building or face the reference.

    The building's edges run along its long axis and across it, so its edge
    normals are ``axis + k·90°``.  The normal closest to ``reference_deg``
    is taken when it is within ``tolerance_deg`` of it: the rows then run
    parallel to the parapets.  Otherwise, and for roofs without an axis
    (NaN), the rows face ``reference_deg``.

    Parameters
    ----------
    axis_azimuth_deg : array_like
        Long-axis bearing of each roof, clockwise from true north [°].
    reference_deg : float
        Row azimuth when not aligned (``MountingConfig.flat_azimuth_deg``) [°].
    tolerance_deg : float
        Largest angle between an edge normal and the reference for which the
        rows follow the building (``MountingConfig.align_tolerance_deg``,
        0–45, checked by :mod:`pvsite.config`) [°]; 0 never aligns (except
        to a building exactly on the reference).

    Returns
    -------
    numpy.ndarray
        Row azimuth in [0, 360) [°].
    """
    axis = np.asarray(axis_azimuth_deg, dtype=float)
    ref = float(reference_deg) % 360.0
    # Offset of the nearest edge normal from the reference, in [-45, 45).
    off = (axis - ref + 45.0) % 90.0 - 45.0
    follow = np.isfinite(off) & (np.abs(off) <= tolerance_deg)
    return np.where(follow, (ref + np.where(follow, off, 0.0)) % 360.0, ref)
