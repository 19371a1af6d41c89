"""Issue 12 check 4(a): a brute-force hourly shadow cast on real Bund roofs agrees with the fast method.

The fast method (:mod:`pvsite.roofs.horizon` → :func:`pvsite.solar.shading.shading_losses`) reduces
the surroundings to 36 sectors of 10° (each the mean of 4 rays) and bins the weather year by sun
position.  The brute force here shares none of that: for every sample point of a plane
(``HorizonProfiles.point_xy`` / ``point_height_m``, the points the fast method weights) a fan of
:data:`FAN` rays (one per degree of true bearing) is cut with shapely against every input building
as an extruded prism (footprint × ``height_m``), out to :data:`REACH_M`; along each ray the
obstruction is the largest ``atan((h_n − h_p) / d)`` over the footprints it enters, ``d`` the
distance to the first entry (a prism blocks the ray ``d·tan(e) < h_n − h_p`` exactly where its
near wall does).  Then every daylight hour of the weather year (pvlib solar position at the site,
:func:`pvsite.solar.energy.sky_year`) the sun is blocked at a point when its elevation is below the
obstruction of the ray nearest its azimuth: beam and circumsolar removed, sky diffuse × the
point's sky-view factor (:func:`pvsite.solar.shading.sky_view_factor` of the 360-ray profile), and
the hour goes through the energy chain (:func:`pvsite.solar.energy.poa_components`,
:func:`pvsite.solar.energy.ac_power`) with the PVWatts shading item dropped, as the fast method
does.  A plane's loss is ``1 − Σ w_p E_p(shaded) / E(unshaded)``.

Window: the 400 m × 400 m of the Bund outlines with the most low roofs (≤ 24 m, > 100 m²)
within 100 m of a building ≥ 100 m (chosen from the data: 59 such roofs, 3 towers),
lon 121.4816–121.4857 °E, lat 31.2321–31.2358 °N.  The selection is a bbox, but every Bund
building is a neighbour (the pipeline's ``located.buildings``), so the window edge sees the
towers beyond it.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

import pvsite
from pvsite.roofs import horizon as horizon_mod
from pvsite.roofs.building_heights import building_heights
from pvsite.solar import energy, shading

#: The window (lon_min, lat_min, lon_max, lat_max) [° WGS84], see the module docstring.
BBOX = (121.4816, 31.2321, 121.4857, 31.2358)
#: Rays of the brute-force fan (1° apart).
FAN = 360
#: Length of the rays [m]: twice the fast method's 1000 m cap (pvsite test choice).
REACH_M = 2000.0
#: Planes checked must see at least this horizon somewhere (so the check is not trivially zero) [°].
MIN_HORIZON_DEG = 10.0
#: The issue's bound [percentage points of annual loss].
BOUND_PP = 1.0


def _grid_bearing_of_north(crs, lon: float, lat: float) -> float:
    """Grid bearing of true north at (lon, lat) [°], from projecting a 0.001° step north."""
    to = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x0, y0 = to.transform(lon, lat)
    x1, y1 = to.transform(lon, lat + 1e-3)
    return float(np.degrees(np.arctan2(x1 - x0, y1 - y0)))


def _ray_fan_horizon(xy, h_point, geoms, heights, north_deg):
    """Obstruction elevation (P, FAN) [°] along 1° rays of true bearing 0, 1, … 359 from each point."""
    tree = shapely.STRtree(geoms)
    bearing = np.radians(np.arange(FAN) + north_deg)
    out = np.zeros((len(xy), FAN))
    for p in range(len(xy)):
        x, y = xy[p]
        ends = np.c_[x + REACH_M * np.sin(bearing), y + REACH_M * np.cos(bearing)]
        rays = shapely.linestrings(np.stack([np.broadcast_to([x, y], ends.shape), ends], axis=1))
        ray_i, nb_i = tree.query(rays, predicate="intersects")
        dh = heights[nb_i] - h_point[p]
        keep = dh > 0
        ray_i, nb_i, dh = ray_i[keep], nb_i[keep], dh[keep]
        hit = shapely.intersection(rays[ray_i], geoms[nb_i])
        d = shapely.distance(shapely.points(x, y), hit)          # to the first entry along the ray
        elev = np.degrees(np.arctan2(dh, d))                      # d = 0: the point inside a taller outline
        np.maximum.at(out[p], ray_i, elev)
    return out


def _neighbours(prep):
    """Every usable input building with its height, as the pipeline gives them to the horizon stage."""
    b = prep.located.buildings
    usable = b["reject_reason"].isna()
    nb = b.loc[usable, ["geometry", *[c for c in ("height_m", "storeys") if c in b.columns]]].copy()
    nb["height_m"] = building_heights(nb, prep.config.heights)["height_m"]
    own = prep.roofs.index.intersection(nb.index)
    nb.loc[own, "height_m"] = prep.roofs.loc[own, "height_m"]
    return nb[nb["height_m"].notna() & nb.geometry.notna() & ~nb.geometry.is_empty]


def _horizon_points(prep):
    """The run's horizons with their sample points: ``prepare`` reduces the points per partition and keeps
    the per-plane fields only, so the horizon stage is run again as ``prepare`` runs it (same inputs)."""
    from pvsite import compute, pipeline
    from pvsite.roofs.survey import SurveyedRoofs

    obstructions = pipeline._obstructions(prep.located, prep.roofs, prep.inputs, prep.config, prep.classes)
    hz = compute.roof_horizons(SurveyedRoofs(prep.usable_roofs(), prep.planes, None), obstructions, prep.config)
    assert not prep.horizons.has_points and hz.has_points
    assert np.array_equal(hz.horizon_deg, prep.horizons.horizon_deg, equal_nan=True)  # the same points
    return hz


def _brute_force_loss_pct(prep, planes, pts, fan=None, hz=None):
    """Annual loss [%] per plane in ``planes`` by the hourly brute force (module docstring), and the fan."""
    hz = _horizon_points(prep) if hz is None else hz
    b = prep.located.buildings
    nb = _neighbours(prep)
    lon, lat = prep.located.site_lon_deg, prep.located.site_lat_deg
    north = _grid_bearing_of_north(b.crs, lon, lat)
    if fan is None:
        fan = _ray_fan_horizon(hz.point_xy[pts], hz.point_height_m[pts], np.asarray(nb.geometry.array, dtype=object),
                               nb["height_m"].to_numpy(float), north)

    system, module = prep.config.system, prep.module
    losses = shading.without_shading_item(pvsite.presets.load_losses(system.losses))
    loss_factor = 1.0 - energy.loss_percent(losses) / 100.0
    alt = float(prep.inputs.weather_meta.get("altitude") or 0.0)
    sky = energy.sky_year(prep.inputs.weather, lat, lon, alt)
    elev = 90.0 - sky.zenith[:, 0]
    ray_of_hour = np.rint(np.mod(sky.azimuth[:, 0], 360.0)).astype(int) % FAN
    sun = (elev[:, None] >= fan[:, ray_of_hour].T).astype(float)            # (T, P): 1 = sun seen
    keys = energy.round_orientations(prep.planes, system.orientation_step_deg).iloc[planes]
    plane_of_pt = hz.point_plane[pts]
    out = np.full(len(planes), np.nan)
    row = {plane: i for i, plane in enumerate(planes)}
    for (tilt, azim, mount), grp in keys.groupby(["tilt_deg", "azimuth_deg", "mounting"]):
        c = energy.poa_components(sky, [tilt], [azim], module)
        beam_eff = c["direct"] * c["iam_beam"] + c["circumsolar"] * c["iam_sky"]
        beam = c["direct"] + c["circumsolar"]
        diffuse = c["isotropic"] + c["horizon"]
        sel = np.flatnonzero(np.isin(plane_of_pt, prep.planes.index.get_indexer(grp.index)))
        svf = np.clip(shading.sky_view_factor(fan[sel], np.full(len(sel), tilt), np.full(len(sel), azim)), 0, 1)
        args = (sky, energy.temperature_parameters(system.temperature_model, mount, module), module, loss_factor,
                system.inverter_efficiency_pct / 100.0, system.dc_ac_ratio)
        eff = sun[:, sel] * beam_eff + svf * diffuse * c["iam_sky"] + c["ground"] * c["iam_ground"]
        glob = sun[:, sel] * beam + svf * diffuse + c["ground"]
        shaded = energy.ac_power(eff, glob, *args).sum(axis=0) * sky.hours / 1000.0          # (points,)
        free = float(energy.ac_power(beam_eff + diffuse * c["iam_sky"] + c["ground"] * c["iam_ground"],
                                     beam + diffuse + c["ground"], *args).sum() * sky.hours / 1000.0)
        w = hz.point_weight[pts][sel]
        for plane in np.unique(plane_of_pt[sel]):
            m = plane_of_pt[sel] == plane
            out[row[plane]] = 100.0 * (1.0 - np.sum(w[m] * shaded[m]) / free)
    return out, fan


@pytest.mark.slow
def test_brute_force_agrees_with_the_fast_method_on_bund_roofs(shared_data):
    t0 = time.perf_counter()
    prep = pvsite.prepare(footprints=shared_data / "footprints" / "shanghai_bund_buildings.gpkg",
                          scenario="technical-max", panels=False, shading=True, bbox=BBOX)
    t_fast = time.perf_counter() - t0
    hz = _horizon_points(prep)
    assert hz.plane_index.equals(prep.planes.index)
    fast = prep.planes["shading_loss_pct"].to_numpy()
    # every plane with sample points and a horizon of ≥ 10° somewhere, in row order (deterministic)
    planes = np.flatnonzero(np.isfinite(fast) & (prep.planes["horizon_max_deg"].to_numpy() >= MIN_HORIZON_DEG))
    assert len(planes) >= 50, f"only {len(planes)} planes with a horizon ≥ {MIN_HORIZON_DEG}° in the window"
    pts = np.flatnonzero(np.isin(hz.point_plane, planes))

    t1 = time.perf_counter()
    brute, _ = _brute_force_loss_pct(prep, planes, pts, hz=hz)
    t_brute = time.perf_counter() - t1
    diff = fast[planes] - brute
    table = pd.DataFrame({"fast_pct": fast[planes], "brute_pct": brute, "diff_pp": diff},
                         index=prep.planes.index[planes])
    r = float(np.corrcoef(fast[planes], brute)[0, 1])
    print(f"\n{len(planes)} planes, {len(pts)} points; fast loss mean {fast[planes].mean():.2f} %, brute "
          f"{brute.mean():.2f} %; mean |diff| {np.abs(diff).mean():.3f} pp, max |diff| {np.abs(diff).max():.3f} pp, "
          f"bias {diff.mean():+.3f} pp, r = {r:.4f}; prepare (fast, whole stage chain) {t_fast:.1f} s, "
          f"brute force {t_brute:.1f} s")
    print(table.reindex(table["diff_pp"].abs().sort_values(ascending=False).index).head(10).round(3))
    assert np.isfinite(brute).all()
    assert brute.max() > 5.0                      # the check is not trivially zero
    # The default (144 sectors × 1 ray, 2.5°): within the 1 pp on every plane
    # (measured: mean |diff| 0.15 pp, max 0.42 pp, bias −0.11 pp).
    assert (prep.config.shading.n_sectors, prep.config.shading.rays_per_sector) == (144, 1)
    assert np.abs(diff).mean() <= BOUND_PP / 2
    assert np.abs(diff).max() <= BOUND_PP, table[np.abs(diff) > BOUND_PP]

    # The coarser 36 sectors × 4 rays (the first setting) meets 1 pp on the mean only (measured: mean
    # |diff| 0.63 pp, max 2.24 pp, 18 of 97 planes > 1 pp, all with horizons of 49–88°); it reads low.
    # Its own point profiles evaluated hour by hour agree with it to 0.07 pp mean / 0.46 pp max (the
    # sun binning is not the cause), lifting the 1000 m / 5° radius moves the worst planes by ~0.2 pp;
    # the rest is the sector value: a mean of 4 rays compared with the sun elevation is not the share
    # of the sector's azimuths that block the sun when a tower edge cuts the sector.  Kept as a
    # measured regression guard of why the default is 144 × 1.
    coarse = horizon_mod.horizon_profiles(prep.usable_roofs(), prep.planes, n_sectors=36, rays_per_sector=4,
                                          neighbours=_neighbours(prep))
    site = (prep.located.site_lat_deg, prep.located.site_lon_deg,
            float(prep.inputs.weather_meta.get("altitude") or 0.0))
    fast_coarse = shading.shading_losses(
        prep.planes, coarse.point_horizon_deg, coarse.point_plane, coarse.point_weight, prep.inputs.weather,
        site, prep.module, pvsite.presets.load_losses(prep.config.system.losses),
        prep.config.system)["shading_loss_pct"].to_numpy()[planes]
    d_coarse = fast_coarse - brute
    print(f"36 sectors × 4 rays: mean |diff| {np.abs(d_coarse).mean():.3f} pp, max |diff| "
          f"{np.abs(d_coarse).max():.3f} pp, bias {d_coarse.mean():+.3f} pp")
    assert np.abs(d_coarse).mean() <= BOUND_PP
    assert -BOUND_PP <= d_coarse.mean() <= 0.0
    assert np.abs(d_coarse).max() <= 2.5          # measured 2.24 pp (pvsite regression guard)
