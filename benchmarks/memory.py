"""Where the memory of a prepared run sits (pvsite issue #15), in one fresh process.

Run from the repository root::

    .venv/bin/python benchmarks/memory.py benchmarks/.cache/city_100000.gpkg            # shading on
    .venv/bin/python benchmarks/memory.py benchmarks/.cache/city_100000.gpkg --no-shading
    .venv/bin/python benchmarks/memory.py FOOTPRINTS --out DIR/run.gpkg   # also size + write the output set

Prints (asserts nothing):

* resident memory (current and peak, ``/proc/self/status``) as each stage of
  :func:`pvsite.pipeline.prepare` starts, and after it;
* what the :class:`pvsite.pipeline.Prepared` holds: per column of
  ``roofs`` and ``planes`` the bytes of ``memory_usage(deep=True)`` (for a
  geometry column, which pandas counts as 8 bytes a row, the coordinates
  ×16 bytes plus the GEOS/Python objects, estimated as 200 bytes a geometry),
  the numpy arrays of the lazy panels and the horizons, and the largest
  frames of ``inputs`` / ``located`` / ``chosen``;
* with ``--probe``: what letting go of each member frees — the resident memory
  given back (after ``gc.collect`` and glibc ``malloc_trim``) as the
  ``usable_geometry`` column, ``chosen.buildings``, ``located.buildings``, the
  lazy panels, the horizons, … are dropped one after the other (each figure
  is what that member alone still held);
* with ``--out``: the peak RSS of the whole run (prepare + size + write).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import sys
import time
from pathlib import Path

import numpy as np

GEOM_OBJECT_BYTES = 200  # a GEOS geometry plus its shapely wrapper, rough (rings, envelope, Python object)


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process [MB]."""
    cur = peak = float("nan")
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            cur = int(line.split()[1]) / 1024.0
        elif line.startswith("VmHWM:"):
            peak = int(line.split()[1]) / 1024.0
    return cur, peak


def column_bytes(frame) -> dict[str, int]:
    """Bytes each column of ``frame`` holds (geometry: coordinates + objects, estimated)."""
    import pandas as pd
    import shapely
    out = {}
    for name in frame.columns:
        col = frame[name]
        if str(col.dtype) == "geometry" or (col.dtype == object and len(col) and
                                            isinstance(col.dropna().iloc[0] if col.notna().any() else None,
                                                       shapely.Geometry)):
            geoms = np.asarray(getattr(col, "array", col), dtype=object)
            present = ~shapely.is_missing(geoms)
            out[name] = int(shapely.get_num_coordinates(geoms).sum()) * 16 + int(present.sum()) * GEOM_OBJECT_BYTES \
                + 8 * len(geoms)
        else:
            out[name] = int(pd.Series(col).memory_usage(deep=True, index=False))
    return out


def array_bytes(obj, seen=None) -> int:
    """Bytes of the numpy arrays and frames reachable through ``obj``'s dataclass fields."""
    import pandas as pd
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return int(obj.nbytes)
    if isinstance(obj, (pd.DataFrame, pd.Series)):
        return int(obj.memory_usage(deep=True).sum()) if isinstance(obj, pd.DataFrame) else \
            int(obj.memory_usage(deep=True))
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return sum(array_bytes(getattr(obj, f.name), seen) for f in dataclasses.fields(obj))
    if isinstance(obj, (list, tuple)):
        return sum(array_bytes(o, seen) for o in obj)
    if isinstance(obj, dict):
        return sum(array_bytes(o, seen) for o in obj.values())
    return 0


def frame_bytes(frame) -> int:
    return sum(column_bytes(frame).values()) + int(frame.index.memory_usage(deep=True))


