"""Shading by the surroundings: the energy a plane loses to its horizon.

The geometry side (:mod:`pvsite.roofs.horizon`) gives, for sample points on
each plane, the obstruction elevation angle in ``n`` azimuth sectors (sector
``k`` centred on azimuth ``k × 360/n`` °, clockwise from true north).  This
module turns those horizons into energy, without an hourly run per roof:

1. **Once per distinct orientation** (tilt, azimuth, mounting) the weather
   year's hours are binned by sun position — the ``n`` azimuth sectors ×
   :data:`ELEVATION_BIN_DEG` elevation bands, 0–90° — and the full energy
   chain of :mod:`pvsite.solar.energy` (Perez, IAM, cell temperature, PVWatts
   DC, losses, inverter clipping) is evaluated hourly for the sky-diffuse
   scalings of :data:`SVF_GRID`, with the beam ON and OFF.  Per bin and month
   the table keeps the AC energy lost when that bin's beam is blocked
   (:func:`orientation_tables`).  Because the AC difference is taken hour by
   hour through the non-linear chain, temperature and clipping are exact for
   every blocking pattern; the only approximations are the sun-position bins
   and the linear interpolation between the :data:`SVF_GRID` values.
2. **Per sample point** the blocked share of each bin is
   ``clip((h[sector] − e_low) / Δe, 0, 1)`` (the sun's energy taken as uniform
   within a bin of width Δe); the point's AC energy is a matrix product of
   those shares with the table, and sky diffuse is scaled by the point's
   sky-view factor (:func:`sky_view_factor`).  Points are averaged by their
   weight → per plane ``shading_loss_pct``, ``sky_view_factor``,
   ``horizon_max_deg`` (:func:`shading_losses`).

Which light a horizon blocks:

* beam and the Perez **circumsolar** part (it comes from around the sun's
  disc, so it is treated as beam and blocked with it);
* the Perez **isotropic** and **horizon-brightening** parts are sky diffuse,
  scaled by the sky-view factor (horizon brightening strictly comes from a
  band near the horizon, which obstructions block first: scaling it by the
  isotropic factor understates its loss; it is 0–10 % of the sky diffuse);
* **ground-reflected** light is not changed (obstructions are assumed to
  reflect as much as the ground they hide).

A sample point stands for its share of the plane's modules with their own
DC/AC chain (no electrical mismatch between shaded and sunlit modules:
PVWatts has none, and module-level electronics or bypass diodes limit it).

No double counting: where geometric shading is applied the PVWatts
``shading`` loss item (3 %, Dobos 2014 Table 5) is set to 0 for those planes
(:data:`DROPPED_LOSS_ITEM`); planes without sample points keep the preset
unchanged.  The result says so in ``DataFrame.attrs['shading']``.

References
----------
Dozier, J., Frew, J. (1990). Rapid calculation of terrain parameters for
radiation modeling from digital elevation data. IEEE Trans. Geosci. Remote
Sens. 28(5), 963–969 (sky-view factor of a tilted surface from its horizon).
Perez, R. et al. (1990). Modeling daylight availability and irradiance
components from direct and global irradiance. Solar Energy 44(5), 271–289.
Lindberg, F., Jonsson, P., Honjo, T., Wästberg, D. (2015). Solar energy on
building envelopes – 3D modelling in a 2D environment (SEBE). Solar Energy
115, 369–378 (the same idea with Tregenza sky patches).
Dobos, A. P. (2014). PVWatts Version 5 Manual. NREL/TP-6A20-62641.
"""

from __future__ import annotations

import dataclasses
import logging
from types import MappingProxyType

import numpy as np
import pandas as pd
import scipy.sparse

from pvsite.errors import InputError
from pvsite.presets import LossesPreset, ModulePreset
from pvsite.solar import energy

log = logging.getLogger(__name__)

#: Fewest azimuth sectors a horizon may have (issue 12: ≥ 36, i.e. 10°).
MIN_SECTORS = 36

#: Width of the sun-elevation bands [°].  pvsite assumption: with the
#: blocked share interpolated inside a band, 2° bands agree with an exact
#: hourly calculation within 0.1 pp of annual loss (tests/solar/test_shading.py).
ELEVATION_BIN_DEG = 2.0

#: Sky-diffuse scalings at which the energy chain is evaluated [-]; a point's
#: sky-view factor is interpolated linearly between them.  pvsite assumption,
#: denser where urban roofs lie (0.6–1).
SVF_GRID = np.array([0.0, 0.4, 0.7, 0.85, 1.0])

#: PVWatts loss item replaced by the geometric shading.
DROPPED_LOSS_ITEM = "shading"

#: Orientations whose tables are built together (memory: 2 × SVF grid ×
#: daylight hours × chunk float64 arrays, ≈ 22 MB each at 32).
TABLE_CHUNK = 32
#: Points whose bin look-ups are held at once (memory bound: ≤ 4 × 20,000 × sectors weights).
POINT_CHUNK = 20_000
#: Points whose sky-view factor is computed at once (:func:`sky_view_factor`): its half-dozen float64
#: (points × sectors) temporaries stay ≈ 5 MB each at 144 sectors.  One orientation's points of a
#: 5,000-roof partition at once took 85 MB, the horizons stage's peak at 100,000 roofs (pvsite
#: measurement, 2026-12-03); the values do not depend on the chunk (element-wise, then row sums).
SVF_CHUNK = 4_096

#: Columns of :func:`shading_losses` besides the yields.
SHADING_COLUMNS = ("shading_loss_pct", "sky_view_factor", "horizon_max_deg", "shading_applied")

