"""Benchmark of the horizon-shading energy (pvsite.solar.shading).

Run from the repository root::

    .venv/bin/python benchmarks/shading.py            # 10,000 planes × 5 points (~20 s) + 721 orientations
    .venv/bin/python benchmarks/shading.py --quick    # 2,000 planes + 361 orientations

Prints (asserts nothing):

* seconds for :func:`pvsite.solar.shading.shading_losses` on N synthetic
  planes × 5 sample points with random urban horizons (36 sectors), beside
  :func:`pvsite.solar.yields.plane_yields` without shading on the same planes;
* the error of the binned method against the brute-force hourly reference
  (:func:`pvsite.solar.shading.exact_hourly_yield`) on 8 planes;
* many orientations in blocks (issue 15): the default settings' worst case —
  flush planes at 25° (pitched) and 5° (metal) facing every whole degree, and
  the flat roofs' rows — 721 orientations (``--quick``: 361, the 25° ones and
  the rows), 144 sectors, fed to :class:`pvsite.solar.shading.PlaneShading`
  in blocks that each need every orientation (as Hilbert partitions of a city
  with pitched roofs along its outlines do).  Per table bound: tables built,
  CPU seconds, tables' peak bytes, the process's peak RSS; the CPU of one
  orientation's tables vs one point's look-up; and that the result equals one
  :func:`~pvsite.solar.shading.shading_losses` call bit for bit.  The bound
  "80 tables" is what the 256 MB cache held with the former dense tables
  (3.1 MB each), so its build count is the former behaviour (its CPU is not:
  the former tables also cost 4.7 ms more each to form);
* ``--bund-pitched``: the same on real outlines — ``pvsite.pipeline.prepare``
  with shading on the 10,613 Bund footprints
  (``../shared/data/footprints/shanghai_bund_buildings.gpkg``) all given
  ``roof_type = pitched``, so their planes face the real outline edges ±90°;
  ``[compute] partition_roofs`` 1,000 (10 spatial partitions, as a district of
  50,000 roofs at the default 5,000): distinct orientations, tables built,
  CPU of ``PlaneShading.add_points`` and of ``prepare``.

Weather: pvsite's embedded default year; site Changning.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from pvsite.config import SystemConfig
from pvsite.io.weather import default_weather
from pvsite.presets import load_losses, load_module
from pvsite.solar import energy, shading, yields

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import peak_rss_mb, reset_peak  # noqa: E402  (the benchmarks' one memory probe)

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


def urban_horizons(n_points: int, rng, n_sectors: int = N_SECTORS) -> np.ndarray:
    """Random horizons: 0–3 box towers of 20–60° elevation, 10–60° wide, on a 0–8° skyline."""
    az = np.arange(n_sectors) * 360.0 / n_sectors
    h = rng.uniform(0, 8, size=(n_points, 1)) * np.ones(n_sectors)
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
    parser.add_argument("--bund-pitched", action="store_true", help="only the real-outline case")
    args = parser.parse_args(argv)
    if args.bund_pitched:
        return bund_pitched()
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
    many_orientations(weather, module, losses, system, args.quick)


def many_orientations(weather, module, losses, system, quick: bool) -> None:
    """PlaneShading fed blocks that each need every orientation: builds, CPU, memory per table bound."""
    n_sectors, n_blocks, per_block, points = 144, (4 if quick else 6), 5, 5
    azimuths = np.arange(360.0)
    kinds = [(25.0, "flush")] if quick else [(25.0, "flush"), (5.0, "flush")]
    orient = [(t, a, m) for t, m in kinds for a in azimuths] + [(20.0, 180.0, "tilted_rows")]
    n_orient = len(orient)
    # Block b: planes b·n_orient·per_block onwards, every orientation on per_block consecutive planes.
    planes = pd.DataFrame(orient * per_block, columns=["tilt_deg", "azimuth_deg", "mounting"])
    planes = pd.concat([planes.sort_values(["tilt_deg", "azimuth_deg", "mounting"], kind="stable")] * n_blocks,
                       ignore_index=True)
    n = len(planes)
    rng = np.random.default_rng(15)
    horizon = np.clip(urban_horizons(n * points, rng, n_sectors), 0, 90).astype(np.float32)
    point_plane = np.repeat(np.arange(n), points)
    weight = np.full(n * points, 1.0 / points)
    block_of = point_plane // (n // n_blocks)
    print(f"\nmany orientations: {n_orient} orientations ({', '.join(f'{m} {t:g}°' for t, m in kinds)} × 360 "
          f"azimuths + rows), {n_sectors} sectors, {n:,} planes × {points} points in {n_blocks} blocks "
          f"of {n // n_blocks:,} planes, each block needing all {n_orient}:")
    reset_peak()
    t0 = time.process_time()
    whole = shading.shading_losses(planes, horizon, point_plane, weight, weather, SITE, module, losses, system)
    print(f"  one shading_losses call: {time.process_time() - t0:6.2f} CPU-s, process peak {peak_rss_mb():,.0f} MB")
    per_table = None
    for label, tables in (("default", None), ("80 tables", 80)):
        cache = shading.TABLE_CACHE_BYTES if tables is None else tables * per_table
        reset_peak()
        t0 = time.process_time()
        run = shading.PlaneShading(planes, n_sectors, weather, SITE, module, losses, system, cache_bytes=cache)
        for b in range(n_blocks):
            pts = np.flatnonzero(block_of == b)
            run.add_points(horizon[pts], point_plane[pts], weight[pts])
        res = run.result()
        cpu = time.process_time() - t0
        per_table = per_table or run.table_bytes_peak // n_orient
        same = res.equals(whole)
        print(f"  bound {label:>9} ({cache / 2**20:5.0f} MB): {run.n_tables_built:5,} tables built "
              f"({run.n_tables_built / n_orient:.2f} per orientation), {cpu:6.2f} CPU-s, tables peak "
              f"{run.table_bytes_peak / 2**20:5.0f} MB, process peak {peak_rss_mb():,.0f} MB, "
              f"= one call bit for bit: {same}")
    # One orientation's tables (in a chunk of TABLE_CHUNK, as PlaneShading builds them) vs one point's look-up.
    sky = energy.sky_year(weather, *SITE)
    bins = shading.sun_bins(sky, n_sectors)
    layout = shading._BandLayout.of(bins)
    temp = energy.temperature_parameters(system.temperature_model, "flush", module)
    t0 = time.process_time()
    tabs = shading.orientation_tables(sky, bins, np.full(shading.TABLE_CHUNK, 25.0),
                                      np.arange(shading.TABLE_CHUNK) * 11.0, temp, module, 0.86,
                                      system.inverter_efficiency_pct / 100.0, system.dc_ac_ratio)
    t_tab = (time.process_time() - t0) / shading.TABLE_CHUNK
    t0 = time.process_time()
    cums = [shading._CumTable.of(tabs, i, layout) for i in range(shading.TABLE_CHUNK)]
    t_cum = (time.process_time() - t0) / shading.TABLE_CHUNK
    sample = horizon[:20_000]
    svf = shading.sky_view_factor(sample, 25.0, 0.0)
    t0 = time.process_time()
    cums[0].point_energy(sample, svf)
    t_pt = (time.process_time() - t0) / len(sample)
    print(f"  one orientation: tables {t_tab * 1e3:.1f} ms + cumulative form {t_cum * 1e3:.1f} ms "
          f"({cums[0].nbytes / 2**20:.2f} MB kept) = the look-ups of {(t_tab + t_cum) / t_pt:,.0f} points "
          f"({t_pt * 1e6:.1f} µs each)")


def bund_pitched(partition_roofs: int = 1_000) -> None:
    """prepare() with shading on the real Bund outlines, every roof pitched: orientations and table builds."""
    import tempfile

    import pyogrio

    import pvsite
    from pvsite import pipeline

    bund = Path(__file__).resolve().parents[2] / "shared" / "data" / "footprints" / "shanghai_bund_buildings.gpkg"
    if not bund.is_file():
        print(f"--bund-pitched: {bund} not found (see ../shared/data/README.md)")
        return
    footprints = pyogrio.read_dataframe(bund, layer="buildings")
    footprints["roof_type"] = "pitched"
    runs, cpu = [], [0.0]
    add = shading.PlaneShading.add_points

    def timed(self, *a):
        runs.append(self)
        t0 = time.process_time()
        add(self, *a)
        cpu[0] += time.process_time() - t0

    shading.PlaneShading.add_points = timed
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bund_pitched.gpkg"
            pyogrio.write_dataframe(footprints, path, layer="buildings")
            cfg = pvsite.configure(footprints=str(path), shading=True, compute={"partition_roofs": partition_roofs})
            t0 = time.process_time()
            pipeline.prepare(cfg)
            t_prep = time.process_time() - t0
    finally:
        shading.PlaneShading.add_points = add
    run = runs[0]
    print(f"Bund outlines, all pitched, partition_roofs {partition_roofs:,}: {len(run.keys):,} planes, "
          f"{len(run.orient)} distinct orientations, {len(runs)} blocks; {run.n_tables_built} tables built, "
          f"add_points {cpu[0]:.2f} CPU-s, prepare {t_prep:.2f} CPU-s, tables peak "
          f"{run.table_bytes_peak / 2**20:.0f} MB")


if __name__ == "__main__":
    main()
