"""Energy engine: specific yield [kWh/kWp] of many roof orientations at once.

The physics is pvlib's PVWatts-class chain, evaluated for a whole set of
orientations in one pass by numpy broadcasting (time × orientation arrays):

1. solar position once, at the mid-point of each weather interval
   (``pvlib.solarposition.get_solarposition``, ``nrel_numpy``), with the air
   pressure from the weather or from the altitude (``pvlib.atmosphere.alt2pres``);
   extra-terrestrial DNI (``get_extra_radiation``, Spencer) and relative air
   mass (Kasten & Young 1989);
2. plane-of-array irradiance by the Perez (1990, ``allsitescomposite1990``)
   transposition, identical to ``pvlib.irradiance.get_total_irradiance``
   (``model='perez'``), with ground albedo 0.2 (:data:`ALBEDO`);
3. incidence-angle modifier: pvlib's physical (Fresnel/Snell + glass
   absorption) model with the module's ``n, K, L`` on the beam; Marion's
   (2017) integrated diffuse modifiers for the same model on the sky and
   ground-reflected diffuse (:func:`diffuse_iam`);
4. cell temperature from the plane-of-array irradiance (Faiman or SAPM,
   coefficients per mounting, :func:`temperature_parameters`);
5. PVWatts v5 DC power (``pvlib.pvsystem.pvwatts_dc``), PVWatts v5 system
   losses (``pvlib.pvsystem.pvwatts_losses``) and the PVWatts v5 inverter
   (``pvlib.inverter.pvwatts``) with clipping at ``1 kWp / dc_ac_ratio``.

Everything is normalised to 1 kWp of DC nameplate, so the results are
specific yields that :mod:`pvsite.planning.sizing` multiplies by capacity.  Duplicate
orientations are simulated once; large sets are processed in chunks so that
the time × orientation arrays stay bounded in memory.

The chain is validated against ``pvlib.modelchain.ModelChain`` with the same
parameters (``tests/solar/test_energy.py``): annual energy agrees within 0.5 %.

References
----------
Dobos, A. P. (2014). PVWatts Version 5 Manual. NREL/TP-6A20-62641.
Perez, R. et al. (1990). Modeling daylight availability and irradiance
components from direct and global irradiance. Solar Energy 44(5), 271–289.
Marion, B. (2017). Numerical method for angle-of-incidence correction factors
for diffuse radiation incident photovoltaic modules. Solar Energy 147, 344–348.
Faiman, D. (2008). Assessing the outdoor operating temperature of photovoltaic
modules. Progress in Photovoltaics 16(4), 307–315.
King, D. L., Boyson, W. E., Kratochvil, J. A. (2004). Photovoltaic Array
Performance Model. SAND2004-3535.
Driesse, A. et al. (2022). PV module operating temperature model equivalence
and parameter translation. IEEE PVSC 2022.
"""

from __future__ import annotations

import logging
from functools import lru_cache

import numpy as np
import pandas as pd
import pvlib

from pvsite.errors import ConfigError, InputError
from pvsite.io import iam_cache
from pvsite.io.weather_checks import REQUIRED_COLUMNS
from pvsite.presets import LOSS_ITEMS, LossesPreset, ModulePreset

log = logging.getLogger(__name__)

#: Ground albedo [-].  0.2 is the conventional value for snow-free ground
#: (pvlib.albedo.SURFACE_ALBEDOS: grass 0.20, urban 0.18; sources listed in
#: pvlib.irradiance.get_ground_diffuse).  Shanghai has snow on very few days.
ALBEDO = 0.2

#: Mountings understood by :func:`simulate` (column ``mounting``).
MOUNTINGS = ("tilted_rows", "flush")

#: Mounting used when neither the orientation row nor ``mounting=`` says.
DEFAULT_MOUNTING = "tilted_rows"

#: Faiman heat-loss coefficients of open-rack modules, u0 [W/(m²·K)],
#: u1 [W·s/(m³·K)]: Faiman (2008), the model adopted by IEC 61853-2
#: (pvlib.temperature.faiman defaults).
FAIMAN_OPEN_RACK = {"u0": 25.0, "u1": 6.84}

#: SAPM cell-temperature coefficients (King et al. 2004, Table 1, via
#: pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS): rows on racks are
#: "open rack, glass/polymer"; modules laid flush on a roof with a small air
#: gap are "close roof mount" (the only close-mount class in the table is
#: glass/glass).
SAPM_PARAMETERS = {
    "tilted_rows": pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]["open_rack_glass_polymer"],
    "flush": pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]["close_mount_glass_glass"],
}

#: Module absorptance used to translate SAPM close-mount coefficients into
#: Faiman ones [-]: 0.9, pvlib.temperature.pvsyst_cell's default
#: ``alpha_absorption`` (PVsyst's default).
ABSORPTANCE = 0.9

