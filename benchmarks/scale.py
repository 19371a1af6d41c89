"""Benchmark of a whole run at city scale, beside the I/O floor and a notebook peer.

Run from the repository root::

    .venv/bin/python benchmarks/scale.py                     # 10,000 footprints
    .venv/bin/python benchmarks/scale.py --sizes 10000 100000 1000000 --bund
    .venv/bin/python benchmarks/scale.py --sizes 2000 --peer-sample 10   # a quick look

Prints (asserts nothing), one column per input, measured each in a fresh
process so that its peak resident memory is its own:

* per pipeline stage (the labels of :data:`pvsite.pipeline.STAGES`, taken
  from the progress callback) and for writing the output set: seconds and
  peak RSS [MB] (the peak is reset between stages through
  ``/proc/self/clear_refs`` where Linux allows it, else it is the peak so far);
* within writing, the wall seconds of each member of the output set (each
  chart, HTML report, PDF, GeoPackage, QGIS project, workbook, each CSV), from
  the start of its writer to its end (``OutputSet.seconds`` of
  :func:`pvsite.outputs.write_all`).  The PDF row says ``(beside)``: Chromium
  prints it in a background thread while the GeoPackage, workbook and CSVs
  are written, so its seconds overlap theirs and the rows do not add up to the
  writing stage; the row ``rest`` is the writing stage minus the members of
  the main thread (waiting for the PDF after them, the renames);
* the whole process (interpreter start, imports, run, write), wall clock and
  peak RSS;
* the I/O floor with the same engine: read the footprints with pyogrio/Arrow
  and write them as the ``roofs`` layer of a GeoPackage with pyogrio/Arrow;
* the notebook peer: per building a geopandas area and a pvlib ``ModelChain``
  (Perez, physical IAM, Faiman, PVWatts; the same weather year) on a sample of
  buildings, seconds per building extrapolated to the whole input;
* ``pvsite --help`` wall time, the median of 5 runs.

Synthetic city: the embedded sample district (3,518 invented buildings, its
attribute mix: uses, storeys, years, roof types, names) tiled with offsets
of the district's extent (a square grid of tiles, 5 % apart), the street of
each building from the sample's street polygons and the tile number
(``新华路街道-0007``) in a ``街道`` column, so a run needs no street polygons
and draws street outlines from the roofs.  Written once per size to
``benchmarks/.cache/city_<N>.gpkg`` (git-ignored); deterministic.

Real data: ``--bund`` adds the 10,613 real Bund outlines
(``../shared/data/footprints/shanghai_bund_buildings.gpkg``).

Default scenario ``technical-max`` (every roof sized: the largest outputs).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CACHE = HERE / ".cache"
BUND = REPO.parent / "shared" / "data" / "footprints" / "shanghai_bund_buildings.gpkg"
WRITE_STAGE = "写出 writing outputs"


# ---------------------------------------------------------------------------
# Memory
# ---------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """Peak resident memory of this process since start or the last :func:`reset_peak` [MB]."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kB on Linux