#: The one-line method statement (for run_info).
METHOD = ("horizon per sample point × sun-position bins (azimuth sectors × "
          f"{ELEVATION_BIN_DEG:g}° elevation) of hourly AC energy; beam + Perez circumsolar blocked "
          "below the horizon; isotropic + horizon-brightening diffuse × sky-view factor "
          "(Dozier & Frew 1990); ground-reflected unchanged")


# ---------------------------------------------------------------------------
# Geometry of the horizon
# ---------------------------------------------------------------------------


def sector_index(azimuth_deg, n_sectors: int) -> np.ndarray:
    """Sector of each azimuth: sector ``k`` is centred on ``k × 360/n`` ° (clockwise from north)."""
    width = 360.0 / n_sectors
    return (np.floor(np.mod(np.asarray(azimuth_deg, dtype=float), 360.0) / width + 0.5).astype(np.intp)
            % n_sectors)


def _dozier_frew(h_rad: np.ndarray, beta: float, dphi_rad: np.ndarray) -> np.ndarray:
    """Isotropic sky view of points on one tilted plane over their horizons, discrete in azimuth.

    Dozier & Frew (1990), eq. 7: with ``H`` the horizon's zenith angle,
    ``V = 1/(2π) ∫ [cos β sin² H + sin β cos(φ − A) (H − sin H cos H)] dφ``,
    here a mean over the sectors (Δφ = 2π/n).  ``H`` is limited by the plane's
    own horizon (the sky behind the plane is not seen).  With ``e = π/2 − H``
    the horizon elevation: ``sin² H = (1 + cos 2e) / 2`` and
    ``H − sin H cos H = π/2 − e − sin(2e) / 2``.

    Parameters
    ----------
    h_rad : ndarray (P, n)
        Horizon elevation [rad] in the ``n`` sectors.
    beta : float
        Tilt of the plane [rad].
    dphi_rad : ndarray (n,)
        Sector azimuth minus the plane's azimuth [rad].
    """
    cos_d = np.cos(dphi_rad)
    # The plane's own horizon in each direction: cos θ = 0 at tan e = −tan β cos(φ − A).
    own = np.arctan2(-np.sin(beta) * cos_d, np.cos(beta))
    e = np.maximum(h_rad, np.maximum(own, 0.0))
    two_e = 2.0 * e
    n = e.shape[1]
    flat_part = np.cos(beta) * (n + np.cos(two_e).sum(axis=1)) / 2.0
    # A row sum, not a matrix-vector product: BLAS gives a row a different rounding depending on how many
    # rows share the call, and the points come in blocks (one spatial partition at a time).
    tilted_part = ((np.pi / 2 - e - np.sin(two_e) / 2.0) * (np.sin(beta) * cos_d)).sum(axis=1)
    return (flat_part + tilted_part) / n


def sky_view_factor(horizon_deg, tilt_deg, azimuth_deg, relative: bool = True) -> np.ndarray:
    """Isotropic sky-view factor of tilted points from their horizon profiles.

    Parameters
    ----------
    horizon_deg : array_like (P, n)
        Obstruction elevation [°] in ``n`` sectors, sector ``k`` centred on
        azimuth ``k × 360/n``; values below 0 count as 0 (the sky of the
        model ends at the astronomical horizon; below it is ground).
    tilt_deg, azimuth_deg : array_like (P,)
        The plane of each point [°].
    relative : bool
        True (default): the share of the unobstructed plane's isotropic
        sky diffuse that still arrives — 1 for an empty horizon on any tilt,
        the factor applied to the diffuse.  False: the absolute view factor
        (``(1 + cos β)/2`` for an empty horizon, in the limit of many sectors).

    Returns
    -------
    ndarray (P,)
        Sky-view factor [-].  For a horizontal point both forms are
        ``(1/n) Σ_k cos² h_k``.

    Notes
    -----
    Dozier & Frew (1990), eq. 7, summed over the sectors; the relative form
    divides by the same sum for an empty horizon, so the sector
    discretisation cancels.
    """
    h_deg = np.atleast_2d(np.asarray(horizon_deg))  # float32 points are widened per orientation below
    p, n = h_deg.shape
    tilt = np.broadcast_to(np.asarray(tilt_deg, dtype=float), (p,))
    azim = np.broadcast_to(np.asarray(azimuth_deg, dtype=float), (p,))
    # One pass per distinct plane orientation (few), vectorised over its points and sectors.
    orient, which = np.unique(np.column_stack([tilt, azim]), axis=0, return_inverse=True)
    which = which.reshape(-1)
    order = np.argsort(which, kind="stable")
    bounds = np.searchsorted(which[order], np.arange(len(orient) + 1))
    sector = np.radians(np.arange(n) * 360.0 / n)
    out = np.empty(p)
    for o, (t_deg, a_deg) in enumerate(orient):
        beta, dphi = np.radians(t_deg), sector - np.radians(a_deg)
        empty = _dozier_frew(np.zeros((1, n)), beta, dphi)
        for lo in range(bounds[o], bounds[o + 1], SVF_CHUNK):
            pts = order[lo:min(lo + SVF_CHUNK, bounds[o + 1])]
            v = _dozier_frew(np.radians(h_deg[pts].astype(float)), beta, dphi)
            out[pts] = v / empty if relative else v
    return out