#: The weather columns the engine reads: the canonical frame of :mod:`pvsite.io.weather_checks`.
REQUIRED_WEATHER = REQUIRED_COLUMNS

MONTH_COLUMNS = tuple(f"kwh_per_kwp_m{m:02d}" for m in range(1, 13))

#: Output schema: column → (unit, description).
OUTPUT_SCHEMA = {
    "specific_yield_kwh_per_kwp": ("kWh/kWp", "annual AC energy per kWp of DC nameplate"),
    **{c: ("kWh/kWp", f"AC energy per kWp in month {c[-2:]}") for c in MONTH_COLUMNS},
    "poa_kwh_per_m2": ("kWh/m²", "annual plane-of-array insolation (before IAM)"),
    "performance_ratio": ("-", "specific yield / (POA insolation / 1 kW/m²)"),
}

#: Orientations simulated together; a chunk's arrays are time × chunk float64
#: (≈ 4,400 daylight hours × 256 × 8 B ≈ 9 MB each).
CHUNK_SIZE = 256


# ---------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------


def loss_percent(losses: LossesPreset) -> float:
    """Combined PVWatts system loss of a losses preset.

    Parameters
    ----------
    losses : pvsite.presets.LossesPreset
        Loss items in percent [%] (:data:`pvsite.presets.LOSS_ITEMS`), checked
        by :func:`pvsite.presets.parse_losses` (known items, each in [0, 100)).

    Returns
    -------
    float
        Total loss [%], the items combined multiplicatively
        (``pvlib.pvsystem.pvwatts_losses``); 14.08 % for the PVWatts defaults.
        Items the preset does not give count as zero (not pvlib's own defaults).
    """
    items = {k: float(losses.losses_pct.get(k, 0.0)) for k in LOSS_ITEMS}
    return float(pvlib.pvsystem.pvwatts_losses(**items))


def module_efficiency(module: ModulePreset) -> float:
    """STC efficiency of a module preset [-]: ``power_w / (length_m × width_m × 1000 W/m²)``.

    The preset loader (:func:`pvsite.presets.parse_module`) guarantees the
    three values are present and positive.
    """
    return module.power_w / (module.length_m * module.width_m * 1000.0)


def _faiman_parameters(mounting: str, module: ModulePreset) -> dict:
    """Faiman ``{'u0', 'u1'}`` of one mounting (see :func:`temperature_parameters`)."""
    if mounting == "tilted_rows":
        return dict(FAIMAN_OPEN_RACK)
    sapm = SAPM_PARAMETERS["flush"]
    glm = pvlib.temperature.GenericLinearModel(
        module_efficiency=module_efficiency(module), absorptance=ABSORPTANCE
    ).use_sapm(sapm["a"], sapm["b"])
    return {k: float(v) for k, v in glm.to_faiman().items()}


def _sapm_parameters(mounting: str, module: ModulePreset) -> dict:
    """SAPM ``{'a', 'b', 'deltaT'}`` of one mounting (see :func:`temperature_parameters`)."""
    return dict(SAPM_PARAMETERS[mounting])


#: Cell-temperature model → coefficients of one mounting.  The keys are the
#: choices of ``system.temperature_model`` (:data:`pvsite.config.TEMPERATURE_MODELS`),
#: which :class:`pvsite.config.SystemConfig` checks; a test keeps the two equal.
TEMPERATURE_PARAMETERS = {"faiman": _faiman_parameters, "sapm": _sapm_parameters}


def temperature_parameters(temperature_model: str, mounting: str, module: ModulePreset) -> dict:
    """Cell-temperature coefficients for one mounting.

    Parameters
    ----------
    temperature_model : {'faiman', 'sapm'}
        Cell-temperature model (a key of :data:`TEMPERATURE_PARAMETERS`;
        ``system.temperature_model``, checked by the config).
    mounting : {'tilted_rows', 'flush'}
        ``tilted_rows``: rows on racks, air on both sides (open rack);
        ``flush``: modules parallel to the roof with a small air gap
        (close roof mount, hotter).
    module : pvsite.presets.ModulePreset
        Module preset (``power_w`` [W], ``length_m``, ``width_m`` [m]); used
        only for the Faiman flush coefficients.

    Returns
    -------
    dict
        ``{'u0', 'u1'}`` for Faiman [W/(m²·K)], [W·s/(m³·K)] or
        ``{'a', 'b', 'deltaT'}`` for SAPM.

    Notes
    -----
    Faiman open rack: IEC 61853-2 / Faiman (2008) u0 = 25, u1 = 6.84.
    Faiman flush: SAPM "close roof mount" (King et al. 2004) translated to
    Faiman coefficients with pvlib's ``GenericLinearModel`` (Driesse et al.
    2022), using the module's STC efficiency and absorptance 0.9; for the
    generic 550 W module this gives u0 ≈ 19.5, u1 ≈ 1.09.
    """
    if mounting not in MOUNTINGS:
        raise ConfigError(
            f"Unknown mounting {mounting!r}.", fix=f"Use one of: {', '.join(MOUNTINGS)}.",
            zh=f"未知的安装方式 {mounting!r}。",
            fix_zh=f"请使用 {', '.join(MOUNTINGS)} 之一。"
        )
    return TEMPERATURE_PARAMETERS[temperature_model](mounting, module)


