"""Benchmark of the partitioned stages: one process vs a local process pool vs a Dask LocalCluster.

Run from the repository root::

    .venv/bin/python benchmarks/schedulers.py                          # the real Bund, shading off and on
    .venv/bin/python benchmarks/schedulers.py --sizes 100000 --no-bund  # the 100k synthetic city, shading off
    .venv/bin/python benchmarks/schedulers.py --schedulers serial dask --workers 2 --partition 5000
    .venv/bin/python benchmarks/schedulers.py --sizes 20000 --no-bund --city-shading --partition 2000

Prints (asserts nothing) one row per (input, shading, scheduler), each run
in a fresh process: the seconds of the stage that runs on partitions
(``屋顶可用面积与排布``: usable area, planes, module layout and, with shading,
the horizons), of the whole ``prepare`` + ``size`` (no output files: writing
does not depend on the scheduler), the start of the pool or cluster (paid
once per process), the CPU seconds of the main process (user + system,
``resource.getrusage``: the machine is shared, so its wall seconds lie), the peak RSS of the main process and of each worker
[MB] (``VmHWM`` of ``/proc/PID/status``; the Dask workers report theirs
through ``Client.run``), and whether the sized roofs equal the serial run's
(``pandas.testing.assert_frame_equal`` on the roofs table).

Inputs: ``--bund`` (default on) the 10,613 real outlines of
``../shared/data/footprints/shanghai_bund_buildings.gpkg``; ``--sizes N`` the
synthetic city of :mod:`benchmarks.scale` (the sample tiled, cached in
``benchmarks/.cache``), shading off unless ``--city-shading``.  Scenario ``technical-max``; panels layer off (it is
only counted).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import scale  # noqa: E402  (the synthetic city and the memory helpers)

LAYOUT_STAGE = "屋顶可用面积与排布 usable roof area and module layout"


def _hwm_mb(pid: int | None = None) -> float:
    status = Path(f"/proc/{pid or 'self'}/status").read_text()
    return next(int(line.split()[1]) / 1024.0 for line in status.splitlines() if line.startswith("VmHWM:"))


def _cpu_s() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def work(footprints: str, scheduler: str, shading: bool, workers: int, partition: int, reference: str) -> dict:
    """One run in this process; returns the figures (and writes the roofs for the comparison)."""
    import pandas as pd

    import pvsite
    from pvsite import compute, pipeline

    cfg = pvsite.configure(footprints=footprints, scenario="technical-max", panels=False, shading=shading,
                           scheduler=scheduler, workers=workers, compute={"partition_roofs": partition})
    t0 = time.perf_counter()
    if scheduler == "dask":
        client = compute.dask_client(cfg.compute)
    elif scheduler == "processes":
        pool = compute._process_pool(workers)
        list(pool.map(abs, range(workers * 4)))  # start the workers
    start_s = time.perf_counter() - t0
    stages = {}
    clock = {"label": None, "t": time.perf_counter()}

    def tick(label):
        now = time.perf_counter()
        if clock["label"]:
            stages[clock["label"]] = now - clock["t"]
        clock["label"], clock["t"] = label, now

    t1, cpu0 = time.perf_counter(), _cpu_s()
    result = pipeline.run(cfg, stage=tick)
    tick(None)
    run_s, main_cpu_s = time.perf_counter() - t1, _cpu_s() - cpu0
    if scheduler == "dask":
        worker_mb = sorted(client.run(_hwm_mb).values())
    elif scheduler == "processes":
        worker_mb = sorted(_hwm_mb(pid) for pid in pool._processes)
    else:
        worker_mb = []
    roofs = pd.DataFrame(result.roofs.drop(columns=[c for c in ("geometry", "usable_geometry")
                                                    if c in result.roofs.columns]))
    same = None
    if scheduler == "serial":
        roofs.to_pickle(reference)
    elif Path(reference).is_file():
        try:
            pd.testing.assert_frame_equal(pd.read_pickle(reference), roofs)
            same = True
        except AssertionError:
            same = False
    compute.close()
    return {"n": len(result.roofs), "layout_s": stages.get(LAYOUT_STAGE), "run_s": run_s, "start_s": start_s,
            "main_cpu_s": main_cpu_s,
            "main_mb": _hwm_mb(), "worker_mb": worker_mb, "same": same,
            "capacity_kw": float(result.district["capacity_kw"])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[], help="synthetic city sizes (footprints)")
    parser.add_argument("--no-bund", action="store_true", help="skip the real Bund outlines")
    parser.add_argument("--schedulers", nargs="*", default=["serial", "processes", "dask"])
    parser.add_argument("--shading", choices=["off", "on", "both"], default="both",
                        help="shading for the Bund (the synthetic city runs with shading off)")
    parser.add_argument("--city-shading", action="store_true",
                        help="the synthetic cities with shading on (the horizons run on spatial partitions)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--partition", type=int, default=5000, help="[compute] partition_roofs")
    parser.add_argument("--worker", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        f, sch, sh, w, part, ref = args.worker
        print(json.dumps(work(f, sch, sh == "1", int(w), int(part), ref)))
        return 0
    runs = []
    if not args.no_bund:
        for sh in {"off": [False], "on": [True], "both": [False, True]}[args.shading]:
            runs.append(("Bund 10,613", scale.BUND, sh))
    for n in args.sizes:
        runs.append((f"city {n:,}", scale.make_city(n), args.city_shading))
    scale.CACHE.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} at start; "
          f"{args.workers} workers, partitions of {args.partition:,} roofs")
    print("| input | shading | scheduler | layout stage s | prepare+size s | pool start s | main CPU s "
          "| main peak MB | worker peak MB | = serial |")
    print("|---|---|---|---:|---:|---:|---:|---:|---|---|")
    for label, path, sh in runs:
        ref = str(scale.CACHE / f"dask_ref_{abs(hash((str(path), sh)))}.pkl")
        for sch in args.schedulers:
            p = subprocess.run([sys.executable, __file__, "--worker", str(path), sch, "1" if sh else "0",
                                str(args.workers), str(args.partition), ref],
                               capture_output=True, text=True, env=scale._env())
            if p.returncode != 0:
                print(f"| {label} | {'on' if sh else 'off'} | {sch} | failed: {p.stderr.strip()[-300:]} |")
                continue
            r = json.loads(p.stdout.strip().splitlines()[-1])
            workers = ", ".join(f"{m:,.0f}" for m in r["worker_mb"]) or "–"
            same = {None: "–", True: "yes", False: "**no**"}[r["same"]]
            print(f"| {label} | {'on' if sh else 'off'} | {sch} | {r['layout_s']:.1f} | {r['run_s']:.1f} | "
                  f"{r['start_s']:.1f} | {r['main_cpu_s']:.1f} | {r['main_mb']:,.0f} | {workers} | {same} |", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
