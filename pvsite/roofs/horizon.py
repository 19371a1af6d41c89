"""Horizon of every PV plane from the buildings around it (geometry of the shading).

Stage ``roofs``, after :mod:`pvsite.roofs.building_heights` (every building
has a height) and :mod:`pvsite.roofs.layout` (the plane polygons).  The
energy side, :mod:`pvsite.solar.shading`, turns these profiles into beam and
diffuse losses.  :func:`horizon_profiles` is the one call; it is pure
(frames in, arrays out) and vectorised over all (point, neighbour) pairs.

Sectors
-------
``n_sectors`` (default :data:`N_SECTORS` = 36, at least 36) sectors of
``w = 360 / n_sectors`` degrees; sector ``k`` is centred on the true bearing
``k · w`` (clockwise from true north: 0 north, 90 east, 180 south) and
covers ``k · w ± w / 2``.

What a sector's value is
------------------------
Each sector is sampled by ``rays_per_sector`` (default
:data:`RAYS_PER_SECTOR` = 4) rays at bearings ``k·w − w/2 + (j + ½)·w/m``.
Along each ray the horizon is exact for flat-topped prisms (footprint ×
height): the largest ``atan((h_n − h_p) / t)`` over the neighbours whose
outline the ray crosses, ``t`` the distance along the ray to where it first
enters the outline.  The sector value is the **mean of its rays**: a tower
filling half a sector at 30° gives 15°, so a sun crossing that sector is
blocked below 15° — on average over the sector's width, the same blocked
share as the true half-sector at 30° (the maximum would count it twice).
With ``rays_per_sector = 1`` the value is the exact ray-cast at the sector
centre.  Obstructions are every neighbour footprint with its ``height_m``
(flat roofs; parapets, roof equipment, trees and terrain are not modelled),
except the plane's own building and buildings not higher than the point.

Sample points
-------------
The usable polygon of each plane (:func:`pvsite.roofs.layout.plane_polygons`:
the roof's usable polygon, the half on the plane's side of the ridge for the
two flush planes of a ridged roof) is cut by a grid of ``n_long × n_short``
cells over its bounding box in the plane's array frame (rows along, facing
across), ``n_short = ⌊√k⌋``, ``n_long = ⌈k / n_short⌉`` for ``k =
points_per_plane`` (default :data:`POINTS_PER_PLANE` = 6 → 3 × 2; the longer
side of the box gets ``n_long``).  Each non-empty piece ``cell ∩ polygon``
gives one point — its centroid, or a point on its surface when the centroid
falls outside a concave piece — with weight ``piece area / plane area``
(the weights of a plane sum to 1).  So a roof half in a tower's shadow has
half its weight in shaded points.  Points stand ``module_height_m`` (default
:data:`MODULE_HEIGHT_M` = 0.5 m) above the roof height ``height_m``: the
middle of a 20°-tilted 2-in-portrait rack is ≈ 0.8 m up, flush modules
≈ 0.1 m (pvsite assumption; pitched roofs are taken at ``height_m``, the
data rarely says eave or ridge).

Search radius
-------------
A neighbour of height ``h_n`` can raise the horizon of a point at ``h_p``
above the least useful sun elevation ``e_min`` only within ``(h_n − h_p) /
tan(e_min)``; so the horizon of a point is searched within
``radius = min(max_radius_m, (h_max − h_p) / tan(e_min))``
(:func:`search_radius_m`, ``h_max`` the tallest building), and each
neighbour within its own ``(h_n − h_p) / tan(e_min)``.  Horizons below
``e_min`` are therefore not complete (they may read lower, down to 0).
``e_min`` = :data:`MIN_SUN_ELEVATION_DEG` = 5°: on the CSWD Shanghai
typical year (station 58362) the sun below 5° brings 0.1 % of the annual
beam irradiation on a horizontal surface and 1.4 % of the direct normal
irradiation (pvsite's own figures: the EPW hours at their mid-point, pvlib
solar position).  ``max_radius_m`` =
:data:`MAX_RADIUS_M` = 1000 m (pvsite assumption): a 50 m-wide tower 1 km
away hides 2.9° of azimuth and only when the sun is below
``atan((h_n − h_p) / 1000 m)``, a fraction of a percent of the beam.

Candidates are found per roof (the points of one roof at one height): one
:class:`shapely.STRtree` of the roofs' point boxes, queried once with every
neighbour's bounding box grown by its radius, then filtered in numpy
(height, own building, box-to-box distance).  The pairs are then cast
**nearest first**, in distance bands (:data:`SWEEP_BANDS`), and before each
band a pair is skipped when it cannot raise any ray it reaches: a neighbour
``Δh`` higher at least ``d`` away (box distance) is seen at most
``atan(Δh / d)`` high and within the angle its bounding circle subtends, so
when every such ray already holds that much it changes nothing — first per
roof (against the lowest value of its points), then per point.  Skipping is
exact (the profiles are those of casting every pair; on the real Bund 44 %
of the 3.3 million pairs within reach are skipped).  Each point's pairs keep the exact-distance rule
(``shapely.distance`` only where the box and vertex bounds leave it open).
The rays are cast over pairs × facing outline edges × rays in numpy (in
chunks that bound memory), and the maximum per point and ray is taken with
``numpy.maximum.at``.  Only edges that face the point are cast (rings
oriented first), so each ray meets one entry edge per outline part.  A point
inside a higher neighbour's outline (overlapping footprints: a podium drawn
under its tower) gets 90° in every sector.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pvsite.errors import InputError
from pvsite.roofs.layout import plane_polygons
from pvsite.roofs.orientation import grid_north_bearing_deg

logger = logging.getLogger(__name__)

#: Chinese names of the frames named in messages.
_ZH = {"roofs": "屋顶", "neighbours": "周边建筑"}

#: Default number of azimuth sectors (10° each), the issue's minimum.
N_SECTORS = 36
#: Rays cast per sector (2.5° apart at 36 sectors) (pvsite choice).
RAYS_PER_SECTOR = 4
#: Least useful sun elevation [°] (see the module docstring).
MIN_SUN_ELEVATION_DEG = 5.0
#: Cap of the search radius [m] (pvsite assumption, see the module docstring).
MAX_RADIUS_M = 1000.0
#: Target number of sample points per plane (a 3 × 2 grid).
POINTS_PER_PLANE = 6
#: Height of the sample points above the roof [m] (pvsite assumption).
MODULE_HEIGHT_M = 0.5
#: Largest number of (pair, edge, ray) rows cast at once (memory bound, ~ 0.5 GB peak).
CHUNK_ROWS = 4_000_000
#: (pair, edge) rows cast at once: few enough that the temporaries (1 MB each) stay in the CPU cache; on
#: the 3.4 million pairs of city_20000 ``_cast_pairs`` took 3.0 CPU-s in chunks of 500,000 rows, 2.25 in
#: these (pvsite measurement, 2026-12-02, loaded machine).
CAST_EDGE_ROWS = 1 << 17


@dataclass(frozen=True)
class HorizonProfiles:
    """Horizon profiles of the PV planes and of their sample points.

    Attributes
    ----------
    horizon_deg : numpy.ndarray, shape (n_planes, n_sectors)
        Obstruction elevation per sector seen from the plane: the
        ``point_weight``-weighted mean of its points' profiles [°, ≥ 0];
        NaN for a plane without a polygon.  Rows follow ``planes``.
    horizon_max_deg : numpy.ndarray, shape (n_planes,)
        Highest sector of ``horizon_deg`` [°].
    point_horizon_deg : numpy.ndarray, shape (n_points, n_sectors), or None
        Profile seen from each sample point [°, ≥ 0]: float32, the ray cast's own values, with one ray per
        sector (the default ``[shading] rays_per_sector = 1``); float64 means of the rays otherwise.
        The ``point_*`` fields are None when the points were reduced to per-plane shading partition by
        partition (:func:`pvsite.compute.roof_horizons` with ``shading``, as
        :func:`pvsite.pipeline.prepare` runs it): at 1,000,000 roofs they would be ≈ 5 GB.
    point_plane : numpy.ndarray of int, shape (n_points,)
        Position (0-based row) in ``planes`` of each point's plane; sorted.
    point_weight : numpy.ndarray, shape (n_points,)
        Share of its plane's usable area the point stands for [-]; sums to 1
        per plane.
    point_xy : numpy.ndarray, shape (n_points, 2)
        Point position in the roofs' CRS [m].
    point_height_m : numpy.ndarray, shape (n_points,)
        Point height: roof ``height_m`` + ``module_height_m`` [m].
    radius_m : numpy.ndarray, shape (n_planes,)
        Search radius of the plane's points, :func:`search_radius_m` [m].
    max_radius_m : float
        The cap of the radius [m].
    min_sun_elevation_deg : float
        Least useful sun elevation behind the radius [°].
    plane_index : pandas.Index
        Index of ``planes``.
    """

    horizon_deg: np.ndarray
    horizon_max_deg: np.ndarray
    point_horizon_deg: np.ndarray
    point_plane: np.ndarray
    point_weight: np.ndarray
    point_xy: np.ndarray
    point_height_m: np.ndarray
    radius_m: np.ndarray
    max_radius_m: float
    min_sun_elevation_deg: float
    plane_index: pd.Index

    @property
    def n_sectors(self) -> int:
        """Number of azimuth sectors."""
        return int(self.horizon_deg.shape[1])

    @property
    def sector_azimuth_deg(self) -> np.ndarray:
        """Centre bearing of every sector [°, clockwise from true north]."""
        return sector_azimuths_deg(self.n_sectors)

    @property
    def has_points(self) -> bool:
        """Whether the per-point fields are held (not reduced away, see ``point_horizon_deg``)."""
        return self.point_horizon_deg is not None

    def without_points(self) -> "HorizonProfiles":
        """The same per-plane profiles, the ``point_*`` fields None (their memory let go)."""
        return replace(self, point_horizon_deg=None, point_plane=None, point_weight=None, point_xy=None,
                       point_height_m=None)

    def to_frame(self) -> pd.DataFrame:
        """The plane profiles as a table: one row per plane, one column ``h{azimuth:03d}`` per sector [°]."""
        names = [f"h{a:03.0f}" for a in self.sector_azimuth_deg]
        out = pd.DataFrame(self.horizon_deg, index=self.plane_index, columns=names)
        out.insert(0, "horizon_max_deg", self.horizon_max_deg)
        return out


def sector_azimuths_deg(n_sectors: int = N_SECTORS) -> np.ndarray:
    """Centre bearings ``k · 360 / n`` of the sectors [°, clockwise from true north]."""
    return np.arange(n_sectors) * (360.0 / n_sectors)


def search_radius_m(point_height_m, tallest_m: float, min_sun_elevation_deg: float = MIN_SUN_ELEVATION_DEG,
                    max_radius_m: float = MAX_RADIUS_M) -> np.ndarray:
    """Distance within which a building can raise the horizon above ``min_sun_elevation_deg``.

    ``min(max_radius_m, max(0, tallest_m − point_height_m) / tan(min_sun_elevation_deg))``.

    Parameters
    ----------
    point_height_m : array_like
        Height of the viewpoint [m].
    tallest_m : float
        Height of the tallest building around [m].
    min_sun_elevation_deg : float
        Least useful sun elevation [°], in (0, 90).
    max_radius_m : float
        Cap [m].

    Returns
    -------
    numpy.ndarray
        Radius [m].
    """
    dh = np.maximum(0.0, float(tallest_m) - np.asarray(point_height_m, dtype=float))
    return np.minimum(float(max_radius_m), dh / np.tan(np.radians(min_sun_elevation_deg)))


def horizon_profiles(
    roofs: gpd.GeoDataFrame,
    planes: pd.DataFrame,
    *,
    n_sectors: int = N_SECTORS,
    radius_m: float = MAX_RADIUS_M,
    points_per_plane: int = POINTS_PER_PLANE,
    min_sun_elevation_deg: float = MIN_SUN_ELEVATION_DEG,
    rays_per_sector: int = RAYS_PER_SECTOR,
    module_height_m: float = MODULE_HEIGHT_M,
    neighbours: gpd.GeoDataFrame | None = None,
    north_deg: float | None = None,
    origin_xy: tuple[float, float] | None = None,
    tallest_m: float | None = None,
) -> HorizonProfiles:
    """Horizon profile of every PV plane, and of its sample points, from the surrounding buildings.

    Parameters
    ----------
    roofs : geopandas.GeoDataFrame
        Roofs in a projected CRS in metres with ``height_m`` [m] (every roof
        that has planes; :func:`pvsite.roofs.building_heights.building_heights`),
        ``usable_geometry`` and the footprint geometry (None for rejected
        rows), as :func:`pvsite.roofs.survey.survey_roofs` returns them.
    planes : pandas.DataFrame
        PV planes (``roof_index`` = label in ``roofs``, ``plane``,
        ``mounting``, ``azimuth_deg`` [°, true bearing]).
    n_sectors : int
        Azimuth sectors, ≥ 36.
    radius_m : float
        Cap of the search radius [m] (:func:`search_radius_m`).
    points_per_plane : int
        Target number of sample points per plane, ≥ 1 (module docstring).
    min_sun_elevation_deg : float
        Least useful sun elevation [°], in (0, 90): sets the radius.
    rays_per_sector : int
        Rays averaged per sector, ≥ 1.
    module_height_m : float
        Height of the points above the roof [m], ≥ 0.
    neighbours : geopandas.GeoDataFrame, optional
        The obstructing buildings (geometry, ``height_m`` [m]; same CRS;
        index labels shared with ``roofs`` so a plane's own building is
        recognised).  Default ``roofs`` itself.  Pass every input building
        (not only the selection) so a selection's edge sees the towers
        beyond it.  Rows without geometry or height are skipped.
    north_deg, origin_xy, tallest_m : optional
        Whole-run constants a partition of a run (:func:`pvsite.compute.roof_horizons`)
        passes so its horizons are bit for bit those of one process: the grid
        bearing of true north [°] (default that of ``roofs``), the origin the
        ray casting subtracts from the coordinates for precision [m] (default
        the centre of ``roofs.total_bounds``) and the tallest obstruction [m]
        that sets ``radius_m`` (default the tallest of ``neighbours``).

    Returns
    -------
    HorizonProfiles

    Raises
    ------
    InputError
        A bad parameter, a geographic CRS, or a roof with planes but no
        ``height_m``.
    """
    _check_parameters(n_sectors, radius_m, points_per_plane, min_sun_elevation_deg, rays_per_sector,
                      module_height_m)
    neighbours = roofs if neighbours is None else neighbours
    for frame, what in ((roofs, "roofs"), (neighbours, "neighbours")):
        if frame.crs is None or not frame.crs.is_projected:
            raise InputError(f"horizon_profiles needs the {what} in a projected CRS in metres, found {frame.crs}.",
                             fix="Reproject first, e.g. gdf.to_crs(gdf.estimate_utm_crs()).",
                             zh=f"horizon_profiles 需要以米为单位的投影坐标系下的{_ZH.get(what, what)}，实为 {frame.crs}。",
                             fix_zh="请先重投影，如 gdf.to_crs(gdf.estimate_utm_crs())。")
    if neighbours is not roofs and neighbours.crs != roofs.crs:
        raise InputError(f"horizon_profiles: neighbours in {neighbours.crs}, roofs in {roofs.crs}.",
                         fix="Reproject the neighbours to the roofs' CRS.",
                         zh=f"horizon_profiles：周边建筑的坐标系为 {neighbours.crs}，屋顶为 {roofs.crs}。",
                         fix_zh="请把周边建筑重投影到屋顶的坐标系。")
    north = grid_north_bearing_deg(roofs) if north_deg is None else float(north_deg)
    n_planes = len(planes)
    xy, point_plane, weight = plane_sample_points(roofs, planes, points_per_plane, north_deg=north)
    roof_pos = roofs.index.get_indexer(planes["roof_index"]) if n_planes else np.zeros(0, dtype=int)
    roof_h = _heights(roofs, "roofs")
    plane_h = roof_h[roof_pos] if n_planes else np.zeros(0)
    if np.any(~np.isfinite(plane_h)):
        bad = roofs.index[roof_pos[~np.isfinite(plane_h)]][:5].tolist()
        raise InputError(f"horizon_profiles: roofs {bad} have planes but no height_m.",
                         fix="Give every roof a height first (pvsite.roofs.building_heights.building_heights).",
                         zh=f"horizon_profiles：屋顶 {bad} 有屋面但没有 height_m。",
                         fix_zh="请先为每个屋顶确定高度（pvsite.roofs.building_heights.building_heights）。")
    point_h = plane_h[point_plane] + float(module_height_m)
    point_roof_label = planes["roof_index"].to_numpy()[point_plane] if n_planes else np.zeros(0)

    nb_geoms, nb_h, nb_keep = obstructions(neighbours)
    if tallest_m is not None:
        tallest = float(tallest_m)
    else:
        tallest = float(nb_h[nb_keep].max()) if len(nb_keep) else 0.0
    if origin_xy is None:
        x0, y0, x1, y1 = roofs.total_bounds if len(roofs) else (0.0, 0.0, 0.0, 0.0)
        origin_xy = ((x0 + x1) / 2.0, (y0 + y1) / 2.0) if np.all(np.isfinite([x0, y0, x1, y1])) else (0.0, 0.0)
    plane_radius = search_radius_m(plane_h + module_height_m, tallest, min_sun_elevation_deg, radius_m)

    J = n_sectors * rays_per_sector
    ray = np.full((len(xy), J), 0.0, dtype=np.float32)
    if len(xy) and len(nb_keep):
        _cast(ray, xy, point_h, point_roof_label, nb_geoms[nb_keep], nb_h[nb_keep],
              neighbours.index.to_numpy()[nb_keep], north, n_sectors, rays_per_sector,
              np.tan(np.radians(min_sun_elevation_deg)), float(radius_m), np.asarray(origin_xy, dtype=float))
    # One ray per sector (the default): the sector value is the ray's float32 elevation itself, kept as it
    # is (half the memory of float64, the same numbers); several rays: their mean in float64.
    point_horizon = ray if rays_per_sector == 1 else ray.reshape(len(xy), n_sectors, rays_per_sector).mean(
        axis=2, dtype=np.float64)
    del ray

    horizon = np.full((n_planes, n_sectors), np.nan)
    if len(xy):
        sums = np.zeros((n_planes, n_sectors))
        np.add.at(sums, point_plane, point_horizon * weight[:, None])
        has = np.bincount(point_plane, minlength=n_planes) > 0
        horizon[has] = sums[has]
    with np.errstate(invalid="ignore"):
        hmax = np.max(horizon, axis=1) if n_sectors else np.full(n_planes, np.nan)
    return HorizonProfiles(
        horizon_deg=horizon, horizon_max_deg=hmax, point_horizon_deg=point_horizon, point_plane=point_plane,
        point_weight=weight, point_xy=xy, point_height_m=point_h, radius_m=plane_radius,
        max_radius_m=float(radius_m), min_sun_elevation_deg=float(min_sun_elevation_deg),
        plane_index=planes.index,
    )


def obstructions(neighbours: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The buildings that can obstruct: a polygon and a height > 0.

    Parameters
    ----------
    neighbours : geopandas.GeoDataFrame
        Geometry and ``height_m`` [m].

    Returns
    -------
    geoms : numpy.ndarray of shapely geometries
        Every row's geometry.
    height_m : numpy.ndarray
        Every row's height [m] (NaN when missing).
    keep : numpy.ndarray of int
        Positions of the rows with a (multi)polygon and a finite height > 0.
    """
    nb_geoms = np.asarray(neighbours.geometry.array, dtype=object)
    nb_h = _heights(neighbours, "neighbours")
    nb_ok = ~shapely.is_missing(nb_geoms) & ~shapely.is_empty(nb_geoms) & np.isfinite(nb_h) & (nb_h > 0)
    nb_ok &= np.isin(shapely.get_type_id(np.where(nb_ok, nb_geoms, None)), (3, 6))
    return nb_geoms, nb_h, np.flatnonzero(nb_ok)


