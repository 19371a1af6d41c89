"""Specific yields per PV plane, and the energy of sized planes and roofs.

Two steps, split so that every scenario of a preset reuses one simulation:

* :func:`plane_yields` (scenario-independent, in :func:`pvsite.pipeline.prepare`):
  each distinct orientation — tilt and azimuth rounded to
  ``system.orientation_step_deg``, and mounting — is simulated once with
  :func:`pvsite.solar.energy.simulate`; every plane gets its orientation's
  specific yield [kWh/kWp], monthly yields and plane-of-array irradiation;
  with a suitability threshold, planes below that share of the site's
  optimum yield keep no modules (:func:`suitable_planes`);
* :func:`apply_yields` (per scenario, in :func:`pvsite.pipeline.size`):
  kWh = capacity × specific yield per plane, summed per roof, with the
  performance ratio and the avoided CO2.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pvsite.outputs.schema import MONTHS
from pvsite.errors import ConfigError
from pvsite.frames import own_copy
from pvsite.solar import energy, shading

#: Columns :func:`plane_yields` adds to the planes.
YIELD_COLUMNS = ("specific_yield_kwh_per_kwp", "poa_kwh_per_m2", *energy.MONTH_COLUMNS)


def plane_yields(planes: pd.DataFrame, weather: pd.DataFrame, weather_meta: dict, latitude_deg: float,
                 longitude_deg: float, module, losses, system, min_yield_share_pct: float = 0.0,
                 point_horizon_deg=None, point_plane=None, point_weight=None,
                 plane_shading: pd.DataFrame | None = None) -> pd.DataFrame:
    """Specific yield of every plane, simulating each distinct orientation once.

    Without horizons (the default) every plane gets its orientation's
    unshaded yield with the losses preset as it is (today's figures).  With
    ``point_horizon_deg``, ``point_plane`` and ``point_weight`` (all three, from
    :mod:`pvsite.roofs.horizon`) the planes with sample points are shaded by
    their horizon and lose the PVWatts shading item instead
    (:func:`pvsite.solar.shading.shading_losses`), and the result also has
    :data:`pvsite.solar.shading.SHADING_COLUMNS` and ``attrs['shading']``.

    Parameters
    ----------
    planes : pandas.DataFrame
        ``tilt_deg`` [°], ``azimuth_deg`` [°, clockwise from north], ``mounting``.
    weather : pandas.DataFrame
        Canonical hourly weather year.
    weather_meta : dict
        Its metadata (``altitude`` [m] when known).
    latitude_deg, longitude_deg : float
        Site [°].
    module : pvsite.presets.ModulePreset
        Module preset.
    losses : pvsite.presets.LossesPreset
        Loss preset.
    system : pvsite.config.SystemConfig
        Inverter, DC/AC ratio, temperature model, orientation step.
    min_yield_share_pct : float
        Suitability threshold [%] of the site's optimum yield
        (``roof.min_yield_share_pct``); > 0 applies :func:`suitable_planes`,
        0 (default) leaves every plane its modules.
    point_horizon_deg : array_like (P, n), optional
        Horizon elevation [°] of each sample point, ``n`` ≥ 36 sectors.
    point_plane : array_like of int (P,), optional
        Row position in ``planes`` of each point.
    point_weight : array_like (P,), optional
        Share of its plane of each point [-], summing to 1 per plane.
    plane_shading : pandas.DataFrame, optional
        Instead of the points: their result already reduced per plane, the
        frame of :func:`pvsite.solar.shading.shading_losses` (or
        :meth:`pvsite.solar.shading.PlaneShading.result`) for these planes,
        same index — as :func:`pvsite.pipeline.prepare` passes it after
        reducing the points partition by partition.

    Returns
    -------
    pandas.DataFrame
        ``planes`` with :data:`YIELD_COLUMNS` added (same index), the
        shading columns when horizons are given, and the suitability columns
        (:data:`SUITABILITY_COLUMNS`, ``attrs['suitability']``) when the
        threshold is > 0.
    """
    out = _yields(planes, weather, weather_meta, latitude_deg, longitude_deg, module, losses, system,
                  point_horizon_deg, point_plane, point_weight, plane_shading)
    if min_yield_share_pct > 0 and len(out):
        shaded = "shading" in out.attrs
        optimum = optimum_yields(weather, weather_meta, latitude_deg, longitude_deg, module,
                                 shading.without_shading_item(losses) if shaded else losses, system,
                                 out["mounting"].unique())
        out = suitable_planes(out, optimum, min_yield_share_pct)
    return out


def _yields(planes, weather, weather_meta, latitude_deg, longitude_deg, module, losses, system,
            point_horizon_deg, point_plane, point_weight, plane_shading=None) -> pd.DataFrame:
    """:func:`plane_yields` without the suitability step."""
    given = [v is not None for v in (point_horizon_deg, point_plane, point_weight)]
    if plane_shading is not None:
        if any(given):
            raise ConfigError("plane_yields takes either the horizon points or plane_shading, not both.",
                              fix="Pass the points (pvsite.roofs.horizon) or their per-plane result.",
                              zh="plane_yields 只能传入地平线采样点或 plane_shading 之一，不能同时传入。",
                              fix_zh="请传入采样点（pvsite.roofs.horizon）或其按屋面的结果之一。")
        if not plane_shading.index.equals(planes.index):
            raise ConfigError("plane_yields: plane_shading is not indexed like the planes.",
                              fix="Pass the shading result of these planes (same index, same order).",
                              zh="plane_yields：plane_shading 的索引与屋面表不一致。",
                              fix_zh="请传入这些屋面的遮挡结果（索引和顺序相同）。")
        return _with_shading(planes, plane_shading)
    if any(given) and not all(given):
        raise ConfigError("plane_yields needs point_horizon_deg, point_plane and point_weight together.",
                          fix="Pass all three horizon inputs (pvsite.roofs.horizon), or none for no shading.",
                          zh="plane_yields 需要同时给出 point_horizon_deg、point_plane 和 point_weight。",
                          fix_zh="请传入全部三个地平线输入（pvsite.roofs.horizon），或都不传表示不计遮挡。")
    if all(given):
        site = (latitude_deg, longitude_deg, float(weather_meta.get("altitude") or 0.0))
        return _with_shading(planes, shading.shading_losses(planes, point_horizon_deg, point_plane, point_weight,
                                                            weather, site, module, losses, system))
    keys = energy.round_orientations(planes, system.orientation_step_deg)
    orient = keys.drop_duplicates().reset_index(drop=True)
    sim = energy.simulate(
        weather, latitude=latitude_deg, longitude=longitude_deg,
        altitude=float(weather_meta.get("altitude") or 0.0), orientations=orient, module=module,
        losses=losses, inverter_efficiency_pct=system.inverter_efficiency_pct,
        dc_ac_ratio=system.dc_ac_ratio, temperature_model=system.temperature_model,
    )
    # Each plane's row in ``sim`` (a many-to-one join on an integer column, not on every yield column: at
    # 3 M planes the wide join held ~0.4 GB more), then the yields taken by position.
    code = keys.merge(orient.assign(_orientation=np.arange(len(orient))), on=["tilt_deg", "azimuth_deg", "mounting"],
                      how="left", validate="many_to_one")["_orientation"].to_numpy()
    sim = sim.reset_index(drop=True)
    out = own_copy(planes)
    for col in YIELD_COLUMNS:
        out[col] = sim[col].to_numpy()[code]
    return out


def _with_shading(planes: pd.DataFrame, res: pd.DataFrame) -> pd.DataFrame:
    """``planes`` with the yield and shading columns of a :func:`pvsite.solar.shading.shading_losses` frame."""
    out = planes.copy()
    for col in (*YIELD_COLUMNS, *shading.SHADING_COLUMNS):
        out[col] = res[col].to_numpy()
    out.attrs["shading"] = res.attrs["shading"]
    return out


def optimum_yields(weather: pd.DataFrame, weather_meta: dict, latitude_deg: float, longitude_deg: float,
                   module, losses, system, mountings) -> pd.DataFrame:
    """The site's best plane for each mounting: equator-facing, unshaded, at the tilt of maximum yield.

    Simulated with the chain of :func:`plane_yields` (:func:`pvsite.solar.energy.optimum_tilt`,
    tilts 0–60° in 1° steps, azimuth 180° north of the equator, 0° south of it).

    Parameters
    ----------
    weather, weather_meta, latitude_deg, longitude_deg, module, losses, system
        As for :func:`plane_yields` (``losses`` without the shading item when
        the planes are geometrically shaded, so the reference is open sky).
    mountings : iterable of str
        Mountings of the planes (:data:`pvsite.solar.energy.MOUNTINGS`).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``mounting``: ``tilt_deg`` [°], ``azimuth_deg`` [°],
        ``specific_yield_kwh_per_kwp`` [kWh/kWp], ``poa_kwh_per_m2`` [kWh/m²].
    """
    azimuth = 180.0 if latitude_deg >= 0 else 0.0
    rows = {}
    for mount in sorted({str(m) for m in mountings}):
        best = energy.optimum_tilt(
            weather, latitude_deg, longitude_deg, float(weather_meta.get("altitude") or 0.0), module, losses,
            inverter_efficiency_pct=system.inverter_efficiency_pct, dc_ac_ratio=system.dc_ac_ratio,
            temperature_model=system.temperature_model, azimuth_deg=azimuth, mounting=mount)
        rows[mount] = {"tilt_deg": best["tilt_deg"], "azimuth_deg": azimuth,
                       "specific_yield_kwh_per_kwp": best["specific_yield_kwh_per_kwp"],
                       "poa_kwh_per_m2": best["poa_kwh_per_m2"]}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("mounting")


#: Columns :func:`suitable_planes` adds to the planes.
SUITABILITY_COLUMNS = ("yield_share_pct", "modules_low_yield")


def suitable_planes(planes: pd.DataFrame, optimum: pd.DataFrame, min_yield_share_pct: float) -> pd.DataFrame:
    """Planes below a share of the site's optimum yield keep no modules.

    A plane is unsuitable when its specific yield (shaded, when the planes
    carry shading) is below ``min_yield_share_pct`` % of the optimum of its
    mounting (:func:`optimum_yields`): its ``modules_fit`` become 0 and move
    to ``modules_low_yield``, so no scenario sizes them and the panels layer
    leaves them out.  The share relative to the site's own optimum makes the
    rule hold for any city and weather year.

    Parameters
    ----------
    planes : pandas.DataFrame
        With ``mounting``, ``specific_yield_kwh_per_kwp`` [kWh/kWp] and
        ``modules_fit`` [-].
    optimum : pandas.DataFrame
        From :func:`optimum_yields`.
    min_yield_share_pct : float
        Threshold [%] (``roof.min_yield_share_pct``).

    Returns
    -------
    pandas.DataFrame
        A copy with ``yield_share_pct`` [%] (plane yield / optimum × 100) and
        ``modules_low_yield`` [-] added, ``modules_fit`` zeroed where
        unsuitable, and ``attrs['suitability']`` (threshold, optimum per
        mounting, planes and modules left out).
    """
    out = own_copy(planes)
    ref = out["mounting"].map(optimum["specific_yield_kwh_per_kwp"]).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = 100.0 * out["specific_yield_kwh_per_kwp"].to_numpy(dtype=float) / ref
    low = share < float(min_yield_share_pct)  # NaN (no yield known) → kept
    fit = out["modules_fit"].to_numpy(dtype=np.int64)
    out["yield_share_pct"] = share
    out["modules_low_yield"] = np.where(low, fit, 0)
    out["modules_fit"] = np.where(low, 0, fit)
    out.attrs["suitability"] = {
        "min_yield_share_pct": float(min_yield_share_pct),
        "optimum": {m: {k: round(float(v), 3) for k, v in row.items()} for m, row in optimum.iterrows()},
        "n_planes_low_yield": int((low & (fit > 0)).sum()),
        "modules_low_yield": int(fit[low].sum()),
        "source": "Gagnon et al. 2016, NREL/TP-6A20-65298 (≥ 80 % of the optimally oriented plane's insolation)",
    }
    return out


def roof_shading(planes: pd.DataFrame) -> pd.DataFrame:
    """Shading figures per roof from its planes (NaN where no plane was shaded).

    ``shading_loss_pct`` is weighted by each plane's unshaded energy at the
    modules that fit (so unsized roofs show their loss too), ``sky_view_factor``
    by those modules, ``horizon_max_deg`` is the roof's highest obstruction.
    """
    columns = ["shading_loss_pct", "sky_view_factor", "horizon_max_deg"]
    if "shading_loss_pct" not in planes.columns:
        return pd.DataFrame(columns=columns, dtype=float)
    loss = planes["shading_loss_pct"].to_numpy(dtype=float)
    fit = planes["modules_fit"].to_numpy(dtype=float)
    if "modules_low_yield" in planes.columns:  # planes left out for low yield still show their shade
        fit = fit + planes["modules_low_yield"].to_numpy(dtype=float)
    fit_kw = fit * planes["module_power_w"].to_numpy(dtype=float) / 1000.0
    with np.errstate(invalid="ignore", divide="ignore"):
        unshaded = fit_kw * planes["specific_yield_kwh_per_kwp"].to_numpy(dtype=float) / (1.0 - loss / 100.0)
    ok = np.isfinite(loss) & (fit_kw > 0)
    frame = pd.DataFrame({"roof_index": planes["roof_index"].to_numpy(),
                          "w_loss": np.where(ok, unshaded * loss, 0.0), "w": np.where(ok, unshaded, 0.0),
                          "w_svf": np.where(ok, fit_kw * planes["sky_view_factor"].to_numpy(dtype=float), 0.0),
                          "kw": np.where(ok, fit_kw, 0.0), "hmax": planes["horizon_max_deg"].to_numpy(dtype=float)})
    g = frame.groupby("roof_index")
    sums = g[["w_loss", "w", "w_svf", "kw"]].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame({"shading_loss_pct": np.where(sums["w"] > 0, sums["w_loss"] / sums["w"], np.nan),
                            "sky_view_factor": np.where(sums["kw"] > 0, sums["w_svf"] / sums["kw"], np.nan)},
                           index=sums.index)
    out["horizon_max_deg"] = g["hmax"].max()
    return out


def apply_yields(roofs: pd.DataFrame, planes: pd.DataFrame, emission_factor_kg_per_kwh: float
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Annual and monthly AC energy of sized planes and roofs, performance ratio and CO2.

    Parameters
    ----------
    roofs : pandas.DataFrame
        Sized roofs (``capacity_kw`` [kW]).
    planes : pandas.DataFrame
        Sized planes (``roof_index``, ``capacity_kw``) with :data:`YIELD_COLUMNS`.
    emission_factor_kg_per_kwh : float
        Grid emission factor [kg CO2/kWh] of the policy preset.

    Returns
    -------
    roofs : pandas.DataFrame
        Adds ``annual_kwh`` [kWh], ``kwh_m01`` … ``kwh_m12`` [kWh],
        ``specific_yield_kwh_per_kwp``, ``performance_ratio`` [-], ``co2_t`` [t/yr].
    planes : pandas.DataFrame
        Adds ``annual_kwh`` [kWh] per plane.
    """
    cap = planes["capacity_kw"].to_numpy()
    per_plane = pd.DataFrame({"roof_index": planes["roof_index"].to_numpy(),
                              "annual_kwh": cap * planes["specific_yield_kwh_per_kwp"].to_numpy(),
                              # kWh at STC-normalised 1 kW/m²: the reference yield of the PR
                              "poa_kwh_dc_ref": cap * planes["poa_kwh_per_m2"].to_numpy()}, index=planes.index)
    for i, m in enumerate(MONTHS, start=1):
        per_plane[m] = cap * planes[f"kwh_per_kwp_m{i:02d}"].to_numpy()
    sums = per_plane.groupby("roof_index")[["annual_kwh", "poa_kwh_dc_ref", *MONTHS]].sum()
    roofs = own_copy(roofs)
    for col in ["annual_kwh", *MONTHS]:
        roofs[col] = sums[col].reindex(roofs.index).fillna(0.0)
    capacity = roofs["capacity_kw"].to_numpy()
    ref = sums["poa_kwh_dc_ref"].reindex(roofs.index).fillna(0.0).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        roofs["specific_yield_kwh_per_kwp"] = np.where(capacity > 0, roofs["annual_kwh"] / capacity, np.nan)
        roofs["performance_ratio"] = np.where(ref > 0, roofs["annual_kwh"] / ref, np.nan)
    roofs["co2_t"] = roofs["annual_kwh"] * float(emission_factor_kg_per_kwh) / 1000.0
    roofs = roofs.join(roof_shading(planes).reindex(roofs.index))
    planes = own_copy(planes)
    planes["annual_kwh"] = per_plane["annual_kwh"]
    return roofs, planes
