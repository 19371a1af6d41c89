"""Benchmark of the panel layout (pvsite.roofs.layout) on real and sample roofs.

Run from the repository root::

    .venv/bin/python benchmarks/layout.py [--survey] [--city N]

``--survey`` prints only the per-roof CPU of the whole roofs stage
(:func:`pvsite.compute.survey_roofs`: usable area, planes, heights, layout,
notes) as a run gives it its classified buildings — the real Bund and, with
``--city N``, the cached synthetic city of N footprints
(``benchmarks/.cache/city_N.gpkg``, made by ``benchmarks/scale.py``) — on
5,000-roof partitions in this process (``time.process_time``, best of two).
Take the "before" figure by running the same file with ``PYTHONPATH`` set to
another checkout.

Prints (asserts nothing), for the Shanghai Bund outlines (10,613 real roofs,
``../shared/data/footprints``; roof types drawn at random 60/20/10/10 %
flat/pitched/metal/unknown, seed 0, as they carry no roof attribute) and for
the embedded synthetic sample district (classified by pvsite):

* time of usable_roofs, roof_planes, layout_roofs (counts only, and with
  the panels layer), best of two runs;
* modules and MW that fit (technical maximum, after the obstruction
  allowance);
* percentiles of kW per m² of footprint, and of the layout's kW over the
  area-based estimate (usable area × W/m² of an endless array).
"""

from __future__ import annotations

import platform
import time

import geopandas as gpd
import numpy as np

from pvsite.buildings import classify
from pvsite.geo import crs
from pvsite.io import footprints
from pvsite.roofs.layout import layout_roofs
from pvsite.resources import REPO_ROOT, SAMPLE_FOOTPRINTS
from pvsite.presets import load_preset
from pvsite.config import MountingConfig, RoofConfig
from pvsite.roofs.planes import roof_planes
from pvsite.roofs.usable import usable_roofs

BUND = REPO_ROOT.parent / "shared" / "data" / "footprints" / "shanghai_bund_buildings.gpkg"
MODULE = load_preset("module", "generic-550w")
LAT = 31.2


def best_of(fn, n=2):
    best, out = np.inf, None
    for _ in range(n):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def report(label: str, gdf: gpd.GeoDataFrame) -> None:
    roof_cfg, mounting_cfg = RoofConfig(), MountingConfig()
    t_use, roofs = best_of(lambda: usable_roofs(gdf, roof_cfg))
    t_pl, planes = best_of(lambda: roof_planes(roofs, roof_cfg, mounting_cfg, LAT, MODULE))
    t_count, (counted, _) = best_of(lambda: layout_roofs(roofs, planes, MODULE, mounting_cfg, LAT, panels=False))
    t_full, (laid, panels) = best_of(lambda: layout_roofs(roofs, planes, MODULE, mounting_cfg, LAT, panels=True))
    assert (counted.modules_fit == laid.modules_fit).all()
    kw = (laid.modules_fit * MODULE["power_w"] / 1000).groupby(laid.roof_index).sum()
    area_kw = (laid.plane_area_m2 * laid.power_density_w_per_m2 / 1000).groupby(laid.roof_index).sum()
    per_m2 = (kw.reindex(roofs.index).fillna(0) / roofs.area_m2.where(roofs.area_m2 > 0)).to_numpy()
    vs = (kw / area_kw.reindex(kw.index)).to_numpy()
    print(f"\n== {label}: {len(roofs):,} roofs, {len(laid):,} planes ==")
    print(f"usable_roofs {t_use:.2f} s | roof_planes {t_pl:.3f} s | layout (count) {t_count:.2f} s | "
          f"layout + panels layer {t_full:.2f} s")
    print(f"modules {int(laid.modules_fit.sum()):,} = {kw.sum() / 1000:,.2f} MW; panels layer rows {len(panels):,}")
    print("kW per m² footprint p5/p25/p50/p75/p95/max: "
          + " / ".join(f"{v:.4f}" for v in np.nanpercentile(per_m2, [5, 25, 50, 75, 95, 100])))
    print("layout kW / area-based kW p5/p25/p50/p75/p95: "
          + " / ".join(f"{v:.3f}" for v in np.nanpercentile(vs, [5, 25, 50, 75, 95]))
          + f"; all roofs {kw.sum() / area_kw.sum():.3f}")
    by_type = laid.assign(kw=laid.modules_fit * MODULE["power_w"] / 1000).groupby("roof_type")
    print("by roof type (MW): " + ", ".join(f"{k} {v / 1000:.2f}" for k, v in by_type.kw.sum().items()))


def classified_buildings(path) -> tuple:
    """The buildings, configuration, module, latitude and north a run gives the roofs stage.

    Runs :func:`pvsite.pipeline.prepare` (technical maximum, unshaded) and stops it as it calls
    :func:`pvsite.compute.survey_roofs`.
    """
    from pvsite import compute, pipeline
    from pvsite.api import configure

    class _Stop(Exception):
        pass

    got = {}

    def capture(buildings, config, module, site_lat_deg, north_deg=None):
        got.update(buildings=buildings, config=config, module=module, lat=site_lat_deg, north=north_deg)
        raise _Stop

    real, compute.survey_roofs = compute.survey_roofs, capture
    try:
        pipeline.prepare(configure(footprints=str(path), scenario="technical-max", shading=False))
    except _Stop:
        pass
    finally:
        compute.survey_roofs = real
    return got["buildings"], got["config"], got["module"], got["lat"], got["north"]


def survey_cpu(label: str, path, partition: int = 5000) -> None:
    """CPU seconds and µs per roof of the roofs stage on ``partition``-roof parts, best of two."""
    from pvsite.roofs.survey import survey_roofs

    buildings, config, module, lat, north = classified_buildings(path)
    best = np.inf
    for _ in range(2):
        t = time.process_time()
        for i in range(0, len(buildings), partition):
            survey_roofs(buildings.iloc[i:i + partition], config, module, lat, north_deg=north)
        best = min(best, time.process_time() - t)
    print(f"{label}: {len(buildings):,} roofs, roofs stage {best:.2f} CPU s = {best / len(buildings) * 1e6:.0f} µs/roof "
          f"({partition:,}-roof partitions, one process)")


def main() -> None:
    import sys

    print(f"python {platform.python_version()}, {platform.machine()}")
    if "--survey" in sys.argv:
        if BUND.is_file():
            survey_cpu("Shanghai Bund (real, classified by pvsite)", BUND)
        if "--city" in sys.argv:
            n = int(sys.argv[sys.argv.index("--city") + 1])
            city = REPO_ROOT / "benchmarks" / ".cache" / f"city_{n}.gpkg"
            survey_cpu(f"synthetic city ({city.name})", city)
        return
    if BUND.is_file():
        gdf = gpd.read_file(BUND, layer="buildings").to_crs("EPSG:32651")
        rng = np.random.default_rng(0)
        gdf["roof_type"] = rng.choice(["flat", "pitched", "metal", "unknown"], len(gdf), p=[0.6, 0.2, 0.1, 0.1])
        report("Shanghai Bund outlines (real; random roof types)", gdf)
    else:
        print(f"(skipping the Bund: {BUND} is absent)")
    gdf, _ = footprints.read_footprints(SAMPLE_FOOTPRINTS)
    gdf = classify.classify(crs.to_metric(gdf))
    gdf = gdf[gdf.geometry.notna()]
    report("embedded SYNTHETIC sample district (not real Changning buildings)", gdf)


if __name__ == "__main__":
    main()
