"""Mounting physics: sun position, row spacing, ground coverage, packing.

Pure numpy, no geometry.  Every function broadcasts its array arguments
against each other.  Angles are in degrees; azimuths clockwise from north
(180 = south); hour angles negative in the morning, 15° per hour of true
solar time from solar noon.

The row-spacing rule
--------------------
Rows of modules of slant length ``L`` [m] tilted at ``β`` and facing the
horizontal direction ``γr`` (the *row normal*) cast, from their top edge at
height ``L·sinβ``, a shadow of horizontal length ``L·sinβ / tan αs`` pointing
away from the sun (altitude ``αs``, azimuth ``γs``).  Its component along the
row normal is ``L·sinβ·cos(γs − γr) / tan αs``, and the next row clears it
when its front edge is at least

    D = L·cosβ + L·sinβ·cos(γs − γr) / tan αs

behind the front edge of the row in front.  For south-facing rows
``γs − γr`` is the sun's azimuth measured from south, and ``D`` is the
textbook formula.  :func:`row_pitch_m` evaluates it on a one-minute grid of
the whole solar-time window (end points included) and keeps the largest
value, so rows facing away from south, for which the worst instant need not
be an end of the window, are handled as well.  A negative shadow component
(sun behind the row normal) is clamped to zero: the row then needs only its
own footprint ``L·cosβ``.

For due-south rows on the winter solstice at 09:00 (``ω = −45°``,
``δ = −23.45°``) the shadow term reduces to the closed form
``(0.707·tanφ + 0.4338) / (0.707 − 0.4338·tanφ)`` quoted in Chinese design
practice for the GB 50797-2012 spacing rule; the tests check it.

High latitudes: north of ≈ 52° the solstice sun stands below 5° at 09:00,
and north of ≈ 58.5° it has not risen then (at 60° N it rises at 09:15), so the
09:00–15:00 rule asks for very wide or infinite spacing.  With
``min_sun_elevation_deg`` (``MountingConfig``, 5° by default) instants with the sun
lower than that are left out of the rule — for rows facing the equator the
kept instants are the widest window symmetric about solar noon with the sun
that high (:func:`shade_window`; 10:46–13:14 at 60° N) — and where not even
the noon sun reaches it, rows are spaced for the noon sun alone.  The
pipeline reports the narrowed window (:mod:`pvsite.buildings.checks`).

Hemispheres: ``day='winter_solstice'`` means the solstice of the local
winter — declination −23.44° north of the equator and +23.44° south of it —
and the default row normal faces the equator (180° north of the equator,
0° south of it), so a southern site is the exact mirror image of the
northern site at the same absolute latitude.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from pvsite.errors import ConfigError

if TYPE_CHECKING:
    from pvsite.config import MountingConfig

logger = logging.getLogger(__name__)

#: Obliquity of the ecliptic, i.e. |declination| at the solstices [°]
#: (23.436° for epoch J2000, IAU 2006; rounded).
OBLIQUITY_DEG = 23.44

_DAYS = ("winter_solstice", "summer_solstice", "equinox")

#: Time step of the search for the worst instant in the no-shade window [h]
#: (one minute).
_STEP_H = 1.0 / 60.0


def solar_altitude_azimuth(latitude_deg, declination_deg, hour_angle_deg):
    """Sun altitude and azimuth from latitude, declination and hour angle.

    Spherical astronomy, no refraction::

        sin α = sin φ sin δ + cos φ cos δ cos ω
        east  = −cos δ sin ω
        north =  sin δ cos φ − cos δ sin φ cos ω
        γs    = atan2(east, north)

    Parameters
    ----------
    latitude_deg : float or array_like
        Site latitude, north positive [°].
    declination_deg : float or array_like
        Solar declination [°].
    hour_angle_deg : float or array_like
        Hour angle, 15° per hour of true solar time from solar noon,
        negative in the morning [°].

    Returns
    -------
    altitude_deg : numpy.ndarray
        Sun elevation above the horizon [°].
    azimuth_deg : numpy.ndarray
        Sun azimuth, clockwise from north in [0, 360) [°].
    """
    phi = np.radians(np.asarray(latitude_deg, dtype=float))
    dec = np.radians(np.asarray(declination_deg, dtype=float))
    omega = np.radians(np.asarray(hour_angle_deg, dtype=float))
    sin_alt = np.sin(phi) * np.sin(dec) + np.cos(phi) * np.cos(dec) * np.cos(omega)
    altitude = np.degrees(np.arcsin(np.clip(sin_alt, -1.0, 1.0)))
    east = -np.cos(dec) * np.sin(omega)
    north = np.sin(dec) * np.cos(phi) - np.cos(dec) * np.sin(phi) * np.cos(omega)
    azimuth = np.degrees(np.arctan2(east, north)) % 360.0
    return altitude, azimuth


def design_declination_deg(latitude_deg, day: str = "winter_solstice"):
    """Solar declination of a design day, per hemisphere.

    Parameters
    ----------
    latitude_deg : float or array_like
        Site latitude, north positive [°].
    day : {'winter_solstice', 'summer_solstice', 'equinox'}
        Design day in the *local* seasons: the winter solstice is in
        December north of the equator and in June south of it.  The equator
        counts as northern.

    Returns
    -------
    numpy.ndarray
        Declination [°].
    """
    if day not in _DAYS:
        raise ConfigError(
            f"Unknown design day {day!r} for the row-spacing rule.",
            fix=f"Use one of: {', '.join(_DAYS)}.",
            zh=f"行距规则的设计日 {day!r} 未知。",
            fix_zh=f"请使用 {', '.join(_DAYS)} 之一。",
        )
    south = np.asarray(latitude_deg, dtype=float) < 0
    local_winter = np.where(south, OBLIQUITY_DEG, -OBLIQUITY_DEG)
    if day == "winter_solstice":
        return local_winter
    if day == "summer_solstice":
        return -local_winter
    return np.zeros_like(local_winter)


def equator_facing_azimuth_deg(latitude_deg):
    """Azimuth facing the equator: 180 north of it (and on it), 0 south [°]."""
    return np.where(np.asarray(latitude_deg, dtype=float) < 0, 0.0, 180.0)


def shadow_factor(
    tilt_deg,
    latitude_deg,
    start_hour: float,
    end_hour: float,
    day: str = "winter_solstice",
    row_azimuth_deg=None,
    min_sun_elevation_deg: float | None = None,
):
    """Row pitch per unit slant length, ``D / L`` (dimensionless).

    ``D/L = cosβ + sinβ · max_t [ max(cos(γs − γr), 0) / tan αs ]`` over the
    solar-time window; see the module docstring.

    Parameters
    ----------
    tilt_deg : float or array_like
        Module tilt from horizontal, 0 ≤ β < 90 [°].
    latitude_deg : float or array_like
        Site latitude, north positive [°].
    start_hour, end_hour : float
        No-shade window in true solar time [h], e.g. 9 and 15
        (``MountingConfig.no_shade_start_hour`` / ``no_shade_end_hour``).
    day : {'winter_solstice', 'summer_solstice', 'equinox'}
        Design day in the local seasons (see :func:`design_declination_deg`).
    row_azimuth_deg : float or array_like, optional
        Direction the modules face, clockwise from north [°].  Default: the
        equator (180 north of it, 0 south of it).
    min_sun_elevation_deg : float, optional
        High-latitude fallback (``MountingConfig.min_sun_elevation_deg``) [°]:
        instants with the sun lower than this (or at or below the horizon)
        are left out of the rule; where no instant of the window is left,
        rows are spaced for the sun at solar noon of the design day.
        ``None`` (default): no fallback, a window reaching night is refused.

    Returns
    -------
    numpy.ndarray
        ``D / L`` ≥ ``cosβ``.

    Raises
    ------
    ConfigError
        The window is empty; or the sun is at or below the horizon somewhere
        in the window and no fallback is given (the no-shade rule then asks
        for infinite spacing: shorten the window); or, with the fallback, the
        sun does not rise on the design day (polar night).  Tilts are taken as valid (``0 ≤ β < 90``,
        checked once by :mod:`pvsite.config` for ``mounting.flat_tilt_deg``).
    """
    if not (end_hour > start_hour):
        raise ConfigError(
            f"No-shade window {start_hour}–{end_hour} h is empty.",
            fix="Set mounting.no_shade_end_hour later than mounting.no_shade_start_hour.",
            zh=f"无遮挡时段 {start_hour}–{end_hour} 时为空。",
            fix_zh="请把 mounting.no_shade_end_hour 设得晚于 mounting.no_shade_start_hour。",
        )
    tilt = np.asarray(tilt_deg, dtype=float)
    lat = np.asarray(latitude_deg, dtype=float)
    if row_azimuth_deg is None:
        row_azimuth_deg = equator_facing_azimuth_deg(lat)
    tilt, lat, row_az = np.broadcast_arrays(tilt, lat, np.asarray(row_azimuth_deg, dtype=float))
    dec = design_declination_deg(lat, day)

    n_steps = int(np.ceil((end_hour - start_hour) / _STEP_H))
    hours = np.linspace(start_hour, end_hour, n_steps + 1)  # end points included
    omega = 15.0 * (hours - 12.0)
    alt, az = solar_altitude_azimuth(lat[..., None], dec[..., None], omega)
    if min_sun_elevation_deg is None and np.any(alt <= 0.0):
        bad = np.unique(lat[np.any(alt <= 0.0, axis=-1)])
        raise ConfigError(
            f"The sun is at or below the horizon during the no-shade window "
            f"{start_hour:g}–{end_hour:g} h (solar time) on the {day.replace('_', ' ')} "
            f"at latitude {bad} degrees; no row spacing can keep rows unshaded.",
            fix="Shorten the window (mounting.no_shade_start_hour / no_shade_end_hour), "
                "or set mounting.min_sun_elevation_deg.",
            zh=f"在纬度 {bad}° 的 {day.replace('_', ' ')}，无遮挡时段 {start_hour:g}–{end_hour:g} 时（真太阳时）内太阳在地平线上或以下；任何行距都无法保证前后排不遮挡。",
            fix_zh="请缩短该时段（mounting.no_shade_start_hour / no_shade_end_hour），或设置 mounting.min_sun_elevation_deg。",
        )
    keep = np.ones(alt.shape, dtype=bool) if min_sun_elevation_deg is None else (
        (alt >= float(min_sun_elevation_deg)) & (alt > 0.0))
    noon_alt, noon_az = solar_altitude_azimuth(lat, dec, 0.0)
    none_left = ~keep.any(axis=-1)
    if np.any(none_left & (noon_alt <= 0.0)):
        bad = np.unique(lat[none_left & (noon_alt <= 0.0)])
        raise ConfigError(
            f"The sun does not rise on the {day.replace('_', ' ')} at latitude {bad} degrees "
            "(polar night): no row spacing follows from the no-shade rule.",
            fix="Space rows for another design day, or use flush mounting (set the roof type).",
            zh=f"在纬度 {bad}° 的 {day.replace('_', ' ')}，太阳不升起（极夜）：无遮挡规则得不出行距。",
            fix_zh="请改用其他设计日确定行距，或采用平铺安装（设置屋顶类型）。",
        )
    cos_rel = np.maximum(np.cos(np.radians(az - row_az[..., None])), 0.0)
    ratio = np.where(keep, cos_rel / np.tan(np.radians(np.where(keep, alt, 45.0))), 0.0)
    worst = np.max(ratio, axis=-1)
    noon_ratio = (np.maximum(np.cos(np.radians(noon_az - row_az)), 0.0)
                  / np.tan(np.radians(np.where(noon_alt > 0.0, noon_alt, 45.0))))
    worst = np.where(none_left, noon_ratio, worst)
    beta = np.radians(tilt)
    return np.cos(beta) + np.sin(beta) * worst


class ShadeWindow(NamedTuple):
    """The part of the no-shade window the spacing rule keeps at one latitude (:func:`shade_window`)."""

    #: Configured window, true solar time [h].
    start_hour: float
    end_hour: float
    #: First and last instant kept [h]; both 12.0 when only solar noon is left.
    kept_start_hour: float
    kept_end_hour: float
    #: Sun elevation at solar noon of the design day [°].
    noon_elevation_deg: float
    #: The configured window was narrowed.
    narrowed: bool


def shade_window(latitude_deg: float, start_hour: float, end_hour: float, min_sun_elevation_deg: float,
                 day: str = "winter_solstice") -> ShadeWindow:
    """Which instants of the no-shade window the rule keeps at one site (the high-latitude fallback).

    Parameters
    ----------
    latitude_deg : float
        Site latitude, north positive [°].
    start_hour, end_hour : float
        Configured window, true solar time [h].
    min_sun_elevation_deg : float
        Instants with the sun lower than this are left out [°]
        (``MountingConfig.min_sun_elevation_deg``).
    day : str
        Design day (see :func:`design_declination_deg`).

    Returns
    -------
    ShadeWindow
        Kept window and whether it is narrower than the configured one (the
        sun's elevation is symmetric about solar noon, so the kept instants
        are one interval).
    """
    dec = float(design_declination_deg(latitude_deg, day))
    n_steps = int(np.ceil((end_hour - start_hour) / _STEP_H))
    hours = np.linspace(start_hour, end_hour, n_steps + 1)
    alt, _ = solar_altitude_azimuth(latitude_deg, dec, 15.0 * (hours - 12.0))
    keep = (alt >= float(min_sun_elevation_deg)) & (alt > 0.0)
    noon = float(solar_altitude_azimuth(latitude_deg, dec, 0.0)[0])
    if not keep.any():
        return ShadeWindow(start_hour, end_hour, 12.0, 12.0, noon, True)
    kept = hours[keep]
    return ShadeWindow(start_hour, end_hour, float(kept.min()), float(kept.max()), noon, not bool(keep.all()))


def row_pitch_m(
    slant_length_m,
    tilt_deg,
    latitude_deg,
    start_hour: float,
    end_hour: float,
    day: str = "winter_solstice",
    row_azimuth_deg=None,
    min_sun_elevation_deg: float | None = None,
):
    """Minimum front-edge-to-front-edge row pitch for no mutual shading.

    ``D = L·cosβ + L·sinβ·cos(γs − γr)/tan αs`` at the worst instant of the
    window (see the module docstring).  The configured window is 09:00–15:00
    true solar time on the winter solstice (GB 50797-2012 光伏发电站设计规范:
    方阵前后排在冬至日 9:00–15:00 互不遮挡).

    Parameters
    ----------
    slant_length_m : float or array_like
        Row depth measured along the module slope, ``L`` [m].
    tilt_deg : float or array_like
        Module tilt, 0 ≤ β < 90 [°].
    latitude_deg : float or array_like
        Site latitude, north positive [°].
    start_hour, end_hour : float
        No-shade window in true solar time [h].
    day : {'winter_solstice', 'summer_solstice', 'equinox'}
        Design day in the local seasons.
    row_azimuth_deg : float or array_like, optional
        Direction the modules face, clockwise from north [°]; default the
        equator.
    min_sun_elevation_deg : float, optional
        High-latitude fallback [°], see :func:`shadow_factor`.

    Returns
    -------
    numpy.ndarray
        Row pitch ``D`` [m], measured horizontally along the row normal.
    """
    return np.asarray(slant_length_m, dtype=float) * shadow_factor(
        tilt_deg, latitude_deg, start_hour, end_hour, day, row_azimuth_deg, min_sun_elevation_deg
    )


def ground_coverage_ratio(
    tilt_deg,
    latitude_deg,
    start_hour: float,
    end_hour: float,
    day: str = "winter_solstice",
    row_azimuth_deg=None,
    min_sun_elevation_deg: float | None = None,
):
    """Ground coverage ratio ``GCR = L / D`` of rows spaced by the no-shade rule.

    Independent of the slant length ``L``.  It is the slant module length
    per unit horizontal pitch, i.e. module area per horizontal ground area
    for continuous rows; gaps between modules along a row are not included
    (see :func:`rack_rows` and :func:`pvsite.roofs.planes.roof_planes`).

    Parameters
    ----------
    tilt_deg : float or array_like
        Module tilt [°].
    latitude_deg : float or array_like
        Site latitude, north positive [°].
    start_hour, end_hour : float
        No-shade window in true solar time [h].
    day : {'winter_solstice', 'summer_solstice', 'equinox'}
        Design day in the local seasons.
    row_azimuth_deg : float or array_like, optional
        Direction the modules face [°]; default the equator.
    min_sun_elevation_deg : float, optional
        High-latitude fallback [°], see :func:`shadow_factor`.

    Returns
    -------
    numpy.ndarray
        GCR in (0, 1].  E.g. 0.624 at 31.2° N, 20° tilt, 09:00–15:00.
    """
    return 1.0 / shadow_factor(tilt_deg, latitude_deg, start_hour, end_hour, day, row_azimuth_deg,
                               min_sun_elevation_deg)


class RackRows(NamedTuple):
    """Geometry of rack rows on flat roofs (see :func:`rack_rows`)."""

    #: Slant depth of one rack row, ``L = n·l + (n − 1)·gap`` [m].
    slant_length_m: float
    #: Horizontal front-edge-to-front-edge pitch of the rows, per plane [m].
    row_pitch_m: np.ndarray
    #: Module area per m² of horizontal roof area given to the rows, per plane [-].
    ground_coverage_ratio: np.ndarray


def rack_rows(module: Mapping, mounting_cfg: MountingConfig, latitude_deg, tilt_deg, azimuth_deg, *,
              modules_up: int | None = None, landscape: bool = False) -> RackRows:
    """Row pitch and ground coverage of rack rows: the one evaluation of the row-spacing rule.

    Rows of ``n = mounting_cfg.modules_per_row_portrait`` modules in portrait
    (slant depth ``L = n·l + (n − 1)·gap``) are spaced by the no-shade pitch
    ``D = L · D/L`` (:func:`shadow_factor` over the configured window, for
    each plane's own azimuth).  Their coverage of the horizontal roof area is

        ``GCR = (L / D) × n·l / L × w / (w + gap)``

    — the classic ``L / D`` (independent of ``n``), times the fill up the
    slope and along the row lost to the clamp gaps.  Both
    :func:`pvsite.roofs.planes.roof_planes` (the coverage) and
    :func:`pvsite.roofs.layout.layout_roofs` (the pitch of the placed rows)
    take their figures from here.  The shadow factor is computed once per
    distinct (latitude, tilt, azimuth).

    Parameters
    ----------
    module : mapping
        Module preset with ``power_w`` [W], ``length_m`` [m], ``width_m`` [m].
    mounting_cfg : MountingConfig
        ``modules_per_row_portrait``, ``module_gap_m`` [m] and the no-shade
        window ``no_shade_start_hour`` / ``no_shade_end_hour`` [h].
    latitude_deg : float or array_like
        Site latitude, north positive [°]; broadcast against the planes.
    tilt_deg : float or array_like
        Row tilt of each plane [°].
    azimuth_deg : float or array_like
        Direction each plane's modules face, clockwise from north [°].
    modules_up : int, optional
        Modules stacked up the slope of one row instead of
        ``mounting_cfg.modules_per_row_portrait`` (the single-row fallback
        racks of :func:`pvsite.roofs.layout.layout_variants` pass 1).
    landscape : bool
        Modules in landscape (short side ``w`` up the slope, ``l`` along the
        row): ``L = n·w + (n − 1)·gap`` and the along-row fill ``l / (l + gap)``.

    Returns
    -------
    RackRows
        ``slant_length_m`` [m] (one value), ``row_pitch_m`` [m] and
        ``ground_coverage_ratio`` [-] (one per plane, broadcast shape of the
        three array arguments, flattened).
    """
    _, length_m, width_m = module_dims(module)
    if landscape:
        length_m, width_m = width_m, length_m  # side up the slope, side along the row
    n_up = mounting_cfg.modules_per_row_portrait if modules_up is None else int(modules_up)
    gap_m = float(mounting_cfg.module_gap_m)
    slant_m = n_up * length_m + (n_up - 1) * gap_m
    lat, tilt, azimuth = (np.ravel(a) for a in np.broadcast_arrays(
        np.asarray(latitude_deg, dtype=float), np.asarray(tilt_deg, dtype=float),
        np.asarray(azimuth_deg, dtype=float)))
    if len(lat) == 0:
        return RackRows(slant_m, np.empty(0), np.empty(0))
    distinct, inverse = np.unique(np.column_stack([lat, tilt, azimuth]), axis=0, return_inverse=True)
    factor = shadow_factor(
        distinct[:, 1], distinct[:, 0], mounting_cfg.no_shade_start_hour, mounting_cfg.no_shade_end_hour,
        row_azimuth_deg=distinct[:, 2], min_sun_elevation_deg=mounting_cfg.min_sun_elevation_deg,
    )
    inverse = inverse.ravel()
    pitch = slant_m * factor[inverse]
    fill_up = n_up * length_m / (n_up * length_m + (n_up - 1) * gap_m)
    gcr = (1.0 / factor)[inverse] * fill_up * width_m / (width_m + gap_m)
    return RackRows(slant_m, pitch, gcr)


def module_dims(module: Mapping) -> tuple[float, float, float]:
    """Nameplate power and frame size of a module preset.

    The one reader of a module preset's numbers: every function of pvsite
    that needs them goes through it, so a preset with a missing or
    non-positive value is refused with the same message everywhere.

    Parameters
    ----------
    module : mapping
        Module preset (``load_preset('module', name)``) with ``power_w``
        [W], ``length_m`` [m] and ``width_m`` [m].

    Returns
    -------
    power_w : float
        STC nameplate power [W].
    length_m, width_m : float
        Frame length (long side) and width [m].

    Raises
    ------
    ConfigError
        A value is missing, not a number, or not positive (the message names
        the preset file when the mapping carries ``_path``).
    """
    try:
        power = float(module["power_w"])
        length = float(module["length_m"])
        width = float(module["width_m"])
    except (KeyError, TypeError, ValueError):
        where = module.get("_path", "the module preset") if isinstance(module, Mapping) else "the module preset"
        raise ConfigError(
            f"{where}: a module needs numeric power_w [W], length_m [m] and width_m [m].",
            fix="Copy presets/module/generic-550w.toml and edit its values.",
            zh=f"{where}：组件需要数值型的 power_w [W]、length_m [m] 和 width_m [m]。",
            fix_zh="请复制 presets/module/generic-550w.toml 并修改其中的数值。",
        ) from None
    if power <= 0 or length <= 0 or width <= 0:
        raise ConfigError(
            f"{module.get('_path', 'module preset')}: power_w, length_m and width_m must be positive, "
            f"found {power}, {length}, {width}.",
            zh=f"{module.get('_path', 'module preset')}：power_w、length_m 和 width_m 须为正数，实为 {power}、{length}、{width}。",
        )
    return power, length, width


def module_area_m2(module: Mapping) -> float:
    """Module frame area ``length × width`` [m²].

    Parameters
    ----------
    module : mapping
        Module preset with ``length_m`` [m] and ``width_m`` [m].
    """
    _, length, width = module_dims(module)
    return length * width


def flush_packing_factor(module: Mapping, gap_m: float) -> float:
    """Share of a roof plane covered by modules laid in a grid with clamp gaps.

    ``packing = l·w / ((l + g)(w + g))`` — each module occupies its frame
    plus one gap in each direction.  0.974 for 2.279 × 1.134 m modules with
    20 mm gaps.  Edge losses (partial modules at a plane's border) are not
    included.

    Parameters
    ----------
    module : mapping
        Module preset with ``length_m`` [m] and ``width_m`` [m].
    gap_m : float
        Gap between adjacent modules, ≥ 0 (``MountingConfig.module_gap_m``) [m].

    Returns
    -------
    float
        Module area per unit plane area (in-plane, not horizontal).
    """
    _, length, width = module_dims(module)
    return length * width / ((length + gap_m) * (width + gap_m))


def power_density_w_per_m2(module: Mapping, gcr):
    """DC nameplate power per unit horizontal area given to the array.

    ``power_w / (length_m · width_m) × gcr``.

    Parameters
    ----------
    module : mapping
        Module preset with ``power_w`` [W], ``length_m`` [m], ``width_m`` [m].
    gcr : float or array_like
        Module area per unit horizontal area [m²/m²].

    Returns
    -------
    numpy.ndarray
        [W/m²] of horizontal roof area.
    """
    power, length, width = module_dims(module)
    return power / (length * width) * np.asarray(gcr, dtype=float)
