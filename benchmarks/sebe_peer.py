"""Run UMEP's SEBE core on one DSM tile, without QGIS (peer of ``benchmarks/shading_compare.py``).

Runs in the *peer's* virtualenv (never pvsite's), as a subprocess::

    /work/venv-sebe/bin/python benchmarks/sebe_peer.py IN.npz OUT.npz --sebe-src DIR

``IN.npz`` holds ``dsm`` (2-D float, metres above flat ground, row 0 = north),
``met`` (UMEP 24-column meteorological array, one row per hour), ``scale``
(pixels per metre), ``lon``, ``lat``, ``utc`` (hours), ``albedo``.

What runs is UMEP's own code, unchanged:

* from a checkout of UMEP-dev/UMEP-processing (GPL-3.0, hence not copied into
  pvsite; the QGIS plugin SEBE ships in): ``functions/SEBEfiles/sunmapcreator_2015a.py``
  (the year's irradiation distributed on Tregenza's 145 sky patches with
  Perez), ``functions/SEBEfiles/SEBE_2015a_calc_forprocessing.py`` (the 145
  shadow casts, roof and wall irradiation) and the ``util/SEBESOLWEIGCommonFiles``
  they import (sun position, Perez, ``shadowingfunction_wallheight_13``), imported
  as packages with only the plugin's QGIS ``__init__`` bypassed;
* from the ``umep`` PyPI package (whose older copy of SEBESOLWEIGCommonFiles
  lacks SEBE itself): ``findwalls`` (wall heights) and ``get_ders`` (slope /
  aspect of the DSM), as SEBE's QGIS algorithm calls them.

The wall aspect (UMEP's "Wall height and aspect" pre-processor, a separate
tool in QGIS) is taken from the DSM gradient instead of UMEP's Goodwin filter:
it only enters SEBE's wall irradiation, never the roofs compared here, and
SEBE's per-wall loop costs the same whatever its values.

``OUT.npz`` holds ``roof`` (SEBE's ``Energyyearroof``, kWh/m² per year, on each
pixel's own slope and aspect), ``unshaded`` (the same sums with every patch
visible — SEBE's formula with ``shadow = 1``, so its reflected term vanishes)
and ``times`` (CPU / wall seconds of each step).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import types
from pathlib import Path

import numpy as np


class _Feedback:
    """The few QgsProcessingFeedback methods SEBE calls."""

    def setProgress(self, *_):  # noqa: N802 - UMEP's API
        pass

    def setProgressText(self, *_):  # noqa: N802
        pass

    def isCanceled(self):  # noqa: N802
        return False


def _umep_processing(root: Path) -> None:
    """Make ``umepproc.functions`` / ``umepproc.util`` of a UMEP-processing checkout importable without QGIS.

    Only the plugin's top-level ``__init__.py`` (which imports QGIS) is bypassed: the
    sub-packages are imported as they are, so their relative imports stay intact.
    """
    for name, path in (("umepproc", root), ("umepproc.functions", root / "functions"),
                       ("umepproc.util", root / "util")):
        if name not in sys.modules:
            module = types.ModuleType(name)
            module.__path__ = [str(path)]
            sys.modules[name] = module


def _timed(times: dict, key: str, fn, *args):
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn(*args)
    times[key] = {"cpu_s": time.process_time() - c0, "wall_s": time.perf_counter() - w0}
    return out


def unshaded_roof(slope, aspect, radmat_i, radmat_d) -> np.ndarray:
    """SEBE's roof sum with every sky patch visible: Σ I·max(cos θ, 0) + Σ D [Wh/m² → kWh/m²]."""
    deg = np.pi / 180
    alt, azi = radmat_i[:, 0] * deg, radmat_i[:, 1] * deg
    total = np.zeros(slope.shape)
    for k in range(len(alt)):
        cos_i = np.sin(slope) * np.cos(alt[k]) * np.cos(azi[k] - aspect) + np.cos(slope) * np.sin(alt[k])
        total += radmat_i[k, 2] * np.maximum(cos_i, 0.0) + radmat_d[k, 2]
    return total / 1000.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inp")
    parser.add_argument("out")
    parser.add_argument("--sebe-src", required=True,
                        help="a UMEP-processing checkout (with functions/SEBEfiles and util/SEBESOLWEIGCommonFiles)")
    args = parser.parse_args(argv)
    src = Path(args.sebe_src)
    try:
        from umep.functions.wallalgorithms import findwalls
        from umep.util.misc import get_ders

        _umep_processing(src)
        from umepproc.functions.SEBEfiles.SEBE_2015a_calc_forprocessing import SEBE_2015a_calc as sebe
        from umepproc.functions.SEBEfiles.sunmapcreator_2015a import sunmapcreator_2015a as sunmap
        from umepproc.util.SEBESOLWEIGCommonFiles.Solweig_v2015_metdata_noload import Solweig_2015a_metdata_noload
    except (ImportError, OSError) as exc:
        print(f"SEBE unavailable: {exc}", file=sys.stderr)
        return 3
    data = np.load(args.inp)
    dsm, met, scale = data["dsm"].astype(float), data["met"].astype(float), float(data["scale"])
    location = {"longitude": float(data["lon"]), "latitude": float(data["lat"]), "altitude": float(np.median(dsm))}
    times: dict = {}
    c0, w0 = time.process_time(), time.perf_counter()
    _, altitude, azimuth, zen, jday, _, _, _ = _timed(times, "sun_positions", Solweig_2015a_metdata_noload, met,
                                                      location, float(data["utc"]))
    output = {"energymonth": 0, "energyyear": 1, "suitmap": 0}
    radmat_i, radmat_d, radmat_r = _timed(times, "sky_patches", sunmap, met, altitude, azimuth, False, output, jday,
                                          float(data["albedo"]), location, zen)
    slope, aspect = _timed(times, "slope_aspect", get_ders, dsm, scale)
    walls = _timed(times, "walls", findwalls, dsm, 2.0)
    dirwalls = aspect * 180 / np.pi  # see the module docstring
    result = _timed(times, "sebe_calc", sebe, dsm, scale, slope, aspect, 1.0 / scale, dsm.shape[0], dsm.shape[1],
                    0, 0, walls, dirwalls, float(data["albedo"]), 1.0, radmat_i, radmat_d, radmat_r, 0, _Feedback(),
                    float(walls.max()))
    times["total"] = {"cpu_s": time.process_time() - c0, "wall_s": time.perf_counter() - w0}
    unshaded = unshaded_roof(slope, aspect, radmat_i, radmat_d)
    np.savez(args.out, roof=result["Energyyearroof"], unshaded=unshaded, slope=slope,
             times=json.dumps(times), n_walls=int((walls > 0).sum()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
