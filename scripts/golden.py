"""Regenerate every golden table of ``tests/golden/`` (for an intended change of figures only).

    PYTHONPATH=. .venv/bin/python scripts/golden.py [--shared-data ../shared/data] [--only sample|bund]

Writes, from the current code:

* ``sample_plan-2025`` and ``sample_technical-max`` — the embedded sample district;
* ``bund_technical-max`` — the real Bund outlines, heritage layer excluded, no panels layer
  (needs the shared data);
* ``sample_layers.json`` — layers, fields and feature counts of the sample GeoPackage.

Each ``<name>.csv.gz`` holds the per-roof columns :mod:`tests.test_golden` compares and
``<name>_summary.csv`` the rollup.  Say in the commit message why the figures moved and give
the before/after district totals this script prints.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pyogrio

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "golden"
#: The golden figures are unshaded (``--no-shading``): shading is on by default since issue 12 item 6,
#: and tests/test_golden.py sets it off the same way.
UNSHADED = {"shading": {"enabled": False}}
COLUMNS = ["building_id", "status", "building_class", "building_type", "responsible_department", "is_new", "street",
           "area_m2", "usable_area_m2", "policy_ratio", "pv_area_m2", "n_modules", "capacity_kw", "annual_kwh",
           "co2_t", "specific_yield_kwh_per_kwp", "excluded", "mounting", "tilt_deg", "array_azimuth_deg", "n_planes"]


def _capture(name: str, result) -> None:
    old = GOLDEN / f"{name}_summary.csv"
    before = pd.read_csv(old).query("level == 'district'").iloc[0] if old.is_file() else None
    pd.DataFrame(result.roofs[COLUMNS]).to_csv(GOLDEN / f"{name}.csv.gz", index=False)
    result.summary.to_csv(old, index=False)
    d = result.district
    was = (f"before {before['capacity_kw']:,.2f} kW, {before['annual_mwh']:,.3f} MWh, "
           f"{int(before['n_sized']):,} sized; " if before is not None else "")
    print(f"{name}: {was}now {d['capacity_kw']:,.2f} kW, {d['annual_mwh']:,.3f} MWh, {int(d['n_sized']):,} sized "
          f"({len(result.roofs):,} roofs)")


def _layers(result) -> None:
    from pvsite import write

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sample.gpkg"
        write(result, out)
        layers = {}
        for layer, _ in pyogrio.list_layers(out):
            info = pyogrio.read_info(out, layer=layer)
            layers[layer] = {"fields": list(info["fields"]), "n": int(info["features"])}
    (GOLDEN / "sample_layers.json").write_text(json.dumps(layers, ensure_ascii=False, indent=1) + "\n",
                                               encoding="utf-8")
    print("sample_layers.json:", {k: v["n"] for k, v in layers.items()})


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared-data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--only", choices=("sample", "bund"), default=None)
    args = ap.parse_args(argv)
    from pvsite import pipeline
    from pvsite.config import Config

    if args.only in (None, "sample"):
        prepared = pipeline.prepare(Config().with_overrides(**UNSHADED))
        plan = pipeline.size(prepared, "plan-2025")
        _capture("sample_plan-2025", plan)
        _capture("sample_technical-max", pipeline.size(prepared, "technical-max"))
        _layers(plan)
    if args.only in (None, "bund"):
        data = args.shared_data
        if not (data / "footprints" / "shanghai_bund_buildings.gpkg").is_file():
            print(f"no shared data at {data}: Bund table not regenerated", file=sys.stderr)
            return 1
        cfg = Config().with_overrides(
            **UNSHADED,
            input={"footprints": str(data / "footprints" / "shanghai_bund_buildings.gpkg")},
            policy={"scenario": "technical-max"}, output={"panels": False},
            exclusions={"layers": [{"path": str(data / "constraints" / "shanghai_heritage_osm.gpkg")}]},
        )
        _capture("bund_technical-max", pipeline.run(cfg))
    return 0


if __name__ == "__main__":
    sys.exit(main())
