"""pvsite's horizon shading side by side with UMEP's SEBE on one Bund tile (issue 12 item 4c).

Run from the repository root (pvsite's virtualenv; SEBE runs in its own)::

    .venv/bin/python benchmarks/shading_compare.py
    .venv/bin/python benchmarks/shading_compare.py --origin 354650 3456695 --size 512 --peer-python /work/venv-sebe/bin/python

The peer's virtualenv: ``bash benchmarks/setup_sebe_peer.sh /work/venv-sebe PATH/TO/UMEP-processing``.

What it does (prints, asserts nothing):

1. **The tile.**  The shared ``rasters/height_*.tif`` do not overlap the Bund
   outlines (they cover south Xuhui / Pudong, on GCJ-02-shifted imagery, and
   come without footprints that pvsite could size), so the DSM is rasterised
   from the real Bund outlines × storeys × 3 m (the shared ``height_est_m``;
   pvsite's default storey height), 1 m pixels, ``--size`` × ``--size`` m in
   UTM 51N (EPSG:32651), flat ground at 0 m.  Only buildings wholly inside the
   tile are kept, and pvsite is given exactly those buildings, so both tools
   see the same scene (nothing outside the tile casts a shadow in either).
2. **The peer.**  UMEP's SEBE core (``benchmarks/sebe_peer.py``: the ``umep``
   PyPI package + UMEP-processing's ``SEBEfiles``, no QGIS) in a subprocess of
   its own virtualenv (``--peer-python``), on the same CSWD Shanghai EPW year
   (UTC+8, albedo 0.15 = SEBE's default, direct + diffuse from the file).
   When the venv or the SEBE sources are missing the comparison is skipped
   with the reason printed.
3. **Per roof.**  SEBE: annual roof irradiation (kWh/m²) averaged over the
   roof's pixels at least ``--inset`` m inside its outline (edge pixels carry the
   DSM's wall slopes), against SEBE's own unshaded sum on the same pixels
   (every patch visible): ``loss = 1 − Σ shaded / Σ unshaded``.  It includes
   SEBE's reflected term (blocked patches give back ``albedo`` × global / 145).
   pvsite: (a) the run's ``shading_loss_pct`` per roof (annual AC energy of its
   PV planes — tilted rows on flat roofs — vs the same planes unshaded) and
   (b) the same horizons applied to a horizontal plane (the quantity SEBE
   gives on a flat roof), both from ``prepare(..., shading=True)``.
4. **Agreement and speed.**  Pearson r, bias (pvsite − SEBE), MAE in
   percentage points over the roofs both tools cover; CPU seconds of pvsite's
   shading (``roof_horizons`` + ``shading_losses`` on the tile's planes) vs
   SEBE's steps (``process_time`` of each process; the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
FOOTPRINTS = SHARED / "footprints" / "shanghai_bund_buildings.gpkg"
EPW = SHARED / "weather" / "CHN_Shanghai.Shanghai.583620_CSWD.epw"
PEER_PYTHON = Path("/work/venv-sebe/bin/python")
SEBE_SRC = Path("/work/venv-sebe/umep-processing")
METRIC_CRS = "EPSG:32651"
#: Lower-left corner [m, EPSG:32651] of the default tile: the densest 512 m window of the Bund outlines with
#: the most buildings over 60 m (234 buildings wholly inside, 15 of them > 60 m; found by a 64 m scan).
ORIGIN = (354650.0, 3456695.0)
ALBEDO = 0.15  # SEBE's default ground/wall albedo (UMEP manual, SEBE)
UTC_OFFSET = 8


def tile_buildings(buildings, origin, size_m: float):
    """The buildings (metric CRS) lying wholly inside the square tile ``origin`` + ``size_m``."""
    from shapely.geometry import box

    x0, y0 = origin
    inside = buildings.geometry.within(box(x0, y0, x0 + size_m, y0 + size_m))
    return buildings[inside].copy()


def rasterise_heights(geoms, heights_m, origin, size_px: int, pixel_m: float = 1.0) -> np.ndarray:
    """A DSM [m] on flat ground at 0: each footprint burnt at its height, the tallest on top where they overlap.

    Row 0 is the tile's north edge (north-up, as GDAL rasters and SEBE expect).
    """
    from rasterio.features import rasterize
    from rasterio.transform import from_origin

    x0, y0 = origin
    transform = from_origin(x0, y0 + size_px * pixel_m, pixel_m, pixel_m)
    order = np.argsort(np.asarray(heights_m, dtype=float), kind="stable")
    shapes = [(geoms[i], float(heights_m[i])) for i in order]
    return rasterize(shapes, out_shape=(size_px, size_px), transform=transform, fill=0.0, dtype="float64")


def rasterise_labels(geoms, origin, size_px: int, pixel_m: float = 1.0) -> np.ndarray:
    """Label raster: pixel centre inside footprint ``i`` → ``i + 1``, else 0 (later footprints win overlaps)."""
    from rasterio.features import rasterize
    from rasterio.transform import from_origin

    x0, y0 = origin
    transform = from_origin(x0, y0 + size_px * pixel_m, pixel_m, pixel_m)
    shapes = [(g, i + 1) for i, g in enumerate(geoms) if g is not None and not g.is_empty]
    if not shapes:
        return np.zeros((size_px, size_px), dtype="int32")
    return rasterize(shapes, out_shape=(size_px, size_px), transform=transform, fill=0, dtype="int32")


def erode_labels(labels: np.ndarray, k: int) -> np.ndarray:
    """Keep a labelled pixel only where every pixel within ``k`` pixels (a square window) has its label."""
    from scipy import ndimage

    if k <= 0:
        return labels
    size = 2 * k + 1
    same = (ndimage.minimum_filter(labels, size=size, mode="constant", cval=0) == labels) & (
        ndimage.maximum_filter(labels, size=size, mode="constant", cval=0) == labels)
    return np.where(same, labels, 0)


def raster_scene(path: Path, inset_m: float):
    """A shared building-height raster as a DSM, its buildings as footprints, and inset roof labels.

    The rasters (EPSG:3857, uint16 storeys × 3 m, nodata = no building) become
    a DSM on flat ground (nodata → 0 m); every 4-connected region of one
    height becomes one footprint (``rasterio.features.shapes``), so pvsite
    and SEBE see the same blocks.  EPSG:3857 metres are ``1 / cos φ`` ground
    metres: the ground pixel size is ``res × cos φ`` (SEBE's ``scale``).
    """
    import geopandas as gpd
    import rasterio
    from rasterio.features import rasterize, shapes
    from shapely.geometry import shape

    with rasterio.open(path) as src:
        raw, transform, crs, nodata = src.read(1), src.transform, src.crs, src.nodata
    building = raw != nodata if nodata is not None else raw > 0
    dsm = np.where(building, raw, 0).astype(float)
    polys = [(shape(g), float(v)) for g, v in shapes(dsm.astype("float32"), mask=building & (dsm > 0),
                                                   connectivity=4, transform=transform)]
    tile = gpd.GeoDataFrame({"height_est_m": [v for _, v in polys]}, geometry=[g for g, _ in polys], crs=crs)
    labels = rasterize([(g, i + 1) for i, (g, _) in enumerate(polys)], out_shape=dsm.shape, transform=transform,
                       fill=0, dtype="int32")
    centre = gpd.GeoSeries(tile.geometry.union_all().envelope.centroid, crs=crs).to_crs(4326)
    lower_left = gpd.GeoSeries(gpd.points_from_xy([transform.c], [transform.f + transform.e * dsm.shape[0]]),
                               crs=crs).to_crs(4326)
    pixel_m = abs(transform.a) * np.cos(np.radians(centre.y[0]))
    return tile, dsm, erode_labels(labels, int(np.ceil(inset_m / pixel_m))), pixel_m, (lower_left.x[0],
                                                                                         lower_left.y[0])


def zonal_sum_count(values: np.ndarray, labels: np.ndarray, n_zones: int) -> tuple[np.ndarray, np.ndarray]:
    """Sum and pixel count of ``values`` per zone ``1 … n_zones`` of ``labels`` (0 = no zone; NaN values skipped).

    Returns two arrays of length ``n_zones`` (zone ``k`` at position ``k − 1``).
    """
    values, labels = np.asarray(values, dtype=float), np.asarray(labels)
    if values.shape != labels.shape:
        raise ValueError(f"values {values.shape} and labels {labels.shape} differ in shape")
    ok = (labels > 0) & (labels <= n_zones) & np.isfinite(values)
    lab = labels[ok].astype(np.int64)
    sums = np.bincount(lab, weights=values[ok], minlength=n_zones + 1)[1:]
    counts = np.bincount(lab, minlength=n_zones + 1)[1:]
    return sums, counts


def met_from_epw(path: Path, year: int = 2015) -> tuple[np.ndarray, pd.DataFrame]:
    """UMEP's 24-column meteorological array from an EPW file (and the EPW frame).

    EPW hour ``h`` (the hour ending at ``h``:00 local standard time) becomes UMEP's
    time stamp ``h``:00 (UMEP stamps also end the interval; its sun position
    is taken half a step earlier); hour 24 is 0:00 of the next day.  Columns
    used by SEBE: year, day of year, hour, minute, RH, Tair, kdown (GHI),
    kdiff (DHI), kdir (DNI); the others are UMEP's missing value −999.
    """
    import pvlib

    epw, _ = pvlib.iotools.read_epw(path)
    n = len(epw)
    doy = np.repeat(np.arange(1, 366), 24)[:n].astype(float)
    hour = np.tile(np.arange(1, 25), 365)[:n].astype(float)
    roll = hour == 24
    doy[roll] += 1
    hour[roll] = 0
    met = np.full((n, 24), -999.0)
    met[:, 0], met[:, 1], met[:, 2], met[:, 3] = year, doy, hour, 0
    met[:, 10] = epw["relative_humidity"].to_numpy(float)
    met[:, 11] = epw["temp_air"].to_numpy(float)
    met[:, 14] = epw["ghi"].to_numpy(float).clip(0)
    met[:, 21] = epw["dhi"].to_numpy(float).clip(0)
    met[:, 22] = epw["dni"].to_numpy(float).clip(0)
    return met, epw


def run_peer(dsm, met, lon, lat, peer_python: Path, sebe_src: Path, workdir: Path,
             scale: float = 1.0) -> dict | str:
    """SEBE on ``dsm`` in the peer's interpreter: its outputs, or the reason it could not run."""
    if not peer_python.exists():
        return f"peer virtualenv missing: {peer_python} (python3 -m venv /work/venv-sebe; pip install umep)"
    if not (sebe_src / "functions" / "SEBEfiles" / "SEBE_2015a_calc_forprocessing.py").exists():
        return f"SEBE sources missing: {sebe_src} (a UMEP-dev/UMEP-processing checkout)"
    inp, out = workdir / "sebe_in.npz", workdir / "sebe_out.npz"
    np.savez(inp, dsm=dsm, met=met, scale=scale, lon=lon, lat=lat, utc=UTC_OFFSET, albedo=ALBEDO)
    cmd = [str(peer_python), str(ROOT / "benchmarks" / "sebe_peer.py"), str(inp), str(out), "--sebe-src",
           str(sebe_src)]
    w0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ""})
    wall = time.perf_counter() - w0
    if proc.returncode != 0:
        return f"SEBE failed (exit {proc.returncode}): {proc.stderr.strip()[-400:]}"
    res = np.load(out)
    version = subprocess.run([str(peer_python), "-c", "import importlib.metadata as m; print(m.version('umep'))"],
                             capture_output=True, text=True).stdout.strip()
    return {"roof": res["roof"], "unshaded": res["unshaded"], "times": json.loads(str(res["times"])),
            "n_walls": int(res["n_walls"]), "process_wall_s": wall, "umep_version": version}


