"""Raster reading: the pixels of a raster that fall inside footprints.

The IO half of the height-raster step (:mod:`pvsite.roofs.heights` does the
plane fitting on the arrays returned here).  :func:`footprint_pixels` opens
the raster, checks its CRS and band, reprojects the footprints to the
raster's CRS, reads it window by window, drops nodata, and returns every
valid pixel whose centre lies inside a footprint, with its centre transformed
back to the footprints' metric CRS.

Sampling rule
-------------
A pixel belongs to a footprint when its **centre** lies inside it (GDAL's
default rasterisation rule).  The footprints are reprojected to the raster's
CRS only to burn footprint ids into the raster grid
(``rasterio.features.rasterize``, one call per tile of ``tile_pixels`` ×
``tile_pixels``); at building scale (≤ a few hundred metres) an edge stays
straight to well under a millimetre in any conformal projection, so this is
exact for pixel selection.  Pixel centres and the pixel area are returned in
the footprints' CRS (pyproj), so a raster in Web Mercator (EPSG:3857), whose
nominal metre is ``1 / cos(latitude)`` ground metres, gives true distances.
Nothing is resampled: every value is an original pixel value.
"""

from __future__ import annotations

import logging
import os
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import shapely

from pvsite.errors import InputError

logger = logging.getLogger(__name__)

#: Footprints are read in tiles of about this many pixels a side [px].
TILE_PIXELS = 2048


class FootprintPixels(NamedTuple):
    """Valid raster pixels inside footprints (see :func:`footprint_pixels`)."""

    #: Position (0-based row number in the footprint frame) of each pixel's footprint.
    footprint: np.ndarray
    #: Pixel centre, x in the footprints' CRS [m].
    x: np.ndarray
    #: Pixel centre, y in the footprints' CRS [m].
    y: np.ndarray
    #: Pixel value (height) [m].
    z: np.ndarray
    #: Ground area of one pixel in the footprints' CRS, at the centre of the first window read [m²].
    pixel_area_m2: float


def footprint_pixels(
    footprints: gpd.GeoDataFrame | gpd.GeoSeries,
    raster_path: str | os.PathLike,
    *,
    band: int,
    tile_pixels: int = TILE_PIXELS,
) -> FootprintPixels | None:
    """Every valid pixel of a raster band whose centre lies inside a footprint.

    Parameters
    ----------
    footprints : geopandas.GeoDataFrame or geopandas.GeoSeries
        Polygon/MultiPolygon footprints (None and empty allowed) with a CRS,
        normally a projected CRS in metres.
    raster_path : str or os.PathLike
        Any GDAL raster with a CRS (GeoTIFF, …); values in metres [m].
    band : int
        Band to read (1-based).
    tile_pixels : int
        Footprints are grouped into tiles of about this many pixels a side
        and each tile's window is read whole (memory bound) [px].

    Returns
    -------
    FootprintPixels or None
        Arrays, one element per valid pixel, ordered by tile then raster row
        and column: ``footprint`` (position in ``footprints``), ``x``, ``y``
        [m, footprints' CRS], ``z`` [m]; and ``pixel_area_m2`` [m²].  None
        when the raster overlaps no footprint (logged as a warning).  Pixels
        equal to the band's nodata value, masked or not finite are left out.

    Raises
    ------
    InputError
        The raster cannot be opened, has no CRS, or lacks the band.
    """
    import rasterio
    from pyproj import Transformer

    name = os.fspath(raster_path)
    try:
        src = rasterio.open(raster_path)
    except Exception as exc:  # rasterio.errors.RasterioIOError and friends
        raise InputError(
            f"Cannot open the height raster {name!r}: {exc}",
            fix="Give the path of a GeoTIFF (or other GDAL raster) in roof.height_raster.",
            zh=f"无法打开高度栅格 {name!r}：{exc}",
            fix_zh="请在 roof.height_raster 中给出 GeoTIFF（或其他 GDAL 栅格）的路径。",
        ) from exc
    with src:
        if src.crs is None:
            raise InputError(
                f"The height raster {name!r} has no CRS.",
                fix="Assign it one, e.g. gdal_edit.py -a_srs EPSG:32651 file.tif.",
                zh=f"高度栅格 {name!r} 没有坐标系。",
                fix_zh="请为其指定坐标系，如 gdal_edit.py -a_srs EPSG:32651 file.tif。",
            )
        if not 1 <= band <= src.count:
            raise InputError(f"The height raster {name!r} has {src.count} band(s), not band {band}.",
                             zh=f"高度栅格 {name!r} 只有 {src.count} 个波段，没有第 {band} 波段。")
        geoms = np.asarray(footprints.geometry.array if isinstance(footprints, gpd.GeoDataFrame)
                           else footprints.array, dtype=object)
        geoms = np.where(shapely.is_missing(geoms) | shapely.is_empty(geoms), None, geoms)
        to_raster = Transformer.from_crs(footprints.crs, src.crs, always_xy=True)
        to_footprints = Transformer.from_crs(src.crs, footprints.crs, always_xy=True)
        same_crs = footprints.crs == src.crs
        raster_geoms = geoms if same_crs else shapely.transform(
            geoms, lambda c: np.column_stack(to_raster.transform(c[:, 0], c[:, 1])))
        windows = _pixel_windows(raster_geoms, src, tile_pixels)
        if windows is None:
            logger.warning("height raster %s does not overlap any footprint", name)
            return None
        return _read_tiles(src, band, raster_geoms, windows, to_footprints, same_crs)


