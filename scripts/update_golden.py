"""Regenerate the golden tables of ``tests/test_golden.py`` after an intended change of behaviour.

The golden tables hold main's per-roof figures; ``tests/test_golden.py`` fails when
a roof's status, class, modules or capacity move.  When a change is *meant* to move
them (a corrected classification rule, say), run this script, look at the diff it
prints, and name every roof that moved in the commit message::

    .venv/bin/python scripts/update_golden.py            # the sample district (plan-2025, technical-max)
    .venv/bin/python scripts/update_golden.py --bund PATH/TO/shared/data   # also the real Bund outlines

The tables keep their columns (the columns main wrote); ``sample_layers.json``
keeps main's field lists (fields may be added, never lost) and gets the new
feature counts.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
#: The golden figures are unshaded (``--no-shading``): shading is on by default since issue 12 item 6,
#: and tests/test_golden.py sets it off the same way.
UNSHADED = {"shading": {"enabled": False}}
sys.path.insert(0, str(ROOT))


#: Output columns renamed on purpose (old → new): the golden follows the new name.
RENAMED = {"share_of_target_pct": "potential_x_target"}


def _write_table(roofs, summary, name: str) -> None:
    """Write ``<name>.csv.gz`` and ``<name>_summary.csv`` with the golden's own columns; print what moved."""
    table = GOLDEN / f"{name}.csv.gz"
    old = pd.read_csv(table, dtype={"building_id": str, "street": str})
    new = pd.DataFrame(roofs[list(old.columns)]).copy()
    o, n = old.set_index("building_id"), new.set_index("building_id")
    for col in ("status", "building_class", "building_type", "n_modules"):
        moved = o[col].astype(str) != n[col].reindex(o.index).astype(str)
        for bid in o.index[moved]:
            print(f"{name}: {bid} {col} {o.at[bid, col]} → {n.at[bid, col]}")
    for col in ("responsible_department",):  # moves in groups: print the pairs and their counts
        moved = o[col].astype(str) != n[col].reindex(o.index).astype(str)
        pairs = (o.loc[moved, col].astype(str) + " → " + n[col].reindex(o.index)[moved].astype(str)).value_counts()
        for pair, count in pairs.items():
            print(f"{name}: {col} {pair}: {count} roofs")
    new.to_csv(table, index=False, compression={"method": "gzip", "mtime": 0})
    summ = GOLDEN / f"{name}_summary.csv"
    cols = [RENAMED.get(c, c) for c in pd.read_csv(summ, nrows=0).columns]
    pd.DataFrame(summary[cols]).to_csv(summ, index=False)


def sample() -> None:
    from pvsite import pipeline, write
    from pvsite.config import Config

    prepared = pipeline.prepare(Config().with_overrides(**UNSHADED))
    for scenario in ("plan-2025", "technical-max"):
        result = pipeline.size(prepared, scenario)
        _write_table(result.roofs, result.summary, f"sample_{scenario}")
    import pyogrio

    spec_path = GOLDEN / "sample_layers.json"
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    for layer in spec.values():
        if "fields" in layer:
            layer["fields"] = [RENAMED.get(f, f) for f in layer["fields"]]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sample.gpkg"
        write(pipeline.run(Config().with_overrides(**UNSHADED)), out)
        for layer in spec:
            if layer in ("run_info", "layer_styles"):  # not counted by the test (their length is metadata)
                continue
            n = int(pyogrio.read_info(out, layer=layer)["features"])
            if n != spec[layer]["n"]:
                print(f"sample_layers: {layer} {spec[layer]['n']} → {n} features")
            spec[layer]["n"] = n
    spec_path.write_text(json.dumps(spec, ensure_ascii=False, indent=1), encoding="utf-8")


def bund(shared: Path) -> None:
    from pvsite import pipeline
    from pvsite.config import Config

    cfg = Config().with_overrides(
        **UNSHADED,
        input={"footprints": str(shared / "footprints" / "shanghai_bund_buildings.gpkg")},
        policy={"scenario": "technical-max"}, output={"panels": False},
        exclusions={"layers": [{"path": str(shared / "constraints" / "shanghai_heritage_osm.gpkg")}]},
    )
    result = pipeline.run(cfg)
    _write_table(result.roofs, result.summary, "bund_technical-max")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bund", type=Path, default=None, help="shared data folder: also regenerate the Bund table")
    args = ap.parse_args(argv)
    sample()
    if args.bund is not None:
        bund(args.bund)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