# ---------------------------------------------------------------------------
# Tables per orientation
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SunBins:
    """The weather year's daylight hours binned by sun position.

    Attributes
    ----------
    n_sectors : int
        Azimuth sectors.
    hour_bin : ndarray (T,)
        Occupied-bin number of every daylight hour of the sky.
    hour_month : ndarray (T,)
        Month 0–11 of every daylight hour.
    sector : ndarray (B,)
        Azimuth sector of each occupied bin.
    elev_low_deg : ndarray (B,)
        Lower edge of each occupied bin's elevation band [°] (the sun below
        the astronomical horizon counts in the 0° band).
    """

    n_sectors: int
    hour_bin: np.ndarray
    hour_month: np.ndarray
    sector: np.ndarray
    elev_low_deg: np.ndarray


def sun_bins(sky, n_sectors: int) -> SunBins:
    """Bin the daylight hours of ``sky`` (:func:`pvsite.solar.energy.sky_year`) by sun position."""
    n_elev = int(round(90.0 / ELEVATION_BIN_DEG))
    elev = 90.0 - sky.zenith[:, 0]
    e_idx = np.clip(np.floor(elev / ELEVATION_BIN_DEG).astype(np.intp), 0, n_elev - 1)
    s_idx = sector_index(sky.azimuth[:, 0], n_sectors)
    ids, hour_bin = np.unique(s_idx * n_elev + e_idx, return_inverse=True)
    return SunBins(n_sectors, hour_bin.ravel(), np.argmax(sky.month_matrix, axis=0),
                   ids // n_elev, (ids % n_elev) * ELEVATION_BIN_DEG)


@dataclasses.dataclass(frozen=True)
class OrientationTables:
    """Binned energy of a set of orientations (:func:`orientation_tables`).

    Attributes
    ----------
    beam_kwh_m2 : ndarray (c, B)
        Plane-of-array beam + circumsolar energy after IAM per sun bin [kWh/m²].
    sky_kwh_m2, ground_kwh_m2 : ndarray (c,)
        Isotropic + horizon-brightening sky diffuse, and ground-reflected
        energy after IAM [kWh/m²].
    ac_kwh : ndarray (c, S, 12)
        Monthly AC energy per kWp, unblocked, sky diffuse × ``SVF_GRID[j]`` [kWh/kWp].
    ac_lost_kwh : ndarray (c, B, S, 12)
        Monthly AC energy per kWp lost when the beam of a bin is blocked [kWh/kWp].
    poa_kwh_m2 : ndarray (c,)
        Annual unshaded plane-of-array irradiation before IAM [kWh/m²].
    """

    beam_kwh_m2: np.ndarray
    sky_kwh_m2: np.ndarray
    ground_kwh_m2: np.ndarray
    ac_kwh: np.ndarray
    ac_lost_kwh: np.ndarray
    poa_kwh_m2: np.ndarray


def _bin_sum(values: np.ndarray, keys: np.ndarray, n_keys: int) -> np.ndarray:
    """Sum ``values`` (..., T, c) over hours with the same key → (..., n_keys, c)."""
    order = np.argsort(keys, kind="stable")
    k = keys[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    sums = np.add.reduceat(values[..., order, :], starts, axis=-2)
    out = np.zeros(values.shape[:-2] + (n_keys, values.shape[-1]))
    out[..., k[starts], :] = sums
    return out


def orientation_tables(sky, bins: SunBins, tilt_deg, azimuth_deg, temp_params: dict, module: ModulePreset,
                       loss_factor: float, eta_inv_nom: float, dc_ac_ratio: float,
                       albedo: float = energy.ALBEDO) -> OrientationTables:
    """Energy of orientations of one mounting binned by sun position, for every sky scaling.

    Parameters
    ----------
    sky : pvsite.solar.energy._Sky
        From :func:`pvsite.solar.energy.sky_year`.
    bins : SunBins
        From :func:`sun_bins` of the same sky.
    tilt_deg, azimuth_deg : array_like (c,)
        Orientations [°].
    temp_params : dict
        :func:`pvsite.solar.energy.temperature_parameters` of their mounting.
    module, loss_factor, eta_inv_nom, dc_ac_ratio, albedo
        As :func:`pvsite.solar.energy.ac_power`.

    Returns
    -------
    OrientationTables
    """
    tilt_deg, azimuth_deg = np.atleast_1d(np.asarray(tilt_deg, dtype=float)), np.atleast_1d(np.asarray(azimuth_deg, dtype=float))
    if len(tilt_deg) == 1:
        # One orientation is evaluated as two equal columns and the first kept: numpy sums one column (a
        # contiguous axis) pairwise but several column by column, and an orientation's table must not depend
        # on which orientations share the call (the points of a run come one spatial partition at a time).
        full = orientation_tables(sky, bins, np.repeat(tilt_deg, 2), np.repeat(azimuth_deg, 2), temp_params,
                                  module, loss_factor, eta_inv_nom, dc_ac_ratio, albedo)
        return OrientationTables(*(getattr(full, f.name)[:1] for f in dataclasses.fields(OrientationTables)))
    c = energy.poa_components(sky, tilt_deg, azimuth_deg, module, albedo, True)
    beam = c["direct"] + c["circumsolar"]
    beam_eff = c["direct"] * c["iam_beam"] + c["circumsolar"] * c["iam_sky"]
    diffuse = c["isotropic"] + c["horizon"]
    diffuse_eff = diffuse * c["iam_sky"]
    ground, ground_eff = c["ground"], c["ground"] * c["iam_ground"]
    s = SVF_GRID[:, None, None]
    lit = np.stack([beam_eff, np.zeros_like(beam_eff)])[:, None]            # (2, 1, T, c)
    lit_glob = np.stack([beam, np.zeros_like(beam)])[:, None]
    eff = lit + s * diffuse_eff + ground_eff                                 # (2, S, T, c)
    glob = lit_glob + s * diffuse + ground
    pac = energy.ac_power(eff, glob, sky, temp_params, module, loss_factor, eta_inv_nom, dc_ac_ratio)
    kwh = pac * (sky.hours / 1000.0)                                          # (2, S, T, c)
    n_bins = len(bins.sector)
    lost = _bin_sum(kwh[0] - kwh[1], bins.hour_bin * 12 + bins.hour_month, n_bins * 12)  # (S, B·12, c)
    lost = lost.reshape(len(SVF_GRID), n_bins, 12, -1).transpose(3, 1, 0, 2)             # (c, B, S, 12)
    monthly = np.einsum("mt,stc->csm", sky.month_matrix, kwh[0])
    to_kwh = sky.hours / 1000.0
    return OrientationTables(
        beam_kwh_m2=_bin_sum(beam_eff[None], bins.hour_bin, n_bins)[0].T * to_kwh,
        sky_kwh_m2=diffuse_eff.sum(axis=0) * to_kwh, ground_kwh_m2=ground_eff.sum(axis=0) * to_kwh,
        ac_kwh=monthly, ac_lost_kwh=lost, poa_kwh_m2=np.nansum(c["global"], axis=0) * to_kwh)


def blocked_share(horizon_deg: np.ndarray, bins: SunBins) -> np.ndarray:
    """Share of each sun bin's hours blocked at each point (P, B) [-].

    ``clip((h[sector] − e_low) / Δe, 0, 1)``: the sun's energy is taken as
    spread evenly over the bin's elevation band.
    """
    h = np.asarray(horizon_deg, dtype=float)[:, bins.sector]
    h -= bins.elev_low_deg
    h /= ELEVATION_BIN_DEG
    return np.minimum(np.maximum(h, 0.0, out=h), 1.0, out=h)


def _point_energy(tables: OrientationTables, i: int, horizon_deg, svf, bins: SunBins) -> np.ndarray:
    """Monthly AC kWh/kWp (P, 12) of points on orientation ``i`` of ``tables``.

    The same sum as ``blocked_share(h, bins) @ ac_lost_kwh``, without the
    (points × bins) matrix: within a sector the bins are elevation bands;
    every band below the horizon is blocked and the band it falls in partly,
    so a sector's loss is its band table summed up to the horizon (a
    cumulative table, interpolated within the band) — one look-up per point
    and sector, and only where the horizon reaches the sector's lowest sun.
    The AC energy is linear in the blocked shares for each sky scaling of
    :data:`SVF_GRID` and interpolated between the two scalings around the
    point's sky-view factor.
    """
    return _CumTable.of(tables, i, _BandLayout.of(bins)).point_energy(horizon_deg, svf)


@dataclasses.dataclass(frozen=True)
class _BandLayout:
    """Where the cumulative table keeps each sector's sums (the same for every orientation of a sky).

    Below elevation band ``q`` of sector ``k`` the lost energy is the sum
    over the sector's occupied bands ``b < q``; it changes only just above
    an occupied band.  So a sector keeps one row per occupied band plus a
    zero row (``row_of[k, q]`` = the sector's first row + the number of its
    occupied bands below ``q``), not one per band: at 144 sectors and 2°
    bands the Shanghai year has 722 occupied bins in 89 sectors → 811 rows
    instead of 144 × 47 = 6,768 (0.37 instead of 3.1 MiB per orientation).
    The rows hold the same numbers as the dense cumulative sum (which only
    adds zeros between them), so the point energies are unchanged bit for bit.
    """

    lowest: np.ndarray   # (sectors,): lowest sun band edge of each sector [°] (inf: no sun)
    row_of: np.ndarray   # (sectors, bands + 1): row of the sum below band q
    slot: np.ndarray     # (B,): occupied-sector number of each bin (bins are sorted by sector, then band)
    rank: np.ndarray     # (B,): position of each bin among its sector's bins
    keep: np.ndarray     # (occupied sectors, max bins per sector + 1): which padded rows are table rows
    n_rows: int
    n_elev: int

    @classmethod
    def of(cls, bins: SunBins) -> "_BandLayout":
        n_k, n_elev = bins.n_sectors, int(round(90.0 / ELEVATION_BIN_DEG))
        band = np.rint(bins.elev_low_deg / ELEVATION_BIN_DEG).astype(np.intp)
        if np.any(np.diff(bins.sector * (n_elev + 1) + band) <= 0):
            raise ValueError("sun bins must be sorted by sector, then band (as sun_bins makes them)")
        occupied, slot, count = np.unique(bins.sector, return_inverse=True, return_counts=True)
        first = np.r_[0, np.cumsum(count)[:-1]]
        rank = np.arange(len(band)) - first[slot]
        start = np.r_[0, np.cumsum(count + 1)[:-1]]  # first row (the zero row) of each occupied sector
        below = np.zeros((n_k, n_elev + 1), dtype=np.intp)
        np.add.at(below, (bins.sector, band + 1), 1)
        row_of = np.zeros((n_k, n_elev + 1), dtype=np.intp)
        row_of[occupied] = start[:, None] + np.cumsum(below[occupied], axis=1)
        lowest = np.full(n_k, np.inf)
        np.minimum.at(lowest, bins.sector, bins.elev_low_deg)
        keep = np.arange(count.max(initial=0) + 1)[None] <= count[:, None]
        return cls(lowest, row_of, slot.reshape(-1), rank, keep, int((count + 1).sum()), n_elev)


@dataclasses.dataclass(frozen=True)
class _CumTable:
    """One orientation's cumulative band table (:func:`_point_energy`) and its unblocked monthly AC energy."""

    cum: np.ndarray      # (rows · scalings, 12): lost below a band, row (layout row, scaling)
    ac: np.ndarray       # (scalings, 12): unblocked monthly AC energy per kWp [kWh/kWp]
    layout: _BandLayout  # shared by every table of the run

    @classmethod
    def of(cls, tables: OrientationTables, i: int, layout: _BandLayout) -> "_CumTable":
        n_s = len(SVF_GRID)
        padded = np.zeros(layout.keep.shape + (n_s, 12))
        padded[layout.slot, layout.rank + 1] = tables.ac_lost_kwh[i]
        # Sequential sums along each sector (as the dense table's cumsum, without its runs of added zeros).
        cum = np.cumsum(padded, axis=1)[layout.keep].reshape(layout.n_rows * n_s, 12)
        return cls(cum, tables.ac_kwh[i].copy(), layout)

    @property
    def nbytes(self) -> int:
        """Bytes of this orientation's own arrays (the layout is shared)."""
        return self.cum.nbytes + self.ac.nbytes

    def point_energy(self, horizon_deg, svf) -> np.ndarray:
        n_s, layout, cum, ac = len(SVF_GRID), self.layout, self.cum, self.ac
        n_elev = layout.n_elev
        j = np.clip(np.searchsorted(SVF_GRID, svf, side="right") - 1, 0, n_s - 2)
        t = (svf - SVF_GRID[j]) / (SVF_GRID[j + 1] - SVF_GRID[j])
        out = ac[j] * (1.0 - t)[:, None] + ac[j + 1] * t[:, None]
        for lo in range(0, len(svf), POINT_CHUNK):
            h = np.asarray(horizon_deg[lo:lo + POINT_CHUNK], dtype=float)
            p, k = np.nonzero(h > layout.lowest)  # row-major: sorted by point
            x = np.minimum(h[p, k] / ELEVATION_BIN_DEG, n_elev)
            q = np.minimum(np.floor(x).astype(np.intp), n_elev - 1)
            r, tp, jp = x - q, t[lo + p], j[lo + p]
            below, above = layout.row_of[k, q] * n_s + jp, layout.row_of[k, q + 1] * n_s + jp
            # Four table rows per (point, sector): bands q, q + 1 × scalings j, j + 1, bilinear weights.
            weights = np.stack([(1 - r) * (1 - tp), (1 - r) * tp, r * (1 - tp), r * tp], axis=1).ravel()
            cols = np.stack([below, below + 1, above, above + 1], axis=1).ravel()
            starts = np.r_[0, np.cumsum(np.bincount(p, minlength=len(h)) * 4)]
            lost = scipy.sparse.csr_matrix((weights, cols, starts), shape=(len(h), len(cum))) @ cum
            out[lo:lo + len(h)] -= lost
        return out


# ---------------------------------------------------------------------------
# Per plane
# ---------------------------------------------------------------------------


def without_shading_item(losses: LossesPreset) -> LossesPreset:
    """The losses preset with its PVWatts ``shading`` item set to 0 (geometric shading replaces it)."""
    items = dict(losses.losses_pct)
    items[DROPPED_LOSS_ITEM] = 0.0
    return dataclasses.replace(losses, losses_pct=MappingProxyType(items))


def _check_points(n_planes: int, horizon, plane, weight) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    where = "Horizon sample points (pvsite.roofs.horizon)"
    horizon = np.asarray(horizon)
    if horizon.dtype not in (np.float32, np.float64):
        horizon = horizon.astype(float)  # float32 stays float32 (the ray cast's own values; no float64 copy)
    plane = np.asarray(plane)
    weight = np.asarray(weight, dtype=float)
    if horizon.ndim != 2 or horizon.shape[1] < MIN_SECTORS:
        raise InputError(f"{where}: point_horizon_deg must be (points, sectors) with ≥ {MIN_SECTORS} "
                         f"sectors; found shape {horizon.shape}.",
                         fix="Compute the horizon in at least 36 azimuth sectors.",
                         zh=f"{where}：point_horizon_deg 须为 (点, 扇区) 形状且至少 {MIN_SECTORS} 个扇区；实为 {horizon.shape}。",
                         fix_zh="请至少按 36 个方位扇区计算地平线。")
    n = horizon.shape[0]
    if plane.shape != (n,) or weight.shape != (n,):
        raise InputError(f"{where}: point_plane {plane.shape} and point_weight {weight.shape} must both be "
                         f"({n},), one value per point.", fix="Give one plane row and one weight per point.",
                         zh=f"{where}：point_plane {plane.shape} 和 point_weight {weight.shape} 都须为 ({n},)，每点一个值。",
                         fix_zh="请每点给出一个屋面行号和一个权重。")
    if n and (not np.issubdtype(plane.dtype, np.integer) or plane.min() < 0 or plane.max() >= n_planes):
        raise InputError(f"{where}: point_plane must be integer row positions 0…{n_planes - 1} of the planes "
                         f"frame; found {plane.dtype} in [{plane.min()}, {plane.max()}].",
                         fix="Pass positional row numbers (planes.index.get_indexer(...)).",
                         zh=f"{where}：point_plane 须为屋面表的整数行位置 0…{n_planes - 1}；实为 {plane.dtype}，范围 [{plane.min()}, {plane.max()}]。",
                         fix_zh="请传入行位置编号（planes.index.get_indexer(...)）。")
    bad = ~np.isfinite(horizon) | (horizon > 90.0)
    if bad.any():
        rows = np.flatnonzero(bad.any(axis=1))[:5].tolist()
        raise InputError(f"{where}: {int(bad.any(axis=1).sum())} point(s) have a horizon elevation that is "
                         f"missing or above 90° (e.g. points {rows}).",
                         fix="Give finite elevations ≤ 90°; use 0 where nothing obstructs.",
                         zh=f"{where}：有 {int(bad.any(axis=1).sum())} 个点的地平线高度角缺失或超过 90°（如点 {rows}）。",
                         fix_zh="请给出不超过 90° 的有限高度角；无遮挡处填 0。")
    sums = np.bincount(plane.astype(np.intp), weights=weight, minlength=n_planes)
    has = np.bincount(plane.astype(np.intp), minlength=n_planes) > 0
    off = has & (np.abs(sums - 1.0) > 1e-6)
    if (weight < 0).any() or ~np.isfinite(weight).all() or off.any():
        rows = np.flatnonzero(off)[:5].tolist()
        raise InputError(f"{where}: point_weight must be ≥ 0 and sum to 1 on every plane with points; "
                         f"{int(off.sum())} plane(s) do not (e.g. rows {rows}).",
                         fix="Normalise the weights per plane (each point's share of the plane).",
                         zh=f"{where}：point_weight 须不小于 0 且在每个有点的屋面上合计为 1；有 {int(off.sum())} 个屋面不满足（如第 {rows} 行）。",
                         fix_zh="请按屋面归一化权重（每点占该屋面的份额）。")
    return horizon, plane.astype(np.intp), weight


def shading_losses(planes: pd.DataFrame, point_horizon_deg, point_plane, point_weight, weather: pd.DataFrame,
                   site: tuple[float, float, float], module: ModulePreset, losses: LossesPreset,
                   system) -> pd.DataFrame:
    """Per-plane specific yield with shading by the horizon, and the shading figures.

    Parameters
    ----------
    planes : pandas.DataFrame
        ``tilt_deg`` [°], ``azimuth_deg`` [°, clockwise from north], ``mounting``.
    point_horizon_deg : array_like (P, n)
        Horizon elevation [°] of every sample point in ``n`` ≥ 36 sectors
        (sector ``k`` centred on ``k × 360/n`` °).
    point_plane : array_like of int (P,)
        Row position in ``planes`` of each point.
    point_weight : array_like (P,)
        Share of its plane each point stands for [-]; sums to 1 per plane.
    weather : pandas.DataFrame
        Canonical hourly weather year of the run (columns and time labels as
        :func:`pvsite.solar.energy.simulate` describes them).
    site : (float, float, float)
        Latitude [°N], longitude [°E], altitude [m].
    module, losses : pvsite.presets.ModulePreset, pvsite.presets.LossesPreset
        Module and losses presets (:func:`pvsite.presets.load_module`,
        :func:`pvsite.presets.load_losses`; checked there).
    system : pvsite.config.SystemConfig
        Inverter efficiency [%], DC/AC ratio [-], temperature model and
        orientation step [°] (checked by :mod:`pvsite.config`).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``planes``: ``specific_yield_kwh_per_kwp`` [kWh/kWp],
        ``kwh_per_kwp_m01`` … ``m12`` [kWh/kWp], ``poa_kwh_per_m2``
        [kWh/m², unshaded, before IAM — as PVsyst's GlobInc, so shading shows
        in the performance ratio], ``shading_loss_pct`` [%, annual AC energy
        lost to the horizon vs the same plane unshaded, both without the
        PVWatts shading item], ``sky_view_factor`` [-, weighted mean of the
        points' relative factors], ``horizon_max_deg`` [°, highest
        obstruction seen from any point], ``shading_applied`` (bool).  Planes
        without sample points get today's unshaded figures (with the preset's
        shading item), NaN shading figures and ``shading_applied`` False.
        ``attrs['shading']`` records the method, the loss item dropped and
        the counts (for run_info).
    """
    horizon, plane_pos, weight = _check_points(len(planes), point_horizon_deg, point_plane, point_weight)
    run = PlaneShading(planes, horizon.shape[1], weather, site, module, losses, system)
    run.add_points(horizon, plane_pos, weight)
    return run.result()


#: Bytes of cumulative orientation tables :class:`PlaneShading` keeps between blocks of points (least
#: recently used dropped first).  One table is (occupied sun bins + occupied sectors) × 5 scalings ×
#: 12 months float64 (:class:`_BandLayout`): 0.37 MiB at 144 sectors for the Shanghai year, so ≈ 1,030
#: orientations — the default settings' worst case, flush planes at 25° and 5° in 1° azimuth steps plus
#: the rows (721 orientations, 268 MiB), is built once per run.  A run with more orientations than fit
#: builds, per block, only those of its orientations not kept (the kept ones are used first).
TABLE_CACHE_BYTES = 384 * 2**20


class PlaneShading:
    """:func:`shading_losses` in three steps, for sample points that arrive one block at a time.

    1. ``PlaneShading(planes, n_sectors, …)``: the run-wide part — the
       planes' orientations (:func:`pvsite.solar.energy.round_orientations`),
       their unshaded simulation, the sky and the sun bins;
    2. :meth:`add_points` for each block (e.g. one spatial partition of the
       horizon stage): the points' monthly AC energy, weighted into per-plane
       sums, after which the caller may drop the block;
    3. :meth:`result`: the frame of :func:`shading_losses`.

    Every point of a plane must come in one block (a plane's points lie on
    one roof, so in one partition).  Per plane the sums are then taken over
    the same points in the same order as one call with every point, so the
    result equals it exactly.  An orientation's tables are computed when a
    block first needs them, and their compact cumulative form is kept
    (:data:`TABLE_CACHE_BYTES`) for the blocks after it: while the run's
    orientations fit, each is built once (:attr:`n_tables_built` counts the
    builds); beyond, a block builds at most its orientations not kept.

    Parameters
    ----------
    planes, weather, site, module, losses, system
        As :func:`shading_losses`.
    n_sectors : int
        Azimuth sectors of the horizons (≥ :data:`MIN_SECTORS`).
    """

    def __init__(self, planes: pd.DataFrame, n_sectors: int, weather: pd.DataFrame,
                 site: tuple[float, float, float], module: ModulePreset, losses: LossesPreset, system,
                 cache_bytes: int = TABLE_CACHE_BYTES):
        self.planes_index, self.n_sectors = planes.index, int(n_sectors)
        self.weather, self.site = weather, tuple(float(v) for v in site)
        self.module, self.losses, self.system, self.cache_bytes = module, losses, system, int(cache_bytes)
        self.keys = energy.round_orientations(planes, system.orientation_step_deg)
        self.orient = self.keys.drop_duplicates().reset_index(drop=True)
        self.code = self.keys.merge(self.orient.reset_index(), on=list(self.orient.columns),
                                    how="left")["index"].to_numpy()
        lat, lon, alt = self.site
        self.base = energy.simulate(weather, lat, lon, alt, self.orient, module, losses,
                                    inverter_efficiency_pct=system.inverter_efficiency_pct,
                                    dc_ac_ratio=system.dc_ac_ratio, temperature_model=system.temperature_model)
        n = len(planes)
        self.shaded = np.zeros((n, 12))
        self.svf_sum = np.zeros(n)
        self.hmax = np.full(n, -np.inf)
        self.n_points = np.zeros(n, dtype=np.int64)
        self.ref_kwh = np.zeros((len(self.orient), 12))
        self._sky = self._bins = None
        self._tables: dict = {}  # orientation → _CumTable, least recently used first
        self.n_tables_built = 0      # orientation tables computed (a table dropped and needed again counts again)
        self.table_bytes_peak = 0    # most bytes of tables kept at once

    def _sky_bins(self):
        if self._sky is None:
            self._sky = energy.sky_year(self.weather, *self.site)
            self._bins = sun_bins(self._sky, self.n_sectors)
            self._layout = _BandLayout.of(self._bins)
            self._loss_factor = 1.0 - energy.loss_percent(without_shading_item(self.losses)) / 100.0
        return self._sky, self._bins

    def _keep(self, o: int, table: _CumTable) -> None:
        self._tables.pop(o, None)
        self._tables[o] = table
        total = sum(t.nbytes for t in self._tables.values())
        while len(self._tables) > 1 and total > self.cache_bytes:
            total -= self._tables.pop(next(iter(self._tables))).nbytes
        self.table_bytes_peak = max(self.table_bytes_peak, total)

    def add_points(self, point_horizon_deg, point_plane, point_weight) -> None:
        """Add a block of sample points (arguments as :func:`shading_losses`; every point of their planes)."""
        horizon, plane_pos, weight = _check_points(len(self.planes_index), point_horizon_deg, point_plane,
                                                   point_weight)
        if horizon.shape[1] != self.n_sectors:
            raise InputError(f"Horizon sample points (pvsite.roofs.horizon): {horizon.shape[1]} sectors, but the "
                             f"run has {self.n_sectors}.", fix="Give every block in the run's sectors.",
                             zh=f"地平线采样点（pvsite.roofs.horizon）：扇区数为 {horizon.shape[1]}，而本次运行为 {self.n_sectors}。",
                             fix_zh="请让每批采样点使用本次运行的扇区数。")
        if not len(plane_pos):
            return
        if (self.n_points[np.unique(plane_pos)] > 0).any():
            raise InputError("Horizon sample points (pvsite.roofs.horizon): a plane's points came in two blocks.",
                             fix="Give every point of a plane in one block.",
                             zh="地平线采样点（pvsite.roofs.horizon）：同一屋面的采样点分在了两批中。",
                             fix_zh="请把一个屋面的全部采样点放在同一批中。")
        sky, bins = self._sky_bins()
        system, orient, n = self.system, self.orient, len(self.planes_index)
        pt_orient = self.code[plane_pos]
        by_orient = np.argsort(pt_orient, kind="stable")  # each orientation's points, in block order
        needed, first = np.unique(pt_orient[by_orient], return_index=True)
        group = dict(zip(needed.tolist(), np.split(by_orient, first[1:])))
        tilt_p = self.keys["tilt_deg"].to_numpy()[plane_pos]
        azim_p = self.keys["azimuth_deg"].to_numpy()[plane_pos]
        svf = np.clip(sky_view_factor(horizon, tilt_p, azim_p), 0.0, 1.0)
        point_kwh = np.zeros((len(plane_pos), 12))

        def use(o, table):
            pts = group[int(o)]
            point_kwh[pts] = table.point_energy(horizon[pts], svf[pts])

        missing = np.array([o for o in needed if o not in self._tables], dtype=np.intp)
        for o in needed:
            if o in self._tables:
                table = self._tables.pop(o)
                use(o, table)
                self._tables[o] = table
        mounting = orient["mounting"].to_numpy()
        for mount in pd.unique(mounting[missing]):
            temp_params = energy.temperature_parameters(system.temperature_model, mount, self.module)
            todo = missing[mounting[missing] == mount]
            for start in range(0, len(todo), TABLE_CHUNK):
                chunk = todo[start:start + TABLE_CHUNK]
                tables = orientation_tables(
                    sky, bins, orient["tilt_deg"].to_numpy()[chunk], orient["azimuth_deg"].to_numpy()[chunk],
                    temp_params, self.module, self._loss_factor, system.inverter_efficiency_pct / 100.0,
                    system.dc_ac_ratio)
                self.ref_kwh[chunk] = tables.ac_kwh[:, -1]
                self.n_tables_built += len(chunk)
                for i, o in enumerate(chunk):
                    table = _CumTable.of(tables, i, self._layout)
                    use(o, table)
                    self._keep(o, table)
                del tables
        np.add.at(self.shaded, plane_pos, point_kwh * weight[:, None])
        self.svf_sum += np.bincount(plane_pos, weights=svf * weight, minlength=n)
        np.maximum.at(self.hmax, plane_pos, horizon.max(axis=1))
        self.n_points += np.bincount(plane_pos, minlength=n)

    def result(self) -> pd.DataFrame:
        """The frame of :func:`shading_losses` from the blocks added so far (planes without points unshaded)."""
        base, code, n_planes = self.base, self.code, len(self.planes_index)
        monthly = base[list(energy.MONTH_COLUMNS)].to_numpy()[code].copy()
        applied = self.n_points > 0
        loss_pct, svf_plane, hmax = (np.full(n_planes, np.nan) for _ in range(3))
        if applied.any():
            shaded, ref = self.shaded, self.ref_kwh[code]
            monthly[applied] = shaded[applied]
            with np.errstate(invalid="ignore", divide="ignore"):
                loss = 100.0 * (1.0 - shaded.sum(axis=1) / ref.sum(axis=1))
            loss_pct[applied] = loss[applied]
            svf_plane[applied] = self.svf_sum[applied]
            hmax[applied] = self.hmax[applied]
        out = pd.DataFrame(monthly, index=self.planes_index, columns=list(energy.MONTH_COLUMNS))
        annual = base["specific_yield_kwh_per_kwp"].to_numpy()[code].copy()
        annual[applied] = monthly[applied].sum(axis=1)
        out.insert(0, "specific_yield_kwh_per_kwp", annual)
        out["poa_kwh_per_m2"] = base["poa_kwh_per_m2"].to_numpy()[code]
        out["shading_loss_pct"] = loss_pct
        out["sky_view_factor"] = svf_plane
        out["horizon_max_deg"] = hmax
        out["shading_applied"] = applied
        losses = self.losses
        out.attrs["shading"] = {
            "method": METHOD,
            "n_sectors": self.n_sectors,
            "elevation_bin_deg": ELEVATION_BIN_DEG,
            "dropped_loss_items_pct": ({DROPPED_LOSS_ITEM: float(losses.losses_pct.get(DROPPED_LOSS_ITEM, 0.0))}
                                       if applied.any() else {}),
            "n_planes_shaded": int(applied.sum()),
            "n_planes_unshaded": int(n_planes - applied.sum()),
        }
        return out


def exact_hourly_yield(weather: pd.DataFrame, site: tuple[float, float, float], tilt_deg: float,
                       azimuth_deg: float, mounting: str, horizon_deg, module: ModulePreset,
                       losses: LossesPreset, system, interpolate: bool = False) -> tuple[float, float]:
    """Brute-force reference: annual AC yield of one point, hour by hour, shaded and unshaded.

    Every daylight hour the beam and circumsolar light are removed when the
    sun's elevation is below the horizon at its azimuth (the sector value,
    or with ``interpolate`` linear between sector centres); the sky diffuse
    is scaled by :func:`sky_view_factor`; the result goes through the same
    chain as :func:`pvsite.solar.energy.simulate` with the PVWatts shading
    item dropped.  The fast method (:func:`shading_losses`) is tested
    against this.

    Returns
    -------
    shaded, unshaded : float
        Annual AC energy per kWp [kWh/kWp].
    """
    lat, lon, alt = site
    horizon = np.asarray(horizon_deg, dtype=float)
    n = len(horizon)
    sky = energy.sky_year(weather, lat, lon, alt)
    dropped = without_shading_item(losses)
    c = energy.poa_components(sky, [tilt_deg], [azimuth_deg], module)
    elev = 90.0 - sky.zenith
    if interpolate:
        centres = np.arange(n + 1) * 360.0 / n
        h_sun = np.interp(np.mod(sky.azimuth, 360.0), centres, np.r_[horizon, horizon[0]])
    else:
        h_sun = horizon[sector_index(sky.azimuth, n)]
    sun = (elev >= h_sun).astype(float)
    svf = float(sky_view_factor(horizon[None], tilt_deg, azimuth_deg)[0])
    args = (sky, energy.temperature_parameters(system.temperature_model, mounting, module), module,
            1.0 - energy.loss_percent(dropped) / 100.0, system.inverter_efficiency_pct / 100.0, system.dc_ac_ratio)
    beam_eff = c["direct"] * c["iam_beam"] + c["circumsolar"] * c["iam_sky"]
    beam = c["direct"] + c["circumsolar"]
    diffuse = c["isotropic"] + c["horizon"]
    out = []
    for on, s in ((sun, svf), (1.0, 1.0)):
        eff = on * beam_eff + s * diffuse * c["iam_sky"] + c["ground"] * c["iam_ground"]
        glob = on * beam + s * diffuse + c["ground"]
        out.append(float(energy.ac_power(eff, glob, *args).sum() * sky.hours / 1000.0))
    return out[0], out[1]
