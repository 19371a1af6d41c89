"""Chinese web-map datums: GCJ-02 and BD-09 to and from WGS 84.

The datums GCJ-02 ("Mars coordinates": Amap/Gaode,
Tencent, Aliyun DataV) and BD-09 (Baidu).  These are obfuscated lon/lat
systems, offset from WGS 84 by ~500 m in Shanghai; mixing them with WGS 84
footprints puts every Changning roof in the wrong street.  The defining
standard is not public; the forward formula implemented here is the widely
published reconstruction, identical in

* eviltransform (github.com/googollee/eviltransform, ``transform.go`` /
  ``python/eviltransform/__init__.py``: ``wgs2gcj``, ``gcj2wgs_exact``,
  ``outOfChina``) and
* coordTransform_py (github.com/wandergis/coordTransform_py,
  ``coordTransform_utils.py``: ``wgs84_to_gcj02``, ``gcj02_to_bd09``,
  ``bd09_to_gcj02``),

on the Krasovsky 1940 ellipsoid (a = 6378245.0 m,
e² = 0.00669342162296594323).  The inverse GCJ-02 → WGS 84 has no closed
form; :func:`gcj02_to_wgs84` iterates the forward formula to
:data:`TOLERANCE_DEG` (≈ 1 mm) instead of the crude one-step subtraction
(which leaves errors up to ~2.2 m over Shanghai, measured).  Outside the rectangle
72.004–137.8347 °E, 0.8293–55.8271 °N (eviltransform's ``outOfChina``) the
offset is zero, i.e. GCJ-02 and BD-09 → GCJ-02 are the identity for the
GCJ-02 part there; note the rectangle is crude (it includes e.g. parts of
Japan, Korea and South-East Asia).  coordTransform_py's ``out_of_china``
uses a smaller box (73.66–135.05 °E, 3.86–53.55 °N); both contain all of
Shanghai, so the choice only matters near the borders of the boxes.

All datum functions are vectorised over numpy arrays (any broadcastable
shapes) and propagate NaN.
"""

from __future__ import annotations

import logging
import math
from typing import Callable

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from pvsite.errors import ConfigError

logger = logging.getLogger(__name__)

#: Krasovsky 1940 semi-major axis used by the published GCJ-02 formula [m].
KRASOVSKY_A_M = 6378245.0
#: Krasovsky 1940 first eccentricity squared used by the GCJ-02 formula [-].
KRASOVSKY_EE = 0.00669342162296594323
#: BD-09 angle constant x_pi = π·3000/180 of the published BD-09 formula [rad/°].
X_PI = math.pi * 3000.0 / 180.0
#: Convergence tolerance of the iterative datum inverses [°] (1e-8° ≈ 1 mm).
TOLERANCE_DEG = 1e-8
#: Iteration cap of the inverses (convergence is linear with ratio ~1e-4,
#: so 2–3 iterations reach :data:`TOLERANCE_DEG`) [-].
MAX_ITERATIONS = 30
#: Valid datum names of :func:`convert_datum`.
DATUMS = ("wgs84", "gcj02", "bd09")


# ---------------------------------------------------------------------------
# GCJ-02 / BD-09 (vectorised)
# ---------------------------------------------------------------------------