def reset_peak() -> bool:
    """Reset the peak RSS (Linux ``clear_refs`` 5); False where not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


# ---------------------------------------------------------------------------
# The synthetic city
# ---------------------------------------------------------------------------


def city_path(n: int) -> Path:
    return CACHE / f"city_{n}.gpkg"


def make_city(n: int) -> Path:
    """The sample district tiled to ``n`` footprints (cached); see the module docstring."""
    path = city_path(n)
    if path.is_file():
        return path
    import geopandas as gpd
    import numpy as np
    import pyogrio
    import shapely

    from pvsite.resources import SAMPLE_FOOTPRINTS

    CACHE.mkdir(parents=True, exist_ok=True)
    b = pyogrio.read_dataframe(SAMPLE_FOOTPRINTS, layer="buildings", use_arrow=True)
    streets = pyogrio.read_dataframe(SAMPLE_FOOTPRINTS, layer="streets", use_arrow=True).to_crs(b.crs)
    metric = b.estimate_utm_crs()
    bm, sm = b.to_crs(metric), streets.to_crs(metric)
    hit = gpd.sjoin(gpd.GeoDataFrame(geometry=bm.representative_point(), crs=metric), sm[["name", "geometry"]],
                    how="left", predicate="within")
    bm["街道"] = hit.groupby(level=0)["name"].first().reindex(bm.index).fillna("无街道").to_numpy()
    x0, y0, x1, y1 = bm.total_bounds
    dx, dy = (x1 - x0) * 1.05, (y1 - y0) * 1.05
    n_tiles = -(-n // len(bm))
    side = int(np.ceil(np.sqrt(n_tiles)))
    parts = []
    for t in range(n_tiles):
        tile = bm.copy()
        tile["geometry"] = shapely.transform(bm.geometry.to_numpy(), lambda c, t=t: c + [(t % side) * dx,
                                                                                         (t // side) * dy])
        tile["编号"] = tile["编号"].astype(str) + f"-{t:04d}"
        tile["街道"] = tile["街道"] + f"-{t:04d}"
        parts.append(tile)
    city = gpd.GeoDataFrame(pd_concat(parts).iloc[:n], geometry="geometry", crs=metric).to_crs(b.crs)
    tmp = path.with_suffix(".tmp.gpkg")
    if tmp.exists():
        tmp.unlink()
    pyogrio.write_dataframe(city.reset_index(drop=True), tmp, layer="buildings", driver="GPKG", use_arrow=True)
    os.replace(tmp, path)
    return path


def pd_concat(parts):
    import pandas as pd

    return pd.concat(parts, ignore_index=True)


# ---------------------------------------------------------------------------
# Workers (each in its own process)
# ---------------------------------------------------------------------------


def work_pipeline(footprints: str, scenario: str, out: str, settings: str = "{}") -> dict:
    """Run prepare → size → write on ``footprints``; seconds (wall and CPU) and peak RSS per stage.

    ``settings``: JSON of extra :func:`pvsite.configure` shortcuts (``panels``, ``report``, ``scheduler``).
    """
    t_import = time.perf_counter()
    import pyogrio

    import pvsite
    from pvsite import outputs, pipeline

    imports_s = time.perf_counter() - t_import
    stages: list[dict] = []
    resettable = reset_peak()
    clock = {"label": None, "t": time.perf_counter(), "cpu": time.process_time()}

    def close(label_next: str | None) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        if clock["label"] is not None:
            stages.append({"stage": clock["label"], "s": now - clock["t"], "cpu_s": cpu - clock["cpu"],
                           "peak_mb": peak_rss_mb()})
            print(f"{clock['label']}: {now - clock['t']:.2f} s, {cpu - clock['cpu']:.2f} s CPU, "
                  f"peak {peak_rss_mb():,.0f} MB", file=sys.stderr, flush=True)  # shows a run stopped early
            reset_peak()
        clock["label"], clock["t"], clock["cpu"] = label_next, time.perf_counter(), time.process_time()

    t0 = time.perf_counter()
    cfg = pvsite.configure(footprints=footprints, scenario=scenario, **json.loads(settings))
    result = pipeline.run(cfg, stage=close)
    close(WRITE_STAGE)
    written = outputs.write_all(result, out, overwrite=True)
    close(None)
    # each member from its writer's start to its end; a beside member (the PDF) overlaps the others
    by_key = {m.key: m for m in outputs.MEMBERS}
    members = [{"member": (by_key[k].label or k) + (" (beside)" if by_key[k].beside else ""), "s": s,
                "beside": by_key[k].beside} for k, s in written.seconds.items()]
    main_s = sum(m["s"] for m in members if not m["beside"])
    members.append({"member": "rest (waiting for beside members, renames)", "s": stages[-1]["s"] - main_s,
                    "beside": False})
    return {"stages": stages, "members": members, "run_s": time.perf_counter() - t0, "imports_s": imports_s,
            "run_cpu_s": time.process_time(),
            "peak_mb": max(s["peak_mb"] for s in stages), "peak_resettable": resettable,
            "n": int(result.counts["input"]), "n_sized": int(result.district["n_sized"]),
            "capacity_kw": float(result.district["capacity_kw"]), "modules": int(result.counts["panels"]),
            "panels_written": "panels" in {name for name, _ in pyogrio.list_layers(out)}}


def work_floor(footprints: str, out: str) -> dict:
    """Read the footprints and write them as the roofs layer, pyogrio with Arrow both ways."""
    import pyogrio

    t0 = time.perf_counter()
    df = pyogrio.read_dataframe(footprints, use_arrow=True)
    t1 = time.perf_counter()
    if Path(out).exists():
        Path(out).unlink()
    pyogrio.write_dataframe(df, out, layer="roofs", driver="GPKG", use_arrow=True)
    t2 = time.perf_counter()
    return {"read_s": t1 - t0, "write_s": t2 - t1, "s": t2 - t0, "peak_mb": peak_rss_mb(), "n": len(df)}


def work_peer(footprints: str, sample: int) -> dict:
    """A planner's notebook: per building, geopandas area → modules → pvlib ModelChain on the weather year."""
    import numpy as np
    import pyogrio
    from pvlib.location import Location
    from pvlib.modelchain import ModelChain
    from pvlib.pvsystem import PVSystem

    import pvsite
    from pvsite.io import run_inputs
    from pvsite.presets import load_losses, load_module
    from pvsite.solar import energy

    cfg = pvsite.configure(footprints=footprints)
    weather, meta = run_inputs.read_weather(cfg)  # the run's weather year
    weather = weather.copy()
    weather.index = weather.index + (weather.index[1] - weather.index[0]) / 2  # interval start → middle
    module, losses = load_module(cfg.system.module), load_losses(cfg.system.losses)
    gdf = pyogrio.read_dataframe(footprints, use_arrow=True)
    gdf = gdf.to_crs(gdf.estimate_utm_crs())  # once, as a notebook would
    n_total = len(gdf)
    rng = np.random.default_rng(0)
    pick = np.sort(rng.choice(n_total, size=min(sample, n_total), replace=False))
    lat, lon = float(meta.get("latitude", 31.22)), float(meta.get("longitude", 121.42))
    loc = Location(lat, lon, "Asia/Shanghai", float(meta.get("altitude", 5.0)))
    module_m2 = float(module["length_m"]) * float(module["width_m"])
    t0 = time.perf_counter()
    kwh = []
    for i in pick:
        area = float(gdf.geometry.iloc[i].area)
        n_mod = max(int(area * 0.7 * 0.5 / module_m2), 1)  # 70 % usable, GCR 0.5 (the peer's shortcut)
        pdc0 = n_mod * float(module["power_w"])
        system = PVSystem(
            surface_tilt=20.0, surface_azimuth=180.0, albedo=energy.ALBEDO,
            module_parameters={"pdc0": pdc0, "gamma_pdc": module["gamma_pdc_per_c"],
                               "n": module["iam_n"], "K": module["iam_k"], "L": module["iam_l"]},
            temperature_model_parameters=energy.temperature_parameters(
                cfg.system.temperature_model, "tilted_rows", module),
            losses_parameters=dict(losses.losses_pct),
            inverter_parameters={"pdc0": pdc0 / cfg.system.dc_ac_ratio,
                                 "eta_inv_nom": cfg.system.inverter_efficiency_pct / 100.0})
        mc = ModelChain(system, loc, dc_model="pvwatts", ac_model="pvwatts", aoi_model="physical",
                        spectral_model="no_loss", temperature_model=cfg.system.temperature_model,
                        transposition_model="perez", losses_model="pvwatts")
        mc.run_model(weather)
        kwh.append(float(mc.results.ac.clip(lower=0).sum()) / 1000.0)
    per_building = (time.perf_counter() - t0) / len(pick)
    return {"per_building_s": per_building, "sample": len(pick), "s": per_building * n_total,
            "buildings_per_s": 1.0 / per_building, "n": n_total}