def plane_sample_points(roofs: gpd.GeoDataFrame, planes: pd.DataFrame, points_per_plane: int = POINTS_PER_PLANE,
                        *, north_deg: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample points on the usable polygon of every plane, with the share of its area each stands for.

    Parameters
    ----------
    roofs : geopandas.GeoDataFrame
        ``usable_geometry`` and footprint geometry, projected CRS [m].
    planes : pandas.DataFrame
        ``roof_index``, ``plane``, ``mounting``, ``azimuth_deg`` [°, true].
    points_per_plane : int
        Target number of points (grid ``n_long × n_short``, module docstring).
    north_deg : float, optional
        Grid convergence (:func:`pvsite.roofs.orientation.grid_north_bearing_deg`);
        computed when omitted.

    Returns
    -------
    xy : numpy.ndarray, shape (n_points, 2)
        Points in the roofs' CRS [m].
    point_plane : numpy.ndarray of int
        Position in ``planes`` of each point's plane (sorted).
    weight : numpy.ndarray
        Piece area / plane polygon area [-]; sums to 1 per plane with a polygon.
    """
    n = len(planes)
    if n == 0:
        return np.zeros((0, 2)), np.zeros(0, dtype=np.int64), np.zeros(0)
    north = grid_north_bearing_deg(roofs) if north_deg is None else float(north_deg)
    pos = roofs.index.get_indexer(planes["roof_index"])
    if np.any(pos < 0):
        raise InputError("horizon_profiles: some planes refer to roofs that are not in the roofs table.",
                         fix="Pass the roofs and planes of the same survey_roofs call.",
                         zh="horizon_profiles：有些屋面所属的屋顶不在屋顶表中。",
                         fix_zh="请传入同一次 survey_roofs 调用得到的屋顶和屋面。")
    flush = planes["mounting"].to_numpy() == "flush"
    theta = np.radians(planes["azimuth_deg"].to_numpy(dtype=float) + north)
    polys, origin = plane_polygons(roofs, planes, pos, flush, theta)
    polys = np.where(shapely.is_missing(polys), shapely.Polygon(), polys)
    area = shapely.area(polys)
    n_short = max(1, int(np.floor(np.sqrt(points_per_plane))))
    n_long = int(np.ceil(points_per_plane / n_short))
    b = shapely.bounds(polys)  # a0, b0, a1, b1 in the array frame
    wide = (b[:, 2] - b[:, 0]) >= (b[:, 3] - b[:, 1])
    na = np.where(wide, n_long, n_short)
    nb = np.where(wide, n_short, n_long)
    k = n_long * n_short
    cell = np.arange(k)
    plane_of = np.repeat(np.arange(n), k)
    cu = np.tile(cell, n) % na[plane_of]
    cv = np.tile(cell, n) // na[plane_of]
    da = (b[plane_of, 2] - b[plane_of, 0]) / na[plane_of]
    db = (b[plane_of, 3] - b[plane_of, 1]) / nb[plane_of]
    ok = (area[plane_of] > 0) & np.isfinite(da) & np.isfinite(db)
    plane_of, cu, cv, da, db = plane_of[ok], cu[ok], cv[ok], da[ok], db[ok]
    a0 = b[plane_of, 0] + cu * da
    b0 = b[plane_of, 1] + cv * db
    # Each copy of a plane's polygon is scaled so its cell is the unit square, then clipped to it
    # (clip_by_rect takes one rectangle; an affine map keeps area shares and centroids).
    copies = polys[plane_of]
    coords, owner = shapely.get_coordinates(copies, return_index=True)
    unit = np.column_stack([(coords[:, 0] - a0[owner]) / da[owner], (coords[:, 1] - b0[owner]) / db[owner]])
    # set_coordinates puts new geometries into ``copies`` (a fresh array) and leaves ``polys`` as they are.
    pieces = shapely.clip_by_rect(shapely.set_coordinates(copies, unit), 0.0, 0.0, 1.0, 1.0)
    piece_area = shapely.area(pieces) * da * db
    keep = piece_area > 0
    plane_of, pieces, piece_area = plane_of[keep], pieces[keep], piece_area[keep]
    a0, b0, da, db = a0[keep], b0[keep], da[keep], db[keep]
    pts = shapely.centroid(pieces)
    outside = ~shapely.intersects(pieces, pts)
    if outside.any():
        pts[outside] = shapely.point_on_surface(pieces[outside])
    uv = shapely.get_coordinates(pts)
    ab = np.column_stack([a0 + uv[:, 0] * da, b0 + uv[:, 1] * db])
    c, s = np.cos(theta[plane_of]), np.sin(theta[plane_of])
    x = origin[plane_of, 0] + c * ab[:, 0] + s * ab[:, 1]
    y = origin[plane_of, 1] - s * ab[:, 0] + c * ab[:, 1]
    total = np.bincount(plane_of, piece_area, minlength=n)
    weight = piece_area / total[plane_of]
    return np.column_stack([x, y]), plane_of.astype(np.int64), weight


# ---------------------------------------------------------------------------
# Ray casting
# ---------------------------------------------------------------------------


def _edges(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Edges of every outline, oriented with the material on their left.

    Returns ``a`` (n_edges, 2), ``b`` (n_edges, 2), ``start`` and ``count``
    per geometry (edges of geometry ``g`` are ``start[g] : start[g] + count[g]``).
    """
    parts, part_geom = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    exterior = np.r_[True, ring_part[1:] != ring_part[:-1]] if len(rings) else np.zeros(0, dtype=bool)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    same = coord_ring[:-1] == coord_ring[1:]
    a, b, edge_ring = coords[:-1][same], coords[1:][same], coord_ring[:-1][same]
    signed = np.bincount(edge_ring, a[:, 0] * b[:, 1] - b[:, 0] * a[:, 1], minlength=len(rings))
    flip = (exterior & (signed < 0)) | (~exterior & (signed > 0))
    f = flip[edge_ring]
    a2 = np.where(f[:, None], b, a)
    b2 = np.where(f[:, None], a, b)
    edge_geom = part_geom[ring_part[edge_ring]]
    count = np.bincount(edge_geom, minlength=len(geoms))
    start = np.cumsum(count) - count
    return a2, b2, start, count


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows repeated ``counts`` times: the source row and the 0-based rank within it."""
    src = np.repeat(np.arange(len(counts)), counts)
    offset = np.cumsum(counts) - counts
    return src, np.arange(int(counts.sum())) - offset[src]


def _cast(ray, xy, point_h, point_label, nb_geoms, nb_h, nb_label, north, n_sectors, m, tan_min, cap, origin):
    """Fill ``ray`` (n_points, n_sectors · m) with the highest obstruction elevation along each ray [°].

    The same result as casting every (point, neighbour) pair within reach,
    at a fraction of the work:

    * candidates are found per *roof* (the points of one roof at one height,
      a group), with one STRtree query of the groups' point boxes;
    * they are cast nearest first, in distance bands (:data:`SWEEP_BANDS`);
      before each band a (group, neighbour) pair is skipped when it cannot
      raise any ray of any point of the group: its elevation is at most
      ``atan(Δh / d)``, ``d`` the distance between the group's point box and
      the neighbour's box, and its rays lie within the angle the neighbour's
      bounding circle subtends from the group's circle; when the group's
      lowest value in every such ray is already that high, the pair would
      change nothing;
    * the surviving pairs are expanded to the group's points and cast over
      the facing outline edges (:func:`_cast_pairs`).
    """
    J = n_sectors * m
    w = 360.0 / n_sectors
    step = w / m
    pxy = xy - origin  # run-wide origin (horizon_profiles), so partitions cast the same floats
    gr = _groups(pxy, point_h, point_label, nb_label)
    nbox = shapely.bounds(nb_geoms) - np.r_[origin, origin]
    g_idx, nb_idx, dh, limit, bd = _group_pairs(gr, nbox, nb_h, tan_min, cap)
    ea, eb, estart, ecount = _edges(nb_geoms)
    ea, eb = ea - origin, eb - origin
    first = ea[np.minimum(estart, len(ea) - 1)] if len(ea) else np.zeros((len(nb_geoms), 2))
    centre = np.column_stack([(nbox[:, 0] + nbox[:, 2]) / 2, (nbox[:, 1] + nbox[:, 3]) / 2])
    circle_r = np.hypot(nbox[:, 2] - nbox[:, 0], nbox[:, 3] - nbox[:, 1]) / 2
    ev = eb - ea
    edges = (ea[:, 0].copy(), ea[:, 1].copy(), ev[:, 0].copy(), ev[:, 1].copy(), estart, ecount,
             ev[:, 0] * ea[:, 1] - ev[:, 1] * ea[:, 0])  # e × a of every edge (the facing test's constant)
    order = np.argsort(bd, kind="stable")
    g_idx, nb_idx, dh, limit, bd = g_idx[order], nb_idx[order], dh[order], limit[order], bd[order]
    cuts = np.searchsorted(bd, SWEEP_BANDS, side="left")
    flat = ray.reshape(-1)
    points = shapely.points(xy)
    n_pairs = n_cast = 0
    for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(bd)]):
        if hi <= lo:
            continue
        sl = slice(lo, hi)
        g, n = g_idx[sl], nb_idx[sl]
        live = np.ones(hi - lo, dtype=bool)
        if lo:
            live = _may_raise(_group_lowest(ray, gr), g, gr.centre[g], gr.spread[g], centre[n], circle_r[n],
                              dh[sl], bd[sl], north, w, step, J)
        pt, nb, d, p_bd = _point_pairs(ray, gr, g[live], n[live], dh[sl][live], limit[sl][live], nbox, first,
                                       nb_geoms, points)
        if lo:
            live = _may_raise(ray, pt, pxy[pt], np.zeros(len(pt)), centre[nb], circle_r[nb], d, p_bd, north, w,
                              step, J)
            pt, nb, d = pt[live], nb[live], d[live]
        n_pairs += int(gr.count[g].sum())
        n_cast += len(pt)
        for c in _chunks(ecount[nb], CAST_EDGE_ROWS):
            _cast_pairs(flat, gr.x, gr.y, pt[c], nb[c], d[c], edges, north, w, step, J)
    logger.info("horizon: %d points, %d (point, neighbour) pairs near enough to test, %d cast (the rest could "
                "not raise the horizon)", len(xy), n_pairs, n_cast)


#: Distance bands of the nearest-first sweep [m] (pvsite choice; any bands give the same result).
SWEEP_BANDS = np.array([30.0, 60.0, 120.0, 240.0, 480.0])
#: Widest span [rays] a pair is tested for skipping; wider (near, large) pairs are always cast.
MAX_TEST_SPAN = 32


@dataclass(frozen=True)
class _Groups:
    """Sample points grouped by roof and height (arrays per point, then per group)."""

    x: np.ndarray          # point coordinates relative to the origin [m]
    y: np.ndarray
    code: np.ndarray       # integer label of each point's roof (shared with the neighbours' labels)
    nb_code: np.ndarray    # integer label of each neighbour
    group: np.ndarray      # group of each point
    members: np.ndarray    # point positions sorted by group
    start: np.ndarray      # first position in ``members`` of each group
    count: np.ndarray      # points per group
    box: np.ndarray        # (n_groups, 4) bounding box of the group's points [m]
    centre: np.ndarray     # (n_groups, 2) box centre [m]
    spread: np.ndarray     # half-diagonal of the box [m]
    height: np.ndarray     # point height of the group [m]
    g_code: np.ndarray     # roof label of the group


def _groups(pxy, point_h, point_label, nb_label) -> _Groups:
    codes, _ = pd.factorize(np.concatenate([np.asarray(point_label, dtype=object),
                                            np.asarray(nb_label, dtype=object)]))
    n = len(pxy)
    code, nb_code = codes[:n], codes[n:]
    _, group = np.unique(np.column_stack([code, point_h]), axis=0, return_inverse=True)
    group = group.reshape(-1)
    n_g = int(group.max()) + 1 if n else 0
    members = np.argsort(group, kind="stable")
    count = np.bincount(group, minlength=n_g)
    start = np.cumsum(count) - count
    x, y = pxy[:, 0].copy(), pxy[:, 1].copy()
    box = np.column_stack([np.minimum.reduceat(x[members], start), np.minimum.reduceat(y[members], start),
                           np.maximum.reduceat(x[members], start), np.maximum.reduceat(y[members], start)]) \
        if n_g else np.zeros((0, 4))
    centre = np.column_stack([(box[:, 0] + box[:, 2]) / 2, (box[:, 1] + box[:, 3]) / 2])
    spread = np.hypot(box[:, 2] - box[:, 0], box[:, 3] - box[:, 1]) / 2
    height = np.zeros(n_g)
    height[group] = point_h
    g_code = np.zeros(n_g, dtype=codes.dtype)
    g_code[group] = code
    return _Groups(x, y, code, nb_code, group, members, start, count, box, centre, spread, height, g_code)


def _group_pairs(gr: _Groups, nbox, nb_h, tan_min, cap):
    """(group, neighbour) pairs some point of which is within reach: positions, Δh, limit and box distance [m]."""
    if not len(gr.count):
        return (np.zeros(0, dtype=np.int64),) * 2 + (np.zeros(0),) * 3
    reach = np.minimum(cap, (nb_h - gr.height.min()) / tan_min)
    near = np.flatnonzero(reach > 0)
    grown = shapely.box(nbox[near, 0] - reach[near], nbox[near, 1] - reach[near],
                        nbox[near, 2] + reach[near], nbox[near, 3] + reach[near])
    tree = shapely.STRtree(shapely.box(gr.box[:, 0], gr.box[:, 1], gr.box[:, 2], gr.box[:, 3]))
    nb_idx, g_idx = tree.query(grown)
    nb_idx = near[nb_idx]
    dh = nb_h[nb_idx] - gr.height[g_idx]
    limit = np.minimum(cap, dh / tan_min)
    bd = _box_gap(gr.box[g_idx], nbox[nb_idx])
    keep = (dh > 0) & (gr.nb_code[nb_idx] != gr.g_code[g_idx]) & (bd <= limit)
    return g_idx[keep], nb_idx[keep], dh[keep], limit[keep], bd[keep]


def _box_gap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance between boxes ``(xmin, ymin, xmax, ymax)`` row by row (0 when they overlap) [m]."""
    gx = np.maximum(0.0, np.maximum(b[:, 0] - a[:, 2], a[:, 0] - b[:, 2]))
    gy = np.maximum(0.0, np.maximum(b[:, 1] - a[:, 3], a[:, 1] - b[:, 3]))
    return np.hypot(gx, gy)


def _may_raise(low, owner, xy, spread, centre, radius, dh, bd, north, w, step, J) -> np.ndarray:
    """Whether each pair could raise one of its rays (bool per pair).

    Parameters
    ----------
    low : numpy.ndarray (n_owners, J)
        Lowest current value per ray of each owner (a point, or a group's points) [°].
    owner : numpy.ndarray of int
        Owner row of each pair.
    xy, spread : numpy.ndarray
        Centre (pairs, 2) and radius (pairs,) of the owner's points [m].
    centre, radius : numpy.ndarray
        Bounding circle of the neighbour of each pair [m].
    dh, bd : numpy.ndarray
        Height above the owner's points and a lower bound of the distance [m].
    """
    v = centre - xy
    dc = np.hypot(v[:, 0], v[:, 1])
    reach = radius + spread
    with np.errstate(divide="ignore", invalid="ignore"):
        half = np.degrees(np.arcsin(np.minimum(1.0, reach / dc)))
    bear = np.degrees(np.arctan2(v[:, 0], v[:, 1])) - north
    j_lo = np.ceil((bear - half + w / 2.0) / step - 0.5).astype(np.int64)
    span = np.floor((bear + half + w / 2.0) / step - 0.5).astype(np.int64) - j_lo + 1
    live = (dc <= reach) | (span > MAX_TEST_SPAN) | (bd <= 0.0)
    test = np.flatnonzero(~live & (span > 0))
    if not len(test):
        return live
    # Widest first (the pairs still open are a prefix): a stable sort of small integers (radix sort;
    # spans ≤ MAX_TEST_SPAN fit int16).
    test = test[np.argsort((-span[test]).astype(np.int16), kind="stable")]
    flat = low.reshape(-1)
    lowest = np.full(len(test), np.inf, dtype=np.float32)
    row, jt = owner[test] * J, j_lo[test] % J
    open_until = np.searchsorted(-span[test], -np.arange(1, int(span[test[0]]) + 1), side="right")
    for s, k in enumerate(open_until):
        j = jt[:k] + s
        j[j >= J] -= J
        np.minimum(lowest[:k], flat[row[:k] + j], out=lowest[:k])
    live[test] = lowest < np.degrees(np.arctan2(dh[test], bd[test]))  # the highest the pair can be seen
    return live


def _group_lowest(ray, gr: _Groups) -> np.ndarray:
    """The lowest value of every ray over the points of each group, shape (n_groups, J).

    Groups are gathered by size class (counts in [2^(b−1), 2^b)), each class padded only to its own largest
    group (a group's last point repeats into the padding): at most twice the points, where one padding to
    the largest group of a partition (a big roof of many points) multiplied the gather by that group's count.
    """
    out = np.empty((len(gr.count), ray.shape[1]), dtype=ray.dtype)
    size_class = np.frexp(gr.count.astype(np.float64))[1]
    for b in np.unique(size_class):
        gs = np.flatnonzero(size_class == b)
        k = int(gr.count[gs].max())
        slot = np.minimum(np.arange(k), gr.count[gs, None] - 1)
        out[gs] = ray[gr.members[gr.start[gs, None] + slot]].min(axis=1)
    return out


def _point_pairs(ray, gr: _Groups, g, nb, dh, limit, nbox, first, nb_geoms, points):
    """The (point, neighbour) pairs of (group, neighbour) pairs, each point within the neighbour's own reach.

    A point is within reach when its distance to the outline is ≤ ``limit``.
    Cheap bounds decide most pairs — a vertex within the limit proves it (for
    a whole group at once: the group's farthest point from the first vertex),
    the box beyond the limit refutes it — and the exact distance is computed
    for the rest.  Points inside a higher neighbour's outline get 90° in
    every ray, their pairs dropped.  Returns the point, neighbour, Δh [m] and
    a lower bound of the distance [m] (to the box) of each pair.
    """
    gap = _box_gap(gr.box[g], nbox[nb])
    sure = (gap > 0) & (np.hypot(first[nb, 0] - gr.centre[g, 0], first[nb, 1] - gr.centre[g, 1]) + gr.spread[g]
                        <= limit)
    src, rank = _expand(gr.count[g])
    pt = gr.members[gr.start[g][src] + rank]
    nb, dh, limit, sure, bd = nb[src], dh[src], limit[src], sure[src], gap[src]
    check = np.flatnonzero(~sure)  # the group's box gap stands as the bound of the sure pairs
    px, py, b = gr.x[pt[check]], gr.y[pt[check]], nbox[nb[check]]
    bd[check] = np.hypot(np.maximum(0.0, np.maximum(b[:, 0] - px, px - b[:, 2])),
                         np.maximum(0.0, np.maximum(b[:, 1] - py, py - b[:, 3])))
    vd = np.hypot(first[nb[check], 0] - px, first[nb[check], 1] - py)
    drop = np.zeros(len(pt), dtype=bool)
    drop[check] = bd[check] > limit[check]
    unsure = check[~drop[check] & ((bd[check] <= 0.0) | (vd > limit[check]))]
    if len(unsure):
        dist = shapely.distance(points[pt[unsure]], nb_geoms[nb[unsure]])
        drop[unsure] = dist > limit[unsure]
        inside = unsure[dist <= 0.0]
        if len(inside):
            hit = np.unique(pt[inside])
            ray[hit] = 90.0
            logger.info("%d sample points lie inside a higher neighbour's outline (overlapping footprints): 90°",
                        len(hit))
            drop[inside] = True
    keep = ~drop
    logger.debug("horizon: %d of %d point pairs decided by the group bounds", int(sure.sum()), len(sure))
    return pt[keep], nb[keep], dh[keep], bd[keep]


def _chunks(counts: np.ndarray, size: int):
    """Consecutive slices of rows whose ``counts`` add up to about ``size`` (at least one row each)."""
    cum = np.cumsum(counts)
    total = int(cum[-1]) if len(cum) else 0
    cuts = np.searchsorted(cum, np.arange(size, total + size, size), side="right")
    lo = 0
    for hi in np.unique(np.r_[cuts, len(counts)]):
        hi = max(int(hi), lo + 1)
        if lo >= len(counts):
            break
        yield slice(lo, hi)
        lo = hi


def _cast_pairs(flat, px, py, pt, nb, dh, edges, north, w, step, J):
    """Cast the rays of one chunk of (point, neighbour) pairs over the neighbours' facing edges.

    The (pair, edge) and (pair, edge, ray) rows repeat the pair's values (``numpy.repeat``, not a gather
    through a row index), the facing test drops about half the edges, and only the facing edges that span
    a ray are expanded to rays.  Every value that decides a ray or its elevation is computed with the
    arithmetic of the previous cast, so the profiles are the same floats (tests/roofs/test_horizon.py).
    """
    ax, ay, ex, ey, estart, ecount, lever = edges
    cnt = ecount[nb]
    offset = np.cumsum(cnt) - cnt
    edge = np.arange(int(offset[-1] + cnt[-1]) if len(cnt) else 0) + np.repeat(estart[nb] - offset, cnt)
    rx, ry = np.repeat(px[pt], cnt), np.repeat(py[pt], cnt)
    exx, eyy = ex[edge], ey[edge]
    # Facing test from the edge constants (cross = e × (p − a) = e × p − e × a): point on the right of the
    # edge, outside the material, facing it.
    cross = exx * ry - eyy * rx - lever[edge]
    f = np.flatnonzero(cross < 0)
    edge, cross, exx, eyy = edge[f], cross[f], exx[f], eyy[f]
    qx = rx[f] - ax[edge]  # point − edge start
    qy = ry[f] - ay[edge]
    del rx, ry
    # True bearings of the edge ends from the point; the edge spans the short arc between them.
    ba = np.degrees(np.arctan2(-qx, -qy)) - north
    bb = np.degrees(np.arctan2(exx - qx, eyy - qy)) - north
    delta = _wrap_plus_180(bb - ba + 180.0) - 180.0  # (bb − ba + 180) % 360 − 180, without the float modulo
    lo = ba + np.minimum(delta, 0.0)
    hi = ba + np.maximum(delta, 0.0)
    j_lo = np.ceil((lo + w / 2.0) / step - 0.5).astype(np.int64)
    n_rays = np.floor((hi + w / 2.0) / step - 0.5).astype(np.int64) - j_lo + 1
    spans = np.flatnonzero(n_rays > 0)  # most far edges fall between two rays
    n_rays = n_rays[spans]
    j_lo = j_lo[spans] % J
    cross, exx, eyy = cross[spans], exx[spans], eyy[spans]
    pair = np.repeat(np.arange(len(pt)), cnt)[f[spans]]
    key, dh = pt[pair] * J, dh[pair]
    ray_ux, ray_uy = _ray_directions(J, north, w, step)
    for sl in _chunks(n_rays, CHUNK_ROWS):
        nr = n_rays[sl]
        r_off = np.cumsum(nr) - nr
        j = np.arange(int(r_off[-1] + nr[-1])) + np.repeat(j_lo[sl] - r_off, nr)  # j_lo + rank, < 2 J
        j[j >= J] -= J
        denom = ray_ux[j] * np.repeat(eyy[sl], nr) - ray_uy[j] * np.repeat(exx[sl], nr)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.repeat(cross[sl], nr) / denom  # distance along the ray to the edge
        r_dh, r_key = np.repeat(dh[sl], nr), np.repeat(key[sl], nr)
        good = np.isfinite(t) & (t > 0)
        if not good.all():
            good = np.flatnonzero(good)
            t, j, r_dh, r_key = t[good], j[good], r_dh[good], r_key[good]
        elev = np.degrees(np.arctan2(r_dh, np.maximum(t, 1e-3))).astype(np.float32)
        np.maximum.at(flat, r_key + j, elev)


def _wrap_plus_180(x):
    """``x % 360`` for ``x`` in (−360, 720), the same floats: ``x − 360`` is exact there, ``x + 360`` rounds as
    ``numpy.remainder`` does."""
    return np.where(x >= 360.0, x - 360.0, np.where(x < 0.0, x + 360.0, x))


def _ray_directions(J, north, w, step):
    """Unit vectors (grid x, y) of the ``J`` rays."""
    phi = np.radians(-w / 2.0 + (np.arange(J) + 0.5) * step + north)
    return np.sin(phi), np.cos(phi)


def _heights(frame: pd.DataFrame, what: str) -> np.ndarray:
    if "height_m" not in frame.columns:
        raise InputError(f"horizon_profiles: the {what} have no height_m column.",
                         fix="Give every building a height first (pvsite.roofs.building_heights.building_heights).",
                         zh=f"horizon_profiles：{_ZH.get(what, what)}没有 height_m 列。",
                         fix_zh="请先为每栋建筑确定高度（pvsite.roofs.building_heights.building_heights）。")
    return pd.to_numeric(frame["height_m"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _check_parameters(n_sectors, radius_m, points_per_plane, min_sun_elevation_deg, rays_per_sector,
                      module_height_m) -> None:
    problems = []
    if not isinstance(n_sectors, (int, np.integer)) or n_sectors < 36:
        problems.append(f"n_sectors must be an integer ≥ 36, found {n_sectors!r}")
    if not isinstance(points_per_plane, (int, np.integer)) or points_per_plane < 1:
        problems.append(f"points_per_plane must be an integer ≥ 1, found {points_per_plane!r}")
    if not isinstance(rays_per_sector, (int, np.integer)) or rays_per_sector < 1:
        problems.append(f"rays_per_sector must be an integer ≥ 1, found {rays_per_sector!r}")
    if not (np.isfinite(radius_m) and radius_m > 0):
        problems.append(f"radius_m must be > 0 m, found {radius_m!r}")
    if not (0 < min_sun_elevation_deg < 90):
        problems.append(f"min_sun_elevation_deg must be in (0, 90) °, found {min_sun_elevation_deg!r}")
    if not (np.isfinite(module_height_m) and module_height_m >= 0):
        problems.append(f"module_height_m must be ≥ 0 m, found {module_height_m!r}")
    if problems:
        raise InputError("horizon_profiles: " + "; ".join(problems) + ".",
                         fix="Pass values in the stated ranges (defaults: pvsite.roofs.horizon).",
                         zh="horizon_profiles 参数有误：" + "；".join(problems) + "。",
                         fix_zh="请传入规定范围内的值（默认值见 pvsite.roofs.horizon）。")


def roof_horizons(surveyed, buildings: gpd.GeoDataFrame, shading_cfg, heights_cfg,
                  north_deg: float | None = None) -> HorizonProfiles | None:
    """The shading stage's geometry: horizons of the surveyed planes, or None when shading is off.

    Parameters
    ----------
    surveyed : pvsite.roofs.survey.SurveyedRoofs
        The selected roofs (with ``height_m``) and their planes.
    buildings : geopandas.GeoDataFrame
        Every input building in the same metric CRS (the neighbours, also
        outside a street selection).  Those not surveyed get their height
        with their class unknown (the ``other`` entries of ``heights_cfg``).
    shading_cfg : pvsite.config.ShadingConfig
        Sectors, points, radius and module height.
    heights_cfg : pvsite.config.HeightsConfig
        Storey heights for the neighbours.
    north_deg : float, optional
        The run's grid convergence (:attr:`pvsite.buildings.locate.Located.north_deg`, the one the
        planes were built with); default that of the neighbours (:func:`run_frame`).
    """
    if not shading_cfg.enabled:
        return None
    neighbours = horizon_neighbours(surveyed, buildings, heights_cfg)
    return horizon_profiles(surveyed.roofs, surveyed.planes, neighbours=neighbours,
                            **run_frame(neighbours, north_deg), **profile_settings(shading_cfg))


def run_frame(neighbours: gpd.GeoDataFrame, north_deg: float | None = None) -> dict:
    """``north_deg`` and ``origin_xy`` of :func:`horizon_profiles` from every input building, not the selection.

    A street run then samples and casts in the same frame as the district run
    (grid convergence at the centre of the whole input; coordinates relative
    to its centre), so its horizons equal the district run's.  ``north_deg``,
    when given, is that convergence already known (the pipeline passes
    :attr:`pvsite.buildings.locate.Located.north_deg`: the centre of the same usable input
    buildings, so the same value, computed once per run).
    """
    x0, y0, x1, y1 = neighbours.total_bounds if len(neighbours) else (0.0, 0.0, 0.0, 0.0)
    origin = ((x0 + x1) / 2.0, (y0 + y1) / 2.0) if np.all(np.isfinite([x0, y0, x1, y1])) else (0.0, 0.0)
    north = grid_north_bearing_deg(neighbours) if north_deg is None else float(north_deg)
    return {"north_deg": north, "origin_xy": origin}


def profile_settings(shading_cfg) -> dict:
    """Keyword arguments of :func:`horizon_profiles` from a :class:`pvsite.config.ShadingConfig`."""
    return dict(n_sectors=shading_cfg.n_sectors, radius_m=shading_cfg.max_radius_m,
                points_per_plane=shading_cfg.points_per_plane, min_sun_elevation_deg=shading_cfg.min_sun_elevation_deg,
                rays_per_sector=shading_cfg.rays_per_sector, module_height_m=shading_cfg.module_height_m)


def horizon_neighbours(surveyed, buildings: gpd.GeoDataFrame, heights_cfg) -> gpd.GeoDataFrame:
    """The obstructing buildings of a run: every usable input building with a height.

    Those not surveyed get their height from their ``building_class`` when
    ``buildings`` has one (:func:`pvsite.pipeline.prepare` classifies the
    neighbours outside a street selection, so a street run sees the same
    obstructions as the district run), else with their class unknown (the
    ``other`` entries of ``heights_cfg``); the surveyed ones keep theirs.

    Returns
    -------
    geopandas.GeoDataFrame
        ``geometry``, ``height_m`` [m], ``height_source`` (and ``storeys``
        when the input has it), index labels of ``buildings``.
    """
    from pvsite.roofs.building_heights import building_heights

    usable = buildings["reject_reason"].isna() if "reject_reason" in buildings.columns else slice(None)
    cols = ["geometry", *[c for c in ("height_m", "storeys", "building_class") if c in buildings.columns]]
    neighbours = buildings.loc[usable, cols].copy()
    neighbours[["height_m", "height_source"]] = building_heights(neighbours, heights_cfg)
    own = surveyed.roofs.index.intersection(neighbours.index)
    neighbours.loc[own, "height_m"] = surveyed.roofs.loc[own, "height_m"]
    return neighbours


def yield_inputs(horizons: HorizonProfiles | None) -> dict:
    """Keyword arguments of :func:`pvsite.solar.yields.plane_yields` for ``horizons`` (none when shading is off)."""
    if horizons is None or not horizons.has_points:
        return {}  # no shading, or already reduced to per-plane shading (pass that as plane_shading)
    return {"point_horizon_deg": horizons.point_horizon_deg, "point_plane": horizons.point_plane,
            "point_weight": horizons.point_weight}