def pvsite_tile(tile, workdir: Path):
    """pvsite ``prepare`` on the tile's buildings, shading on and off; the shading steps timed alone.

    Returns the shaded ``Prepared``, its horizons, the horizons' losses on a
    horizontal plane with the sample points raised by the configured module
    height and at roof level (``module_height_m = 0``, as SEBE's roof pixels),
    and CPU seconds.
    """
    import dataclasses

    import pvsite
    from pvsite.presets import load_losses
    from pvsite.roofs import horizon as horizon_mod
    from pvsite.solar import shading

    path = workdir / "tile.gpkg"
    tile.to_crs("EPSG:4326").to_file(path, layer="buildings", driver="GPKG")
    kw = dict(footprints=path, weather=EPW, scenario="technical-max", panels=False)
    pvsite.prepare(shading=False, **kw)  # warm-up: imports, presets, the diffuse-IAM table of the tilts
    logging.disable(logging.WARNING)  # the input warnings were shown once by the warm-up
    c0 = time.process_time()
    pvsite.prepare(shading=False, **kw)
    t_off = time.process_time() - c0
    c0 = time.process_time()
    prep = pvsite.prepare(shading=True, **kw)
    t_on = time.process_time() - c0
    cfg = prep.config
    surveyed = type("Surveyed", (), {"roofs": prep.usable_roofs(), "planes": prep.planes})()
    c0 = time.process_time()
    hz = horizon_mod.roof_horizons(surveyed, prep.located.buildings, cfg.shading, cfg.heights)
    t_horizons = time.process_time() - c0
    site = (prep.located.site_lat_deg, prep.located.site_lon_deg, float(prep.inputs.weather_meta.get("altitude") or 0))
    losses = load_losses(cfg.system.losses)
    args = (prep.inputs.weather, site, prep.module, losses, cfg.system)
    c0 = time.process_time()
    shading.shading_losses(prep.planes, hz.point_horizon_deg, hz.point_plane, hz.point_weight, *args)
    t_losses = time.process_time() - c0
    flat = pd.DataFrame({"tilt_deg": 0.0, "azimuth_deg": 180.0, "mounting": "flush"}, index=prep.planes.index)
    horiz = shading.shading_losses(flat, hz.point_horizon_deg, hz.point_plane, hz.point_weight, *args)
    at_roof = dataclasses.replace(cfg.shading, module_height_m=0.0)
    hz0 = horizon_mod.roof_horizons(surveyed, prep.located.buildings, at_roof, cfg.heights)
    horiz0 = shading.shading_losses(flat, hz0.point_horizon_deg, hz0.point_plane, hz0.point_weight, *args)
    return prep, hz, {"raised": horiz, "roof_level": horiz0}, {
        "horizons": t_horizons, "shading_losses": t_losses, "prepare_on": t_on, "prepare_off": t_off}