def work_help() -> dict:
    exe = Path(sys.executable).with_name("pvsite")
    cmd = [str(exe), "--help"] if exe.is_file() else [sys.executable, "-m", "pvsite", "--help"]
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=_env())
        times.append(time.perf_counter() - t0)
    return {"median_s": statistics.median(times), "cmd": " ".join(Path(c).name for c in cmd[:-1])}


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def _spawn(*args: str) -> tuple[dict, float, float]:
    """Run a worker in a fresh process: (its JSON, wall seconds, peak RSS of the child [MB])."""
    t0 = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    p = subprocess.run([sys.executable, __file__, "--worker", *args], capture_output=True, text=True, env=_env())
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"worker {args} failed:\n{p.stderr[-3000:]}")
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    data = json.loads(p.stdout.strip().splitlines()[-1])
    # RUSAGE_CHILDREN is the largest child so far: exact for the first, a bound after
    return data, wall, max(child_peak, before) / 1024.0


def measure(label: str, footprints: Path, scenario: str, peer_sample: int, settings: dict | None = None) -> dict:
    out_dir = CACHE / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    run, wall, _ = _spawn("pipeline", str(footprints), scenario, str(out_dir / f"{label}.gpkg"),
                          json.dumps(settings or {}))
    floor, _, _ = _spawn("floor", str(footprints), str(out_dir / f"{label}_floor.gpkg"))
    peer, _, _ = _spawn("peer", str(footprints), str(peer_sample))
    return {"label": label, "run": run, "wall_s": wall, "floor": floor, "peer": peer}