#: Resolution of the beam IAM table in cos(AOI) [-].
IAM_TABLE_STEP = 1e-4


@lru_cache(maxsize=16)
def _beam_iam_table(n: float, k: float, l: float) -> tuple[np.ndarray, np.ndarray]:
    """pvlib.iam.physical tabulated against cos(AOI) on [0, 1].

    Linear interpolation in this table replaces evaluating the Fresnel
    equations for every hour × orientation (several times faster); the
    largest interpolation error, measured over 0–90°, is 5e-8.
    """
    cos_grid = np.linspace(0.0, 1.0, int(round(1 / IAM_TABLE_STEP)) + 1)
    aoi_deg = np.degrees(np.arccos(cos_grid))
    iam = pvlib.iam.physical(aoi_deg, n=n, K=k, L=l)
    iam = np.where(np.isfinite(iam), iam, 0.0)
    iam[0] = 0.0  # grazing incidence
    return cos_grid, iam


def _beam_iam(cos_aoi: np.ndarray, n: float, k: float, l: float) -> np.ndarray:
    """Beam IAM [-] by linear interpolation in :func:`_beam_iam_table`."""
    _, table = _beam_iam_table(n, k, l)
    pos = np.clip(cos_aoi, 0.0, 1.0) * (len(table) - 1)
    i = np.minimum(pos.astype(np.intp), len(table) - 2)
    frac = pos - i
    return table[i] * (1.0 - frac) + table[i + 1] * frac


@lru_cache(maxsize=512)
def _marion_at(tilt_deg: float, n: float, k: float, l: float) -> tuple[float, float]:
    iam = pvlib.iam.marion_diffuse("physical", float(tilt_deg), n=n, K=k, L=l)
    return float(iam["sky"]), float(iam["ground"])


#: Marion modifiers known to this process, per glazing (n, K, L): {tilt_deg: (sky, ground)}.
_MARION_KNOWN: dict[tuple[float, float, float], dict[float, tuple[float, float]]] = {}


def _marion_table(grid: np.ndarray, n: float, k: float, l: float) -> np.ndarray:
    """(sky, ground) rows of :func:`_marion_at` for the whole-degree tilts ``grid``.

    Read once per process from the on-disk cache (:mod:`pvsite.io.iam_cache`,
    keyed by n, K, L and the pvlib version); tilts not in it are computed
    and the cache is rewritten.  Cached values are the computed floats, so
    results are identical with and without the cache.
    """
    glazing = (float(n), float(k), float(l))
    known = _MARION_KNOWN.get(glazing)
    if known is None:
        known = _MARION_KNOWN[glazing] = iam_cache.load_marion(*glazing, pvlib.__version__)
    missing = [float(t) for t in grid if float(t) not in known]
    for t in missing:
        known[t] = _marion_at(t, *glazing)
    if missing:
        iam_cache.store_marion(*glazing, pvlib.__version__, known)
    return np.array([known[float(t)] for t in grid], dtype=float).reshape(-1, 2)


def diffuse_iam(tilt_deg, n: float, k: float, l: float) -> tuple[np.ndarray, np.ndarray]:
    """Sky- and ground-diffuse incidence-angle modifiers (Marion 2017).

    ``pvlib.iam.marion_diffuse`` with the physical IAM model, evaluated
    exactly at whole-degree tilts (≈ 14 ms per new tilt; cached in memory and on disk,
    :func:`_marion_table`) and
    linearly interpolated between them.  Interpolation error (measured at
    half-degree tilts): sky < 1e-5; ground < 2e-3 above 3° tilt and up to
    0.02 below it, where ground-reflected light is < 0.03 % of the POA.

    Parameters
    ----------
    tilt_deg : array_like
        Surface tilts [°], 0–90.
    n : float
        Refractive index of the cover glass [-].
    k : float
        Glazing extinction coefficient [1/m].
    l : float
        Glazing thickness [m].

    Returns
    -------
    sky, ground : ndarray
        Modifiers [-] for isotropic sky and ground-reflected diffuse light.
    """
    tilt = np.asarray(tilt_deg, dtype=float)
    lo = np.floor(tilt)
    hi = np.ceil(tilt)
    grid = np.unique(np.concatenate([lo.ravel(), hi.ravel()]))
    table = _marion_table(grid, n, k, l)
    sky = np.interp(tilt, grid, table[:, 0])
    ground = np.interp(tilt, grid, table[:, 1])
    return sky, ground


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