def report_holding(p, top: int = 25) -> None:
    import pandas as pd
    n = len(p.roofs)
    per100k = 100_000 / max(n, 1) / 1e6
    print(f"\n== Prepared: {n:,} roofs, {len(p.planes):,} planes ==")
    total = 0
    for label, frame in (("roofs", p.roofs), ("planes", p.planes)):
        cols = column_bytes(frame)
        idx = int(frame.index.memory_usage(deep=True))
        s = sum(cols.values()) + idx
        total += s
        print(f"\n{label}: {len(frame.columns)} columns, {s / 1e6:,.1f} MB ({s * per100k:,.1f} MB per 100k roofs)")
        for name, b in sorted(cols.items(), key=lambda kv: -kv[1])[:top]:
            print(f"  {name:32s} {str(frame[name].dtype):10s} {b / 1e6:9.1f} MB")
        print(f"  {'(index)':32s} {'':10s} {idx / 1e6:9.1f} MB")
    others = {"panels": p.panels, "horizons": p.horizons, "installed": p.installed,
              "classification_report": p.classification_report}
    for f in dataclasses.fields(p.inputs):
        others[f"inputs.{f.name}"] = getattr(p.inputs, f.name)
    for f in dataclasses.fields(p.located):
        others[f"located.{f.name}"] = getattr(p.located, f.name)
    for f in dataclasses.fields(p.chosen):
        others[f"chosen.{f.name}"] = getattr(p.chosen, f.name)
    print("\nother members (≥ 1 MB):")
    for name, obj in others.items():
        b = frame_bytes(obj) if isinstance(obj, pd.DataFrame) else array_bytes(obj)
        if b >= 1e6:
            total += b
            print(f"  {name:32s} {b / 1e6:9.1f} MB")
    print(f"\ncounted total {total / 1e6:,.1f} MB ({total * per100k:,.1f} MB per 100k roofs)")


def trim() -> None:
    """Collect garbage and hand freed heap back to the OS (glibc), so RSS shows what is really held."""
    gc.collect()
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def probe(p) -> None:
    """RSS freed by dropping each member of ``p`` in turn [MB]."""
    import geopandas as gpd
    steps = [
        ("roofs.usable_geometry", lambda: setattr(p, "roofs", p.roofs.drop(columns="usable_geometry"))
         if "usable_geometry" in p.roofs.columns else None),
        ("chosen.buildings", lambda: setattr(p.chosen, "buildings", None)),
        ("located.buildings", lambda: setattr(p.located, "buildings", None)),
        ("panels", lambda: setattr(p, "panels", None)),
        ("horizons", lambda: setattr(p, "horizons", None)),
        ("inputs.weather", lambda: setattr(p.inputs, "weather", None)),
        ("planes", lambda: setattr(p, "planes", None)),
        ("roofs (the rest)", lambda: setattr(p, "roofs", None)),
    ]
    trim()
    print("\n== RSS freed by dropping (in this order) ==")
    before = rss_mb()[0]
    for name, drop in steps:
        drop()
        trim()
        now = rss_mb()[0]
        print(f"  {name:28s} {before - now:8.1f} MB")
        before = now
    print(f"  {'left (imports, caches …)':28s} {before:8.1f} MB RSS")
    del gpd


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("footprints")
    parser.add_argument("--no-shading", action="store_true")
    parser.add_argument("--scenario", default="technical-max")
    parser.add_argument("--probe", action="store_true", help="measure what dropping each member frees (no size)")
    parser.add_argument("--out", help="also size and write the output set to this GeoPackage")
    args = parser.parse_args(argv)
    import pvsite
    from pvsite import outputs, pipeline

    t0, c0 = time.perf_counter(), time.process_time()

    def stage(label):
        cur, peak = rss_mb()
        print(f"[{time.perf_counter() - t0:7.1f} s, {time.process_time() - c0:7.1f} CPU-s] "
              f"RSS {cur:7,.0f} MB, peak {peak:7,.0f} MB → {label}", flush=True)

    cfg = pvsite.configure(footprints=args.footprints, scenario=args.scenario,
                           shading=False if args.no_shading else None)
    prepared = pipeline.prepare(cfg, stage=stage)
    gc.collect()
    stage("prepare done")
    cur, peak_prepare = rss_mb()
    report_holding(prepared)
    if args.probe:
        probe(prepared)
    elif args.out:
        result = pipeline.size(prepared, stage=stage)
        stage("writing")
        outputs.write_all(result, args.out, overwrite=True)
        stage("written")
    cur, peak = rss_mb()
    print(f"\npeak RSS: prepare {peak_prepare:,.0f} MB; whole process {peak:,.0f} MB; "
          f"CPU {time.process_time() - c0:,.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