def out_of_china(lon, lat) -> np.ndarray:
    """True where the published GCJ-02 formula applies no offset.

    The rectangle 72.004–137.8347 °E, 0.8293–55.8271 °N of eviltransform's
    ``outOfChina`` (coarse: it is not China's border).

    Parameters
    ----------
    lon, lat : array_like
        Longitude, latitude [°].

    Returns
    -------
    numpy.ndarray of bool
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _transform_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Published GCJ-02 latitude polynomial (x = lon − 105, y = lat − 35) [-]."""
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Published GCJ-02 longitude polynomial (x = lon − 105, y = lat − 35) [-]."""
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _gcj02_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 − WGS 84 offset at WGS 84 position (lon, lat) [°], zero out of China."""
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - KRASOVSKY_EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((KRASOVSKY_A_M * (1.0 - KRASOVSKY_EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (KRASOVSKY_A_M / sqrtmagic * np.cos(radlat) * np.pi)
    outside = out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def _as_float_arrays(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.broadcast_arrays(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return lon, lat


def _invert(forward: Callable, lon, lat, first_guess: Callable | None = None):
    """Invert a near-identity map ``forward`` by fixed-point iteration.

    x ← x − (forward(x) − target); the Jacobian of the GCJ-02/BD-09 offsets is
    ~1e-4 so the error shrinks ~10⁴× per step.

    Parameters
    ----------
    forward : callable
        (lon, lat) → (lon', lat') [°].
    lon, lat : array_like
        Target coordinates in the forward map's output datum [°].
    first_guess : callable, optional
        (lon, lat) → starting point [°]; default the one-step subtraction.

    Returns
    -------
    tuple of numpy.ndarray
        Coordinates in the forward map's input datum [°].
    """
    tlon, tlat = _as_float_arrays(lon, lat)
    if first_guess is None:
        flon, flat = forward(tlon, tlat)
        x, y = 2.0 * tlon - flon, 2.0 * tlat - flat
    else:
        x, y = first_guess(tlon, tlat)
    for _ in range(MAX_ITERATIONS):
        flon, flat = forward(x, y)
        dx, dy = flon - tlon, flat - tlat
        x, y = x - dx, y - dy
        step = np.fmax(np.abs(dx), np.abs(dy))
        if not np.any(step > TOLERANCE_DEG):  # NaN compares False: NaN inputs stay NaN
            break
    else:
        logger.warning("datum inverse did not converge to %g° for all points", TOLERANCE_DEG)
    return x, y


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 → GCJ-02 (published forward formula; identity outside China).

    Source: eviltransform ``wgs2gcj`` / coordTransform_py ``wgs84_to_gcj02``
    (see module docstring).

    Parameters
    ----------
    lon, lat : array_like
        WGS 84 longitude, latitude [°].

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitude, latitude [°].
    """
    lon, lat = _as_float_arrays(lon, lat)
    dlon, dlat = _gcj02_offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → WGS 84 by iterating the forward formula to :data:`TOLERANCE_DEG`.

    The same approach as eviltransform ``gcj2wgs_exact``; residual
    |wgs84_to_gcj02(result) − input| < 1e-8° (≈ 1 mm).

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 longitude, latitude [°].

    Returns
    -------
    tuple of numpy.ndarray
        WGS 84 longitude, latitude [°].
    """
    return _invert(wgs84_to_gcj02, lon, lat)


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → BD-09 (published formula, coordTransform_py ``gcj02_to_bd09``).

    z = √(x²+y²) + 2e-5·sin(y·x_pi), θ = atan2(y, x) + 3e-6·cos(x·x_pi),
    lon = z·cos θ + 0.0065, lat = z·sin θ + 0.006, x_pi = π·3000/180.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 longitude, latitude [°].

    Returns
    -------
    tuple of numpy.ndarray
        BD-09 longitude, latitude [°].
    """
    x, y = _as_float_arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd09_to_gcj02_published(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Published one-step BD-09 → GCJ-02 (coordTransform_py ``bd09_to_gcj02``), ~mm accurate."""
    x, y = _as_float_arrays(lon, lat)
    x = x - 0.0065
    y = y - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 → GCJ-02: the published approximate inverse, refined iteratively.

    Starts from coordTransform_py ``bd09_to_gcj02`` (error ~1e-8°) and
    iterates :func:`gcj02_to_bd09` to :data:`TOLERANCE_DEG`.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 longitude, latitude [°].

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitude, latitude [°].
    """
    return _invert(gcj02_to_bd09, lon, lat, first_guess=_bd09_to_gcj02_published)


def wgs84_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 → BD-09 (via GCJ-02).

    Parameters
    ----------
    lon, lat : array_like
        WGS 84 longitude, latitude [°].

    Returns
    -------
    tuple of numpy.ndarray
        BD-09 longitude, latitude [°].
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 → WGS 84 (via GCJ-02, both inverses iterative).

    Parameters
    ----------
    lon, lat : array_like
        BD-09 longitude, latitude [°].

    Returns
    -------
    tuple of numpy.ndarray
        WGS 84 longitude, latitude [°].
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


_TO_WGS84: dict[str, Callable | None] = {
    "wgs84": None,
    "gcj02": gcj02_to_wgs84,
    "bd09": bd09_to_wgs84,
}


def datum_key(datum) -> str:
    """Canonical name of a datum: ``'GCJ-02'`` → ``'gcj02'``.

    Parameters
    ----------
    datum : str
        Datum name, case-insensitive; ``-``, ``_`` and spaces ignored.

    Returns
    -------
    str
        One of :data:`DATUMS`.

    Raises
    ------
    ConfigError
        When ``datum`` is unknown; the message lists the valid names.
    """
    key = str(datum).lower().replace("-", "").replace("_", "").replace(" ", "")
    if key not in DATUMS:
        raise ConfigError(
            f"Unknown coordinate datum {datum!r}; expected one of {', '.join(DATUMS)}.",
            fix="Use wgs84 for GPS/OpenStreetMap data, gcj02 for Amap/Gaode, Tencent or Aliyun "
            "DataV data, bd09 for Baidu data.",
            zh=f"未知的坐标系（datum）{datum!r}；应为 {', '.join(DATUMS)} 之一。",
            fix_zh="GPS / OpenStreetMap 数据用 wgs84，高德、腾讯或阿里云 DataV 数据用 gcj02，百度数据用 bd09。",
        )
    return key


def to_wgs84(lon, lat, datum) -> tuple[np.ndarray, np.ndarray]:
    """Convert lon/lat arrays in ``datum`` to WGS 84.

    Parameters
    ----------
    lon, lat : array_like
        Longitude, latitude in ``datum`` [°]; NaN propagates.
    datum : {'wgs84', 'gcj02', 'bd09'}
        Datum of the coordinates (see :func:`datum_key`).

    Returns
    -------
    tuple of numpy.ndarray
        WGS 84 longitude, latitude [°].
    """
    func = _TO_WGS84[datum_key(datum)]
    lon, lat = _as_float_arrays(lon, lat)
    return (lon, lat) if func is None else func(lon, lat)


def convert_datum(gdf: gpd.GeoDataFrame, datum: str) -> gpd.GeoDataFrame:
    """Convert features whose lon/lat are in ``datum`` to true WGS 84.

    Web-map data is usually *labelled* EPSG:4326 although it is GCJ-02 or
    BD-09; the label cannot tell, so the user states the datum.  Every vertex
    is transformed (``shapely.transform``, vectorised); Z values are kept.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Features.  A projected CRS (e.g. EPSG:3857 tiles drawn on GCJ-02
        imagery) is first reprojected to lon/lat EPSG:4326; no CRS is taken
        to mean lon/lat.
    datum : {'wgs84', 'gcj02', 'bd09'}
        Datum of the coordinates (case-insensitive; '-' and '_' ignored, so
        'GCJ-02', 'BD09' work).

    Returns
    -------
    geopandas.GeoDataFrame
        Copy in EPSG:4326 (WGS 84); null/empty geometries pass through.

    Raises
    ------
    ConfigError
        When ``datum`` is unknown; the message lists the valid names.
    """
    key = datum_key(datum)
    if gdf.crs is None:
        logger.info("no CRS declared; taking coordinates as lon/lat in datum %s", key)
        out = gdf.set_crs("EPSG:4326")
    elif pyproj.CRS(gdf.crs) != pyproj.CRS("EPSG:4326"):
        out = gdf.to_crs("EPSG:4326")
    else:
        out = gdf.copy()
    func = _TO_WGS84[key]
    if func is None:
        return out

    def _xy(x, y, z=None):
        lon, lat = func(x, y)
        return (lon, lat) if z is None else (lon, lat, z)

    geoms = out.geometry.values
    new = shapely.transform(np.asarray(geoms), _xy, include_z=None, interleaved=False)
    out[out.geometry.name] = gpd.GeoSeries(new, index=out.index, crs="EPSG:4326")
    return out