def _roof_mean_loss(planes: pd.DataFrame, losses: pd.DataFrame) -> pd.Series:
    """Per-roof loss [%] of same-orientation planes: the planes' losses weighted by usable area (or equally)."""
    area = planes["usable_area_m2"].to_numpy(float) if "usable_area_m2" in planes.columns else np.ones(len(planes))
    w = area * losses["shading_applied"].to_numpy(bool)
    frame = pd.DataFrame({"roof_index": planes["roof_index"].to_numpy(), "w": w,
                          "wl": w * losses["shading_loss_pct"].fillna(0).to_numpy(float)})
    sums = frame.groupby("roof_index").sum()
    return sums["wl"] / sums["w"].where(sums["w"] > 0)


def agreement(x: np.ndarray, y: np.ndarray) -> dict:
    """r, bias (x − y), MAE of two per-roof loss vectors [pp]."""
    d = x - y
    return {"n": int(len(x)), "r": float(np.corrcoef(x, y)[0, 1]), "bias": float(d.mean()),
            "mae": float(np.abs(d).mean()), "mean_x": float(x.mean()), "mean_y": float(y.mean())}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--origin", type=float, nargs=2, default=ORIGIN, metavar=("X", "Y"),
                        help="lower-left corner of the tile [m, EPSG:32651]")
    parser.add_argument("--size", type=int, default=512, help="tile side [px = m]")
    parser.add_argument("--raster", type=Path, help="a shared rasters/height_*.tif instead of the Bund tile")
    parser.add_argument("--inset", type=float, default=1.5, help="roof pixels at least this far inside [m]")
    parser.add_argument("--peer-python", type=Path, default=PEER_PYTHON)
    parser.add_argument("--sebe-src", type=Path, default=SEBE_SRC)
    parser.add_argument("--csv", type=Path, help="write the per-roof table here")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    import geopandas as gpd

    if not FOOTPRINTS.exists() or not EPW.exists():
        print(f"skipped: shared data missing ({FOOTPRINTS.parent.parent})")
        return 0
    load = os.getloadavg()
    print(f"pvsite vs UMEP SEBE  {time.strftime('%Y-%m-%d %H:%M')}  {platform.machine()}, {os.cpu_count()} cores, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, numpy {np.__version__}")
    if args.raster:
        tile, dsm, labels, pixel_m, (lon, lat) = raster_scene(args.raster, args.inset)
        heights = tile["height_est_m"].to_numpy(float)
        print(f"tile {args.raster.name}: {dsm.shape[1]} × {dsm.shape[0]} px of {pixel_m:.3f} m on the ground "
              f"(EPSG:3857), lower-left {lon:.5f} E {lat:.5f} N; {len(tile)} blocks of one height "
              f"(4-connected), {int((heights > 60).sum())} over 60 m, tallest {heights.max():.0f} m; "
              f"the shared raster as the DSM (nodata → ground 0 m)")
    else:
        allb = gpd.read_file(FOOTPRINTS).to_crs(METRIC_CRS)
        tile = tile_buildings(allb, args.origin, args.size).reset_index(drop=True)
        heights = tile["height_est_m"].to_numpy(float)
        geoms = np.asarray(tile.geometry.array, dtype=object)
        dsm = rasterise_heights(geoms, heights, args.origin, args.size)
        labels = rasterise_labels(np.asarray(tile.geometry.buffer(-args.inset).array, dtype=object), args.origin,
                                  args.size)
        # the label must sit on its own building's roof height (a tower overlapping a low roof owns those pixels)
        labels = np.where((labels > 0) & (dsm == heights[np.maximum(labels - 1, 0)]), labels, 0)
        ll = gpd.GeoSeries(gpd.points_from_xy([args.origin[0]], [args.origin[1]]), crs=METRIC_CRS).to_crs(4326)
        lon, lat, pixel_m = float(ll.x[0]), float(ll.y[0]), 1.0
        print(f"tile {args.size} × {args.size} px at 1 m, lower-left ({args.origin[0]:.0f}, {args.origin[1]:.0f}) "
              f"EPSG:32651 = {lon:.5f} E {lat:.5f} N; {len(tile)} buildings wholly inside, "
              f"{int((heights > 60).sum())} over 60 m, tallest {heights.max():.0f} m; DSM from outlines × storeys × 3 m")
    tile["tile_id"] = np.arange(len(tile))
    tile["Id_src"] = [f"t{i}" for i in range(len(tile))]  # unique ids (the Bund source's are all '0' here)
    tile["Floor"] = np.maximum(np.rint(heights / 3.0), 1).astype(int)

    met, _ = met_from_epw(EPW)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        c0, w0 = time.process_time(), time.perf_counter()
        prep, hz, horiz, t_pv = pvsite_tile(tile, workdir)
        t_prepare = (time.process_time() - c0, time.perf_counter() - w0)
        peer = run_peer(dsm, met, lon, lat, args.peer_python, args.sebe_src, workdir, scale=1.0 / pixel_m)

    from pvsite.solar import yields

    roofs = prep.roofs
    key = roofs["building_id"].astype(str).str.slice(1).astype(int).to_numpy()
    run_loss = yields.roof_shading(prep.planes).reindex(roofs.index)["shading_loss_pct"].to_numpy(float)
    table = pd.DataFrame({"tile_id": key, "height_m": roofs["height_m"].to_numpy(float),
                          "pvsite_run_loss_pct": run_loss})
    for name, frame in horiz.items():
        table[f"pvsite_horizontal_{name}_loss_pct"] = _roof_mean_loss(prep.planes, frame).reindex(roofs.index).to_numpy()
    print(f"pvsite: {len(roofs)} roofs, {len(prep.planes)} planes, {len(hz.point_plane)} sample points, "
          f"{hz.n_sectors} sectors; pvsite side in all (warm-up, 2 prepares, 3 shading evaluations) "
          f"{t_prepare[0]:.1f} s CPU ({t_prepare[1]:.1f} s wall)")
    t_shade = t_pv["horizons"] + t_pv["shading_losses"]
    t_diff = t_pv["prepare_on"] - t_pv["prepare_off"]
    print(f"  shading CPU: roof_horizons {t_pv['horizons']:.2f} s + shading_losses {t_pv['shading_losses']:.2f} s "
          f"= {t_shade:.2f} s; whole prepare {t_pv['prepare_on']:.2f} s with shading − {t_pv['prepare_off']:.2f} s "
          f"without = {t_diff:.2f} s")
    if isinstance(peer, str):
        print(f"SEBE skipped: {peer}")
        return 0
    sums, counts = zonal_sum_count(peer["roof"], labels, len(tile))
    free, _ = zonal_sum_count(peer["unshaded"], labels, len(tile))
    with np.errstate(invalid="ignore", divide="ignore"):
        sebe_loss = 100.0 * (1.0 - sums / free)
        sebe_kwh = sums / counts
    table["sebe_pixels"] = counts[key]
    table["sebe_kwh_per_m2"] = sebe_kwh[key]
    table["sebe_loss_pct"] = sebe_loss[key]
    t = peer["times"]
    print(f"SEBE (umep {peer['umep_version']}, UMEP-processing SEBEfiles): "
          + ", ".join(f"{k} {v['cpu_s']:.1f} s" for k, v in t.items()) + f" CPU; {peer['n_walls']} wall pixels; "
          f"process {peer['process_wall_s']:.1f} s wall")
    both = table[np.isfinite(table["pvsite_run_loss_pct"]) & np.isfinite(table["sebe_loss_pct"])
                 & (table["sebe_pixels"] >= 10)]
    print(f"roofs compared (pvsite shaded planes, ≥ 10 SEBE roof pixels): {len(both)} of {len(table)}; "
          f"unshaded SEBE roof mean {np.nanmean(free[key] / counts[key]):.0f} kWh/m²")
    cols = [("pvsite horizontal, points at roof level", "pvsite_horizontal_roof_level_loss_pct"),
            ("pvsite horizontal, points +module h", "pvsite_horizontal_raised_loss_pct"),
            ("pvsite run (PV planes)", "pvsite_run_loss_pct")]
    rows = [(name, agreement(both[col].to_numpy(), both["sebe_loss_pct"].to_numpy())) for name, col in cols]
    low = both[both["height_m"] <= 30]
    if len(low) > 2:
        rows.append(("… roofs ≤ 30 m, roof level", agreement(low[cols[0][1]].to_numpy(),
                                                             low["sebe_loss_pct"].to_numpy())))
    print(f"{'pvsite figure vs SEBE':40s} {'n':>4s} {'r':>6s} {'bias pp':>8s} {'MAE pp':>7s} {'pvsite %':>9s} {'SEBE %':>7s}")
    for name, a in rows:
        print(f"{name:40s} {a['n']:4d} {a['r']:6.3f} {a['bias']:+8.2f} {a['mae']:7.2f} {a['mean_x']:9.2f} "
              f"{a['mean_y']:7.2f}")
    for label, key_t in (("SEBE whole (sun map + walls + 145 casts incl. wall loop)", "total"),
                         ("SEBE core only (SEBE_2015a_calc)", "sebe_calc")):
        for what, secs in (("shading steps", t_shade), ("prepare on − off", t_diff)):
            print(f"speed: {label} {t[key_t]['cpu_s']:.1f} s CPU / pvsite {what} {secs:.2f} s CPU "
                  f"= {t[key_t]['cpu_s'] / secs:.0f} ×")
    if args.csv:
        table.to_csv(args.csv, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