def _check_weather(weather: pd.DataFrame) -> pd.Timedelta:
    if not isinstance(weather, pd.DataFrame):
        raise InputError(f"Weather must be a pandas DataFrame, found {type(weather).__name__}.",
                         zh=f"气象数据须为 pandas DataFrame，实为 {type(weather).__name__}。")
    missing = [c for c in REQUIRED_WEATHER if c not in weather.columns]
    if missing:
        raise InputError(
            f"Weather needs columns {list(REQUIRED_WEATHER)}. Missing: {missing}. "
            f"Detected: {list(weather.columns)}.",
            fix="Read the weather file with pvsite.io.weather, which renames columns to pvlib names.",
            zh=f"气象数据须包含列 {list(REQUIRED_WEATHER)}。缺少：{missing}。现有：{list(weather.columns)}。",
            fix_zh="请用 pvsite.io.weather 读取气象文件，它会把列名改为 pvlib 名称。",
        )
    idx = weather.index
    if not isinstance(idx, pd.DatetimeIndex) or idx.tz is None:
        raise InputError(
            "Weather index must be a time-zone-aware DatetimeIndex labelling the start of each interval.",
            fix="Localise the index, e.g. df.index = df.index.tz_localize('Asia/Shanghai').",
            zh="气象数据的索引须为带时区的 DatetimeIndex，标注每个时段的开始。",
            fix_zh="请为索引指定时区，如 df.index = df.index.tz_localize('Asia/Shanghai')。",
        )
    if len(idx) < 2:
        raise InputError(f"Weather has {len(idx)} row(s); a year of hourly data is expected.",
                         zh=f"气象数据有 {len(idx)} 行；应为一年的逐时数据。")
    steps = np.diff(idx.asi8)
    if not (steps == steps[0]).all() or steps[0] <= 0:
        raise InputError(
            "Weather time steps are not regular and increasing "
            f"(found steps {sorted(set(pd.to_timedelta(np.unique(steps)[:5]).astype(str)))}).",
            fix="Resample the weather to a regular hourly series without gaps or duplicates.",
            zh=f"气象数据的时间步长不规则或不递增（步长为 {sorted(set(pd.to_timedelta(np.unique(steps)[:5]).astype(str)))}）。",
            fix_zh="请把气象数据重采样为无缺口、无重复的规则逐时序列。",
        )
    step = idx[1] - idx[0]
    if len(idx) * step < pd.Timedelta(days=365) - step:
        log.warning(
            "Weather covers %s only; annual figures are sums over that period, not a year.",
            len(idx) * step,
        )
    return step


