"""Open a pvsite GeoPackage and its project in real, headless QGIS and check they are ready to use.

Run with the SYSTEM python that has PyQGIS (Debian ``python3-qgis``), not the venv::

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/outputs/qgis_check.py OUT.gpkg OUT.qgs OUT.png [--expect E.json]

``--expect`` is a JSON file ``{"counts": {layer: n}, "aliases": {layer: {field: alias}},
"renderers": {layer: type}, "styles": {layer: n_stored}, "roof_colours": {building_id: "#rrggbb"}}``
written by the caller (the venv test, from pyogrio, pvsite.outputs.schema and hand-computed classes).
Without ``--expect``, counts come from sqlite ``COUNT(*)`` and aliases from the GeoPackage's
``gpkg_data_columns`` titles; without ``roof_colours`` each roof's pixel is compared with the
colour its own renderer gives it.

Checks: each layer opened from the GeoPackage is valid, has the expected feature count,
got its stored default style (renderer type, aliases, street labels), lists its stored
styles, and the non-default class style loads as a categorised renderer; the project
reads, every layer in it is valid and styled, its CRS equals the layers'; roofs + streets
render to a PNG whose roofs show their class colours.  Prints a JSON report; exit 1 on
any failed check.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # noqa: E402
    Qgis,
    QgsApplication,
    QgsExpressionContextUtils,
    QgsFeatureRequest,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsProject,
        QgsRectangle,
    QgsRenderContext,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize  # noqa: E402
from qgis.PyQt.QtGui import QColor, QFontDatabase  # noqa: E402
from qgis.PyQt.QtXml import QDomDocument  # noqa: E402

EXPECTED_RENDERER = {"roofs": "graduatedSymbol", "streets": "graduatedSymbol"}


def _default_expectations(gpkg: str) -> dict:
    con = sqlite3.connect(gpkg)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM gpkg_contents WHERE data_type IN ('features','attributes') "
            "AND table_name != 'layer_styles'")]
        counts = {t: con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
        aliases: dict = {}
        try:
            for t, c, title in con.execute("SELECT table_name, column_name, title FROM gpkg_data_columns"):
                if title:
                    aliases.setdefault(t, {})[c] = title
        except sqlite3.OperationalError:
            pass
    finally:
        con.close()
    return {"counts": counts, "aliases": aliases, "renderers": EXPECTED_RENDERER, "styles": {}}


class Report:
    def __init__(self):
        self.checks: list[dict] = []
        self.info: dict = {}

    def check(self, name: str, ok: bool, detail=None) -> bool:
        self.checks.append({"check": name, "ok": bool(ok), "detail": detail})
        return bool(ok)

    @property
    def ok(self) -> bool:
        return all(c["ok"] for c in self.checks)


def _layer_checks(rep: Report, layer: QgsVectorLayer, name: str, exp: dict, where: str) -> None:
    rep.check(f"{where}:{name}:valid", layer.isValid())
    if not layer.isValid():
        return
    if name in exp["counts"]:
        rep.check(f"{where}:{name}:feature_count", layer.featureCount() == exp["counts"][name],
                  {"qgis": layer.featureCount(), "expected": exp["counts"][name]})
    if name in exp["renderers"]:
        rtype = layer.renderer().type() if layer.renderer() else None
        rep.check(f"{where}:{name}:renderer", rtype == exp["renderers"][name],
                  {"qgis": rtype, "expected": exp["renderers"][name]})
    want = exp["aliases"].get(name, {})
    if not want:
        return _label_checks(rep, layer, name, where)
    fields = layer.fields()
    wrong = {}
    for field, alias in want.items():
        idx = fields.indexOf(field)
        got = layer.attributeAlias(idx) if idx >= 0 else None
        if got != alias:
            wrong[field] = {"qgis": got, "expected": alias}
    rep.check(f"{where}:{name}:aliases", not wrong,
              {"n_checked": len(want), "wrong": wrong} if wrong else {"n_checked": len(want)})
    _label_checks(rep, layer, name, where)


def _label_checks(rep: Report, layer: QgsVectorLayer, name: str, where: str) -> None:
    if name == "streets":
        rep.check(f"{where}:streets:labels_enabled", layer.labelsEnabled() and layer.labeling() is not None)
        if layer.labeling() is not None:
            s = layer.labeling().settings()
            rep.info.setdefault("street_label", {"expression": s.fieldName, "isExpression": s.isExpression,
                                                 "font": s.format().font().family()})


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("gpkg")
    ap.add_argument("qgs")
    ap.add_argument("png")
    ap.add_argument("--expect")
    ap.add_argument("--size", default="1600x1200")
    args = ap.parse_args(argv)
    exp = _default_expectations(args.gpkg)
    if args.expect:
        with open(args.expect, encoding="utf-8") as f:
            exp.update(json.load(f))

    app = QgsApplication([], False)
    app.initQgis()
    messages: list[dict] = []
    QgsApplication.messageLog().messageReceived.connect(
        lambda msg, tag, level: messages.append({"tag": tag, "level": int(level), "message": msg}))
    rep = Report()
    rep.info["qgis_version"] = Qgis.QGIS_VERSION
    rep.info["cjk_font_installed"] = any("CJK" in f for f in QFontDatabase().families())

    # ---- 1. layers straight from the GeoPackage: stored default styles
    direct = {}
    for name in exp["counts"]:
        layer = QgsVectorLayer(f"{args.gpkg}|layername={name}", name, "ogr")
        direct[name] = layer
        _layer_checks(rep, layer, name, exp, "gpkg")
        if layer.isValid() and name in exp.get("styles", {}):
            n, ids, names, _descs, err = layer.listStylesInDatabase()
            # listStylesInDatabase: the first n are this layer's, the rest belong to other layers
            ids, names = ids[:n], names[:n]
            rep.check(f"gpkg:{name}:stored_styles", n == exp["styles"][name],
                      {"n": n, "names": names, "error": err})
            rep.info.setdefault("stored_styles", {})[name] = names
            if name == "roofs":
                cls = [i for i, nm in zip(ids, names) if "class_zh" in nm]
                ok = False
                detail = None
                if cls:
                    qml = layer.getStyleFromDatabase(cls[0])[0]
                    doc = QDomDocument()
                    doc.setContent(qml)
                    probe = layer.clone()
                    okimp, msg = probe.importNamedStyle(doc)
                    r = probe.renderer()
                    cats = [c.value() for c in r.categories()] if r and r.type() == "categorizedSymbol" else []
                    ok = okimp and len(cats) >= 5
                    detail = {"imported": okimp, "message": msg, "categories": cats}
                rep.check("gpkg:roofs:class_style_loads", ok, detail)

    # ---- 2. the project
    project = QgsProject.instance()
    read_ok = project.read(args.qgs)
    rep.check("project:read", read_ok, project.error() if not read_ok else None)
    by_source = {}
    for lid, layer in project.mapLayers().items():
        src = layer.source()
        key = src.split("layername=")[-1].split("|")[0] if "layername=" in src else layer.name()
        by_source[key] = layer
    rep.check("project:all_layers", set(by_source) == set(exp["counts"]),
              {"project": sorted(by_source), "gpkg": sorted(exp["counts"])})
    for name, layer in by_source.items():
        _layer_checks(rep, layer, name, exp, "project")
    tree = [n.layer().source().split("layername=")[-1] for n in project.layerTreeRoot().findLayers() if n.layer()]
    rep.info["project_layer_order"] = tree
    rep.check("project:roofs_above_streets",
              "roofs" in tree and "streets" in tree and tree.index("roofs") < tree.index("streets"), tree)
    if "roofs" in direct and direct["roofs"].isValid():
        rep.check("project:crs", project.crs().authid() == direct["roofs"].crs().authid()
                  and project.crs().isValid(),
                  {"project": project.crs().authid(), "roofs": direct["roofs"].crs().authid()})
        rep.info["crs"] = project.crs().authid()
    with open(args.qgs, encoding="utf-8") as f:
        text = f.read()
    rep.check("project:relative_paths", "<datasource>./" in text
              and os.path.dirname(os.path.abspath(args.gpkg)) not in text)

    # ---- 3. render roofs + streets (project layers) to PNG
    roofs, streets = by_source.get("roofs"), by_source.get("streets")
    if roofs is not None and streets is not None and roofs.isValid() and streets.isValid():
        w, h = (int(v) for v in args.size.split("x"))
        ms = QgsMapSettings()
        ms.setLayers([roofs, streets])  # first = top
        ms.setDestinationCrs(project.crs())
        ext = QgsRectangle(roofs.extent())
        ext.combineExtentWith(streets.extent())
        ext.scale(1.08)
        ms.setExtent(ext)
        ms.setOutputSize(QSize(w, h))
        ms.setBackgroundColor(QColor(255, 255, 255))
        ms.setFlag(QgsMapSettings.Antialiasing, True)
        job = QgsMapRendererSequentialJob(ms)
        job.start()
        job.waitForFinished()
        img = job.renderedImage()
        saved = img.save(args.png, "PNG")
        rep.check("render:saved", saved and os.path.getsize(args.png) > 0, args.png)
        colours = set()
        for y in range(0, img.height(), 4):
            for x in range(0, img.width(), 4):
                colours.add(img.pixel(x, y))
        rep.check("render:not_blank", len(colours) >= 8, {"distinct_colours_sampled": len(colours)})
        # each roof's interior pixel shows its class colour (labels may cover a few)
        m2p = ms.mapToPixel()
        ctx_renderer = roofs.renderer().clone()
        rc = QgsRenderContext.fromMapSettings(ms)
        rc.expressionContext().appendScope(QgsExpressionContextUtils.layerScope(roofs))
        ctx_renderer.startRender(rc, roofs.fields())
        hits, total, misses = 0, 0, []
        for feat in roofs.getFeatures(QgsFeatureRequest()):
            g = feat.geometry()
            if g is None or g.isEmpty():
                continue
            rc.expressionContext().setFeature(feat)  # as the map renderer does before asking
            sym = ctx_renderer.symbolForFeature(feat, rc)
            # only roofs big enough on screen: a point ≥ 3 px inside the outline
            inner = g.buffer(-3 * ms.mapUnitsPerPixel(), 2)
            if sym is None or inner is None or inner.isEmpty():
                continue
            p = m2p.transform(inner.pointOnSurface().asPoint())
            px = QColor(img.pixel(int(round(p.x())), int(round(p.y()))))
            want = sym.color()
            if exp.get("roof_colours") and "building_id" in roofs.fields().names():
                want = QColor(exp["roof_colours"].get(str(feat["building_id"]), "#000000"))
            total += 1
            if max(abs(px.red() - want.red()), abs(px.green() - want.green()), abs(px.blue() - want.blue())) <= 6:
                hits += 1
            else:
                misses.append({"fid": feat.id(), "pixel": px.name(), "symbol": want.name()})
        ctx_renderer.stopRender(rc)
        rep.check("render:roof_colours", total > 0 and hits >= 0.9 * total,
                  {"roofs": total, "matching": hits, "misses": misses[:5]})
    else:
        rep.check("render:layers", False, "roofs/streets missing from project")

    rep.info["qgis_messages"] = messages[:30]  # every level: info (0), warning (1), critical (2)
    print(json.dumps({"ok": rep.ok, "checks": rep.checks, "info": rep.info}, ensure_ascii=False, indent=1))
    sys.stdout.flush()
    sys.stderr.flush()
    # PyQGIS 3.22 often segfaults in its shutdown (exitQgis / interpreter teardown) when
    # Python-owned layers or renderers are still alive; the checks are done, so leave
    # without running that teardown, with the report's exit code.
    os._exit(0 if rep.ok else 1)


if __name__ == "__main__":
    sys.exit(main())
