"""Compare two output sets member by member (did a change move any output?).

Run from the repository root::

    .venv/bin/python benchmarks/same_outputs.py before/run.gpkg after/run.gpkg

Prints one line per member and exits 1 if any differs:

* GeoPackage: every layer read with pyogrio (attributes and geometries, WKB) equal,
  ``run_info`` without the keys that name the output set or its time, ``layer_styles`` without
  ``update_time``;
* CSV, QGIS project: bytes equal (the project's ``run_info`` ids and times blanked);
* workbook: every sheet's XML equal (the provenance values that name the set or its time blanked),
  shared strings equal;
* HTML report, PDF and charts are listed but not compared (they embed the time of writing and fonts).
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

#: run_info keys that differ between any two writes of the same run (ids, times) — and what matches them in text.
VARYING_KEYS = ("output_set_id", "output_set_created_utc", "created_utc", "run_seconds", "run_id")
_TIMES = re.compile(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z?|[0-9a-f]{32}")


def _gpkg(a: Path, b: Path) -> list[str]:
    import pyogrio
    bad = []
    layers_a = [str(x[0]) for x in pyogrio.list_layers(a)]
    layers_b = [str(x[0]) for x in pyogrio.list_layers(b)]
    if layers_a != layers_b:
        return [f"layers {layers_a} != {layers_b}"]
    for layer in layers_a:
        da = pyogrio.read_dataframe(a, layer=layer, use_arrow=True)
        db = pyogrio.read_dataframe(b, layer=layer, use_arrow=True)
        if layer == "run_info" and "key" in da.columns:
            da = da[~da["key"].isin(VARYING_KEYS)].reset_index(drop=True)
            db = db[~db["key"].isin(VARYING_KEYS)].reset_index(drop=True)
        if layer == "layer_styles":  # update_time: when the style was written
            da, db = da.drop(columns="update_time", errors="ignore"), db.drop(columns="update_time", errors="ignore")
        if list(da.columns) != list(db.columns) or len(da) != len(db):
            bad.append(f"{layer}: columns/rows differ")
            continue
        for c in da.columns:
            if c == "geometry" or str(da[c].dtype) == "geometry":
                import shapely
                same = (shapely.to_wkb(da[c].array) == shapely.to_wkb(db[c].array)).all()
            else:
                same = da[c].equals(db[c]) and str(da[c].dtype) == str(db[c].dtype)
            if not same:
                bad.append(f"{layer}.{c} differs")
    return bad


def _xlsx(a: Path, b: Path) -> list[str]:
    bad = []
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        names = sorted(n for n in za.namelist() if n.startswith("xl/"))
        if names != sorted(n for n in zb.namelist() if n.startswith("xl/")):
            return ["members differ"]
        for n in names:
            xa, xb = _TIMES.sub(b"T", za.read(n)), _TIMES.sub(b"T", zb.read(n))
            if xa != xb:
                bad.append(f"{n} differs")
    return bad


def _text(a: Path, b: Path, blank: bool) -> list[str]:
    xa, xb = a.read_bytes(), b.read_bytes()
    if blank:
        xa, xb = _TIMES.sub(b"T", xa), _TIMES.sub(b"T", xb)
    return [] if xa == xb else ["bytes differ"]


def compare(gpkg_a: Path, gpkg_b: Path) -> bool:
    stem_a, stem_b = gpkg_a.with_suffix(""), gpkg_b.with_suffix("")
    ok = True
    for fa in sorted(gpkg_a.parent.glob(stem_a.name + "*")):
        fb = gpkg_b.parent / (stem_b.name + fa.name[len(stem_a.name):])
        if not fb.exists():
            print(f"{fa.name}: missing in {gpkg_b.parent}")
            ok = False
            continue
        if fa.suffix == ".gpkg":
            bad = _gpkg(fa, fb)
        elif fa.suffix == ".xlsx":
            bad = _xlsx(fa, fb)
        elif fa.suffix in (".csv", ".qgs"):
            bad = _text(fa, fb, blank=fa.suffix == ".qgs")
        else:
            print(f"{fa.name}: not compared")
            continue
        print(f"{fa.name}: {'same' if not bad else '; '.join(bad[:10])}")
        ok &= not bad
    return ok


if __name__ == "__main__":
    sys.exit(0 if compare(Path(sys.argv[1]), Path(sys.argv[2])) else 1)
