"""Benchmark of the horizon profiles (pvsite.roofs.horizon) on the sample district and the real Bund.

Run from the repository root::

    .venv/bin/python benchmarks/horizon.py            # sample ×3 (≈ 10k roofs) and the Bund
    .venv/bin/python benchmarks/horizon.py --radius 500
    .venv/bin/python benchmarks/horizon.py --city 20000     # only a cached synthetic city, CPU seconds

Prints (asserts nothing), per data set: roofs, planes, sample points,
(point, neighbour) pairs, the time of ``horizon_profiles`` (one run, after
``pipeline.prepare``; the machine's other load shows in it) and seconds per
10k roofs, and percentiles of ``horizon_max_deg`` over the planes.

* sample ×3: the embedded synthetic district (3,518 roofs) tiled three times
  side by side (offsets of 1.1 × its width, so the copies do not see each
  other much) to ≈ 10k roofs; synthetic: a speed figure, not a horizon one.
* Bund: the 10,613 real outlines (``../shared/data/footprints``), heights
  ``height_est_m`` (= storeys × 3 m in the source).
* ``--city N`` (instead of the two above): the synthetic city of ``benchmarks/scale.py`` (cached in
  ``benchmarks/.cache/city_N.gpkg``, made when missing), its horizons as a run
  computes them (``[shading]`` defaults: 144 sectors × 1 ray, every input
  building an obstruction) in one process: CPU seconds (``resource``, not
  wall time: the machine may be shared) and µs per footprint, of which the
  ray cast (``_cast_pairs``) and the skip tests (``_may_raise``).
"""

from __future__ import annotations

import argparse
import logging
import platform
import resource
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pvsite import compute, pipeline
from pvsite.config import Config
from pvsite.resources import REPO_ROOT
from pvsite.roofs import horizon as horizon_mod
from pvsite.roofs.horizon import MAX_RADIUS_M, horizon_profiles

BUND = REPO_ROOT.parent / "shared" / "data" / "footprints" / "shanghai_bund_buildings.gpkg"


class _Pairs(logging.Handler):
    """Catches the pair count pvsite.roofs.horizon logs."""

    pairs = 0

    def emit(self, record):
        if "pairs within reach" in record.getMessage():
            _Pairs.pairs = int(record.getMessage().split(" points, ")[1].split(" ")[0])


def _tiled(prepared, copies: int):
    roofs, planes = prepared.usable_roofs(), prepared.planes
    x0, _, x1, _ = roofs.total_bounds
    frames, plane_frames = [], []
    for k in range(copies):
        r = roofs.copy()
        dx = k * 1.1 * (x1 - x0)
        r["geometry"] = shapely.transform(np.asarray(r.geometry.array), lambda c, dx=dx: c + [dx, 0.0])
        r["usable_geometry"] = shapely.transform(np.asarray(r["usable_geometry"].array, dtype=object),
                                                 lambda c, dx=dx: c + [dx, 0.0])
        r.index = [f"{k}:{i}" for i in r.index]
        p = planes.copy()
        p["roof_index"] = [f"{k}:{i}" for i in p["roof_index"]]
        frames.append(r)
        plane_frames.append(p)
    return (gpd.GeoDataFrame(pd.concat(frames), geometry="geometry", crs=roofs.crs),
            pd.concat(plane_frames, ignore_index=True))


def _measure(label: str, roofs, planes, radius: float) -> None:
    t = time.perf_counter()
    hp = horizon_profiles(roofs, planes, radius_m=radius)
    dt = time.perf_counter() - t
    q = np.nanpercentile(hp.horizon_max_deg, [10, 25, 50, 75, 90])
    print(f"{label:10s} {len(roofs):7,d} roofs {len(planes):7,d} planes {len(hp.point_plane):8,d} points "
          f"{_Pairs.pairs:10,d} pairs  {dt:6.1f} s = {dt / len(roofs) * 1e4:5.1f} s per 10k roofs   "
          f"horizon_max_deg p10/25/50/75/90: {' / '.join(f'{v:.1f}' for v in q)}")
    share = [(hp.horizon_max_deg >= a).mean() * 100 for a in (10, 20, 30, 45)]
    print(f"{'':10s} planes with horizon_max ≥ 10/20/30/45°: {' / '.join(f'{s:.0f} %' for s in share)}")


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class _Stop(Exception):
    """Ends pipeline.prepare once the horizons are measured."""


def _measure_city(n: int) -> None:
    """CPU seconds of the horizons of the cached synthetic city of ``n`` footprints, and of two hot spots."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import scale  # noqa: PLC0415 (benchmarks/scale.py: the city generator and its cache)

    path = scale.make_city(n)  # cached
    spent = {"_cast_pairs": 0.0, "_may_raise": 0.0}

    def timed(name):
        inner = getattr(horizon_mod, name)

        def call(*args):
            t = _cpu_s()
            try:
                return inner(*args)
            finally:
                spent[name] += _cpu_s() - t
        return call

    def horizons(surveyed, buildings, config, shading=None):
        for name in spent:
            setattr(horizon_mod, name, timed(name))
        t = _cpu_s()
        horizon_mod.roof_horizons(surveyed, buildings, config.shading, config.heights)  # one process, no partitions
        dt = _cpu_s() - t
        print(f"city_{n:<6d} {len(surveyed.roofs):7,d} roofs {len(surveyed.planes):7,d} planes  horizons "
              f"{dt:6.1f} CPU-s = {dt / n * 1e6:4.0f} µs per footprint, of which the ray cast "
              f"{spent['_cast_pairs'] / n * 1e6:.0f} µs and the skip tests {spent['_may_raise'] / n * 1e6:.0f} µs "
              f"({config.shading.n_sectors} sectors × {config.shading.rays_per_sector} ray)")
        raise _Stop

    compute.roof_horizons = horizons
    try:
        pipeline.prepare(Config().with_overrides(input={"footprints": str(path)}, output={"panels": False}))
    except _Stop:
        pass


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--radius", type=float, default=MAX_RADIUS_M, help="cap of the search radius [m]")
    ap.add_argument("--city", type=int, nargs="*", default=[], help="only these cached synthetic cities (footprints)")
    args = ap.parse_args()
    if args.city:  # the run's [shading] settings (not --radius)
        print(f"pvsite horizon benchmark — {platform.processor() or platform.machine()}, synthetic cities")
        for n in args.city:
            _measure_city(n)
        return
    logging.getLogger("pvsite.roofs.horizon").addHandler(_Pairs())
    logging.getLogger("pvsite.roofs.horizon").setLevel(logging.INFO)
    print(f"pvsite horizon benchmark — {platform.processor() or platform.machine()}, "
          f"radius cap {args.radius:g} m, 36 sectors × 4 rays, 6 points per plane")
    sample = pipeline.prepare(Config().with_overrides(output={"panels": False}))
    _measure("sample ×3", *_tiled(sample, 3), args.radius)
    if BUND.is_file():
        bund = pipeline.prepare(Config().with_overrides(input={"footprints": str(BUND)}, output={"panels": False}))
        _measure("Bund", bund.usable_roofs(), bund.planes, args.radius)
    else:
        print(f"Bund outlines not found at {BUND}: skipped")


if __name__ == "__main__":
    main()
