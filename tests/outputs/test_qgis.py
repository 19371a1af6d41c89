"""QGIS styles and project for the output GeoPackage, checked in real headless QGIS.

The GeoPackage is made by :func:`pvsite.outputs.gpkg.write_gpkg` from hand-made frames that
conform to :mod:`pvsite.outputs.schema` (six roofs of known capacity in two Changning streets,
EPSG:32651).  The checks in real QGIS run ``tests/outputs/qgis_check.py`` with the system
``/usr/bin/python3`` (Debian ``python3-qgis``); without it those tests skip with the fix.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
import shapely

from pvsite.outputs import schema
from pvsite.outputs.gpkg import write_gpkg
from pvsite.outputs.qgis import add_styles, class_breaks, write_project
from pvsite.planning.rollup import summarise
from pvsite.presets import load_classify

CLASS_ZH = load_classify("cn-default").class_names_zh

REPO = Path(__file__).resolve().parents[2]
SYSTEM_PY = os.environ.get("PYQGIS_PYTHON", "/usr/bin/python3")  # the python with PyQGIS
CHECK = REPO / "tests" / "outputs" / "qgis_check.py"

# six roofs: (street, class, footprint width × depth [m], pv area [m²]); 0.2 kW/m² of PV area
ROOFS = [
    ("新泾镇", "public_institution", 40, 30, 600.0),
    ("新泾镇", "factory", 80, 50, 2000.0),
    ("新泾镇", "residential", 20, 15, 0.0),
    ("华阳路街道", "other_public", 30, 25, 225.0),
    ("华阳路街道", "factory", 120, 60, 3600.0),
    ("华阳路街道", "other", 25, 20, 60.0),
]
KW_PER_M2 = 0.2
# Capacities 120, 400, 0, 45, 720, 12 kW fall in the classes ≤38 / 38–90 / 90–230 / 230–460 /
# 460–720 kW one each (hand-computed in test_layer_styles_rows), so with ColorBrewer YlOrRd-5
# (#ffffb2 #fecc5c #fd8d3c #f03b20 #bd0026) and grey #d9d9d9 for 0 kW each roof's colour is:
ROOF_PIXEL_COLOURS = {"B000": "#fd8d3c", "B001": "#f03b20", "B002": "#d9d9d9",
                      "B003": "#fecc5c", "B004": "#bd0026", "B005": "#ffffb2"}
YIELD = [1080.0, 1120.0, np.nan, 1010.0, 1150.0, 990.0]  # [kWh/kWp]


def _utm(lon, lat):
    return pyproj.Transformer.from_crs(4326, 32651, always_xy=True).transform(lon, lat)


def _frames():
    """roofs, streets, summary frames conforming to pvsite.outputs.schema."""
    x0, y0 = _utm(121.385, 31.215)  # Changning, Shanghai
    geoms, rows = [], []
    for i, (street, cls, w, d, pv) in enumerate(ROOFS):
        sx = 0 if street == "新泾镇" else 600
        x, y = x0 + sx + (i % 3) * 160, y0 + (i % 2) * 140
        geoms.append(shapely.box(x, y, x + w, y + d))
        cap = pv * KW_PER_M2
        yld = YIELD[i]
        kwh = cap * yld if cap > 0 else 0.0
        row = {c.name: pd.NA for c in schema.columns("roofs")}
        row.update(
            building_id=f"B{i:03d}", source_row=i, name=f"楼{i}", use="办公", storeys=3, height_m=12.0,
            year_built=2010, roof_type="flat", street=street, building_type="office", type_zh="办公",
            building_class=cls, class_zh=CLASS_ZH[cls], class_rule="test",
            class_confidence="high", class_overruled=None, responsible_department="区机管局",
            is_new=False, is_new_basis="year_built", area_m2=float(w * d), usable_area_m2=float(w * d) * 0.8,
            axis_azimuth_deg=90.0, roof_note="", mounting="tilted_rows", n_planes=1, tilt_deg=20.0,
            array_azimuth_deg=180.0, ground_coverage_ratio=0.5, power_density_w_per_m2=200.0,
            policy_ratio=0.5 if pv else 0.0, policy_rule="test", required_pv_area_m2=pv, pv_area_m2=pv,
            policy_exceeds_fit=False, capacity_kw=cap, annual_kwh=kwh,
            specific_yield_kwh_per_kwp=yld if cap > 0 else np.nan, performance_ratio=0.8,
            co2_t=kwh * 0.42e-3, status="sized" if cap > 0 else "not required", reject_reason="",
            geometry_note="",
        )
        for m in schema.MONTHS:
            row[m] = kwh / 12.0
        rows.append(row)
    roofs = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=32651)
    summary = summarise(roofs, 16000.0, CLASS_ZH, streets=["新泾镇", "华阳路街道"])
    st = summary[summary["level"] == "street"].reset_index(drop=True)
    hull = [shapely.convex_hull(shapely.union_all(roofs.geometry[roofs["street"] == k].to_numpy())).buffer(60)
            for k in st["key"]]
    streets = gpd.GeoDataFrame(st, geometry=hull, crs=32651)
    return roofs, streets, summary


def _rejected(roofs):
    """Two unusable inputs, as the pipeline writes them: a self-crossing polygon and a missing geometry."""
    x, y = roofs.total_bounds[:2]
    bowtie = shapely.Polygon([(x, y - 80), (x + 30, y - 50), (x + 30, y - 80), (x, y - 50)])
    return gpd.GeoDataFrame({"building_id": ["R1", "R2"], "source_row": [6, 7], "name": ["坏楼", None],
                             "reject_reason": ["self-intersection", "no geometry"]},
                            geometry=[bowtie, None], crs=32651)


def _write(tmp_path, name="pvsite_test.gpkg", rejected=False):
    roofs, streets, summary = _frames()
    run_info = {"scenario": "2025", "note": 'a <b> & "c"', "synthetic_sample": "false"}
    path = write_gpkg(tmp_path / name, roofs, streets, summary, run_info,
                      rejected=_rejected(roofs) if rejected else None)
    return path, roofs, streets, summary


def _styles(path):
    with sqlite3.connect(path) as con:
        cols = [r[1] for r in con.execute("PRAGMA table_info(layer_styles)")]
        rows = con.execute("SELECT * FROM layer_styles ORDER BY id").fetchall()
    return [dict(zip(cols, r)) for r in rows]


def test_layer_styles_rows(tmp_path):
    path, roofs, streets, _ = _write(tmp_path)
    add_styles(path)
    rows = _styles(path)
    by_layer: dict[str, list] = {}
    for r in rows:
        by_layer.setdefault(r["f_table_name"], []).append(r)
    assert set(by_layer) == {"roofs", "streets", "summary", "run_info"}
    assert [r["styleName"] for r in by_layer["roofs"]] == [
        "装机容量 capacity_kw", "等效利用小时 specific_yield", "政策类别 class_zh"]
    for r in rows:
        # QGIS finds a style only with '' (not NULL) catalog/schema, and the layer's geometry column
        assert r["f_table_catalog"] == "" and r["f_table_schema"] == ""
        assert r["f_geometry_column"] == ("geom" if r["f_table_name"] in ("roofs", "streets") else "")
        assert len(r["styleName"]) <= 30
        ET.fromstring(r["styleQML"].split("\n", 1)[1])  # valid XML after the DOCTYPE line
    for layer, rs in by_layer.items():
        assert sum(r["useAsDefault"] for r in rs) == 1, layer
    default_roofs = next(r for r in by_layer["roofs"] if r["useAsDefault"])
    assert default_roofs["styleName"].startswith("装机容量")
    # registered as an attributes table, as QGIS/GDAL do
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT data_type FROM gpkg_contents WHERE table_name='layer_styles'"
                           ).fetchone() == ("attributes",)
    assert "layer_styles" in pyogrio.list_layers(path)[:, 0]
    assert pyogrio.read_info(path, layer="layer_styles")["features"] == len(rows)

    # aliases: every schema column present, with field index = position after fid
    qml = ET.fromstring(default_roofs["styleQML"].split("\n", 1)[1])
    aliases = {a.get("field"): (a.get("name"), int(a.get("index"))) for a in qml.iter("alias")}
    names = schema.column_names("roofs")
    assert len(aliases) == len(names)
    assert aliases["capacity_kw"] == ("装机容量(kW)", names.index("capacity_kw") + 1)
    assert aliases["kwh_m07"][0] == "7月发电量(kWh)"
    # graduated ranges: grey no-PV class then quantile classes covering the largest capacity
    rng = [(float(r.get("lower")), float(r.get("upper"))) for r in qml.iter("range")]
    caps = roofs["capacity_kw"].to_numpy(float)
    # capacities 120, 400, 0, 45, 720, 12 kW: quintiles of the 5 positive ones are
    # 38.4, 90, 232, 464 → rounded to 2 digits; the top bound is the largest, 720
    assert [hi for _, hi in rng] == [0.0, 38.0, 90.0, 230.0, 460.0, 720.0]
    assert rng[0][1] == 0.0
    assert rng[-1][1] >= caps.max() and len(rng) - 1 == len(class_breaks(caps))
    for c in caps[caps > 0]:  # every positive capacity falls in exactly one quantile class
        assert sum(lo < c <= hi for lo, hi in rng[1:]) == 1
    # the street style labels with the Chinese expression
    st_qml = ET.fromstring(next(r for r in by_layer["streets"] if r["useAsDefault"])["styleQML"].split("\n", 1)[1])
    assert st_qml.get("labelsEnabled") == "1"
    expr = st_qml.find(".//text-style").get("fieldName")
    assert '"key_zh"' in expr and "format_number" in expr and "\\n" in expr and "\n" not in expr

    # Chinese aliases in every stored QML, for every schema column of the layer
    for r in rows:
        doc = ET.fromstring(r["styleQML"].split("\n", 1)[1])
        got = {a.get("field"): a.get("name") for a in doc.iter("alias")}
        layer = r["f_table_name"]
        want = schema.aliases(layer) if layer in schema.LAYERS else {"key": "参数", "value": "取值"}
        assert got == want, layer

    # idempotent: a second call replaces pvsite's rows
    add_styles(path)
    assert len(_styles(path)) == len(rows)


def test_class_breaks_hand_example():
    # 5 quantiles of 1..10 → 2.8, 4.6, 6.4, 8.2 (2 significant digits), top = 10
    assert class_breaks(np.arange(1.0, 11.0)) == [2.8, 4.6, 6.4, 8.2, 10.0]
    # zeros / NaN ignored; all-equal values give one class whose bound is ≥ the value
    assert class_breaks(np.array([0.0, np.nan, 123.4, 123.4])) == [130.0]
    assert class_breaks(np.array([0.0, np.nan])) == []
    # yields around 1000–1200 need 3 digits to stay distinct
    b = class_breaks(np.array([1010.0, 1050.0, 1090.0, 1130.0, 1170.0, 1190.0]))
    assert len(b) == len(set(b)) >= 4 and b[-1] >= 1190.0


def test_text_is_escaped_in_qml_and_project(tmp_path):
    bad = ['<街道> & "A"', "B's <b>&amp;"]
    roofs, streets, _ = _frames()
    roofs["street"] = [bad[0]] * 3 + [bad[1]] * 3
    summary = summarise(roofs, 16000.0, CLASS_ZH, streets=bad)
    streets = gpd.GeoDataFrame(summary[summary["level"] == "street"].reset_index(drop=True),
                               geometry=list(streets.geometry[:2]), crs=32651)
    path = write_gpkg(tmp_path / "esc&<x>.gpkg", roofs, streets, summary,
                      {"k<": 'v & "q" </qgis>'})
    styles = add_styles(path)
    for s in styles:
        ET.fromstring(s.qml.split("\n", 1)[1])
    qgs = write_project(path)
    root = ET.parse(qgs).getroot()
    sources = [e.text for e in root.iter("datasource")]
    assert "./esc&<x>.gpkg|layername=roofs" in sources  # escaped in XML, exact once parsed
    assert root.find("projectCrs/spatialrefsys/authid").text == "EPSG:32651"


def test_project_structure(tmp_path):
    path, *_ = _write(tmp_path, rejected=True)
    add_styles(path)
    sub = tmp_path / "proj"
    sub.mkdir()
    qgs = write_project(path, sub / "p.qgs")
    root = ET.parse(qgs).getroot()
    tree = [e.get("source") for e in root.iter("layer-tree-layer")]
    order = ("roofs", "rejected", "streets", "summary", "run_info")
    assert tree == [f"../pvsite_test.gpkg|layername={n}" for n in order]
    ml = {e.find("datasource").text.split("=")[-1]: e for e in root.iter("maplayer")}
    assert ml["roofs"].find("renderer-v2").get("type") == "graduatedSymbol"
    assert ml["streets"].get("labelsEnabled") == "1" and ml["streets"].find("labeling") is not None
    assert ml["summary"].get("geometry") == "No geometry"
    assert root.find("properties/Paths/Absolute").text == "false"
    default = write_project(path)
    assert default == path.with_suffix(".qgs")
    assert ET.parse(default).getroot().find(".//datasource").text == "./pvsite_test.gpkg|layername=roofs"


def _pyqgis_missing() -> str | None:
    if not Path(SYSTEM_PY).exists():
        return f"{SYSTEM_PY} not found (python3-qgis not installed: run scripts/install_qgis.sh)"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    r = subprocess.run([SYSTEM_PY, "-c", "import qgis.core"], capture_output=True, env=env, timeout=120)
    return None if r.returncode == 0 else "python3-qgis not installed: run scripts/install_qgis.sh"


@pytest.mark.qgis
def test_opens_styled_in_real_qgis(tmp_path):
    reason = _pyqgis_missing()
    if reason:
        pytest.skip(reason)
    path, roofs, streets, summary = _write(tmp_path, rejected=True)
    add_styles(path)
    qgs = write_project(path)
    counts = {n: int(pyogrio.read_info(path, layer=n)["features"])
              for n in ("roofs", "streets", "summary", "run_info", "rejected")}
    assert counts == {"roofs": 6, "streets": 2, "summary": len(summary), "run_info": 3, "rejected": 2}
    expect = {
        "counts": counts,
        "aliases": {
            "roofs": {c: schema.aliases("roofs")[c] for c in ("capacity_kw", "class_zh", "kwh_m12",
                                                              "specific_yield_kwh_per_kwp")},
            "streets": {c: schema.aliases("streets")[c] for c in ("key_zh", "capacity_kw", "potential_x_target")},
            "summary": {c: schema.aliases("summary")[c] for c in ("level", "annual_mwh")},
            "run_info": {"key": "参数", "value": "取值"},
            "rejected": {"reject_reason": "剔除原因", "building_id": "建筑编号"},
        },
        "renderers": {"roofs": "graduatedSymbol", "streets": "graduatedSymbol", "rejected": "singleSymbol"},
        "styles": {"roofs": 3, "streets": 2},
        "roof_colours": ROOF_PIXEL_COLOURS,
    }
    exp_file = tmp_path / "expect.json"
    exp_file.write_text(json.dumps(expect, ensure_ascii=False), encoding="utf-8")
    out = REPO / "outputs"
    out.mkdir(exist_ok=True)
    png = out / "qgis_render_test.png"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["QT_QPA_PLATFORM"] = "offscreen"
    # cwd is not the GeoPackage's folder: the project's relative paths must resolve from the .qgs
    r = subprocess.run([SYSTEM_PY, str(CHECK), str(path), str(qgs), str(png), "--expect", str(exp_file)],
                       capture_output=True, text=True, env=env, timeout=300, cwd=REPO)
    assert r.stdout.strip(), r.stderr[-3000:]
    report = json.loads(r.stdout[r.stdout.index("{"):])
    (out / "qgis_check_report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    failed = [c for c in report["checks"] if not c["ok"]]
    assert r.returncode == 0 and not failed, json.dumps(failed, ensure_ascii=False, indent=1)
    names = {c["check"] for c in report["checks"]}
    # the checks that matter ran (a check script that silently skipped them would pass otherwise)
    for must in ("gpkg:roofs:renderer", "gpkg:streets:labels_enabled", "gpkg:roofs:class_style_loads",
                 "project:read", "project:crs", "render:roof_colours", "project:roofs:aliases"):
        assert must in names
    assert report["info"]["crs"] == "EPSG:32651"
    assert png.stat().st_size > 10_000


def test_install_script_exits_0_with_reason_when_it_cannot_install(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "apt-get").write_text("#!/bin/sh\necho 'E: could not resolve host' >&2\nexit 100\n")
    (fake / "apt-get").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}", "PYQGIS_PYTHON": str(tmp_path / "nopython")}
    r = subprocess.run(["bash", str(REPO / "scripts" / "install_qgis.sh")], capture_output=True, text=True,
                       env=env, timeout=60)
    assert r.returncode == 0
    assert "SKIPPED" in r.stdout and "QGIS tests will be skipped" in r.stdout


@pytest.mark.slow
@pytest.mark.qgis
def test_district_output_renders_in_real_qgis(tmp_path):
    """The real pipeline's output on the sample district opens styled in QGIS; the PNG goes to outputs/."""
    reason = _pyqgis_missing()
    if reason:
        pytest.skip(reason)
    from pvsite import outputs, pipeline
    from pvsite.config import Config

    written = outputs.write_all(pipeline.run(Config()), tmp_path / "pvsite_district.gpkg")
    path, qgs = written.gpkg, written.qgs
    out = REPO / "outputs"
    out.mkdir(exist_ok=True)
    png = out / "pvsite_district.png"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["QT_QPA_PLATFORM"] = "offscreen"
    r = subprocess.run([SYSTEM_PY, str(CHECK), str(path), str(qgs), str(png)],
                       capture_output=True, text=True, env=env, timeout=600, cwd=REPO)
    assert r.stdout.strip(), r.stderr[-3000:]
    report = json.loads(r.stdout[r.stdout.index("{"):])
    failed = [c for c in report["checks"] if not c["ok"]]
    assert r.returncode == 0 and not failed, json.dumps(failed, ensure_ascii=False, indent=1)
    names = {c["check"] for c in report["checks"]}
    for layer in ("roofs", "streets", "district", "panels", "summary", "run_info"):
        assert any(n.startswith(f"gpkg:{layer}:") for n in names), layer
    assert "project:read" in names
    assert png.stat().st_size > 50_000
