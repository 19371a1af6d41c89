"""Benchmark of the horizon-shading energy (pvsite.solar.shading).

Run from the repository root::

    .venv/bin/python benchmarks/shading.py            # 10,000 planes × 5 points (~20 s)
    .venv/bin/python benchmarks/shading.py --quick    # 2,000 planes

Prints (asserts nothing):

* seconds for :func:`pvsite.solar.shading.shading_losses` on N synthetic
  planes × 5 sample points with random urban horizons (36 sectors), beside
  :func:`pvsite.solar.yields.plane_yields` without shading on the same planes;
* the error of the binned method against the brute-force hourly reference
  (:func:`pvsite.solar.shading.exact_hourly_yield`) on 8 planes.

Weather: pvsite's embedded default year; site Changning.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import numpy as np
import pandas as pd

from pvsite.config import SystemConfig
from pvsite.io.weather import default_weather
from pvsite.presets import load_losses, load_module
from pvsite.solar import shading, yields

SITE = (31.22, 121.42, 5.0)
POINTS = 5
N_SECTORS = 36


def synthetic_planes(n: int, rng) -> pd.DataFrame:
    """55 % flat roofs with 20° south rows, 30 % pitched 25° any azimuth, 15 % flush 5° (illustrative)."""
    kind = rng.choice(3, size=n, p=[0.55, 0.30, 0.15])
    azimuth = np.where(kind == 0, 180.0, rng.integers(0, 360, size=n).astype(float))
    return pd.DataFrame({"tilt_deg": np.select([kind == 0, kind == 1], [20.0, 25.0], 5.0),
                         "azimuth_deg": azimuth,
                         "mounting": np.where(kind == 0, "tilted_rows", "flush")})


def urban_horizons(n_points: int, rng) -> np.ndarray:
    """Random horizons: 0–3 box towers of 20–60° elevation, 10–60° wide, on a 0–8° skyline."""
    az = np.arange(N_SECTORS) * 360.0 / N_SECTORS
    h = rng.uniform(0, 8, size=(n_points, 1)) * np.ones(N_SECTORS)
    for _ in range(3):
        present = rng.random(n_points) < 0.6
        centre, half = rng.uniform(0, 360, n_points), rng.uniform(5, 30, n_points)
        elev = rng.uniform(20, 60, n_points)
        d = np.abs((az[None] - centre[:, None] + 180) % 360 - 180)
        h = np.where(present[:, None] & (d <= half[:, None]), np.maximum(h, elev[:, None]), h)
    return h


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    n = 2_000 if args.quick else 10_000
    warnings.filterwarnings("ignore")
    weather, meta = default_weather()
    module, losses, system = load_module("generic-550w"), load_losses("pvwatts"), SystemConfig()
    rng = np.random.default_rng(12)
    planes = synthetic_planes(n, rng)
    horizon = urban_horizons(n * POINTS, rng)
    point_plane = np.repeat(np.arange(n), POINTS)
    weight = np.full(n * POINTS, 1.0 / POINTS)
    print(f"pvsite shading benchmark  {time.strftime('%Y-%m-%d')}  {platform.machine()}, {os.cpu_count()} cores, "
          f"numpy {np.__version__}")
    n_orient = len(planes.drop_duplicates())
    yields.plane_yields(planes.iloc[:10], weather, meta, SITE[0], SITE[1], module, losses, system)  # warm-up
    t0 = time.perf_counter()
    yields.plane_yields(planes, weather, meta, SITE[0], SITE[1], module, losses, system)
    t_plain = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = shading.shading_losses(planes, horizon, point_plane, weight, weather, SITE, module, losses, system)
    t_shade = time.perf_counter() - t0
    print(f"{n:,} planes ({n_orient} distinct orientations) × {POINTS} points, {N_SECTORS} sectors:")
    print(f"  plane_yields without shading: {t_plain:6.2f} s")
    print(f"  shading_losses (tables + points + unshaded fallback): {t_shade:6.2f} s "
          f"= {t_shade / n * 1e4:.2f} s per 10k planes")
    print(f"  mean loss {res['shading_loss_pct'].mean():.1f} %, mean SVF {res['sky_view_factor'].mean():.3f}")

    errs = []
    for i in rng.choice(n, size=8, replace=False):
        p = planes.iloc[i]
        sub = planes.iloc[[i]]
        hz = horizon[i * POINTS]
        fast = shading.shading_losses(sub, hz[None], [0], [1.0], weather, SITE, module, losses, system)
        shaded, unshaded = shading.exact_hourly_yield(weather, SITE, p.tilt_deg, p.azimuth_deg, p.mounting, hz,
                                                      module, losses, system)
        errs.append(fast["shading_loss_pct"].iloc[0] - 100 * (1 - shaded / unshaded))
    errs = np.abs(errs)
    print(f"binned vs brute-force hourly, 8 planes: max |error| {errs.max():.3f} pp, mean {errs.mean():.3f} pp")


if __name__ == "__main__":
    main()