def _check_orientations(orientations: pd.DataFrame, mounting: str | None) -> pd.DataFrame:
    if not isinstance(orientations, pd.DataFrame):
        raise InputError(
            f"Orientations must be a DataFrame, found {type(orientations).__name__}.",
            zh=f"朝向表须为 DataFrame，实为 {type(orientations).__name__}。"
        )
    missing = [c for c in ("tilt_deg", "azimuth_deg") if c not in orientations.columns]
    if missing:
        raise InputError(
            f"Orientations need columns tilt_deg and azimuth_deg. Missing: {missing}. "
            f"Detected: {list(orientations.columns)}.",
            zh=f"朝向表须有 tilt_deg 和 azimuth_deg 列。缺少：{missing}。现有：{list(orientations.columns)}。"
        )
    tilt = pd.to_numeric(orientations["tilt_deg"], errors="coerce").to_numpy(dtype=float)
    azim = pd.to_numeric(orientations["azimuth_deg"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(tilt) | ~np.isfinite(azim) | (tilt < 0) | (tilt > 90)
    if bad.any():
        examples = list(orientations.index[bad][:5])
        raise InputError(
            f"{int(bad.sum())} orientation(s) have a tilt outside 0–90° or a missing "
            f"tilt/azimuth (e.g. index {examples}).",
            fix="Give tilt_deg in [0, 90] and a finite azimuth_deg (clockwise from north).",
            zh=f"有 {int(bad.sum())} 个朝向的倾角超出 0–90° 或缺少倾角/方位角（如索引 {examples}）。",
            fix_zh="请给出 [0, 90] 内的 tilt_deg 和有限的 azimuth_deg（自正北顺时针）。",
        )
    default = DEFAULT_MOUNTING if mounting is None else mounting
    if default not in MOUNTINGS:
        raise ConfigError(f"Unknown mounting {default!r}.", fix=f"Use one of: {', '.join(MOUNTINGS)}.",
                          zh=f"未知的安装方式 {default!r}。",
                          fix_zh=f"请使用 {', '.join(MOUNTINGS)} 之一。")
    if "mounting" in orientations.columns:
        mount = orientations["mounting"].astype(object).where(orientations["mounting"].notna(), default)
        unknown = sorted(set(mount) - set(MOUNTINGS))
        if unknown:
            raise InputError(
                f"Orientations column 'mounting' has unknown values {unknown}.",
                fix=f"Use one of: {', '.join(MOUNTINGS)}.",
                zh=f"朝向表 'mounting' 列有未知值 {unknown}。",
                fix_zh=f"请使用 {', '.join(MOUNTINGS)} 之一。",
            )
        mount = mount.to_numpy(dtype=object)
    else:
        mount = np.full(len(orientations), default, dtype=object)
    return pd.DataFrame(
        {"tilt_deg": tilt, "azimuth_deg": np.mod(azim, 360.0), "mounting": mount},
        index=orientations.index,
    )


# ---------------------------------------------------------------------------
# Engine
# ---------------------------------------------------------------------------


class _Sky:
    """Time-only quantities of one weather year, daylight rows only."""

    def __init__(self, weather, latitude, longitude, altitude, step):
        times_mid = weather.index + step / 2
        temp_air = weather["temp_air"].to_numpy(dtype=float)
        if "pressure" in weather.columns:
            pressure = weather["pressure"].to_numpy(dtype=float)
            pressure = np.where(np.isfinite(pressure), pressure, pvlib.atmosphere.alt2pres(altitude))
        else:
            pressure = pvlib.atmosphere.alt2pres(altitude)
        solpos = pvlib.solarposition.get_solarposition(
            times_mid, latitude, longitude, altitude=altitude, pressure=pressure,
            method="nrel_numpy",
            # pvlib's default 12 °C where the air temperature is missing
            temperature=np.where(np.isfinite(temp_air), temp_air, 12.0),
        )
        ghi = weather["ghi"].to_numpy(dtype=float)
        dni = weather["dni"].to_numpy(dtype=float)
        dhi = weather["dhi"].to_numpy(dtype=float)
        wind = weather["wind_speed"].to_numpy(dtype=float)
        finite = np.isfinite(ghi) & np.isfinite(dni) & np.isfinite(dhi)
        finite &= np.isfinite(temp_air) & np.isfinite(wind)
        # Rows with any light (twilight hours included: the ground-reflected
        # and beam terms do not need the sun above the horizon).
        lit = (np.nan_to_num(ghi) > 0) | (np.nan_to_num(dni) > 0) | (np.nan_to_num(dhi) > 0)
        n_nan = int((~finite).sum())
        if n_nan:
            log.warning(
                "Weather has %d interval(s) with a missing value in %s; they produce no energy.",
                n_nan, ", ".join(REQUIRED_WEATHER),
            )
        rows = np.flatnonzero(finite & lit)
        self.rows = rows
        self.zenith = solpos["apparent_zenith"].to_numpy()[rows, None]
        self.azimuth = solpos["azimuth"].to_numpy()[rows, None]
        self.airmass = pvlib.atmosphere.get_relative_airmass(
            self.zenith, model="kastenyoung1989"
        )
        self.dni_extra = pvlib.irradiance.get_extra_radiation(times_mid).to_numpy()[rows, None]
        self.ghi = ghi[rows, None]
        self.dni = dni[rows, None]
        self.dhi = dhi[rows, None]
        self.temp_air = temp_air[rows, None]
        self.wind_speed = wind[rows, None]
        self.hours = step / pd.Timedelta(hours=1)
        months = weather.index.month.to_numpy()[rows]
        # One-hot (12, T) matrix: monthly sums become one matrix product.
        self.month_matrix = (months[None, :] == np.arange(1, 13)[:, None]).astype(float)


def poa_components(sky: "_Sky", tilt, azimuth, module: ModulePreset, albedo: float = ALBEDO,
                   diffuse: bool = True) -> dict:
    """Plane-of-array irradiance of a set of orientations, split by where the light comes from.

    The steps of ``pvlib.irradiance.get_total_irradiance(model='perez')``
    with the Perez sky split into its components
    (``pvlib.irradiance.perez(..., return_components=True)``), and the
    incidence-angle modifiers of :func:`simulate`.

    Parameters
    ----------
    sky : _Sky
        Time-only quantities of the weather year (:func:`sky_year`).
    tilt, azimuth : ndarray
        Surface tilts and azimuths [°], shape (n,).
    module : pvsite.presets.ModulePreset
        Module preset (``iam_n, iam_k, iam_l``).
    albedo : float
        Ground albedo [-].
    diffuse : bool
        Apply Marion's diffuse IAM to the sky and ground diffuse.

    Returns
    -------
    dict of ndarray, each (T, n) [W/m²] (``cos_aoi`` [-])
        ``direct`` beam on the plane, ``sky`` Perez sky diffuse (total),
        ``circumsolar``, ``isotropic``, ``horizon`` (its parts), ``ground``
        reflected, ``global`` = direct + sky + ground (before IAM), and
        ``iam_beam`` (T, n), ``iam_sky``, ``iam_ground`` (1, n) [-].
    """
    tilt = np.asarray(tilt, dtype=float)[None, :]
    azimuth = np.asarray(azimuth, dtype=float)[None, :]
    # The cosine of the angle of incidence is computed once and serves the
    # beam and its IAM.
    cos_aoi = pvlib.irradiance.aoi_projection(tilt, azimuth, sky.zenith, sky.azimuth)
    parts = pvlib.irradiance.perez(
        tilt, azimuth, sky.dhi, sky.dni, sky.dni_extra, sky.zenith, sky.azimuth,
        sky.airmass, model="allsitescomposite1990", return_components=True,
    )
    poa_ground = pvlib.irradiance.get_ground_diffuse(tilt, sky.ghi, albedo=albedo)
    poa_direct = np.maximum(sky.dni * cos_aoi, 0)
    poa_sky = parts["poa_sky_diffuse"]
    n, k, l = module.iam_n, module.iam_k, module.iam_l
    if diffuse:
        iam_sky, iam_ground = diffuse_iam(tilt, n, k, l)
    else:
        iam_sky = iam_ground = np.ones_like(tilt)
    return {
        "cos_aoi": cos_aoi, "direct": poa_direct, "sky": poa_sky,
        "circumsolar": parts["poa_circumsolar"], "isotropic": parts["poa_isotropic"],
        "horizon": parts["poa_horizon"], "ground": poa_ground,
        "global": poa_direct + poa_sky + poa_ground,
        "iam_beam": _beam_iam(cos_aoi, n, k, l), "iam_sky": iam_sky, "iam_ground": iam_ground,
    }


def ac_power(effective, poa_global, sky: "_Sky", temp_params: dict, module: ModulePreset,
             loss_factor: float, eta_inv_nom: float, dc_ac_ratio: float) -> np.ndarray:
    """AC power per kWp [W/kWp] from effective and total plane-of-array irradiance.

    Cell temperature (Faiman or SAPM, from the POA irradiance before IAM),
    PVWatts v5 DC at 1 kWp, the PVWatts system losses as one factor and the
    PVWatts v5 inverter clipping at ``1 kWp / dc_ac_ratio``.

    Parameters
    ----------
    effective : ndarray (T, n)
        Irradiance reaching the cells, after IAM [W/m²].
    poa_global : ndarray (T, n)
        Plane-of-array irradiance before IAM [W/m²] (drives the cell temperature).
    sky : _Sky
        Weather year (air temperature, wind speed).
    temp_params : dict
        :func:`temperature_parameters` of the mounting.
    module : pvsite.presets.ModulePreset
        ``gamma_pdc_per_c`` [1/°C].
    loss_factor : float
        1 − :func:`loss_percent` / 100 [-].
    eta_inv_nom : float
        Nominal inverter efficiency [-].
    dc_ac_ratio : float
        DC/AC ratio [-].

    Returns
    -------
    ndarray (T, n)
        AC power [W] of 1 kWp DC; NaN replaced by 0.
    """
    if "u0" in temp_params:
        temp_cell = pvlib.temperature.faiman(
            poa_global, sky.temp_air, sky.wind_speed, temp_params["u0"], temp_params["u1"]
        )
    else:
        temp_cell = pvlib.temperature.sapm_cell(
            poa_global, sky.temp_air, sky.wind_speed,
            temp_params["a"], temp_params["b"], temp_params["deltaT"],
        )
    pdc0_w = 1000.0  # 1 kWp
    pdc = pvlib.pvsystem.pvwatts_dc(effective, temp_cell, pdc0_w, module.gamma_pdc_per_c)
    pdc = pdc * loss_factor
    pac = pvlib.inverter.pvwatts(pdc, pdc0_w / dc_ac_ratio, eta_inv_nom=eta_inv_nom)
    return np.nan_to_num(pac, nan=0.0)


def sky_year(weather: pd.DataFrame, latitude: float, longitude: float, altitude: float) -> "_Sky":
    """Checked weather year → its time-only quantities (solar position once), daylight rows only.

    Parameters are those of :func:`simulate`; ``sky.rows`` are the rows of
    ``weather`` kept, ``sky.zenith`` / ``sky.azimuth`` (T, 1) the apparent
    solar zenith and azimuth [°] at each interval's mid-point, ``sky.hours``
    the interval length [h] and ``sky.month_matrix`` (12, T) one-hot months.
    """
    return _Sky(weather, latitude, longitude, altitude, _check_weather(weather))


def _simulate_chunk(sky: _Sky, tilt, azimuth, temp_params, module, loss_factor,
                    eta_inv_nom, dc_ac_ratio, albedo, diffuse):
    """Monthly AC kWh/kWp (12, n) and annual POA kWh/m² (n,) of one chunk."""
    c = poa_components(sky, tilt, azimuth, module, albedo, diffuse)
    if diffuse:
        effective = c["direct"] * c["iam_beam"] + c["sky"] * c["iam_sky"] + c["ground"] * c["iam_ground"]
    else:
        effective = c["direct"] * c["iam_beam"] + c["sky"] + c["ground"]
    pac = ac_power(effective, c["global"], sky, temp_params, module, loss_factor, eta_inv_nom, dc_ac_ratio)
    monthly_kwh = sky.month_matrix @ pac * (sky.hours / 1000.0)
    poa_kwh = np.nansum(c["global"], axis=0) * (sky.hours / 1000.0)
    return monthly_kwh, poa_kwh


def simulate(weather: pd.DataFrame, latitude: float, longitude: float, altitude: float,
             orientations: pd.DataFrame, module: ModulePreset, losses: LossesPreset, *,
             inverter_efficiency_pct: float, dc_ac_ratio: float, temperature_model: str,
             mounting: str | None = None, albedo: float = ALBEDO, diffuse_iam_model: bool = True,
             chunk_size: int = CHUNK_SIZE) -> pd.DataFrame:
    """Specific yield of every orientation, normalised to 1 kWp DC.

    Parameters
    ----------
    weather : pandas.DataFrame
        Regular (hourly) weather, tz-aware index labelling the START of each
        interval; columns ``ghi, dni, dhi`` [W/m²], ``temp_air`` [°C],
        ``wind_speed`` [m/s], optional ``pressure`` [Pa].  Intervals with a
        missing value produce no energy (logged).
    latitude : float
        Site latitude [°N].
    longitude : float
        Site longitude [°E].
    altitude : float
        Site altitude [m]; gives the pressure when the weather has none.
    orientations : pandas.DataFrame
        Columns ``tilt_deg`` [°, 0 = horizontal], ``azimuth_deg`` [°,
        clockwise from north, 180 = south], optional ``mounting``
        ('tilted_rows' or 'flush').  Duplicates are simulated once.
    module : pvsite.presets.ModulePreset
        Module preset (checked by its loader): ``gamma_pdc_per_c`` [1/°C],
        ``iam_n`` [-], ``iam_k`` [1/m], ``iam_l`` [m], and ``power_w`` [W],
        ``length_m``, ``width_m`` [m] for the flush-mount temperature
        coefficients.
    losses : pvsite.presets.LossesPreset
        Loss preset, items in percent [%] (see :func:`loss_percent`).
    inverter_efficiency_pct : float
        Nominal inverter efficiency [%] (PVWatts ``eta_inv_nom``),
        ``system.inverter_efficiency_pct``, in (0, 100].
    dc_ac_ratio : float
        DC nameplate / AC rating [-], ``system.dc_ac_ratio``, > 0; AC output
        is clipped at ``eta_inv_nom × 1 kWp / dc_ac_ratio``.
    temperature_model : {'faiman', 'sapm'}
        Cell-temperature model (:func:`temperature_parameters`),
        ``system.temperature_model``.
    mounting : {'tilted_rows', 'flush'}, optional
        Mounting of orientations without a ``mounting`` value; default
        ``'tilted_rows'``.
    albedo : float
        Ground albedo [-] (:data:`ALBEDO`).
    diffuse_iam_model : bool
        Apply Marion's diffuse IAM to sky and ground diffuse (default True).
        False applies the IAM to the beam only, as pvlib's ModelChain does.
    chunk_size : int
        Unique orientations simulated together (memory bound).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``orientations`` (same index and order), columns of
        :data:`OUTPUT_SCHEMA`: ``specific_yield_kwh_per_kwp`` [kWh/kWp],
        ``kwh_per_kwp_m01`` … ``kwh_per_kwp_m12`` [kWh/kWp],
        ``poa_kwh_per_m2`` [kWh/m²], ``performance_ratio`` [-].
        Months are those of the weather index's own time zone.

    Notes
    -----
    The settings and presets arrive checked (:class:`pvsite.config.SystemConfig`,
    :func:`pvsite.presets.load_module`, :func:`pvsite.presets.load_losses`)
    and are not checked again here; the weather and orientation frames are
    data of the run and are checked (:class:`~pvsite.errors.InputError`).

    Timing matters for east/west roofs: on the Shanghai CSWD year a
    half-hour labelling error moves the west/east yield ratio at 30° tilt
    from 1.01 to 1.12 while south-facing yield changes by < 1 %.
    """
    step = _check_weather(weather)
    orient = _check_orientations(orientations, mounting)
    loss_factor = 1.0 - loss_percent(losses) / 100.0
    eta_inv_nom = inverter_efficiency_pct / 100.0
    columns = list(OUTPUT_SCHEMA)
    if orient.empty:
        return pd.DataFrame(columns=columns, index=orientations.index, dtype=float)

    # Unique orientations; ``inverse`` maps every input row to its unique row.
    codes, uniques = pd.MultiIndex.from_frame(orient).factorize()
    unique = pd.DataFrame(
        {name: uniques.get_level_values(i) for i, name in enumerate(orient.columns)}
    )
    log.info("Simulating %d unique orientation(s) for %d input row(s).", len(unique), len(orient))

    sky = _Sky(weather, latitude, longitude, altitude, step)
    monthly = np.zeros((12, len(unique)))
    poa = np.zeros(len(unique))
    for mount, group in unique.groupby("mounting", sort=False):
        temp_params = temperature_parameters(temperature_model, mount, module)
        positions = group.index.to_numpy()
        for start in range(0, len(positions), chunk_size):
            sel = positions[start:start + chunk_size]
            monthly[:, sel], poa[sel] = _simulate_chunk(
                sky,
                unique["tilt_deg"].to_numpy()[sel],
                unique["azimuth_deg"].to_numpy()[sel],
                temp_params, module, loss_factor, eta_inv_nom, dc_ac_ratio,
                albedo, diffuse_iam_model,
            )

    annual = monthly.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        pr = np.where(poa > 0, annual / poa, np.nan)
    table = np.column_stack([annual, monthly.T, poa, pr])
    return pd.DataFrame(table[codes], index=orientations.index, columns=columns)


def round_orientations(planes: pd.DataFrame, step_deg: float) -> pd.DataFrame:
    """Orientation keys of planes: tilt and azimuth rounded to ``step_deg`` [°], and mounting.

    Parameters
    ----------
    planes : pandas.DataFrame
        ``tilt_deg``, ``azimuth_deg`` [°], ``mounting``.
    step_deg : float
        ``system.orientation_step_deg`` [°].

    Returns
    -------
    pandas.DataFrame
        ``tilt_deg``, ``azimuth_deg`` (in [0, 360)), ``mounting``, indexed like ``planes``.
    """
    tilt_r = (planes["tilt_deg"] / step_deg).round() * step_deg
    azim_r = ((planes["azimuth_deg"] / step_deg).round() * step_deg) % 360.0
    return pd.DataFrame({"tilt_deg": tilt_r, "azimuth_deg": azim_r, "mounting": planes["mounting"]})


def optimum_tilt(weather: pd.DataFrame, latitude: float, longitude: float, altitude: float,
                 module: ModulePreset, losses: LossesPreset, *, inverter_efficiency_pct: float,
                 dc_ac_ratio: float, temperature_model: str, azimuth_deg: float = 180.0,
                 tilts_deg=None, **kwargs) -> pd.Series:
    """Tilt of maximum specific yield for one azimuth.

    Parameters
    ----------
    weather, latitude, longitude, altitude, module, losses
        As for :func:`simulate`.
    inverter_efficiency_pct, dc_ac_ratio, temperature_model
        The system settings, as for :func:`simulate`.
    azimuth_deg : float
        Azimuth [°, clockwise from north]; default 180 (south).
    tilts_deg : array_like, optional
        Candidate tilts [°]; default 0–60 in 1° steps.
    **kwargs
        Passed to :func:`simulate` (``mounting``, ``albedo``,
        ``diffuse_iam_model``, ``chunk_size``).

    Returns
    -------
    pandas.Series
        ``tilt_deg`` [°], ``specific_yield_kwh_per_kwp`` [kWh/kWp],
        ``poa_kwh_per_m2`` [kWh/m²] at the optimum.
    """
    tilts = np.arange(0, 61, 1.0) if tilts_deg is None else np.asarray(tilts_deg, dtype=float)
    orient = pd.DataFrame({"tilt_deg": tilts, "azimuth_deg": float(azimuth_deg)})
    res = simulate(weather, latitude, longitude, altitude, orient, module, losses,
                   inverter_efficiency_pct=inverter_efficiency_pct, dc_ac_ratio=dc_ac_ratio,
                   temperature_model=temperature_model, **kwargs)
    best = int(np.argmax(res["specific_yield_kwh_per_kwp"].to_numpy()))
    return pd.Series({
        "tilt_deg": float(tilts[best]),
        "specific_yield_kwh_per_kwp": float(res["specific_yield_kwh_per_kwp"].iloc[best]),
        "poa_kwh_per_m2": float(res["poa_kwh_per_m2"].iloc[best]),
    })
