"""Benchmark of the energy engine against a pvlib ModelChain loop.

Run from the repository root::

    .venv/bin/python benchmarks/energy.py            # full run (~1 min)
    .venv/bin/python benchmarks/energy.py --quick    # smaller sizes

Prints (asserts nothing):

* ms per orientation of :func:`pvsite.solar.energy.simulate` for 200 and 2,000
  unique orientations (1° grid), after a warm-up;
* ms per orientation of a ``ModelChain`` loop (20 orientations) with the same
  physics, and the speed-up factor;
* the time for 100,000 synthetic roofs end to end (dedupe + simulate + map
  back), which reduce to a few hundred unique orientations;
* the one-off cost of the diffuse-IAM table (Marion integration per tilt).

Weather: the real Shanghai CSWD EPW in ``../shared/data/weather`` when it
is there, else pvsite's default year ``irradiance/shanghai_default_year.csv``.
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
from pvlib.location import Location
from pvlib.modelchain import ModelChain
from pvlib.pvsystem import PVSystem

from pvsite.config import SystemConfig
from pvsite.solar import energy
from pvsite.resources import DEFAULT_WEATHER, REPO_ROOT
from pvsite.presets import load_preset

EPW = REPO_ROOT.parent / "shared" / "data" / "weather" / "CHN_Shanghai.Shanghai.583620_CSWD.epw"
SITE = (31.22, 121.42, 5.0)  # Changning, for the default-year fallback [°N, °E, m]


def load_weather() -> tuple[pd.DataFrame, tuple[float, float, float], str]:
    """Weather contract frame, (lat, lon, alt) and a description."""
    if EPW.is_file():
        data, meta = pvlib.iotools.read_epw(EPW, coerce_year=2005)
        weather = data[["ghi", "dni", "dhi", "temp_air", "wind_speed"]]
        weather.index = weather.index.tz_convert("Asia/Shanghai")  # read_epw: interval start
        return weather, (meta["latitude"], meta["longitude"], meta["altitude"]), f"CSWD EPW {EPW.name}"
    if DEFAULT_WEATHER.is_file():
        try:
            from pvsite.io import weather as weather_mod  # written by another stage

            reader = getattr(weather_mod, "read_weather")
            out = reader(DEFAULT_WEATHER)
            weather = out[0] if isinstance(out, tuple) else out
        except (ImportError, AttributeError):
            weather = pd.read_csv(DEFAULT_WEATHER, index_col=0, parse_dates=True, comment="#")
        return weather, SITE, f"pvsite default year {DEFAULT_WEATHER.name}"
    sys.exit("No weather: neither ../shared/data nor irradiance/shanghai_default_year.csv exists.")


def grid_orientations(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` distinct orientations on the 1° grid (tilt 0–90, azimuth 0–359)."""
    codes = rng.choice(91 * 360, size=n, replace=False)
    return pd.DataFrame({"tilt_deg": (codes // 360).astype(float),
                         "azimuth_deg": (codes % 360).astype(float)})


def synthetic_roofs(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """A district's roofs after rounding orientations to 1°.

    55 % flat roofs with rows at 20° facing south; 30 % pitched roofs at
    25° whose faces follow the building axis (any azimuth); 15 % metal
    sheds at 5°, flush.  Capacities 5–100 kW.  (Shares are illustrative.)
    """
    kind = rng.choice(3, size=n, p=[0.55, 0.30, 0.15])
    azimuth = rng.integers(0, 360, size=n).astype(float)
    tilt = np.select([kind == 0, kind == 1], [20.0, 25.0], 5.0)
    azimuth = np.where(kind == 0, 180.0, azimuth)
    mounting = np.where(kind == 0, "tilted_rows", "flush")
    capacity_kw = rng.uniform(5, 100, size=n).round(1)
    return pd.DataFrame({"tilt_deg": tilt, "azimuth_deg": azimuth, "mounting": mounting,
                         "capacity_kw": capacity_kw},
                        index=pd.RangeIndex(n, name="roof_id"))


def modelchain_loop(weather, site, orientations, module, losses, system) -> float:
    """Seconds for a ModelChain run per orientation (same physics, beam IAM)."""
    lat, lon, alt = site
    loc = Location(lat, lon, "Asia/Shanghai", alt)
    mid = weather.copy()
    mid.index = mid.index + (weather.index[1] - weather.index[0]) / 2
    t0 = time.perf_counter()
    for tilt, azimuth in orientations[["tilt_deg", "azimuth_deg"]].to_numpy():
        system = PVSystem(
            surface_tilt=tilt, surface_azimuth=azimuth, albedo=energy.ALBEDO,
            module_parameters={"pdc0": 1000.0, "gamma_pdc": module["gamma_pdc_per_c"],
                               "n": module["iam_n"], "K": module["iam_k"], "L": module["iam_l"]},
            temperature_model_parameters=energy.temperature_parameters(
                system.temperature_model, "tilted_rows", module),
            losses_parameters=dict(losses.losses_pct),
            inverter_parameters={"pdc0": 1000.0 / system.dc_ac_ratio,
                                 "eta_inv_nom": system.inverter_efficiency_pct / 100.0},
        )
        mc = ModelChain(system, loc, dc_model="pvwatts", ac_model="pvwatts",
                        aoi_model="physical", spectral_model="no_loss",
                        temperature_model=system.temperature_model, transposition_model="perez",
                        losses_model="pvwatts")
        mc.run_model(mid)
    return time.perf_counter() - t0


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    args = parser.parse_args(argv)
    sizes = (100, 500) if args.quick else (200, 2000)
    n_mc = 5 if args.quick else 20
    n_roofs = 10_000 if args.quick else 100_000

    import warnings

    warnings.filterwarnings("ignore")  # pandas deprecation noise from pvlib
    weather, site, source = load_weather()
    module = load_preset("module", "generic-550w")
    losses = load_preset("losses", "pvwatts")
    system = SystemConfig()  # the default run's inverter, DC/AC ratio and temperature model
    rng = np.random.default_rng(2024)

    def sim(orient, **kw):
        return energy.simulate(weather, *site, orient, module, losses,
                               inverter_efficiency_pct=system.inverter_efficiency_pct,
                               dc_ac_ratio=system.dc_ac_ratio,
                               temperature_model=system.temperature_model, **kw)

    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    print(f"pvsite energy benchmark  {time.strftime('%Y-%m-%d')}  {platform.machine()}, "
          f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
          f"numpy {np.__version__}, pandas {pd.__version__}, pvlib {pvlib.__version__}")
    print(f"weather: {source}, {len(weather)} rows")

    t0 = time.perf_counter()
    energy.diffuse_iam(np.arange(0, 91.0), 1.526, 4.0, 0.002)
    print(f"one-off diffuse-IAM table, 91 tilts: {time.perf_counter() - t0:.2f} s")
    sim(grid_orientations(8, rng))  # warm-up (imports, IAM table)

    engine_ms = {}
    for n in sizes:
        orient = grid_orientations(n, rng)
        best = np.inf
        for _ in range(2):
            t0 = time.perf_counter()
            sim(orient)
            best = min(best, time.perf_counter() - t0)
        engine_ms[n] = best / n * 1000
        print(f"engine, {n:>6,} unique orientations: {best:6.2f} s  = {engine_ms[n]:6.3f} ms/orientation")

    orient = grid_orientations(n_mc, rng)
    mc_s = modelchain_loop(weather, site, orient, module, losses, system)
    mc_ms = mc_s / n_mc * 1000
    print(f"ModelChain loop, {n_mc} orientations: {mc_s:6.2f} s  = {mc_ms:6.1f} ms/orientation")
    for n, ms in engine_ms.items():
        print(f"speed-up vs ModelChain at {n:,} orientations: {mc_ms / ms:5.0f}x")

    roofs = synthetic_roofs(n_roofs, rng)
    t0 = time.perf_counter()
    res = sim(roofs[["tilt_deg", "azimuth_deg", "mounting"]])
    annual_kwh = roofs["capacity_kw"] * res["specific_yield_kwh_per_kwp"]
    dt = time.perf_counter() - t0
    n_unique = len(roofs[["tilt_deg", "azimuth_deg", "mounting"]].drop_duplicates())
    print(f"{n_roofs:,} roofs -> {n_unique} unique orientations: {dt:.2f} s end to end "
          f"(dedupe + simulate + map back); district total {annual_kwh.sum() / 1e6:,.1f} GWh/yr "
          f"for {roofs['capacity_kw'].sum() / 1e3:,.0f} MW")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {peak_mb:,.0f} MB (chunks of {energy.CHUNK_SIZE})")


if __name__ == "__main__":
    main()
