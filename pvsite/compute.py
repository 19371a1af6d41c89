"""Where the per-roof stages run: this process, a local process pool, or a Dask cluster.

:func:`pvsite.pipeline.prepare` calls :func:`survey_roofs` and
:func:`roof_horizons` here instead of the stage functions themselves; with
``[compute] scheduler = "serial"`` (the default) both the layout
(:func:`pvsite.roofs.survey.survey_roofs`) and, with shading, the horizons
(:func:`pvsite.roofs.horizon.horizon_profiles`) run in this process on
partitions of ``partition_roofs`` roofs one after the other, so their
temporaries never exceed one partition's (layout, 100,000 roofs: peak 2.1 →
0.7 GB at the same CPU time; 300,000: 5.6 → 1.4 GB; horizons: see
:func:`roof_horizons`); a run of at most ``partition_roofs`` roofs is one
call of each stage.  With ``processes`` or
``dask`` the chosen roofs are cut into the same partitions, the stage
function runs on each partition on a worker, and the parts are put back
together in input order.  The results
equal the one-process run: the same roofs, planes, modules and horizons
(tested on a real ``distributed.LocalCluster``, :mod:`tests.test_compute`).

Why a module of its own, not code in each stage: the stages stay pure
functions of a frame (a partition is just a smaller frame), the pipeline
stays a list of stage calls, and the one place that knows about workers,
partitions and halos is this one.  Dask is imported only when
``scheduler = "dask"`` (``pip install pvsite[dask]``), so a serial run never
pays for it.

Partitions
----------
*Layout* (:func:`survey_roofs`): contiguous runs of roofs **in input
order**.  A roof's usable area, planes and module layout depend on no other
roof, so any cut is exact; cutting in input order makes the parts
concatenate to the one-process frames row for row, and the panels layer
streams part after part in the same order
(:class:`pvsite.roofs.layout.ModulePanelParts`).

*Horizons* (:func:`roof_horizons`): **spatial** partitions, because a
plane's horizon needs the buildings around it.  The roofs with planes are
sorted by the Hilbert distance of their footprint centroids
(:meth:`geopandas.GeoSeries.hilbert_distance`, level 16) and cut into runs
of ``partition_roofs``; each partition gets, as its *halo*, every
obstructing building whose bounding box meets the partition's bounding box
grown by ``[shading] max_radius_m``.  The ray cast keeps a neighbour only
within ``max_radius_m`` of a sample point, and every sample point lies in
its roof's footprint, so the halo holds every neighbour one process would
use.  Spatial partitions keep the halos small (a partition of 5,000 dense
roofs plus a 1 km rim, not the whole city).

Whole-run constants
-------------------
Three numbers that a stage would otherwise take from the frame it is given
are computed once on the whole run and passed to every partition: the grid
bearing of true north (:func:`pvsite.roofs.orientation.grid_north_bearing_deg`
of the whole selection), the origin the ray cast subtracts from the
coordinates, and the tallest obstruction (it sets the reported search radius).
"""

from __future__ import annotations

import atexit
import functools
import logging
from typing import Any, Callable, Iterable, Iterator

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pvsite.errors import ConfigError
from pvsite.roofs import horizon as horizon_mod
from pvsite.roofs import survey as survey_mod
from pvsite.roofs.layout import ModulePanelParts
from pvsite.roofs.orientation import grid_north_bearing_deg

log = logging.getLogger(__name__)

#: Open executors and Dask clients, by (scheduler, address, n_workers); closed at exit or by :func:`close`.
_POOLS: dict = {}
#: Seconds to wait for a Dask scheduler at ``[compute] address``.
CONNECT_TIMEOUT_S = 10


# ---------------------------------------------------------------------------
# The two stages
# ---------------------------------------------------------------------------


