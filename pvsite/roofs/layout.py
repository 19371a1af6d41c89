"""Panel layout: the modules that physically fit on each roof plane.

Stage ``roofs`` → **layout** → sizing.  :func:`layout_roofs` places real
module rectangles inside every usable polygon; :func:`modules_for_policy`
then takes, for a policy ratio, the modules of the first rows until the
array field reaches the required area; capacity is ``modules × power_w``.

Geometry
--------
Each plane is laid out in its own *array frame*: ``a`` along the rows,
``b`` towards the direction the modules face (the plane's azimuth), so a
south-facing array has ``b`` pointing south.  Row 0 is the **front** row —
the southernmost row of a flat roof, the eave row of a pitched plane — and
rows go back (up the slope, or north) from there.

* **tilted rows** (flat and unknown roofs): rack rows of
  ``MountingConfig.modules_per_row_portrait`` (``n``) modules in portrait,
  slant depth ``L = n·l + (n − 1)·gap``; each rack *column* (``n`` modules
  up the slope, one module wide) has the horizontal footprint
  ``w × L·cos β``; rows are spaced by the no-shade pitch
  :func:`pvsite.solar.mounting.rack_rows` at the site latitude for the plane's
  own azimuth; along a row the columns are ``w + gap`` apart.
* **flush** (pitched and metal roofs): the usable polygon is split at the
  ridge (the long axis through the centre of the footprint's minimum
  rotated rectangle, :func:`pvsite.roofs.orientation.long_axis`); each half
  holds a grid of modules whose horizontal footprint is ``w × l·cos β``
  (portrait) or ``l × w·cos β`` (landscape), ``(l + gap)·cos β`` (or
  ``(w + gap)·cos β``) apart up the slope and ``w + gap`` (``l + gap``)
  along it.  ``MountingConfig.flush_orientation = 'best'`` keeps the
  orientation that holds more modules, per plane.

Placement is exact, not sampled.  For every row of every plane the row's
band ``[b − depth, b]`` is cut by the polygon (one vectorised
``shapely.difference`` over all rows of all roofs): the parts of the band
*outside* the polygon project onto ``a`` as forbidden intervals, and a
module footprint spanning the band lies inside the polygon exactly when its
``a``-interval avoids them.  Each free interval of length ``g`` takes
``⌊(g + gap) / (w + gap)⌋`` columns, centred in it — the best any
along-row shift of a regular grid could do, so only the offset *across*
rows is searched: ``n_phases`` (default 3) offsets of the first row from the
front edge, ``0, pitch/3, 2·pitch/3``, and the one holding the most
modules is kept (ties: the smallest offset, i.e. rows flush with the front
edge).  Every module rectangle therefore lies inside the usable polygon,
up to :data:`TOLERANCE_M` (1 mm; checked with ``shapely.contains`` in the
tests).

Obstructions: the usable polygon is not cut for roof equipment (its place is
unknown); the roof type's ``RoofConfig.obstruction_share`` of the modules is
removed instead — evenly spread over the plane in fill order, so the
``panels`` layer shows them as scattered gaps, and
``modules_fit = ⌊fit × (1 − share)⌋``.

Array field: the policy's coverage (屋顶面积…安装光伏比例) counts the roof
area *given to* PV, including the row gaps.  One module's share of it is its
cell: ``row pitch × (w + gap) / n`` for tilted rows, ``(l + gap)(w + gap)
cos β`` for flush modules (``field_area_per_module_m2``); it equals
``module area / ground_coverage_ratio`` of :func:`pvsite.roofs.planes.roof_planes`.

Steps of :func:`layout_roofs`, each a function of this module
-------------------------------------------------------------
:func:`plane_frames` (roof of each plane, tilt, grid bearing, row pitch) →
:func:`plane_polygons` (usable polygon of each plane in its array frame) →
:func:`layout_variants` (one candidate per plane and module orientation) →
:func:`row_bands` (the row bands of every variant and phase) →
:func:`free_gaps` (free intervals along each band and the module columns
they hold) → :func:`best_phase` (the variant and phase holding most
modules per plane) → :func:`obstruction_thinning` (the allowance) →
:func:`module_rectangles` (the ``panels`` layer).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pvsite.config import MountingConfig
from pvsite.errors import ConfigError, InputError
from pvsite.roofs.orientation import grid_north_bearing_deg, long_axis
from pvsite.solar import mounting

logger = logging.getLogger(__name__)

#: Number of offsets of the first row from the front edge tried per plane.
N_PHASES = 3

#: A row band is tested for containment less this much at its front and
#: back edges, so a module may cross the usable polygon's edge by at most
#: this much [m].  Without it a roof edge off the row direction by a hair's
#: breadth (e.g. 0.0002° of grid convergence) would forbid a whole row lying
#: exactly on it.
TOLERANCE_M = 1e-3

#: Floor/ceil guard against floating-point rounding of counts.
_EPS = 1e-9


# ---------------------------------------------------------------------------
# The layout, step by step
# ---------------------------------------------------------------------------


def layout_roofs(
    roofs: gpd.GeoDataFrame,
    planes: pd.DataFrame,
    module: Mapping,
    mounting_cfg: MountingConfig,
    latitude_deg: float,
    *,
    panels: bool,
    n_phases: int = N_PHASES,
    true_north: bool = True,
    north_deg: float | None = None,
) -> tuple[pd.DataFrame, gpd.GeoDataFrame | None]:
    """Place module rectangles on every plane; count what fits.

    The steps are the functions listed in the module docstring; every step
    works on all planes of all roofs at once (no loop over roofs).

    Parameters
    ----------
    roofs : geopandas.GeoDataFrame
        Output of :func:`pvsite.roofs.usable.usable_roofs` (footprint geometry,
        ``usable_geometry``, ``usable_area_m2``, ``obstruction_area_m2``),
        projected CRS in metres.
    planes : pandas.DataFrame
        Output of :func:`pvsite.roofs.planes.roof_planes` (``roof_index``,
        ``plane``, ``mounting``, ``tilt_deg`` [°], ``azimuth_deg`` [°, true
        bearing]).
    module : mapping
        Module preset with ``power_w`` [W], ``length_m`` [m], ``width_m`` [m].
    mounting_cfg : MountingConfig
        Module gap [m], no-shade window [h], ``modules_per_row_portrait``,
        ``flush_orientation`` (checked once by :mod:`pvsite.config`).
    latitude_deg : float
        Site latitude for the row pitch, north positive [°].
    panels : bool or "lazy"
        ``True``: build the ``panels`` GeoDataFrame (one polygon per module);
        ``"lazy"``: return a :class:`ModulePanels` that builds the same
        rectangles in batches when they are written (the run's choice, so
        never all modules are in memory); ``False``: only count (faster).
    n_phases : int
        Offsets of the first row from the front edge tried per plane.
    true_north : bool
        Plane azimuths are true bearings (as
        :func:`pvsite.roofs.usable.usable_roofs` gives them by default);
        convert them to grid bearings with the CRS's meridian convergence.
        Pass the same value as to ``usable_roofs``.
    north_deg : float, optional
        Grid bearing of true north instead of the frame's own, as in
        :func:`pvsite.roofs.usable.usable_roofs` (pass the same value).

    Returns
    -------
    planes : pandas.DataFrame
        A copy of ``planes`` with ``modules_fit`` (modules that fit, after
        the obstruction allowance), ``module_orientation`` ('portrait' or
        'landscape'), ``n_rows`` (rows holding modules), ``row_pitch_m``
        [m] (horizontal, front edge to front edge),
        ``field_area_per_module_m2`` [m²] (horizontal roof area one module
        takes, gaps included) and ``module_power_w`` [W].
    panels : geopandas.GeoDataFrame, ModulePanels or None
        One row per module that fits (``panels=True``; the batches of a
        :class:`ModulePanels` with ``"lazy"``): ``building_id`` (when ``roofs`` has
        it), ``roof_index``, ``plane``, ``row`` (0 = front), ``order`` (fill
        order within the plane, 0-based: row by row from the front, along
        each row), geometry = the module's horizontal footprint (for tilted
        rows the projection of the tilted module), CRS of ``roofs``.
    """
    if not (isinstance(n_phases, int) and n_phases >= 1):
        raise ConfigError(f"n_phases must be a whole number ≥ 1, found {n_phases!r}.",
                          zh=f"n_phases 须为不小于 1 的整数，实为 {n_phases!r}。")
    _check_columns(roofs, planes)
    frames = plane_frames(roofs, planes, module, mounting_cfg, latitude_deg, true_north=true_north,
                          north_deg=north_deg)
    polygons, origin = plane_polygons(roofs, planes, frames.roof_pos, frames.flush, frames.grid_azimuth_rad,
                                      whole_parts=True)
    variants = layout_variants(frames, module, mounting_cfg)
    bounds = shapely.bounds(polygons)
    bands = row_bands(bounds, variants, n_phases)
    gaps = free_gaps(polygons, bands, variants, float(mounting_cfg.module_gap_m))
    if frames.narrow:
        variants, bands, gaps = narrow_roof_fallbacks(polygons, bounds, frames, variants, bands, gaps, module,
                                                      mounting_cfg, n_phases)
    best = best_phase(gaps, bands, variants, len(planes))
    keep_share = 1.0 - _obstruction_share(roofs, frames.roof_pos)

    planes = _plane_results(planes, frames, variants, bands, gaps, best, keep_share, module, mounting_cfg)
    logger.info(
        "layout: %d planes, %d modules fit (%.0f kW) after the obstruction allowance; %d row bands",
        len(planes), int(planes["modules_fit"].sum()),
        planes["modules_fit"].sum() * mounting.module_dims(module)[0] / 1000.0, len(bands.top_m),
    )
    if not panels:
        return planes, None
    if panels == "lazy":
        return planes, ModulePanels.of_layout(roofs, planes, frames, origin, variants, bands, gaps, best, keep_share,
                                              float(mounting_cfg.module_gap_m))
    return planes, module_rectangles(roofs, planes, frames, origin, variants, bands, gaps, best, keep_share,
                                     float(mounting_cfg.module_gap_m))


#: Modules per batch a :class:`ModulePanels` builds at a time (≈ 40 MB of rectangles and columns).
PANEL_BATCH_MODULES = 100_000


@dataclass(frozen=True)
class ModulePanels:
    """The ``panels`` layer of a layout, built in batches of planes (never all modules at once).

    Holds only what :func:`module_rectangles` needs for the gaps that hold
    modules (a few numbers per row of modules, not per module);
    :meth:`batches` rebuilds the rectangles plane range by plane range with
    the same functions, so the concatenated batches equal
    ``layout_roofs(..., panels=True)`` row for row.  :meth:`installed` (the
    sizing's :func:`select_panels`) keeps the first ``n`` modules of each
    plane, lazily too.
    """

    building_id: np.ndarray | None
    crs: object
    planes: pd.DataFrame
    frames: PlaneFrames
    origin: np.ndarray
    variants: Variants
    bands: RowBands
    #: The used gaps only, sorted by plane (fill order kept within a plane).
    gaps: FreeGaps
    #: First used gap of each plane (``n_planes + 1`` entries).
    gap_start: np.ndarray
    keep_share: np.ndarray
    gap_m: float
    #: Modules of each plane's kept run before the obstruction allowance [-].
    run_modules: np.ndarray
    #: Modules installed per plane (``None``: every module that fits).
    limit: np.ndarray | None = None

    @classmethod
    def of_layout(cls, roofs, planes, frames, origin, variants, bands, gaps, best, keep_share, gap_m) -> "ModulePanels":
        """Keep the used gaps (and their bands) of a layout, sorted by plane."""
        used = np.flatnonzero(best.gap_used)
        gap_plane = bands.plane[gaps.band[used]]
        srt = np.argsort(gap_plane, kind="stable")
        used, gap_plane = used[srt], gap_plane[srt]
        kept_bands, band = np.unique(gaps.band[used], return_inverse=True)
        empty = np.empty(0, dtype=np.int64)
        sub_bands = RowBands(empty, empty, empty, empty, empty, bands.row[kept_bands], bands.variant[kept_bands],
                             bands.plane[kept_bands], bands.top_m[kept_bands], bands.bottom_m[kept_bands])
        sub_gaps = FreeGaps(band.astype(np.int64), gaps.start_m[used], gaps.end_m[used], gaps.columns[used])
        ids = roofs["building_id"].to_numpy() if "building_id" in roofs.columns else None
        return cls(ids, roofs.crs, planes[["roof_index", "plane"]].copy(), frames, origin, variants, sub_bands,
                   sub_gaps, np.searchsorted(gap_plane, np.arange(len(planes) + 1)), keep_share, gap_m,
                   best.modules.astype(np.int64))

    def fit_per_plane(self) -> np.ndarray:
        """Modules per plane after the obstruction allowance (``modules_fit``) [-]."""
        return np.floor(self.run_modules * self.keep_share + _EPS).astype(np.int64)

    def per_plane(self) -> np.ndarray:
        """Modules per plane this layer holds (installed, or all that fit) [-]."""
        fit = self.fit_per_plane()
        return fit if self.limit is None else np.minimum(fit, self.limit)

    def __len__(self) -> int:
        return int(self.per_plane().sum())

    def installed(self, planes: pd.DataFrame, column: str = "n_modules") -> "ModulePanels":
        """The first ``planes[column]`` modules of each plane (as :func:`select_panels`)."""
        key = pd.MultiIndex.from_arrays([planes["roof_index"], planes["plane"]])
        n = pd.Series(planes[column].to_numpy(), index=key)
        want = n.reindex(pd.MultiIndex.from_arrays([self.planes["roof_index"], self.planes["plane"]])).to_numpy()
        want = np.where(np.isnan(want.astype(float)), 0, want).astype(np.int64)
        return dataclasses.replace(self, limit=want)

    def batches(self, max_modules: int = PANEL_BATCH_MODULES):
        """Yield the layer as GeoDataFrames of consecutive planes, about ``max_modules`` modules each.

        Same columns, geometry and row order as :func:`module_rectangles`
        followed by :func:`select_panels`; empty batches are skipped.
        """
        count = np.cumsum(self.run_modules)
        n_planes = len(self.planes)
        cuts = np.searchsorted(count, np.arange(max_modules, count[-1] if n_planes else 0, max_modules), "right")
        bounds = np.unique(np.r_[0, cuts, n_planes])
        limit = self.per_plane()
        for p0, p1 in zip(bounds[:-1], bounds[1:]):
            g0, g1 = self.gap_start[p0], self.gap_start[p1]
            if g0 == g1 or not limit[p0:p1].any():
                continue
            gaps = FreeGaps(self.gaps.band[g0:g1], self.gaps.start_m[g0:g1], self.gaps.end_m[g0:g1],
                            self.gaps.columns[g0:g1])
            best = BestPhase(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64),
                             np.ones(g1 - g0, dtype=bool))
            batch = _rectangles(self.building_id, self.crs, self.planes, self.frames, self.origin, self.variants,
                                self.bands, gaps, best, self.keep_share, self.gap_m)
            batch = batch[batch["order"].to_numpy() < limit[batch["plane_pos"].to_numpy()]]
            if len(batch):
                yield batch.drop(columns="plane_pos").reset_index(drop=True)

    def to_geodataframe(self) -> gpd.GeoDataFrame:
        """The whole layer at once (small runs and tests)."""
        parts = list(self.batches())
        if not parts:
            return _rectangles(self.building_id, self.crs, self.planes, self.frames, self.origin, self.variants,
                               self.bands, FreeGaps(*(np.empty(0, np.int64),) * 4),
                               BestPhase(*(np.empty(0, np.int64),) * 3, np.empty(0, bool)),
                               self.keep_share, self.gap_m).drop(columns="plane_pos")
        return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=self.crs)


@dataclass(frozen=True)
class ModulePanelParts:
    """The ``panels`` layer of a layout done in consecutive parts (:func:`pvsite.compute.survey_roofs`).

    Each part is the :class:`ModulePanels` of a contiguous run of roofs in
    input order, so the parts one after the other are the one layer a
    single layout gives, row for row; same methods as :class:`ModulePanels`.
    """

    parts: tuple

    def fit_per_plane(self) -> np.ndarray:
        """Modules per plane after the obstruction allowance [-], planes in order."""
        return np.concatenate([p.fit_per_plane() for p in self.parts]) if self.parts else np.zeros(0, np.int64)

    def per_plane(self) -> np.ndarray:
        """Modules per plane this layer holds [-], planes in order."""
        return np.concatenate([p.per_plane() for p in self.parts]) if self.parts else np.zeros(0, np.int64)

    def __len__(self) -> int:
        return sum(len(p) for p in self.parts)

    def installed(self, planes: pd.DataFrame, column: str = "n_modules") -> "ModulePanelParts":
        """The first ``planes[column]`` modules of each plane, part by part."""
        return ModulePanelParts(tuple(p.installed(planes, column) for p in self.parts))

    def batches(self, max_modules: int = PANEL_BATCH_MODULES):
        """The batches of every part, in order (:meth:`ModulePanels.batches`)."""
        for p in self.parts:
            yield from p.batches(max_modules)

    def to_geodataframe(self) -> gpd.GeoDataFrame:
        """The whole layer at once (small runs and tests)."""
        frames = [p.to_geodataframe() for p in self.parts]
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=frames[0].crs)


@dataclass(frozen=True)
class PlaneFrames:
    """Per plane: its roof, mounting, tilt, array-frame bearing and row pitch."""

    #: Position of the plane's roof in ``roofs`` [-].
    roof_pos: np.ndarray
    #: The plane is flush-mounted (else tilted rack rows).
    flush: np.ndarray
    #: Cosine of the module tilt [-].
    cos_tilt: np.ndarray
    #: Grid bearing of the array frame's ``b`` axis (the way the modules face) [rad].
    grid_azimuth_rad: np.ndarray
    #: Horizontal pitch of tilted rack rows [m]; NaN for flush planes.
    rack_pitch_m: np.ndarray
    #: Slant depth of one rack row ``n·l + (n − 1)·gap`` [m].
    rack_slant_m: float
    #: Horizontal pitch of single-row portrait racks (slant ``l``) [m]; NaN for flush planes.
    rack_pitch_1p_m: np.ndarray | None = None
    #: Horizontal pitch of single-row landscape racks (slant ``w``) [m]; NaN for flush planes.
    rack_pitch_1l_m: np.ndarray | None = None
    #: The single-row rack fallbacks are on (``[mounting] narrow_roof_layouts``, read here once):
    #: the two pitches above are computed and :func:`layout_roofs` tries them.
    narrow: bool = False


def plane_frames(roofs, planes, module, mounting_cfg, latitude_deg, *, true_north: bool,
                 north_deg: float | None = None) -> PlaneFrames:
    """Roof, tilt, array-frame bearing and rack row pitch of every plane.

    Parameters
    ----------
    roofs : geopandas.GeoDataFrame
        The roofs the planes refer to (by ``planes['roof_index']``).
    planes : pandas.DataFrame
        ``roof_index``, ``mounting``, ``tilt_deg`` [°], ``azimuth_deg`` [°,
        true bearing].
    module : mapping
        Module preset (``length_m``, ``width_m`` [m]).
    mounting_cfg : MountingConfig
        Rack rows and the no-shade window (:func:`pvsite.solar.mounting.rack_rows`).
    latitude_deg : float
        Site latitude [°].
    true_north : bool
        Azimuths are true bearings: add the grid convergence
        (:func:`pvsite.roofs.orientation.grid_north_bearing_deg`).
    north_deg : float, optional
        That convergence, when given (the whole run's, :mod:`pvsite.compute`).

    Returns
    -------
    PlaneFrames

    Raises
    ------
    InputError
        A plane refers to a roof that is not in ``roofs``.
    """
    roof_pos = roofs.index.get_indexer(planes["roof_index"])
    if np.any(roof_pos < 0):
        raise InputError("Some planes refer to roofs that are not in the roofs table.",
                         zh="有些屋面所属的屋顶不在屋顶表中。")
    flush = planes["mounting"].to_numpy() == "flush"
    tilt = planes["tilt_deg"].to_numpy(dtype=float)
    azimuth = planes["azimuth_deg"].to_numpy(dtype=float)
    north = (grid_north_bearing_deg(roofs) if north_deg is None else float(north_deg)) if true_north else 0.0
    rack = mounting.rack_rows(module, mounting_cfg, latitude_deg, tilt[~flush], azimuth[~flush])
    pitch = np.full(len(planes), np.nan)
    pitch[~flush] = rack.row_pitch_m
    pitch_1p, pitch_1l = np.full(len(planes), np.nan), np.full(len(planes), np.nan)
    narrow = bool(mounting_cfg.narrow_roof_layouts)
    if narrow and (~flush).any():
        pitch_1p[~flush] = mounting.rack_rows(module, mounting_cfg, latitude_deg, tilt[~flush], azimuth[~flush],
                                              modules_up=1).row_pitch_m
        pitch_1l[~flush] = mounting.rack_rows(module, mounting_cfg, latitude_deg, tilt[~flush], azimuth[~flush],
                                              modules_up=1, landscape=True).row_pitch_m
    return PlaneFrames(
        roof_pos=roof_pos,
        flush=flush,
        cos_tilt=np.cos(np.radians(tilt)),
        grid_azimuth_rad=np.radians(azimuth + north),
        rack_pitch_m=pitch,
        rack_slant_m=rack.slant_length_m,
        rack_pitch_1p_m=pitch_1p,
        rack_pitch_1l_m=pitch_1l,
        narrow=narrow,
    )


def plane_polygons(roofs, planes, pos, flush, theta, *, whole_parts: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Usable polygon of each plane in its array frame, and the frame origins.

    Frame: ``a = (x − x0)·cosθ − (y − y0)·sinθ``, ``b = (x − x0)·sinθ +
    (y − y0)·cosθ`` with ``θ`` the grid bearing of the plane's azimuth, so
    ``b`` points the way the modules face.  Flush planes of two-plane roofs
    keep the half of the polygon on their side of the ridge (the long axis
    through the centre of the footprint's minimum rotated rectangle).

    Parameters
    ----------
    roofs : geopandas.GeoDataFrame
        ``usable_geometry`` and the footprint geometry.
    planes : pandas.DataFrame
        ``roof_index``, ``plane``.
    pos : numpy.ndarray of int
        Position of each plane's roof in ``roofs``.
    flush : numpy.ndarray of bool
        The plane is flush-mounted.
    theta : numpy.ndarray
        Grid bearing of each plane's azimuth [rad].
    whole_parts : bool
        Split a two-plane roof by keeping the parts of its usable polygon
        that lie wholly on the plane's side of the ridge (the usual case: the
        ridge setback already cut the polygon there), and use
        ``shapely.intersection`` only for the planes with a part across or
        touching the ridge.  The kept parts have the same coordinates and
        edges (same direction) as the intersection, which may start its
        rings at another vertex and gives a Polygon for one part:
        :func:`layout_roofs` (which only reads edges, bounds and
        containment) uses it; the default gives the intersection itself.

    Returns
    -------
    polygons : numpy.ndarray of shapely geometries
        Per plane, in its array frame (``a``, ``b``) [m]; empty when the roof
        has no usable polygon.
    origin : numpy.ndarray, shape (n_planes, 2)
        Map x and y of each frame's origin (centre of the usable polygon's
        bounds) [m].
    """
    geoms = np.asarray(roofs["usable_geometry"].array, dtype=object)[pos]
    geoms = np.where(shapely.is_missing(geoms), shapely.Polygon(), geoms)
    usable_bounds = shapely.bounds(geoms)
    origin = np.column_stack([(usable_bounds[:, 0] + usable_bounds[:, 2]) / 2.0,
                              (usable_bounds[:, 1] + usable_bounds[:, 3]) / 2.0])
    origin = np.nan_to_num(origin)
    coords, coord_plane = shapely.get_coordinates(geoms, return_index=True)
    cos_az, sin_az = np.cos(theta[coord_plane]), np.sin(theta[coord_plane])
    dx, dy = coords[:, 0] - origin[coord_plane, 0], coords[:, 1] - origin[coord_plane, 1]
    rotated = np.column_stack([dx * cos_az - dy * sin_az, dx * sin_az + dy * cos_az])
    polygons = shapely.set_coordinates(geoms.copy(), rotated) if len(coords) else geoms.copy()

    # Only roofs with two flush planes are split at the ridge; a single flush
    # plane (mono-pitch roof measured on a height raster) takes the whole roof.
    n_on_roof = planes.groupby("roof_index")["plane"].transform("size").to_numpy()
    split = flush & (n_on_roof >= 2)
    if split.any():
        # One minimum rotated rectangle per roof, not per plane (its two flush planes share the ridge).
        split_roofs, split_of = np.unique(pos[split], return_inverse=True)
        centre = long_axis(np.asarray(roofs.geometry.array, dtype=object)[split_roofs])[0][split_of.reshape(-1)]
        azimuth = theta[split]
        ridge_b = ((centre[:, 0] - origin[split, 0]) * np.sin(azimuth)
                   + (centre[:, 1] - origin[split, 1]) * np.cos(azimuth))
        whole = shapely.bounds(polygons[split])
        ok = np.isfinite(ridge_b) & ~np.isnan(whole[:, 0])
        half = np.full(int(split.sum()), shapely.Polygon(), dtype=object)
        if ok.any():
            lo = np.minimum(ridge_b[ok], whole[ok, 3])
            cut = np.ones(len(lo), dtype=bool)
            if whole_parts:
                cut, half_ok = _whole_parts_beyond(polygons[split][ok], lo)
                fast = np.flatnonzero(ok)[~cut]
                half[fast] = half_ok[~cut]
            todo = np.flatnonzero(ok)[cut]
            if len(todo):
                front_of_ridge = shapely.box(whole[todo, 0] - 1.0, lo[cut], whole[todo, 2] + 1.0, whole[todo, 3] + 1.0)
                half[todo] = shapely.intersection(polygons[split][todo], front_of_ridge)
        polygons[split] = half
    return polygons, origin


def _whole_parts_beyond(polygons: np.ndarray, lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The parts of each polygon wholly beyond ``b = lo`` (``b > lo``), where no part reaches across it.

    Returns ``cut`` (per polygon: some part touches or crosses ``b = lo``, so the
    caller must intersect) and the MultiPolygon of the parts with ``b_min > lo``
    (an empty Polygon when there is none; not meaningful where ``cut``).
    """
    parts, owner = shapely.get_parts(polygons, return_index=True)
    pb = shapely.bounds(parts)
    beyond = pb[:, 1] > lo[owner]
    behind = pb[:, 3] < lo[owner]
    cut = np.bincount(owner, weights=~(beyond | behind), minlength=len(polygons)) > 0
    cut |= np.bincount(owner, minlength=len(polygons)) == 0  # empty polygon: as before
    out = np.full(len(polygons), None, dtype=object)
    keep = beyond & ~cut[owner]
    if keep.any():
        shapely.multipolygons(parts[keep], indices=owner[keep], out=out)
    out = np.where(shapely.is_missing(out), shapely.Polygon(), out)
    return cut, out


@dataclass(frozen=True)
class Variants:
    """Candidate layouts: one per plane and module orientation [lengths in m]."""

    #: Plane of each variant (position in ``planes``).
    plane: np.ndarray
    #: Module orientation: 0 portrait (long side up the slope), 1 landscape.
    orientation: np.ndarray
    #: The variant's plane is flush-mounted.
    flush: np.ndarray
    #: Cosine of the plane's tilt [-].
    cos_tilt: np.ndarray
    #: Module side along the row (array-frame ``a``) [m].
    module_across_m: np.ndarray
    #: Module side up the slope (array-frame ``b`` before projection) [m].
    module_up_m: np.ndarray
    #: Column spacing along the row, module plus gap [m].
    cell_across_m: np.ndarray
    #: Horizontal depth of a row of modules (a rack row for tilted rows) [m].
    depth_m: np.ndarray
    #: Horizontal row pitch, front edge to front edge [m].
    pitch_m: np.ndarray
    #: Modules stacked in one column of a row (``n`` of a rack row, 1 flush) [-].
    modules_per_column: np.ndarray
    #: Layout tier (:data:`LAYOUTS`): 0 the normal rows; 1–2 the narrow-roof fallbacks of rack planes,
    #: tried in this order only when every lower tier holds no module.
    tier: np.ndarray | None = None


def layout_variants(frames: PlaneFrames, module: Mapping, mounting_cfg: MountingConfig) -> Variants:
    """The candidate layouts of every plane: its module orientations.

    Tilted rack rows are always portrait.  Flush planes are laid out in
    portrait, landscape or both (``mounting_cfg.flush_orientation`` =
    'portrait', 'landscape', 'best'); :func:`best_phase` keeps the best.
    A flush portrait (landscape) row is ``l·cos β`` (``w·cos β``) deep with
    pitch ``(l + gap)·cos β`` (``(w + gap)·cos β``); a rack row is
    ``L·cos β`` deep with the no-shade pitch of :func:`plane_frames`.

    Parameters
    ----------
    frames : PlaneFrames
        From :func:`plane_frames`.
    module : mapping
        Module preset (``length_m``, ``width_m`` [m]).
    mounting_cfg : MountingConfig
        ``flush_orientation``, ``module_gap_m`` [m], ``modules_per_row_portrait``.

    Returns
    -------
    Variants
        Ordered by orientation, then plane.
    """
    _, length_m, width_m = mounting.module_dims(module)
    gap_m = float(mounting_cfg.module_gap_m)
    flush = frames.flush
    n_planes = len(flush)
    mode = mounting_cfg.flush_orientation
    all_planes = np.arange(n_planes)
    portrait = all_planes[~flush] if mode == "landscape" else all_planes  # rack rows are always portrait
    landscape = np.flatnonzero(flush) if mode in ("landscape", "best") else np.empty(0, dtype=np.int64)
    plane = np.concatenate([portrait, landscape])
    orientation = np.concatenate([np.zeros(len(portrait), dtype=np.int64), np.ones(len(landscape), dtype=np.int64)])
    v_flush = flush[plane]
    land = orientation == 1
    cos_tilt = frames.cos_tilt[plane]
    module_across = np.where(land, length_m, width_m)
    module_up = np.where(land, width_m, length_m)
    normal = Variants(
        plane=plane,
        orientation=orientation,
        flush=v_flush,
        cos_tilt=cos_tilt,
        module_across_m=module_across,
        module_up_m=module_up,
        cell_across_m=module_across + gap_m,
        depth_m=np.where(v_flush, module_up * cos_tilt, frames.rack_slant_m * cos_tilt),
        pitch_m=np.where(v_flush, (module_up + gap_m) * cos_tilt, frames.rack_pitch_m[plane]),
        modules_per_column=np.where(v_flush, 1, mounting_cfg.modules_per_row_portrait),
        tier=np.zeros(len(plane), dtype=np.int64),
    )
    return normal


#: Layouts a plane can get (``layout`` column), in the order they are tried: the normal rows (rack rows of
#: ``modules_per_row_portrait`` modules, or the flush grid of pitched/metal planes), then — on flat and unknown
#: roofs where those hold no module — single-row portrait racks (1P) and single-row landscape racks (1L).
#: Modules laid flat (flush, tilt 0) are not a further fallback: a flat module's footprint ``l × w`` contains
#: the tilted one's (``l·cos β × w`` in portrait, ``w·cos β × l`` in landscape) and a single row needs no
#: row spacing, so wherever a flat module fits, a 1P or 1L rack module fits too.
LAYOUTS = ("rows", "single_portrait", "single_landscape")


def narrow_roof_fallbacks(polygons, bounds, frames, variants, bands, gaps, module, mounting_cfg, n_phases):
    """Add the single-row rack variants (:data:`LAYOUTS`) of the rack planes the normal rows leave empty.

    Only planes with a polygon whose normal rows hold no module are laid out again (a few per cent of a
    district), so the fallbacks cost little; the new variants, bands and gaps are appended to the normal
    ones (indices shifted) and :func:`best_phase` then keeps, per plane, the lowest tier holding a module.

    Returns
    -------
    tuple of Variants, RowBands, FreeGaps
        The normal ones followed by the fallbacks'.
    """
    _, length_m, width_m = mounting.module_dims(module)
    gap_m = float(mounting_cfg.module_gap_m)
    n_planes = len(polygons)
    held = np.bincount(bands.plane[gaps.band], weights=gaps.columns, minlength=n_planes)
    empty = np.flatnonzero(~frames.flush & (held == 0) & ~np.isnan(bounds[:, 0]))
    if not len(empty):
        return variants, bands, gaps
    extra = _concat_variants(_narrow_variants(frames, empty, length_m, width_m, gap_m))
    bands2 = row_bands(bounds, extra, n_phases)
    gaps2 = free_gaps(polygons, bands2, extra, gap_m)
    nv, nr, nb = len(variants.plane), len(bands.run_variant), len(bands.run)
    merged_bands = RowBands(
        run_variant=np.r_[bands.run_variant, bands2.run_variant + nv], run_top_m=np.r_[bands.run_top_m, bands2.run_top_m],
        run_rows=np.r_[bands.run_rows, bands2.run_rows], run_first_band=np.r_[bands.run_first_band, bands2.run_first_band + nb],
        run=np.r_[bands.run, bands2.run + nr], row=np.r_[bands.row, bands2.row],
        variant=np.r_[bands.variant, bands2.variant + nv], plane=np.r_[bands.plane, bands2.plane],
        top_m=np.r_[bands.top_m, bands2.top_m], bottom_m=np.r_[bands.bottom_m, bands2.bottom_m])
    merged_gaps = FreeGaps(np.r_[gaps.band, gaps2.band + nb], np.r_[gaps.start_m, gaps2.start_m],
                           np.r_[gaps.end_m, gaps2.end_m], np.r_[gaps.columns, gaps2.columns])
    return _concat_variants([variants, extra]), merged_bands, merged_gaps


def _narrow_variants(frames: PlaneFrames, racks: np.ndarray, length_m: float, width_m: float,
                     gap_m: float) -> list[Variants]:
    """The fallback variants of the rack planes ``racks``: single-row portrait (1P), then landscape (1L) racks.

    A single-row rack of one module up the slope has the slant ``l`` (portrait) or ``w`` (landscape), the
    plane's rack tilt, and the no-shade pitch of :func:`pvsite.solar.mounting.rack_rows` for that slant
    (``modules_up=1``); module dimensions from the module preset.
    """
    n = len(racks)
    one = np.ones(n, dtype=np.int64)
    cos_t = frames.cos_tilt[racks]
    out = []
    for tier, land, pitch in ((1, False, frames.rack_pitch_1p_m[racks]), (2, True, frames.rack_pitch_1l_m[racks])):
        up, across = (width_m, length_m) if land else (length_m, width_m)
        out.append(Variants(
            plane=racks, orientation=one * int(land), flush=np.zeros(n, dtype=bool), cos_tilt=cos_t,
            module_across_m=np.full(n, across), module_up_m=np.full(n, up), cell_across_m=np.full(n, across + gap_m),
            depth_m=up * cos_t, pitch_m=pitch, modules_per_column=one, tier=one * tier))
    return out


def _concat_variants(parts: list[Variants]) -> Variants:
    """The variants of ``parts`` one after the other (field by field)."""
    return Variants(**{f.name: np.concatenate([getattr(p, f.name) for p in parts])
                       for f in dataclasses.fields(Variants)})


@dataclass(frozen=True)
class RowBands:
    """Row bands of every *run* (a variant at one phase) [lengths in m, array frame].

    Per run: ``run_variant``, ``run_top_m`` (``b`` of the front edge of row 0),
    ``run_rows`` (number of rows), ``run_first_band``.  Per band (one row
    of one run): ``run``, ``row`` (0 = front), ``variant``, ``plane``,
    ``top_m`` and ``bottom_m`` (``b`` of its front and back edges).
    """

    run_variant: np.ndarray
    run_top_m: np.ndarray
    run_rows: np.ndarray
    run_first_band: np.ndarray
    run: np.ndarray
    row: np.ndarray
    variant: np.ndarray
    plane: np.ndarray
    top_m: np.ndarray
    bottom_m: np.ndarray


def row_bands(plane_bounds: np.ndarray, variants: Variants, n_phases: int) -> RowBands:
    """The rows of every variant at every phase, as bands ``[bottom, top]`` of ``b``.

    Phase ``k`` puts the front edge of row 0 at ``b_max − k·pitch/n_phases``
    (``b_max``: the plane polygon's front edge); rows go back by ``pitch``
    while a whole row depth fits above ``b_min``:
    ``rows = ⌊(b_max − b_min − phase − depth) / pitch⌋ + 1``.

    Parameters
    ----------
    plane_bounds : numpy.ndarray, shape (n_planes, 4)
        ``shapely.bounds`` of the plane polygons in their array frames
        ``(a_min, b_min, a_max, b_max)`` [m]; NaN for an empty plane.
    variants : Variants
        From :func:`layout_variants`.
    n_phases : int
        Phases tried per variant [-].

    Returns
    -------
    RowBands
        Runs ordered by variant then phase; bands by run then row.
    """
    has_polygon = ~np.isnan(plane_bounds[:, 0])
    n_var = len(variants.plane)
    phase_k = np.tile(np.arange(n_phases), n_var)
    run_variant = np.repeat(np.arange(n_var), n_phases)
    run_plane = variants.plane[run_variant]
    run_pitch = variants.pitch_m[run_variant]
    run_depth = variants.depth_m[run_variant]
    variant_bounds = plane_bounds[variants.plane]
    span_b = (variant_bounds[:, 3] - variant_bounds[:, 1])[run_variant]
    phase = phase_k * run_pitch / n_phases
    n_rows = np.floor((span_b - phase - run_depth) / run_pitch + _EPS) + 1
    n_rows = np.where(has_polygon[run_plane] & np.isfinite(n_rows), np.maximum(n_rows, 0), 0).astype(np.int64)
    run = np.repeat(np.arange(len(run_variant)), n_rows)
    row = np.arange(len(run)) - np.repeat(np.cumsum(n_rows) - n_rows, n_rows)
    band_variant = run_variant[run]
    band_plane = variants.plane[band_variant]
    run_top = plane_bounds[run_plane, 3] - phase
    top = plane_bounds[band_plane, 3] - phase[run] - row * variants.pitch_m[band_variant]
    return RowBands(
        run_variant=run_variant,
        run_top_m=run_top,
        run_rows=n_rows,
        run_first_band=np.cumsum(n_rows) - n_rows,
        run=run,
        row=row,
        variant=band_variant,
        plane=band_plane,
        top_m=top,
        bottom_m=top - variants.depth_m[band_variant],
    )


@dataclass(frozen=True)
class FreeGaps:
    """Free intervals along the row bands, inside the plane polygon."""

    #: Band of each gap (index into the :class:`RowBands` bands).
    band: np.ndarray
    #: ``a`` of the gap's ends [m].
    start_m: np.ndarray
    end_m: np.ndarray
    #: Module columns the gap holds, ``⌊(length + gap) / cell⌋`` [-].
    columns: np.ndarray


def free_gaps(polygons: np.ndarray, bands: RowBands, variants: Variants, gap_m: float) -> FreeGaps:
    """Free intervals of every band and the module columns each holds.

    A band minus :data:`TOLERANCE_M` at its front and back is crossed by
    some polygon edges; each crossing forbids the ``a`` span of the part of
    the edge inside the band.  Between the merged forbidden spans, an
    interval is wholly inside or wholly outside the polygon: its middle
    point decides.  A free interval of length ``g`` holds
    ``⌊(g + gap) / (w_a + gap)⌋`` columns (``w_a``: module side along ``a``).

    Parameters
    ----------
    polygons : numpy.ndarray of shapely geometries
        Plane polygons in their array frames (:func:`plane_polygons`).
    bands : RowBands
        From :func:`row_bands`.
    variants : Variants
        From :func:`layout_variants`.
    gap_m : float
        Gap between modules [m].

    Returns
    -------
    FreeGaps
        Gaps inside the polygon, by band then ``a``.
    """
    run_plane = variants.plane[bands.run_variant]
    band, start, end = _edge_gaps(
        polygons, len(polygons), run_plane, bands.run_top_m, variants.depth_m[bands.run_variant],
        variants.pitch_m[bands.run_variant], bands.run_rows, bands.run_first_band,
    )
    if len(band):
        shapely.prepare(polygons)
        inside = shapely.contains_xy(polygons[bands.plane[band]], (start + end) / 2.0,
                                     (bands.bottom_m[band] + bands.top_m[band]) / 2.0)
        band, start, end = band[inside], start[inside], end[inside]
    columns = np.floor((end - start + gap_m) / variants.cell_across_m[bands.variant[band]] + _EPS).astype(np.int64)
    return FreeGaps(band, start, end, np.maximum(columns, 0))


@dataclass(frozen=True)
class BestPhase:
    """The run kept per plane and what it holds."""

    #: Index of the kept run per plane (−1: nothing fits).
    run: np.ndarray
    #: Modules the kept run holds, before the obstruction allowance [-].
    modules: np.ndarray
    #: Module orientation of the kept run, 0 portrait, 1 landscape.
    orientation: np.ndarray
    #: Per gap: it holds modules and belongs to its plane's kept run.
    gap_used: np.ndarray


def best_phase(gaps: FreeGaps, bands: RowBands, variants: Variants, n_planes: int) -> BestPhase:
    """Per plane, the run (orientation × phase) holding the most modules.

    Ties go to the first run: portrait before landscape, the smallest
    offset first (rows flush with the front edge).

    Parameters
    ----------
    gaps : FreeGaps
        From :func:`free_gaps`.
    bands : RowBands
        From :func:`row_bands`.
    variants : Variants
        From :func:`layout_variants`.
    n_planes : int
        Number of planes [-].

    Returns
    -------
    BestPhase
    """
    n_runs = len(bands.run_variant)
    gap_variant = bands.variant[gaps.band]
    run_modules = np.bincount(bands.run[gaps.band], weights=gaps.columns * variants.modules_per_column[gap_variant],
                              minlength=n_runs)
    best = np.full(n_planes, -1, dtype=np.int64)
    if n_runs:
        tier = variants.tier[bands.run_variant] if variants.tier is not None else np.zeros(n_runs, np.int64)
        # The lowest tier holding any module wins; within it the most modules (then the first run).
        key = np.where(run_modules > 0, tier, len(LAYOUTS))
        run_plane = variants.plane[bands.run_variant]
        order = np.lexsort((np.arange(n_runs), -run_modules, key, run_plane))  # by plane, tier, most modules, run
        p_sorted = run_plane[order]
        first = np.r_[True, p_sorted[1:] != p_sorted[:-1]]
        best[p_sorted[first]] = order[first]
    found = best >= 0
    modules = np.zeros(n_planes, dtype=np.int64)
    modules[found] = run_modules[best[found]].astype(np.int64)
    best_variant = np.where(found, bands.run_variant[np.maximum(best, 0)] if n_runs else -1, -1)
    orientation = np.where(best_variant >= 0, variants.orientation[np.maximum(best_variant, 0)], 0) \
        if len(variants.orientation) else np.zeros(n_planes, dtype=np.int64)
    gap_used = (gaps.columns > 0) & (bands.run[gaps.band] == best[bands.plane[gaps.band]])
    return BestPhase(best, modules, orientation, gap_used)


def obstruction_thinning(plane: np.ndarray, keep_share: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Modules kept by the obstruction allowance, evenly spread in fill order.

    Of the ``N`` modules of a plane in fill order, module ``j`` is kept when
    ``⌊(j + 1)·k⌋ > ⌊j·k⌋`` (``k``: kept share), which keeps ``⌊N·k⌋`` of
    them spread over the whole plane.

    Parameters
    ----------
    plane : numpy.ndarray of int
        Plane of each module, modules in fill order within each plane.
    keep_share : numpy.ndarray
        Share of the modules kept, per plane, ``1 − obstruction share`` [-].

    Returns
    -------
    kept : numpy.ndarray of int
        Positions (into ``plane``) of the kept modules, sorted by plane and
        fill order.
    order : numpy.ndarray of int
        Fill order of each kept module within its plane, 0-based.
    """
    srt = np.argsort(plane, kind="stable")
    sorted_plane = plane[srt]
    starts = np.flatnonzero(np.r_[True, sorted_plane[1:] != sorted_plane[:-1]])
    j = np.arange(len(sorted_plane)) - np.repeat(starts, np.diff(np.r_[starts, len(sorted_plane)]))
    k = keep_share[sorted_plane]
    kept = np.floor((j + 1) * k + _EPS) > np.floor(j * k + _EPS)
    return srt[kept], (np.floor(j[kept] * k[kept] + _EPS)).astype(np.int64)


def module_rectangles(roofs, planes, frames, origin, variants, bands, gaps, best, keep_share, gap_m) -> gpd.GeoDataFrame:
    """The ``panels`` layer: one map rectangle per module of the kept runs.

    Each used gap holds its columns centred in it; a column holds
    ``modules_per_column`` modules up the slope, each ``l·cos β`` deep
    (rack rows) or the row depth (flush), ``(l + gap)·cos β`` apart.  The
    obstruction allowance is applied (:func:`obstruction_thinning`), then the
    array-frame rectangles are rotated back to map coordinates.

    Parameters
    ----------
    roofs : geopandas.GeoDataFrame
        The roofs (``building_id`` when present; CRS).
    planes : pandas.DataFrame
        The planes (``roof_index``, ``plane``).
    frames, origin, variants, bands, gaps, best
        The outputs of the previous steps (origin: array-frame origin per
        plane, map x and y [m]).
    keep_share : numpy.ndarray
        Share of modules kept per plane [-].
    gap_m : float
        Gap between modules [m].

    Returns
    -------
    geopandas.GeoDataFrame
        ``building_id`` (when ``roofs`` has it), ``roof_index``, ``plane``,
        ``row``, ``order``; module footprints in the CRS of ``roofs``, by
        plane then fill order.
    """
    ids = roofs["building_id"].to_numpy() if "building_id" in roofs.columns else None
    return _rectangles(ids, roofs.crs, planes, frames, origin, variants, bands, gaps, best, keep_share,
                       gap_m).drop(columns="plane_pos")


def _rectangles(building_id, crs, planes, frames, origin, variants, bands, gaps, best, keep_share,
                gap_m) -> gpd.GeoDataFrame:
    """:func:`module_rectangles` from the roofs' ids and CRS, with ``plane_pos`` (position in ``planes``)."""
    m = _module_positions(variants, bands, gaps, best, gap_m)
    kept, order = obstruction_thinning(m["plane"], keep_share)
    m_plane = m["plane"][kept]
    cos_az, sin_az = np.cos(frames.grid_azimuth_rad[m_plane]), np.sin(frames.grid_azimuth_rad[m_plane])
    ox, oy = origin[m_plane, 0], origin[m_plane, 1]
    a0, a1, b0, b1 = (m[k][kept] for k in ("a0", "a1", "b0", "b1"))
    corners_a = np.stack([a0, a1, a1, a0, a0], axis=1)
    corners_b = np.stack([b0, b0, b1, b1, b0], axis=1)
    x = corners_a * cos_az[:, None] + corners_b * sin_az[:, None] + ox[:, None]
    y = -corners_a * sin_az[:, None] + corners_b * cos_az[:, None] + oy[:, None]
    n_mod = len(x)
    rects = shapely.from_ragged_array(  # 3× faster than shapely.polygons for ~10⁶ rectangles
        shapely.GeometryType.POLYGON,
        np.stack([x, y], axis=-1).reshape(-1, 2),
        (np.arange(0, 5 * n_mod + 1, 5), np.arange(n_mod + 1)),
    ) if n_mod else np.empty(0, dtype=object)
    data = {}
    if building_id is not None:
        data["building_id"] = building_id[frames.roof_pos[m_plane]]
    data.update(
        roof_index=planes["roof_index"].to_numpy()[m_plane],
        plane=planes["plane"].to_numpy()[m_plane],
        row=m["row"][kept].astype(np.int64),
        order=order,
        plane_pos=m_plane,
    )
    # Rows follow the planes' order, then the fill order.
    return gpd.GeoDataFrame(data, geometry=rects, crs=crs)


def _module_positions(variants, bands, gaps, best, gap_m) -> dict:
    """Array-frame rectangle ``[a0, a1] × [b0, b1]`` [m], plane and row of every module of the kept runs.

    Modules come run by run, row by row, gap by gap in ascending ``a``, then
    up the rack: the fill order within a plane.
    """
    used_gap = np.flatnonzero(best.gap_used)
    gap_band = gaps.band[used_gap]
    gap_plane = bands.plane[gap_band]
    gap_variant = bands.variant[gap_band]
    n_col = gaps.columns[used_gap]
    cell = variants.cell_across_m
    gap_len = gaps.end_m[used_gap] - gaps.start_m[used_gap]
    used_len = n_col * cell[gap_variant] - gap_m
    first_a = gaps.start_m[used_gap] + (gap_len - used_len) / 2.0  # columns centred in the gap
    col_gap = np.repeat(np.arange(len(used_gap)), n_col)
    col_k = np.arange(len(col_gap)) - np.repeat(np.cumsum(n_col) - n_col, n_col)
    # Expand columns into modules (n per column for tilted rows).
    per_col = variants.modules_per_column[gap_variant][col_gap]
    mod_col = np.repeat(np.arange(len(col_gap)), per_col)
    up = np.arange(len(mod_col)) - np.repeat(np.cumsum(per_col) - per_col, per_col)
    mod_gap = col_gap[mod_col]
    var = gap_variant[mod_gap]
    cos_tilt = variants.cos_tilt[var]
    a0 = first_a[mod_gap] + col_k[mod_col] * cell[var]
    # Length of one module along the slope: the flush row depth taken back onto the slope, l on a rack.
    slope_len = np.where(variants.flush[var], variants.depth_m[var] / np.maximum(cos_tilt, _EPS),
                         variants.module_up_m[var])
    step_b = (slope_len + gap_m) * cos_tilt
    b1 = bands.top_m[gap_band][mod_gap] - up * step_b
    return {
        "plane": gap_plane[mod_gap],
        "row": bands.row[gap_band][mod_gap],
        "a0": a0,
        "a1": a0 + variants.module_across_m[var],
        "b0": b1 - slope_len * cos_tilt,
        "b1": b1,
    }


def _plane_results(planes, frames, variants, bands, gaps, best, keep_share, module, mounting_cfg) -> pd.DataFrame:
    """``planes`` with the layout's per-plane columns (see :func:`layout_roofs`)."""
    power_w, length_m, width_m = mounting.module_dims(module)
    gap_m = float(mounting_cfg.module_gap_m)
    n_up = mounting_cfg.modules_per_row_portrait
    n_planes = len(planes)
    flush, cos_tilt, rack_pitch = frames.flush, frames.cos_tilt, frames.rack_pitch_m
    landscape = best.orientation == 1
    n_rows_used = np.zeros(n_planes, dtype=np.int64)
    if best.gap_used.any():
        used_band = gaps.band[best.gap_used]
        rows_with = pd.DataFrame({"p": bands.plane[used_band], "r": bands.row[used_band]}).drop_duplicates()
        n_rows_used = np.bincount(rows_with["p"], minlength=n_planes).astype(np.int64)
    module_up = np.where(landscape, width_m, length_m)
    module_across = np.where(landscape, length_m, width_m)
    out = planes.copy()
    out["modules_fit"] = np.floor(best.modules * keep_share + _EPS).astype(np.int64)
    out["module_orientation"] = np.where(landscape, "landscape", "portrait")
    out["n_rows"] = n_rows_used
    out["row_pitch_m"] = np.where(flush, (module_up + gap_m) * cos_tilt, rack_pitch)
    out["field_area_per_module_m2"] = np.where(
        flush, (module_up + gap_m) * (module_across + gap_m) * cos_tilt, rack_pitch * (width_m + gap_m) / n_up,
    )
    out["module_power_w"] = power_w
    # The narrow-roof fallbacks (tier > 0): their own row pitch and field area per module.
    found = best.run >= 0
    var = np.where(found, bands.run_variant[np.maximum(best.run, 0)] if len(bands.run_variant) else 0, -1)
    tier = np.where(found & (best.modules > 0), variants.tier[np.maximum(var, 0)], 0) \
        if variants.tier is not None and len(variants.plane) else np.zeros(n_planes, np.int64)
    out["layout"] = np.asarray(LAYOUTS, dtype=object)[tier]
    fb = tier > 0
    if fb.any():
        v = var[fb]
        field = variants.pitch_m[v] * variants.cell_across_m[v] / variants.modules_per_column[v]
        out.loc[out.index[fb], "row_pitch_m"] = variants.pitch_m[v]
        out.loc[out.index[fb], "field_area_per_module_m2"] = field
        if "ground_coverage_ratio" in out.columns:
            out.loc[out.index[fb], "ground_coverage_ratio"] = length_m * width_m / field
    return out


#: ``roof_note`` of a roof with usable area where no layout holds a module (:func:`no_fit_notes`).
NO_FIT_NOTE = ("可用面积 {area:.1f} m²，但放不下最小排布（{layout_zh}：需 ≥ {depth:.2f} m 进深、{length:.2f} m 长的连续条带）"
               " / usable area {area:.1f} m², but the smallest layout ({layout}) needs a clear strip "
               "{depth:.2f} m deep and {length:.2f} m long")


def no_fit_notes(roofs: pd.DataFrame, planes: pd.DataFrame, module: Mapping,
                 mounting_cfg: MountingConfig) -> pd.Series:
    """``roof_note`` with, for every roof that has usable area but holds no module, what the smallest layout needs.

    The smallest layout of a rack plane is a single-row landscape rack (one module ``w`` up the slope at the
    rack tilt, ``l`` along the row) when ``mounting_cfg.narrow_roof_layouts`` is on, else a normal rack row
    (slant ``n·l + (n − 1)·gap``, ``w`` along); of a flush plane, one module in the flush orientation(s)
    allowed, its short side up the slope.  Other roofs keep their note.

    Parameters
    ----------
    roofs : pandas.DataFrame
        ``usable_area_m2`` [m²] and ``roof_note``.
    planes : pandas.DataFrame
        Output of :func:`layout_roofs` (``roof_index``, ``mounting``, ``tilt_deg`` [°], ``modules_fit``),
        before the suitability threshold.
    module : mapping
        Module preset (``length_m``, ``width_m`` [m]).
    mounting_cfg : MountingConfig
        ``modules_per_row_portrait``, ``module_gap_m`` [m], ``narrow_roof_layouts``, ``flush_orientation``.

    Returns
    -------
    pandas.Series
        The roofs' ``roof_note`` (object dtype, index of ``roofs``).
    """
    _, length_m, width_m = mounting.module_dims(module)
    note = (roofs["roof_note"].astype(object) if "roof_note" in roofs.columns
            else pd.Series(None, index=roofs.index, dtype=object)).copy()
    fit = planes.groupby("roof_index")["modules_fit"].sum().reindex(roofs.index).fillna(0).to_numpy()
    hit = (fit == 0) & (roofs["usable_area_m2"].to_numpy(dtype=float) > 0)
    if not hit.any():
        return note
    first = planes.sort_values(["roof_index", "plane"]).groupby("roof_index").first().reindex(roofs.index[hit])
    cos_t = np.cos(np.radians(first["tilt_deg"].to_numpy(dtype=float)))
    flush = first["mounting"].to_numpy() == "flush"
    n, gap = mounting_cfg.modules_per_row_portrait, float(mounting_cfg.module_gap_m)
    narrow = bool(mounting_cfg.narrow_roof_layouts)
    portrait_only = mounting_cfg.flush_orientation == "portrait"
    up = np.where(flush, np.where(portrait_only, length_m, width_m),
                  width_m if narrow else n * length_m + (n - 1) * gap)
    along = np.where(flush, np.where(portrait_only, width_m, length_m), length_m if narrow else width_m)
    names = np.where(flush, np.where(portrait_only, "顺坡竖放一块组件|one flush module in portrait",
                                     "顺坡横放一块组件|one flush module in landscape"),
                     "单排横放支架|single-row landscape rack" if narrow else f"{n} 块竖放支架排|rack row of {n} in portrait")
    area = roofs["usable_area_m2"].to_numpy(dtype=float)[hit]
    old = note.to_numpy(dtype=object)[hit]
    new = []
    for a, d, ln, nm, o in zip(area, up * cos_t, along, names, old):
        zh, en = nm.split("|")
        text = NO_FIT_NOTE.format(area=a, depth=d, length=ln, layout_zh=zh, layout=en)
        new.append(f"{o}; {text}" if isinstance(o, str) and o else text)
    note.iloc[np.flatnonzero(hit)] = new
    return note


def _check_columns(roofs: pd.DataFrame, planes: pd.DataFrame) -> None:
    missing = [c for c in ("usable_geometry", "usable_area_m2") if c not in roofs.columns]
    missing += [c for c in ("roof_index", "plane", "mounting", "tilt_deg", "azimuth_deg") if c not in planes.columns]
    if missing:
        raise InputError(
            f"layout_roofs needs the columns {missing}.",
            fix="Pass the outputs of pvsite.roofs.usable.usable_roofs and pvsite.roofs.planes.roof_planes.",
            zh=f"layout_roofs 需要列 {missing}。",
            fix_zh="请传入 pvsite.roofs.usable.usable_roofs 和 pvsite.roofs.planes.roof_planes 的输出。",
        )


# ---------------------------------------------------------------------------
# Policy: the installed modules
# ---------------------------------------------------------------------------


def modules_for_policy(planes: pd.DataFrame, required_area_m2, equator_azimuth_deg: float = 180.0) -> pd.Series:
    """Modules per plane for a required array-field area per roof.

    Each roof takes modules row by row from the front row of its best plane
    (the one facing closest to ``equator_azimuth_deg``; ties by plane
    number), then of its next plane, until the array field
    (``modules × field_area_per_module_m2``) reaches the required area —
    i.e. the smallest module count that meets the policy minimum — capped by
    ``modules_fit``.  A required area of ``inf`` gives every module that
    fits (technical maximum); 0 or NaN gives none.

    Parameters
    ----------
    planes : pandas.DataFrame
        Output of :func:`layout_roofs` (``roof_index``, ``azimuth_deg``,
        ``plane``, ``modules_fit``, ``field_area_per_module_m2``).
    required_area_m2 : pandas.Series or float
        Array-field area each roof must give to PV [m²], indexed by roof
        label (``policy_ratio × area_m2``; 0 for excluded roofs), or one
        value for all roofs.
    equator_azimuth_deg : float
        Preferred facing, 180 north of the equator [°].

    Returns
    -------
    pandas.Series
        Integer module count per plane, aligned with ``planes.index``.
    """
    if isinstance(required_area_m2, pd.Series):
        req = required_area_m2.reindex(planes["roof_index"]).to_numpy(dtype=float)
    else:
        req = np.full(len(planes), float(required_area_m2))
    req = np.where(np.isnan(req), 0.0, req)
    fit = planes["modules_fit"].to_numpy(dtype=np.int64)
    cell = planes["field_area_per_module_m2"].to_numpy(dtype=float)
    pref = -np.cos(np.radians(planes["azimuth_deg"].to_numpy(dtype=float) - equator_azimuth_deg))
    tmp = pd.DataFrame(
        {"roof": pd.factorize(planes["roof_index"])[0], "pref": pref, "plane": planes["plane"].to_numpy(),
         "cap": fit * cell, "req": req, "pos": np.arange(len(planes))}
    ).sort_values(["roof", "pref", "plane"], kind="stable")
    before = tmp.groupby("roof")["cap"].cumsum().to_numpy() - tmp["cap"].to_numpy()
    remaining = tmp["req"].to_numpy() - before
    c = cell[tmp["pos"].to_numpy()]
    f = fit[tmp["pos"].to_numpy()]
    with np.errstate(invalid="ignore", divide="ignore"):
        need = np.where(remaining > 0, np.ceil(remaining / c - _EPS), 0.0)
    need = np.where(np.isfinite(need), need, f)
    n = np.clip(need, 0, f).astype(np.int64)
    out = np.empty(len(planes), dtype=np.int64)
    out[tmp["pos"].to_numpy()] = n
    return pd.Series(out, index=planes.index, name="n_modules")


def select_panels(panels: gpd.GeoDataFrame, planes: pd.DataFrame, column: str = "n_modules") -> gpd.GeoDataFrame:
    """The installed modules: the first ``planes[column]`` of each plane in fill order.

    Parameters
    ----------
    panels : geopandas.GeoDataFrame
        From :func:`layout_roofs`.
    planes : pandas.DataFrame
        With ``roof_index``, ``plane`` and the module count ``column``.
    column : str
        Column of ``planes`` holding the modules installed per plane.

    Returns
    -------
    geopandas.GeoDataFrame or ModulePanels
        The subset of ``panels`` (``order < n``), of the type of ``panels``.
    """
    if isinstance(panels, (ModulePanels, ModulePanelParts)):
        return panels.installed(planes, column)
    key = pd.MultiIndex.from_arrays([planes["roof_index"], planes["plane"]])
    n = pd.Series(planes[column].to_numpy(), index=key)
    want = n.reindex(pd.MultiIndex.from_arrays([panels["roof_index"], panels["plane"]])).to_numpy()
    want = np.where(np.isnan(want.astype(float)), 0, want)
    return panels[panels["order"].to_numpy() < want]


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _obstruction_share(roofs: pd.DataFrame, pos: np.ndarray) -> np.ndarray:
    """Obstruction share per plane from ``obstruction_area_m2`` / polygon area."""
    if "obstruction_area_m2" not in roofs.columns:
        return np.zeros(len(pos))
    usable = roofs["usable_area_m2"].to_numpy(dtype=float)[pos]
    obst = roofs["obstruction_area_m2"].to_numpy(dtype=float)[pos]
    total = usable + obst
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, obst / total, 0.0)
    return np.clip(np.nan_to_num(share), 0.0, 1.0)


def _edge_gaps(polygons, n_planes, run_plane, run_top, depth, pitch, n_rows, run_first):
    """Gaps between the spans of the polygon edges that cross each row band.

    Row ``k`` of run ``r`` is the band ``b ∈ (top − k·pitch − depth + tol,
    top − k·pitch − tol)`` (``tol`` = :data:`TOLERANCE_M`).  An edge crosses
    it where its ``b`` range meets that open interval; the ``a`` span of the
    part of the edge inside the band is forbidden.  Only the rows an edge can
    reach are paired with it (a sweep), so the work is proportional to
    edges × rows crossed.

    Parameters are per run (``run_plane``, ``run_top`` [m], ``depth`` [m],
    ``pitch`` [m], ``n_rows``, ``run_first`` = index of its row 0 band).
    Returns ``(band, gap_start, gap_end)`` [-, m, m].
    """
    edges = _polygon_edges(polygons, n_planes)
    a1, b1, a2, b2, edge_first, edge_count = edges

    # (run, edge) combinations, then the rows each edge reaches.
    edges_per_run = edge_count[run_plane] * (n_rows > 0)
    combo_run = np.repeat(np.arange(len(run_plane)), edges_per_run)
    combo_edge = np.repeat(edge_first[run_plane], edges_per_run) + (
        np.arange(len(combo_run)) - np.repeat(np.cumsum(edges_per_run) - edges_per_run, edges_per_run))
    edge_lo, edge_hi = np.minimum(b1, b2), np.maximum(b1, b2)
    top, d, p = run_top[combo_run], depth[combo_run], pitch[combo_run]
    first_row = np.floor((top - d + TOLERANCE_M - edge_hi[combo_edge]) / p) + 1  # hi_edge > band bottom
    last_row = np.ceil((top - TOLERANCE_M - edge_lo[combo_edge]) / p) - 1  # lo_edge < band top
    first_row = np.maximum(first_row, 0)
    last_row = np.minimum(last_row, n_rows[combo_run] - 1)
    rows_crossed = np.maximum(last_row - first_row + 1, 0).astype(np.int64)
    pair = np.repeat(np.arange(len(combo_run)), rows_crossed)
    k = np.repeat(first_row, rows_crossed).astype(np.int64) + (
        np.arange(len(pair)) - np.repeat(np.cumsum(rows_crossed) - rows_crossed, rows_crossed))
    r = combo_run[pair]
    e = combo_edge[pair]
    band = run_first[r] + k
    hi = run_top[r] - k * pitch[r] - TOLERANCE_M
    lo = hi - depth[r] + 2 * TOLERANCE_M
    # Clip each edge to the band: parameter t along the edge where it enters and leaves.
    db = b2[e] - b1[e]
    along_row = np.abs(db) < 1e-12
    with np.errstate(invalid="ignore", divide="ignore"):
        t_lo = np.where(along_row, 0.0, (lo - b1[e]) / db)
        t_hi = np.where(along_row, 1.0, (hi - b1[e]) / db)
    t0 = np.clip(np.minimum(t_lo, t_hi), 0.0, 1.0)
    t1 = np.clip(np.maximum(t_lo, t_hi), 0.0, 1.0)
    da = a2[e] - a1[e]
    s0 = a1[e] + t0 * da
    s1 = a1[e] + t1 * da
    return _gaps_between(band, np.minimum(s0, s1), np.maximum(s0, s1))


def _polygon_edges(polygons, n_planes):
    """Edges of every ring of every plane polygon, grouped by plane.

    Returns ``(a1, b1, a2, b2, first, count)``: edge end points [m] (array
    frame), and per plane the index of its first edge and its edge count.
    """
    parts, part_plane = shapely.get_parts(polygons, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    same_ring = ring_of[1:] == ring_of[:-1]
    a1, b1 = xy[:-1][same_ring].T
    a2, b2 = xy[1:][same_ring].T
    edge_plane = part_plane[ring_part[ring_of[:-1][same_ring]]]  # non-decreasing
    count = np.bincount(edge_plane, minlength=n_planes)
    return a1, b1, a2, b2, np.cumsum(count) - count, count


def _gaps_between(owner: np.ndarray, start: np.ndarray, end: np.ndarray):
    """Gaps between the union of intervals ``[start, end]`` of each band.

    Returns ``(band, gap_start, gap_end)`` for every positive gap between
    consecutive merged intervals of the same band.
    """
    if len(owner) == 0:
        e = np.empty(0)
        return np.empty(0, dtype=np.int64), e, e
    srt = np.lexsort((start, owner))  # stable: by band, then start
    band, s, e = owner[srt], start[srt], end[srt]
    # Running maximum of the ends within each band, exactly: the rank of each end among all ends, offset by
    # band × number of ranks, is increasing across bands, so one np.maximum.accumulate restarts at every band.
    values, rank = np.unique(e, return_inverse=True)
    key = band.astype(np.int64) * len(values) + rank.reshape(-1)
    reach = values[np.maximum.accumulate(key) - band.astype(np.int64) * len(values)]
    same = band[1:] == band[:-1]
    g_start = reach[:-1]
    g_end = s[1:]
    ok = same & (g_end > g_start)
    return band[1:][ok], g_start[ok], g_end[ok]