def _pixel_windows(raster_geoms: np.ndarray, src, tile_pixels: int):
    """Pixel bounds of every footprint clipped to the raster, and its tile.

    Returns ``(col0, row0, col1, row1, tile)`` per footprint (tile −1 for a
    footprint off the raster or without geometry), or None when no footprint
    overlaps the raster.
    """
    bounds = shapely.bounds(raster_geoms)
    ok = np.all(np.isfinite(bounds), axis=1)
    bounds = np.where(ok[:, None], bounds, 0.0)
    corner_x = np.stack([bounds[:, 0], bounds[:, 2], bounds[:, 0], bounds[:, 2]], axis=1)
    corner_y = np.stack([bounds[:, 1], bounds[:, 1], bounds[:, 3], bounds[:, 3]], axis=1)
    cols, rows = affine_apply(~src.transform, corner_x, corner_y)
    col0 = np.floor(cols.min(axis=1)) - 1
    col1 = np.ceil(cols.max(axis=1)) + 1
    row0 = np.floor(rows.min(axis=1)) - 1
    row1 = np.ceil(rows.max(axis=1)) + 1
    ok &= (col1 > 0) & (row1 > 0) & (col0 < src.width) & (row0 < src.height)
    if not ok.any():
        return None
    col0, row0 = np.clip(col0, 0, src.width), np.clip(row0, 0, src.height)
    col1, row1 = np.clip(col1, 0, src.width), np.clip(row1, 0, src.height)
    tile = np.where(ok, (row0 + row1) // 2 // tile_pixels * 1_000_003 + (col0 + col1) // 2 // tile_pixels, -1)
    return col0, row0, col1, row1, tile


def _read_tiles(src, band, raster_geoms, windows, to_footprints, same_crs) -> FootprintPixels | None:
    """Burn footprint ids tile by tile, read the band, keep valid pixels inside footprints."""
    from rasterio.features import rasterize
    from rasterio.windows import Window

    col0, row0, col1, row1, tile = windows
    nodata = src.nodatavals[band - 1]
    parts = []
    pixel_area = np.nan
    for t in np.unique(tile[tile >= 0]):
        members = np.flatnonzero(tile == t)
        win = Window(int(col0[members].min()), int(row0[members].min()),
                     int(col1[members].max() - col0[members].min()), int(row1[members].max() - row0[members].min()))
        if win.width <= 0 or win.height <= 0:
            continue
        win_transform = src.window_transform(win)
        ids = rasterize(
            zip(raster_geoms[members], members + 1), out_shape=(int(win.height), int(win.width)),
            transform=win_transform, fill=0, dtype="int32", all_touched=False,
        )
        data = src.read(band, window=win, masked=True)
        valid = (ids > 0) & ~np.ma.getmaskarray(data)
        values = np.ma.getdata(data).astype(float)
        if nodata is not None and np.isfinite(nodata):
            valid &= values != nodata
        valid &= np.isfinite(values)
        rr, cc = np.nonzero(valid)
        px, py = affine_apply(win_transform, cc + 0.5, rr + 0.5)
        if not same_crs:
            px, py = to_footprints.transform(px, py)
        parts.append((ids[rr, cc] - 1, np.asarray(px), np.asarray(py), values[rr, cc]))
        if not np.isfinite(pixel_area):
            pixel_area = _pixel_area_m2(win_transform, win, to_footprints, same_crs)
    if not parts:
        return None
    footprint = np.concatenate([p[0] for p in parts]).astype(np.int64)
    x, y, z = (np.concatenate([p[k] for p in parts]) for k in (1, 2, 3))
    return FootprintPixels(footprint, x, y, z, pixel_area)


def affine_apply(t, u, v) -> tuple[np.ndarray, np.ndarray]:
    """Apply an affine transform to coordinate arrays.

    Parameters
    ----------
    t : affine.Affine
        ``x = a·u + b·v + c``, ``y = d·u + e·v + f``.
    u, v : array_like
        Input coordinates (e.g. pixel column and row).

    Returns
    -------
    x, y : numpy.ndarray
        Transformed coordinates.
    """
    u, v = np.asarray(u, dtype=float), np.asarray(v, dtype=float)
    return t.a * u + t.b * v + t.c, t.d * u + t.e * v + t.f


def _pixel_area_m2(win_transform, win, to_footprints, same_crs: bool) -> float:
    """Ground area of one pixel in the footprints' CRS at the window centre [m²]."""
    c, r = win.width / 2.0, win.height / 2.0
    xs, ys = affine_apply(win_transform, np.array([c, c + 1, c]), np.array([r, r, r + 1]))
    if not same_crs:
        xs, ys = to_footprints.transform(xs, ys)
    ex = np.array([xs[1] - xs[0], ys[1] - ys[0]])
    ey = np.array([xs[2] - xs[0], ys[2] - ys[0]])
    return float(abs(ex[0] * ey[1] - ex[1] * ey[0]))