def table(results: list[dict], help_s: dict | None) -> str:
    cols = [r["label"] for r in results]
    lines = ["| | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]

    def row(name, cells):
        lines.append(f"| {name} | " + " | ".join(cells) + " |")

    stage_names = [s["stage"] for s in results[0]["run"]["stages"]]
    for i, name in enumerate(stage_names):
        row(name, [f"{r['run']['stages'][i]['s']:.2f} s ({r['run']['stages'][i].get('cpu_s', float('nan')):.2f} "
                   f"CPU) / {r['run']['stages'][i]['peak_mb']:,.0f} MB" for r in results])
    member_names = list(dict.fromkeys(m["member"] for r in results for m in r["run"].get("members", [])))
    for name in member_names:
        cells = []
        for r in results:
            hit = [m["s"] for m in r["run"].get("members", []) if m["member"] == name]
            cells.append(f"{hit[0]:.2f} s" if hit else "–")
        row(f"  {WRITE_STAGE.split()[0]} · {name}", cells)
    row("**run, in process** (prepare + size + write)", [f"**{r['run']['run_s']:.2f} s**" for r in results])
    row("imports", [f"{r['run']['imports_s']:.2f} s" for r in results])
    row("CPU s of the whole process (this process; workers not counted)",
        [f"{r['run'].get('run_cpu_s', float('nan')):.1f} s" for r in results])
    row("**whole process** (start, imports, run, write)",
        [f"**{r['wall_s']:.2f} s / {r['run']['peak_mb']:,.0f} MB**" for r in results])
    row("I/O floor (pyogrio/Arrow read + write roofs)",
        [f"{r['floor']['s']:.2f} s / {r['floor']['peak_mb']:,.0f} MB" for r in results])
    row("× I/O floor (run in process / floor)", [f"{r['run']['run_s'] / r['floor']['s']:.0f} ×" for r in results])
    row("notebook peer (ModelChain per building, extrapolated)",
        [f"{r['peer']['s']:,.0f} s ({r['peer']['buildings_per_s']:.1f} bldg/s, n={r['peer']['sample']})"
         for r in results])
    row("× notebook peer (peer / whole process)", [f"{r['peer']['s'] / r['wall_s']:.0f} ×" for r in results])
    row("buildings / sized / modules", [f"{r['run']['n']:,} / {r['run']['n_sized']:,} / {r['run']['modules']:,}"
                                        for r in results])
    row("panels layer written", ["yes" if r["run"]["panels_written"] else "no" for r in results])
    if help_s:
        lines.append(f"\n`{help_s['cmd']} --help`: {help_s['median_s']:.2f} s (median of 5)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--worker":
        kind, *rest = argv[1:]
        out = {"pipeline": lambda: work_pipeline(*rest), "floor": lambda: work_floor(*rest),
               "peer": lambda: work_peer(rest[0], int(rest[1])), "help": work_help}[kind]()
        print(json.dumps(out))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000], help="synthetic city sizes (footprints)")
    parser.add_argument("--bund", action="store_true", help="also the 10,613 real Bund outlines")
    parser.add_argument("--scenario", default="technical-max")
    parser.add_argument("--peer-sample", type=int, default=50, help="buildings the notebook peer runs")
    parser.add_argument("--no-help-timing", action="store_true")
    parser.add_argument("--no-panels", action="store_true", help="output.panels = false")
    parser.add_argument("--no-report", action="store_true", help="report.enabled = false (no HTML/PDF/charts)")
    parser.add_argument("--scheduler", default=None, help="[compute] scheduler (serial / processes / dask)")
    parser.add_argument("--no-shading", action="store_true", help="shading.enabled = false (on by default)")
    args = parser.parse_args(argv)
    settings = {k: v for k, v in {"panels": False if args.no_panels else None,
                                  "report": False if args.no_report else None,
                                  "shading": False if args.no_shading else None,
                                  "scheduler": args.scheduler}.items() if v is not None}
    sys.path.insert(0, str(REPO))
    results = []
    for n in args.sizes:
        t0 = time.perf_counter()
        path = make_city(n)
        print(f"city of {n:,} footprints: {path} ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
        results.append(measure(f"{n:,} synthetic", path, args.scenario, args.peer_sample, settings))
    if args.bund:
        if BUND.is_file():
            results.append(measure("Bund 10,613 real", BUND, args.scenario, args.peer_sample, settings))
        else:
            print(f"no {BUND}: Bund skipped", file=sys.stderr)
    help_s = None if args.no_help_timing else _spawn("help")[0]
    print(f"{platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"scenario {args.scenario} {settings or ''}; load average {os.getloadavg()[0]:.1f}")
    if not results[0]["run"]["peak_resettable"]:
        print("(per-stage peaks are peaks so far: /proc/self/clear_refs not writable)")
    print(table(results, help_s))
    return 0


if __name__ == "__main__":
    sys.exit(main())
