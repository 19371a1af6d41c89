"""Hourly AC energy per kWp of PV planes, for matching PV to hourly loads.

:func:`pvsite.solar.energy.simulate` keeps monthly sums only.  Where hours
matter (self-consumption against ``--load``), :func:`plane_profiles`
simulates the distinct orientations of the planes asked for — the same pvlib
chain (:func:`~pvsite.solar.energy.poa_components`,
:func:`~pvsite.solar.energy.ac_power`) — and returns the hourly AC energy of
1 kWp.  The profile is unshaded; :func:`pvsite.economics.appraise` scales each
plane to its annual kWh, so a shading loss lowers every hour alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pvsite.solar import energy


def plane_profiles(planes: pd.DataFrame, *, weather: pd.DataFrame, latitude_deg: float, longitude_deg: float,
                   altitude_m: float, module, losses, system) -> pd.DataFrame:
    """Hourly AC energy [kWh/kWp] of each plane, one orientation simulated once.

    Parameters
    ----------
    planes : pandas.DataFrame
        ``tilt_deg``, ``azimuth_deg`` [°], ``mounting``.
    weather, module, losses, system
        The run's weather year and pvlib settings, as in
        :func:`pvsite.solar.shading.shading_losses`.
    latitude_deg, longitude_deg, altitude_m : float
        Site latitude [°N], longitude [°E], altitude [m].

    Returns
    -------
    pandas.DataFrame
        Rows the weather's hours, columns ``planes.index``; sums to each
        plane's unshaded specific yield.

    See Also
    --------
    pvsite.solar.shading.shading_losses : the same chain with the horizon, monthly sums.
    """
    keys = energy.round_orientations(planes, system.orientation_step_deg)
    out = np.zeros((len(weather), len(planes)))
    if len(planes):
        sky = energy.sky_year(weather, latitude_deg, longitude_deg, altitude_m)
        loss_factor = 1.0 - energy.loss_percent(losses) / 100.0
        codes, uniques = pd.MultiIndex.from_frame(keys).factorize()
        unique = pd.DataFrame({name: uniques.get_level_values(i) for i, name in enumerate(keys.columns)})
        for mount, group in unique.groupby("mounting", sort=False):
            sel = group.index.to_numpy()
            c = energy.poa_components(sky, unique["tilt_deg"].to_numpy()[sel], unique["azimuth_deg"].to_numpy()[sel],
                                      module)
            effective = c["direct"] * c["iam_beam"] + c["sky"] * c["iam_sky"] + c["ground"] * c["iam_ground"]
            pac = energy.ac_power(effective, c["global"], sky, energy.temperature_parameters(
                system.temperature_model, mount, module), module, loss_factor,
                system.inverter_efficiency_pct / 100.0, system.dc_ac_ratio)
            hourly = np.zeros((len(weather), len(sel)))
            hourly[sky.rows] = pac * (sky.hours / 1000.0)
            for j, u in enumerate(sel):
                out[:, codes == u] = hourly[:, [j]]
    return pd.DataFrame(out, index=weather.index, columns=planes.index)