def survey_roofs(buildings: gpd.GeoDataFrame, config, module, site_lat_deg: float, *,
                 north_deg: float | None = None) -> survey_mod.SurveyedRoofs:
    """:func:`pvsite.roofs.survey.survey_roofs`, on partitions when ``config.compute`` asks for it.

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        Classified buildings in a metric CRS.
    config : pvsite.config.Config
        Validated configuration (``compute`` chooses where it runs).
    module : pvsite.presets.ModulePreset
        Module preset.
    site_lat_deg : float
        Site latitude [°N].
    north_deg : float, optional
        Grid convergence of the run [°] (default: at the centre of ``buildings``);
        :func:`pvsite.pipeline.prepare` passes the whole input's, so a street run
        lays its planes out in the district run's frame.

    Returns
    -------
    pvsite.roofs.survey.SurveyedRoofs
        Equal to the one-process result; ``panels`` is a
        :class:`pvsite.roofs.layout.ModulePanelParts` when partitioned.
    """
    cfg = config.compute
    size = int(cfg.partition_roofs)
    north = grid_north_bearing_deg(buildings) if north_deg is None else float(north_deg)
    if len(buildings) <= size:
        return survey_mod.survey_roofs(buildings, config, module, site_lat_deg, north_deg=north)
    n_parts = -(-len(buildings) // size)

    def tasks():
        for i in range(0, len(buildings), size):
            yield buildings.iloc[i:i + size], config, module, site_lat_deg, north

    log.info("layout: %d roofs in %d partitions on %s", len(buildings), n_parts, describe(cfg))
    # The tasks are taken one by one as the partitions complete (:func:`each_completed`: serial, one at a
    # time; a pool or cluster, at most twice the workers' in flight), so this process never holds every
    # partition's input copy (pickled for a pool, submitted to a cluster) beside the results coming back;
    # each result is split into its three members as it arrives.
    roof_parts, plane_parts, panel_parts = [None] * n_parts, [None] * n_parts, [None] * n_parts
    for k, part in each_completed(_survey_part, tasks(), cfg):
        roof_parts[k], plane_parts[k], panel_parts[k] = part.roofs, part.planes, part.panels
        del part
    panels = None if panel_parts[0] is None else ModulePanelParts(tuple(panel_parts))
    del panel_parts
    # Put together one frame at a time and let go of its parts before the next (1M roofs: the parts and
    # the concatenations of both frames at once were the main process's layout peak).
    roofs = pd.concat(roof_parts)
    del roof_parts
    roofs = gpd.GeoDataFrame(roofs, geometry=buildings.geometry.name, crs=buildings.crs)
    planes = pd.concat(plane_parts, ignore_index=True)
    del plane_parts
    return survey_mod.SurveyedRoofs(roofs, planes, panels)


def roof_horizons(surveyed: survey_mod.SurveyedRoofs, buildings: gpd.GeoDataFrame,
                  config, shading=None, north_deg: float | None = None) -> horizon_mod.HorizonProfiles | None:
    """:func:`pvsite.roofs.horizon.roof_horizons`, on spatial partitions with a halo when asked.

    Parameters
    ----------
    surveyed : pvsite.roofs.survey.SurveyedRoofs
        The surveyed roofs and planes.
    buildings : geopandas.GeoDataFrame
        Every input building (the obstructions), same metric CRS.
    config : pvsite.config.Config
        ``shading`` (off: None), ``heights``, ``compute``.
    shading : pvsite.solar.shading.PlaneShading, optional
        When given, every partition's sample points go to its
        :meth:`~pvsite.solar.shading.PlaneShading.add_points` as soon as the
        partition is done and are then dropped: the per-point profiles
        (points × sectors, ≈ 5 GB at 1,000,000 roofs in float32) never exist
        for the whole run, and the result holds the per-plane fields only.
        With ``processes`` / ``dask`` the partitions are reduced as they
        complete, at most twice the workers' partitions submitted and not
        yet reduced (:func:`each_completed`); the sums do not depend on that
        order (a plane's points are all in one partition).
    north_deg : float, optional
        The run's grid convergence (:func:`pvsite.roofs.horizon.run_frame`); default that of
        the neighbours.

    Returns
    -------
    pvsite.roofs.horizon.HorizonProfiles or None
        Equal to the one-process result (None when shading is off; without
        the ``point_*`` fields when ``shading`` is given).
    """
    reduce_to, (cfg, shading) = shading, (config.compute, config.shading)
    if not shading.enabled:
        return None
    roofs, planes = surveyed.roofs, surveyed.planes
    with_planes = np.flatnonzero(roofs.index.isin(planes["roof_index"]))
    if len(with_planes) <= cfg.partition_roofs:
        whole = horizon_mod.roof_horizons(surveyed, buildings, config.shading, config.heights, north_deg)
        if reduce_to is None:
            return whole
        reduce_to.add_points(whole.point_horizon_deg, whole.point_plane, whole.point_weight)
        return whole.without_points()
    neighbours = horizon_mod.horizon_neighbours(surveyed, buildings, config.heights)
    _, nb_h, nb_keep = horizon_mod.obstructions(neighbours)
    constants = dict(**horizon_mod.run_frame(neighbours, north_deg), tallest_m=float(nb_h[nb_keep].max()) if len(nb_keep) else 0.0, **horizon_mod.profile_settings(shading))
    parts = spatial_partitions(roofs.iloc[with_planes], int(cfg.partition_roofs))
    nb_tree = shapely.STRtree(np.asarray(neighbours.geometry.array, dtype=object))
    roof_of_plane = planes["roof_index"].to_numpy()
    positions = [np.flatnonzero(np.isin(roof_of_plane, roofs.index[with_planes[pos]].to_numpy())) for pos in parts]

    def tasks():
        for pos, plane_pos in zip(parts, positions):
            part_roofs = roofs.iloc[with_planes[pos]]
            box = _bounds(part_roofs)
            halo = np.sort(nb_tree.query(shapely.box(*(box + np.array([-1, -1, 1, 1]) * shading.max_radius_m))))
            yield part_roofs, planes.iloc[plane_pos], neighbours.iloc[halo], constants

    log.info("horizons: %d roofs with planes in %d spatial partitions (halo %.0f m) on %s",
             len(with_planes), len(parts), shading.max_radius_m, describe(cfg))
    # Serial: one partition's copies (roofs, planes, halo), ray array and ray-cast temporaries at a time; with
    # ``shading`` also its point profiles (one call over 100,000 roofs held ≈ 0.5 GB of float32 rays, the
    # float64 profiles and their copies: the run's 3.7 GB peak).
    if reduce_to is None:  # every partition's points are kept, then put in plane order
        done = [None] * len(parts)
        for k, part in each_completed(_horizon_part, tasks(), cfg):
            done[k] = part
        return _join_profiles(done, positions, planes.index)

    # Each partition's points are reduced as soon as it is done, in this process, whatever the scheduler:
    # serial one after the other; processes / dask as they complete, with a bounded number of partitions
    # submitted and not yet reduced (:func:`each_completed`), so neither the tasks' copies nor the point
    # profiles of every partition are held at once.  The order does not change a figure: a plane's points
    # are all in one partition and :class:`~pvsite.solar.shading.PlaneShading` sums them per plane.  The
    # partition's plane profiles go straight into the run's arrays (:class:`_PlaneFields`) and the partition
    # is dropped: keeping every partition's and then joining them held the (planes × sectors) profiles twice
    # (100,000 roofs at 144 sectors: 2 × 163 MB, the stage's peak).
    joined = _PlaneFields(len(planes))
    for k, part in each_completed(_horizon_part, tasks(), cfg):
        reduce_to.add_points(part.point_horizon_deg, positions[k][part.point_plane], part.point_weight)
        joined.add(part, positions[k])
        del part
    return joined.profiles(planes.index)


def spatial_partitions(frame: gpd.GeoDataFrame, size: int) -> list[np.ndarray]:
    """Positions in ``frame`` of each spatial partition: Hilbert order of the centroids, runs of ``size``.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Footprints (rows without geometry go last, in order).
    size : int
        Rows per partition, ≥ 1.

    Returns
    -------
    list of numpy.ndarray of int
        Sorted positions, one array per partition; together every row once.
    """
    centres = gpd.GeoSeries(shapely.centroid(np.asarray(frame.geometry.array, dtype=object)), crs=frame.crs)
    ok = ~(centres.isna() | centres.is_empty).to_numpy()
    key = np.full(len(frame), np.iinfo(np.int64).max, dtype=np.int64)
    if ok.any():
        key[ok] = centres[ok].hilbert_distance(total_bounds=centres[ok].total_bounds, level=16).to_numpy()
    order = np.argsort(key, kind="stable")
    return [np.sort(order[i:i + size]) for i in range(0, len(order), size)]


# ---------------------------------------------------------------------------
# Workers
# ---------------------------------------------------------------------------


def each_completed(fn: Callable, tasks: Iterable[tuple], cfg, in_flight: int | None = None) -> Iterator[tuple[int, Any]]:
    """``(k, fn(*tasks[k]))`` for every task, as the tasks complete, with a bounded number in flight.

    Serial: in task order, in this process.  ``processes`` / ``dask``: at
    most ``in_flight`` tasks are submitted and not yet handed back (default
    twice the workers: one running and one queued on each), and the next
    task is taken from ``tasks`` (which may be a generator) only when one
    is handed back; so this process holds at most ``in_flight + 1`` tasks'
    arguments and results at once, not every task's.  The order is the
    order of completion (tasks of ``processes`` that complete together: in
    task order), so a caller must not depend on it.

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled to the workers).
    tasks : iterable of tuple
        Positional arguments of each call, taken lazily.
    cfg : pvsite.config.ComputeConfig
        ``scheduler``, ``n_workers``, ``address``.
    in_flight : int, optional
        Tasks submitted and not yet handed back, ≥ 1.

    Yields
    ------
    (int, object)
        The task's position in ``tasks`` and its result.
    """
    if cfg.scheduler == "serial":
        for k, t in enumerate(tasks):
            yield k, fn(*t)
        return
    numbered = enumerate(tasks)
    if cfg.scheduler == "processes":
        from concurrent.futures import FIRST_COMPLETED, wait

        pool = _process_pool(int(cfg.n_workers))
        limit = max(1, int(in_flight or 2 * int(cfg.n_workers)))
        pending: dict = {}

        def submit() -> None:
            for k, t in numbered:
                pending[pool.submit(fn, *t)] = k
                return

        try:
            for _ in range(limit):
                submit()
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in sorted(finished, key=pending.__getitem__):
                    k, result = pending.pop(fut), fut.result()
                    del fut
                    submit()  # the workers go on while this process uses the result
                    yield k, result
                    del result
                del finished
        finally:
            for fut in pending:
                fut.cancel()
        return
    from distributed import as_completed

    client = dask_client(cfg)
    limit = max(1, int(in_flight or 2 * max(1, sum(client.nthreads().values()))))
    queue = as_completed()
    position: dict = {}

    def submit_dask() -> None:
        for k, t in numbered:
            fut = client.submit(fn, *t, pure=False)
            position[fut.key] = k
            queue.add(fut)
            return

    try:
        for _ in range(limit):
            submit_dask()
        for fut in queue:  # also the futures added while iterating
            k, result = position.pop(fut.key), fut.result()
            del fut
            submit_dask()
            yield k, result
            del result
    finally:
        queue.clear()


def dask_client(cfg):
    """The ``distributed.Client`` of ``cfg``: at ``cfg.address``, else on a LocalCluster (one per process, reused).

    The local cluster has ``cfg.n_workers`` worker processes of one thread
    each (the stages are numpy/shapely code that holds the GIL between
    calls, so processes, not threads, run them in parallel).

    Raises
    ------
    pvsite.errors.ConfigError
        Dask is not installed, or no scheduler answers at the address.
    """
    key = ("dask", cfg.address, None if cfg.address else int(cfg.n_workers))
    if key in _POOLS:
        return _POOLS[key][0]
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise ConfigError(f"[compute] scheduler = \"dask\" needs Dask: Dask is not installed ({exc}).",
                          fix="pip install 'pvsite[dask]', or use --scheduler processes.",
                          zh=f"[compute] scheduler = \"dask\" 需要 Dask，但未安装 Dask（{exc}）。",
                          fix_zh="请 pip install 'pvsite[dask]'，或改用 --scheduler processes。") from exc
    if cfg.address:
        try:
            client = Client(cfg.address, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as exc:
            raise ConfigError(f"[compute] address {cfg.address}: no Dask scheduler answers there ({exc}).",
                              fix="Start one (`dask scheduler`, then `dask worker ADDRESS` on each machine) "
                                  "or use --scheduler dask without an address for a local cluster.",
                              zh=f"[compute] address {cfg.address}：无法连接 Dask 调度器（{exc}）。",
                              fix_zh="请先启动调度器（`dask scheduler`，再在每台机器上运行 `dask worker ADDRESS`），或不带地址使用 --scheduler dask 启动本机集群。") from exc
        _POOLS[key] = (client, None)
    else:
        cluster = LocalCluster(n_workers=int(cfg.n_workers), threads_per_worker=1, processes=True,
                               dashboard_address=None)
        _POOLS[key] = (Client(cluster), cluster)
    _POOLS[key][0].run(_warm)  # every worker imports the stages now, not inside the first task
    return _POOLS[key][0]


def release_freed_memory() -> bool:
    """Give the heap pages this process has freed back to the operating system (glibc ``malloc_trim(0)``).

    glibc keeps freed blocks in its arenas, resident: every numpy array below its mmap threshold (which
    rises to 32 MB as larger arrays are freed) and every small object.  After the layout, the horizons and
    the energy stage, ≈ 150 MB of the 100,000-roof run's resident memory is such freed heap; a scenario's
    sizing that starts after a trim peaks lower (100,000 roofs: policy coverage 1,090 → 1,037 MB, rolling up
    1,067 → 1,026 MB; pvsite measurement, 2026-12-03, ``benchmarks/memory.py --out``).  Trimming after each
    horizon partition did not lower that stage's peak (its blocks are reused by the next partition), so it
    is done only between stages.  Takes milliseconds; changes no value.

    Returns
    -------
    bool
        ``malloc_trim``'s answer, whether memory was given back; False also where the C library has no
        ``malloc_trim`` (musl, macOS, Windows: there this does nothing).
    """
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    """glibc's ``malloc_trim``, or None when the process's C library has none."""
    import ctypes

    try:
        return ctypes.CDLL(None).malloc_trim  # the symbols already loaded into this process (its libc)
    except (OSError, AttributeError, TypeError):  # no glibc; TypeError: Windows has no CDLL(None)
        return None


def describe(cfg) -> str:
    """The scheduler in words, e.g. ``'dask LocalCluster (2 workers)'``."""
    if cfg.scheduler == "dask":
        return f"dask {cfg.address}" if cfg.address else f"dask LocalCluster ({cfg.n_workers} workers)"
    if cfg.scheduler == "processes":
        return f"{cfg.n_workers} local processes"
    return "this process"


def close() -> None:
    """Shut down every pool and Dask client this process opened (also done at exit)."""
    while _POOLS:
        (kind, _, _), (pool, cluster) = _POOLS.popitem()
        if kind == "processes":
            pool.shutdown(wait=True, cancel_futures=True)
            continue
        pool.close()  # a Client: disconnect (a remote scheduler keeps running)
        if cluster is not None:
            cluster.close()


atexit.register(close)


def _process_pool(n_workers: int):
    key = ("processes", None, n_workers)
    if key not in _POOLS:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["pvsite.compute"])
        _POOLS[key] = (ProcessPoolExecutor(n_workers, mp_context=ctx), None)
    return _POOLS[key][0]


def _warm() -> None:
    import pvsite.compute  # noqa: F401  (the stages and their numpy/shapely/pvlib imports)


def _survey_part(buildings, config, module, site_lat_deg, north_deg):
    return survey_mod.survey_roofs(buildings, config, module, site_lat_deg, north_deg=north_deg)


def _horizon_part(roofs, planes, neighbours, constants):
    return horizon_mod.horizon_profiles(roofs, planes, neighbours=neighbours, **constants)


def _bounds(roofs: gpd.GeoDataFrame) -> np.ndarray:
    """Bounding box of the footprints and usable polygons of ``roofs`` [m]."""
    geoms = [np.asarray(roofs.geometry.array, dtype=object)]
    if "usable_geometry" in roofs.columns:
        geoms.append(np.asarray(gpd.GeoSeries(roofs["usable_geometry"]).array, dtype=object))
    b = shapely.bounds(np.concatenate(geoms))
    return np.array([np.nanmin(b[:, 0]), np.nanmin(b[:, 1]), np.nanmax(b[:, 2]), np.nanmax(b[:, 3])])


class _PlaneFields:
    """The per-plane fields of :class:`HorizonProfiles` for every plane of a run, filled partition by partition.

    ``horizon_deg``, ``horizon_max_deg`` and ``radius_m`` start NaN (a plane no partition holds keeps NaN, as
    in one call) and take each partition's rows at its plane positions as it is added, so a caller can let
    go of the partition at once.  The arrays are made when the first partition comes (its sector count).
    """

    def __init__(self, n_planes: int):
        self.n_planes, self.settings = int(n_planes), None

    def add(self, part: horizon_mod.HorizonProfiles, pos: np.ndarray) -> None:
        """Copy ``part``'s plane rows into the run's rows ``pos`` (``part`` itself is not kept)."""
        if self.settings is None:
            n = self.n_planes
            self.settings = dict(max_radius_m=part.max_radius_m, min_sun_elevation_deg=part.min_sun_elevation_deg)
            self.horizon = np.full((n, part.n_sectors), np.nan)
            self.hmax, self.radius = np.full(n, np.nan), np.full(n, np.nan)
        self.horizon[pos], self.hmax[pos], self.radius[pos] = part.horizon_deg, part.horizon_max_deg, part.radius_m

    def profiles(self, plane_index: pd.Index, **points) -> horizon_mod.HorizonProfiles:
        """The run's :class:`HorizonProfiles`: the filled plane fields, the ``point_*`` fields of ``points``
        (None when not given: reduced partition by partition)."""
        fields = {name: points.get(name) for name in
                  ("point_horizon_deg", "point_plane", "point_weight", "point_xy", "point_height_m")}
        return horizon_mod.HorizonProfiles(horizon_deg=self.horizon, horizon_max_deg=self.hmax, radius_m=self.radius,
                                           **fields, **self.settings, plane_index=plane_index)


def _join_profiles(parts: list, positions: list[np.ndarray], plane_index: pd.Index) -> horizon_mod.HorizonProfiles:
    """One :class:`HorizonProfiles` for all planes from the partitions' (planes at ``positions``), with points."""
    joined = _PlaneFields(len(plane_index))
    for part, pos in zip(parts, positions):
        joined.add(part, pos)
    point_plane = np.concatenate([pos[p.point_plane] for p, pos in zip(parts, positions)])
    order = np.argsort(point_plane, kind="stable")
    where = np.empty_like(order)
    where[order] = np.arange(len(order))  # destination row of each concatenated point
    bounds = np.cumsum([0] + [len(p.point_plane) for p in parts])

    def points(name):
        """The points' ``name`` of every part, in plane order: one array, filled part by part (no concatenated
        copy beside it: at 100,000 roofs a (points × 144) horizon is ≈ 0.5 GB)."""
        first_values = getattr(parts[0], name)
        out = np.empty((len(order), *first_values.shape[1:]), dtype=first_values.dtype)
        for k, part in enumerate(parts):
            out[where[bounds[k]:bounds[k + 1]]] = getattr(part, name)
        return out

    return joined.profiles(plane_index, point_horizon_deg=points("point_horizon_deg"), point_plane=point_plane[order],
                           point_weight=points("point_weight"), point_xy=points("point_xy"),
                           point_height_m=points("point_height_m"))
