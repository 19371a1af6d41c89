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
  :func:`pvsite.solar.mounting.row_pitch_m` at the site latitude for the plane's
  own azimuth; along a row the columns are ``w + gap`` apart.
* **flush** (pitched and metal roofs): the usable polygon is split at the
  ridge (the long axis through the centre of the footprint's minimum
  rotated rectangle, as in :func:`pvsite.roofs.usable.usable_roofs`); each half
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
``module area / ground_coverage_ratio`` of :func:`pvsite.roofs.usable.roof_planes`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pvsite.solar import mounting
from pvsite.roofs import usable as roofs_mod
from pvsite.config import MountingConfig
from pvsite.errors import ConfigError, InputError

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

_ORIENTATIONS = ("portrait", "landscape", "best")


def layout_roofs(
    roofs: gpd.GeoDataFrame,
    planes: pd.DataFrame,
    module: Mapping,
    mounting_cfg: MountingConfig | None = None,
    latitude_deg: float = 31.2,
    *,
    n_phases: int = N_PHASES,
    true_north: bool = True,
    panels: bool = True,
) -> tuple[pd.DataFrame, gpd.GeoDataFrame | None]:
    """Place module rectangles on every plane; count what fits.

    Parameters
    ----------
    roofs : geopandas.GeoDataFrame
        Output of :func:`pvsite.roofs.usable.usable_roofs` (footprint geometry,
        ``usable_geometry``, ``usable_area_m2``, ``obstruction_area_m2``),
        projected CRS in metres.
    planes : pandas.DataFrame
        Output of :func:`pvsite.roofs.usable.roof_planes` (``roof_index``,
        ``plane``, ``mounting``, ``tilt_deg`` [°], ``azimuth_deg`` [°, true
        bearing]).
    module : mapping
        Module preset with ``power_w`` [W], ``length_m`` [m], ``width_m`` [m].
    mounting_cfg : MountingConfig, optional
        Module gap [m], no-shade window [h], ``modules_per_row_portrait``,
        ``flush_orientation``; default ``MountingConfig()``.
    latitude_deg : float
        Site latitude for the row pitch, north positive [°].
    n_phases : int
        Offsets of the first row from the front edge tried per plane.
    true_north : bool
        Plane azimuths are true bearings (as :func:`usable_roofs` gives them
        by default); convert them to grid bearings with the CRS's meridian
        convergence.  Pass the same value as to ``usable_roofs``.
    panels : bool
        Build the ``panels`` GeoDataFrame (one polygon per module); ``False``
        only counts (faster).

    Returns
    -------
    planes : pandas.DataFrame
        A copy of ``planes`` with ``modules_fit`` (modules that fit, after
        the obstruction allowance), ``module_orientation`` ('portrait' or
        'landscape'), ``n_rows`` (rows holding modules), ``row_pitch_m``
        [m] (horizontal, front edge to front edge),
        ``field_area_per_module_m2`` [m²] (horizontal roof area one module
        takes, gaps included) and ``module_power_w`` [W].
    panels : geopandas.GeoDataFrame or None
        One row per module that fits: ``building_id`` (when ``roofs`` has
        it), ``roof_index``, ``plane``, ``row`` (0 = front), ``order`` (fill
        order within the plane, 0-based: row by row from the front, along
        each row), geometry = the module's horizontal footprint (for tilted
        rows the projection of the tilted module), CRS of ``roofs``.
    """
    mounting_cfg = mounting_cfg or MountingConfig()
    power_w, length_m, width_m = mounting._module_dims(module)
    gap_m = float(mounting_cfg.module_gap_m)
    if gap_m < 0:
        raise ConfigError(f"mounting.module_gap_m must be ≥ 0, found {gap_m}.")
    n_up = roofs_mod._modules_per_row(mounting_cfg)
    orient_mode = mounting_cfg.flush_orientation
    if orient_mode not in _ORIENTATIONS:
        raise ConfigError(
            f"mounting.flush_orientation must be one of {list(_ORIENTATIONS)}, found {orient_mode!r}.",
        )
    if not (isinstance(n_phases, int) and n_phases >= 1):
        raise ConfigError(f"n_phases must be a whole number ≥ 1, found {n_phases!r}.")
    missing = [c for c in ("usable_geometry", "usable_area_m2") if c not in roofs.columns]
    missing += [c for c in ("roof_index", "plane", "mounting", "tilt_deg", "azimuth_deg") if c not in planes.columns]
    if missing:
        raise InputError(
            f"layout_roofs needs the columns {missing}.",
            fix="Pass the outputs of pvsite.roofs.usable.usable_roofs and pvsite.roofs.usable.roof_planes.",
        )

    planes = planes.copy()
    n_pl = len(planes)
    pos = roofs.index.get_indexer(planes["roof_index"])
    if np.any(pos < 0):
        raise InputError("Some planes refer to roofs that are not in the roofs table.")
    flush = planes["mounting"].to_numpy() == "flush"
    tilt = planes["tilt_deg"].to_numpy(dtype=float)
    cos_t = np.cos(np.radians(tilt))
    north = roofs_mod._grid_north_bearing_deg(roofs) if true_north else 0.0
    theta = np.radians(planes["azimuth_deg"].to_numpy(dtype=float) + north)  # grid bearing of b

    # Row pitch of tilted rows, per distinct (tilt, azimuth).
    slant_rows = n_up * length_m + (n_up - 1) * gap_m
    pitch_rows = np.full(n_pl, np.nan)
    if (~flush).any():
        pairs, inv = np.unique(
            np.column_stack([tilt[~flush], planes["azimuth_deg"].to_numpy(dtype=float)[~flush]]),
            axis=0, return_inverse=True,
        )
        d = mounting.row_pitch_m(
            slant_rows, pairs[:, 0], latitude_deg,
            mounting_cfg.no_shade_start_hour, mounting_cfg.no_shade_end_hour,
            row_azimuth_deg=pairs[:, 1],
        )
        pitch_rows[~flush] = np.asarray(d)[inv.ravel()]

    # Variants per plane: (orientation) × phases.  Orientation 0 = portrait, 1 = landscape.
    orients = {"portrait": [0], "landscape": [1], "best": [0, 1]}[orient_mode]
    var_plane, var_orient = [], []
    for o in orients:
        idx = np.arange(n_pl) if o == 0 else np.flatnonzero(flush)  # landscape only for flush planes
        var_plane.append(idx)
        var_orient.append(np.full(len(idx), o))
    var_plane = np.concatenate(var_plane)
    var_orient = np.concatenate(var_orient)
    vf = flush[var_plane]
    land = var_orient == 1
    vcos = cos_t[var_plane]
    # Footprint across the row (a), depth (b), pitch along a and b, modules per column.
    mod_a = np.where(land, length_m, width_m)
    cell_a = mod_a + gap_m
    depth_b = np.where(vf, np.where(land, width_m, length_m) * vcos, slant_rows * vcos)
    pitch_b = np.where(vf, (np.where(land, width_m, length_m) + gap_m) * vcos, pitch_rows[var_plane])
    per_col = np.where(vf, 1, n_up)

    # Plane polygons in their array frames.
    poly, origin = _plane_polygons(roofs, planes, pos, flush, theta)
    bounds = shapely.bounds(poly)  # (amin, bmin, amax, bmax); NaN for empty
    has = ~np.isnan(bounds[:, 0])

    # Bands: variant × phase × row.
    n_var = len(var_plane)
    phase_k = np.tile(np.arange(n_phases), n_var)
    band_var = np.repeat(np.arange(n_var), n_phases)
    vb = bounds[var_plane]
    span_b = (vb[:, 3] - vb[:, 1])[band_var]
    phase = phase_k * pitch_b[band_var] / n_phases
    n_rows = np.floor((span_b - phase - depth_b[band_var]) / pitch_b[band_var] + _EPS) + 1
    n_rows = np.where(has[var_plane][band_var] & np.isfinite(n_rows), np.maximum(n_rows, 0), 0).astype(np.int64)
    run = np.repeat(np.arange(len(band_var)), n_rows)  # run = (variant, phase) of each band
    row = np.arange(len(run)) - np.repeat(np.cumsum(n_rows) - n_rows, n_rows)
    bv = band_var[run]
    bp = var_plane[bv]
    b_hi = bounds[bp, 3] - phase[run] - row * pitch_b[bv]
    b_lo = b_hi - depth_b[bv]
    run_first = np.cumsum(n_rows) - n_rows  # band index of each run's row 0

    # Free intervals along each band: edges crossing the band forbid their span.
    gaps = _band_gaps(poly, n_pl, var_plane[band_var], bounds[var_plane[band_var], 3] - phase,
                      depth_b[band_var], pitch_b[band_var], n_rows, run_first)
    g_band, g_start, g_end = gaps
    # A gap between edge crossings is wholly inside or wholly outside: test its middle.
    if len(g_band):
        shapely.prepare(poly)
        inside = shapely.contains_xy(poly[bp[g_band]], (g_start + g_end) / 2.0, (b_lo[g_band] + b_hi[g_band]) / 2.0)
        g_band, g_start, g_end = g_band[inside], g_start[inside], g_end[inside]
    g_len = g_end - g_start
    g_cols = np.floor((g_len + gap_m) / cell_a[bv[g_band]] + _EPS).astype(np.int64)
    g_cols = np.maximum(g_cols, 0)

    # Modules per (variant, phase) run; best per plane.
    run_mod = np.bincount(run[g_band], weights=g_cols * per_col[bv[g_band]], minlength=len(band_var))
    best_run = _best_run(run_mod, band_var, var_plane, n_pl, n_phases)
    fit_raw = run_mod[best_run].astype(np.int64)
    fit_raw = np.where(best_run >= 0, fit_raw, 0)

    share = _obstruction_share(roofs, pos)
    keep_frac = 1.0 - share
    modules_fit = np.floor(fit_raw * keep_frac + _EPS).astype(np.int64)

    best_var = np.where(best_run >= 0, band_var[np.maximum(best_run, 0)], -1)
    orient = np.where(best_var >= 0, var_orient[np.maximum(best_var, 0)], 0)
    n_rows_used = np.zeros(n_pl, dtype=np.int64)
    sel_gap = (g_cols > 0) & (run[g_band] == best_run[bp[g_band]])
    if sel_gap.any():
        rows_with = pd.DataFrame({"p": bp[g_band][sel_gap], "r": row[g_band][sel_gap]}).drop_duplicates()
        n_rows_used = np.bincount(rows_with["p"], minlength=n_pl).astype(np.int64)
    cell_area = np.where(
        flush,
        (np.where(orient == 1, width_m, length_m) + gap_m) * (np.where(orient == 1, length_m, width_m) + gap_m) * cos_t,
        pitch_rows * (width_m + gap_m) / n_up,
    )

    planes["modules_fit"] = modules_fit
    planes["module_orientation"] = np.where(orient == 1, "landscape", "portrait")
    planes["n_rows"] = n_rows_used
    planes["row_pitch_m"] = np.where(flush, (np.where(orient == 1, width_m, length_m) + gap_m) * cos_t, pitch_rows)
    planes["field_area_per_module_m2"] = cell_area
    planes["module_power_w"] = power_w
    logger.info(
        "layout: %d planes, %d modules fit (%.0f kW) after the obstruction allowance; %d row bands",
        n_pl, int(modules_fit.sum()), modules_fit.sum() * power_w / 1000.0, len(b_hi),
    )
    if not panels:
        return planes, None

    # Module rectangles of the chosen runs.
    gi = np.flatnonzero(sel_gap)
    gb = g_band[gi]
    gp = bp[gb]
    gv = bv[gb]
    ncol = g_cols[gi]
    used = ncol * cell_a[gv] - gap_m
    a0 = g_start[gi] + (g_len[gi] - used) / 2.0
    col_gap = np.repeat(np.arange(len(gi)), ncol)
    col_k = np.arange(len(col_gap)) - np.repeat(np.cumsum(ncol) - ncol, ncol)
    # Expand columns into modules (n_up per column for tilted rows).
    npc = per_col[gv][col_gap]
    mod_col = np.repeat(np.arange(len(col_gap)), npc)
    up = np.arange(len(mod_col)) - np.repeat(np.cumsum(npc) - npc, npc)
    mg = col_gap[mod_col]
    m_plane = gp[mg]
    m_var = gv[mg]
    m_a0 = a0[mg] + col_k[mod_col] * cell_a[m_var]
    m_a1 = m_a0 + mod_a[m_var]
    slope_len = np.where(vf[m_var], depth_b[m_var] / np.maximum(vcos[m_var], _EPS), length_m)
    step_b = (slope_len + gap_m) * vcos[m_var]
    m_b1 = b_hi[gb][mg] - up * step_b
    m_b0 = m_b1 - slope_len * vcos[m_var]
    m_row = row[gb][mg]
    # Fill order within a plane: row, then along the row, then up the rack.
    # Modules are generated run by run, row by row, gap by gap in ascending
    # ``a``; a stable sort on the plane alone keeps that order.
    srt = np.argsort(m_plane, kind="stable")
    ps = m_plane[srt]
    starts = np.flatnonzero(np.r_[True, ps[1:] != ps[:-1]])
    j = np.arange(len(ps)) - np.repeat(starts, np.diff(np.r_[starts, len(ps)]))
    # Obstruction allowance: drop evenly spread modules (keeps ⌊N·k⌋ of N).
    k = keep_frac[m_plane[srt]]
    kept = np.floor((j + 1) * k + _EPS) > np.floor(j * k + _EPS)
    srt = srt[kept]
    order = (np.floor(j[kept] * k[kept] + _EPS)).astype(np.int64)

    ca, sa = np.cos(theta[m_plane[srt]]), np.sin(theta[m_plane[srt]])
    ox, oy = origin[m_plane[srt], 0], origin[m_plane[srt], 1]
    corners_a = np.stack([m_a0[srt], m_a1[srt], m_a1[srt], m_a0[srt], m_a0[srt]], axis=1)
    corners_b = np.stack([m_b0[srt], m_b0[srt], m_b1[srt], m_b1[srt], m_b0[srt]], axis=1)
    x = corners_a * ca[:, None] + corners_b * sa[:, None] + ox[:, None]
    y = -corners_a * sa[:, None] + corners_b * ca[:, None] + oy[:, None]
    n_mod = len(x)
    rects = shapely.from_ragged_array(  # 3× faster than shapely.polygons for ~10⁶ rectangles
        shapely.GeometryType.POLYGON,
        np.stack([x, y], axis=-1).reshape(-1, 2),
        (np.arange(0, 5 * n_mod + 1, 5), np.arange(n_mod + 1)),
    ) if n_mod else np.empty(0, dtype=object)
    roof_label = planes["roof_index"].to_numpy()[m_plane[srt]]
    data = {}
    if "building_id" in roofs.columns:
        data["building_id"] = roofs["building_id"].to_numpy()[pos[m_plane[srt]]]
    data.update(
        roof_index=roof_label,
        plane=planes["plane"].to_numpy()[m_plane[srt]],
        row=m_row[srt].astype(np.int64),
        order=order,
    )
    # Rows follow the planes' order, then the fill order.
    return planes, gpd.GeoDataFrame(data, geometry=rects, crs=roofs.crs)


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
    geopandas.GeoDataFrame
        The subset of ``panels`` (``order < n``).
    """
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


def _plane_polygons(roofs, planes, pos, flush, theta):
    """Usable polygon of each plane in its array frame, and the frame origins.

    Frame: ``a = (x − x0)·cosθ − (y − y0)·sinθ``, ``b = (x − x0)·sinθ +
    (y − y0)·cosθ`` with ``θ`` the grid bearing of the plane's azimuth, so
    ``b`` points the way the modules face.  Flush planes of two-plane roofs
    keep the half of the polygon on their side of the ridge.
    """
    geoms = np.asarray(roofs["usable_geometry"].array, dtype=object)[pos]
    geoms = np.where(shapely.is_missing(geoms), shapely.Polygon(), geoms)
    b = shapely.bounds(geoms)
    origin = np.column_stack([(b[:, 0] + b[:, 2]) / 2.0, (b[:, 1] + b[:, 3]) / 2.0])
    origin = np.nan_to_num(origin)
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    c, s = np.cos(theta[idx]), np.sin(theta[idx])
    dx, dy = coords[:, 0] - origin[idx, 0], coords[:, 1] - origin[idx, 1]
    rotated = np.column_stack([dx * c - dy * s, dx * s + dy * c])
    poly = shapely.set_coordinates(geoms.copy(), rotated) if len(coords) else geoms.copy()

    # Only roofs with two flush planes are split at the ridge; a single flush
    # plane (mono-pitch roof measured on a height raster) takes the whole roof.
    n_on_roof = planes.groupby("roof_index")["plane"].transform("size").to_numpy()
    flush = flush & (n_on_roof >= 2)
    if flush.any():
        fp = np.asarray(roofs.geometry.array, dtype=object)[pos[flush]]
        centre, _, _ = roofs_mod._rectangle_axis(shapely.minimum_rotated_rectangle(fp))
        th = theta[flush]
        ridge_b = (centre[:, 0] - origin[flush, 0]) * np.sin(th) + (centre[:, 1] - origin[flush, 1]) * np.cos(th)
        pb = shapely.bounds(poly[flush])
        ok = np.isfinite(ridge_b) & ~np.isnan(pb[:, 0])
        half = np.full(int(flush.sum()), shapely.Polygon(), dtype=object)
        if ok.any():
            lo = np.minimum(ridge_b[ok], pb[ok, 3])
            clip = shapely.box(pb[ok, 0] - 1.0, lo, pb[ok, 2] + 1.0, pb[ok, 3] + 1.0)
            half[ok] = shapely.intersection(poly[flush][ok], clip)
        poly[flush] = half
    return poly, origin


def _band_gaps(poly, n_pl, run_plane, run_top, depth, pitch, n_rows, run_first):
    """Gaps between the spans of the polygon edges that cross each row band.

    Row ``k`` of run ``r`` is the band ``b ∈ (top − k·pitch − depth + tol,
    top − k·pitch − tol)``.  An edge crosses it where its ``b`` range meets
    that open interval; the ``a`` span of the part of the edge inside the
    band is forbidden.  Only the rows an edge can reach are paired with it
    (a sweep), so the work is proportional to edges × rows crossed.

    Returns ``(band, gap_start, gap_end)``.
    """
    parts, part_plane = shapely.get_parts(poly, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    same = ring_of[1:] == ring_of[:-1]
    a1, b1 = xy[:-1][same].T
    a2, b2 = xy[1:][same].T
    e_plane = part_plane[ring_part[ring_of[:-1][same]]]  # non-decreasing
    n_edge = np.bincount(e_plane, minlength=n_pl)
    e_first = np.cumsum(n_edge) - n_edge
    e_lo, e_hi = np.minimum(b1, b2), np.maximum(b1, b2)

    # (run, edge) combinations, then the rows each edge reaches.
    ne = n_edge[run_plane] * (n_rows > 0)
    c_run = np.repeat(np.arange(len(run_plane)), ne)
    c_edge = np.repeat(e_first[run_plane], ne) + (np.arange(len(c_run)) - np.repeat(np.cumsum(ne) - ne, ne))
    top, d, p = run_top[c_run], depth[c_run], pitch[c_run]
    k_lo = np.floor((top - d + TOLERANCE_M - e_hi[c_edge]) / p) + 1  # first row with hi_edge > band bottom
    k_hi = np.ceil((top - TOLERANCE_M - e_lo[c_edge]) / p) - 1  # last row with lo_edge < band top
    k_lo = np.maximum(k_lo, 0)
    k_hi = np.minimum(k_hi, n_rows[c_run] - 1)
    cnt = np.maximum(k_hi - k_lo + 1, 0).astype(np.int64)
    pair = np.repeat(np.arange(len(c_run)), cnt)
    k = np.repeat(k_lo, cnt).astype(np.int64) + (np.arange(len(pair)) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    r = c_run[pair]
    e = c_edge[pair]
    band = run_first[r] + k
    hi = run_top[r] - k * pitch[r] - TOLERANCE_M
    lo = hi - depth[r] + 2 * TOLERANCE_M
    # Clip each edge to the band.
    db = b2[e] - b1[e]
    flat = np.abs(db) < 1e-12
    with np.errstate(invalid="ignore", divide="ignore"):
        t_lo = np.where(flat, 0.0, (lo - b1[e]) / db)
        t_hi = np.where(flat, 1.0, (hi - b1[e]) / db)
    t0 = np.clip(np.minimum(t_lo, t_hi), 0.0, 1.0)
    t1 = np.clip(np.maximum(t_lo, t_hi), 0.0, 1.0)
    da = a2[e] - a1[e]
    s0 = a1[e] + t0 * da
    s1 = a1[e] + t1 * da
    return _free_gaps(band, np.minimum(s0, s1), np.maximum(s0, s1))


def _free_gaps(owner: np.ndarray, start: np.ndarray, end: np.ndarray):
    """Gaps between the union of intervals ``[start, end]`` of each band.

    Returns ``(band, gap_start, gap_end)`` for every positive gap between
    consecutive merged intervals of the same band.
    """
    if len(owner) == 0:
        e = np.empty(0)
        return np.empty(0, dtype=np.int64), e, e
    df = pd.DataFrame({"band": owner, "s": start, "e": end}).sort_values(["band", "s"], kind="stable")
    reach = df.groupby("band")["e"].cummax().to_numpy()
    band = df["band"].to_numpy()
    s = df["s"].to_numpy()
    same = band[1:] == band[:-1]
    g_start = reach[:-1]
    g_end = s[1:]
    ok = same & (g_end > g_start)
    return band[1:][ok], g_start[ok], g_end[ok]


def _best_run(run_mod, band_var, var_plane, n_pl, n_phases):
    """Index of the (variant, phase) run with most modules per plane (first on ties); −1 if none."""
    if len(run_mod) == 0:
        return np.full(n_pl, -1, dtype=np.int64)
    plane_of_run = var_plane[band_var]
    df = pd.DataFrame({"p": plane_of_run, "m": run_mod, "i": np.arange(len(run_mod))})
    df = df.sort_values(["p", "m", "i"], ascending=[True, False, True], kind="stable")
    first = df.drop_duplicates("p")
    best = np.full(n_pl, -1, dtype=np.int64)
    best[first["p"].to_numpy()] = first["i"].to_numpy()
    return best
