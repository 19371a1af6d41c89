"""QGIS styling for a pvsite GeoPackage: default layer styles and a ready-made project.

Two public functions, both pure Python (no PyQGIS; the pipeline runs in a venv
without it):

:func:`add_styles`
    writes QGIS styles (QML) into the GeoPackage's ``layer_styles`` table, so
    that dragging the ``.gpkg`` into QGIS shows every layer styled, with the
    Chinese field aliases of :mod:`pvsite.outputs.schema`.
:func:`write_project`
    writes a QGIS project (``.qgs`` XML) beside the GeoPackage that opens all
    layers styled, in order, with relative paths and the layers' CRS.

How QGIS finds a stored style (QGIS 3.22 ``QgsOgrProviderMetadata::loadStyle``,
read in the QGIS source, and checked against a table that QGIS 3.22.16 itself
wrote): it reads the table ``layer_styles`` through OGR, so the table is
registered in ``gpkg_contents`` as an ``attributes`` table, and it filters on
``f_table_schema = '' AND f_table_name = <layer> AND f_geometry_column = <geom
column, '' for a table without geometry>``, preferring ``useAsDefault = 1``.
An empty string is not NULL there: a row with NULL ``f_table_schema`` is never
found.  The columns and their declared types are the ones QGIS creates.

All QML/QGS text is generated here with :mod:`xml.sax.saxutils` escaping, so
street names or run values holding ``<``, ``&`` or quotes stay valid XML.

Colours: the sequential ramps are ColorBrewer 5-class ``YlOrRd`` (roofs) and
``Blues`` (streets) (Brewer, C. A., colorbrewer2.org); class breaks are
quantiles of the values in the file, rounded to the fewest significant digits
that keep them distinct (a pvsite choice).  The label font is Noto Sans CJK SC
(Debian package ``fonts-noto-cjk``); Qt falls back to another CJK font when it
is missing.
"""

from __future__ import annotations

import logging
import math
import os
import sqlite3
import tomllib
import warnings
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

from pvsite.errors import InputError
from pvsite.config import ClassifyConfig
from pvsite.io import atomic
from pvsite.outputs import schema
from pvsite.presets import load_classify

log = logging.getLogger(__name__)

#: ``owner`` of the rows pvsite writes into ``layer_styles`` (re-running replaces them).
STYLE_OWNER = "pvsite"
#: QGIS version the XML is written for (district offices run QGIS 3.22).
QGIS_VERSION = "3.22.16-Białowieża"
#: Label font; Debian ``fonts-noto-cjk``.
FONT_FAMILY = "Noto Sans CJK SC"

#: ColorBrewer YlOrRd, 5 classes (light yellow → dark red).
YLORRD_5 = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
#: ColorBrewer Blues, 5 classes.
BLUES_5 = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
#: Roofs with no PV (0 kW, or no value).
NO_PV_COLOUR = "#d9d9d9"
#: Field aliases of the ``run_info`` table (not part of :mod:`pvsite.outputs.schema`).
RUN_INFO_ALIASES = {"key": "参数", "value": "取值"}
#: Layer names shown in the QGIS layer panel.
LAYER_TITLES = {
    "roofs": "屋顶光伏 roofs",
    "rejected": "剔除要素 rejected",
    "streets": "街道汇总 streets",
    "district": "全区 district",
    "panels": "光伏组件 panels",
    "registry_entries": "名录匹配 registry_entries",
    "summary": "汇总表 summary",
    "classification": "分类统计 classification",
    "run_info": "运行信息 run_info",
}
#: Layer-panel order, top first: roofs draw above the labelled streets.
LAYER_ORDER = ("panels", "roofs", "rejected", "registry_entries", "streets", "district", "summary",
               "classification", "run_info")

# Graduated measures: column → (style name ≤ 30 chars, unit, label for the no-value class).
_ROOF_MEASURES = {
    "capacity_kw": ("装机容量 capacity_kw", "kW", "0 kW（无光伏）"),
    "specific_yield_kwh_per_kwp": ("等效利用小时 specific_yield", "kWh/kWp", "无光伏 / 无数据"),
    "annual_kwh": ("年发电量 annual_kwh", "kWh", "0 kWh（无光伏）"),
    "co2_t": ("年减排CO2 co2_t", "t", "0 t（无光伏）"),
    "pv_area_m2": ("光伏面积 pv_area_m2", "m²", "0 m²（无光伏）"),
}
_STREET_MEASURES = {
    "capacity_kw": ("装机容量 capacity_kw", "kW", "0 kW"),
    "potential_x_target": ("潜力为目标倍数 potential_x_target", "×", "0 ×"),
}
#: Street label: name, then the scenario's potential and its multiple of the target (潜力, not achieved).
STREET_LABEL = (
    "coalesce(\"key_zh\", \"key\", '') || '\\n' || "
    "'潜力 ' || format_number(coalesce(\"capacity_kw\", 0), 0) || ' kW' || "
    "coalesce(' (' || format_number(\"potential_x_target\", 2) || ' × 目标)', '')"
)

_GEOM_KIND = {  # gpkg_geometry_columns.geometry_type_name → (QGIS wkbType, geometry, layerGeometryType)
    "POLYGON": ("Polygon", "Polygon", 2),
    "MULTIPOLYGON": ("MultiPolygon", "Polygon", 2),
    "CURVEPOLYGON": ("CurvePolygon", "Polygon", 2),
    "MULTISURFACE": ("MultiSurface", "Polygon", 2),
    "POINT": ("Point", "Point", 0),
    "MULTIPOINT": ("MultiPoint", "Point", 0),
    "LINESTRING": ("LineString", "Line", 1),
    "MULTILINESTRING": ("MultiLineString", "Line", 1),
}


# --------------------------------------------------------------------------- XML helpers
def _attr(value: object) -> str:
    """Escape a value for a double-quoted XML attribute (newlines kept as character references)."""
    return escape(str(value), {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def _el(tag: str, attrs: dict | None = None, children: list[str] | str | None = None) -> str:
    """One XML element; ``children`` is a list of element strings or escaped text."""
    a = "".join(f' {k}="{_attr(v)}"' for k, v in (attrs or {}).items())
    if children is None or children == [] or children == "":
        return f"<{tag}{a}/>"
    inner = children if isinstance(children, str) else "\n".join(children)
    return f"<{tag}{a}>{inner}</{tag}>"


def _text(tag: str, text: object) -> str:
    return f"<{tag}>{escape(str(text))}</{tag}>"


def _rgba(hex_colour: str, alpha: int = 255) -> str:
    """``#rrggbb`` → QGIS ``r,g,b,a``."""
    h = hex_colour.lstrip("#")
    return f"{int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha}"


def _options(props: dict[str, str]) -> list[str]:
    """Symbol-layer properties, in both forms QGIS 3.22 writes (``Option`` map and legacy ``prop``)."""
    opt = _el("Option", {"type": "Map"},
              [_el("Option", {"name": k, "value": v, "type": "QString"}) for k, v in props.items()])
    return [opt] + [_el("prop", {"k": k, "v": v}) for k, v in props.items()]


def _fill_symbol(name: str, fill: str, outline: str, outline_width_mm: float,
                 fill_style: str = "solid", outline_style: str = "solid") -> str:
    """A simple fill symbol; colours are QGIS ``r,g,b,a`` strings."""
    props = {
        "color": fill, "style": fill_style,
        "outline_color": outline, "outline_style": outline_style,
        "outline_width": f"{outline_width_mm:g}", "outline_width_unit": "MM",
        "joinstyle": "bevel", "offset": "0,0", "offset_unit": "MM",
        "border_width_map_unit_scale": "3x:0,0,0,0,0,0", "offset_map_unit_scale": "3x:0,0,0,0,0,0",
    }
    layer = _el("layer", {"class": "SimpleFill", "pass": "0", "locked": "0", "enabled": "1"}, _options(props))
    return _el("symbol", {"name": name, "type": "fill", "alpha": "1", "clip_to_extent": "1", "force_rhr": "0"},
               [layer])


# --------------------------------------------------------------------------- class breaks
def _round_sig(x: float, sig: int) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, sig - 1 - int(math.floor(math.log10(abs(x)))))


def _ceil_sig(x: float, sig: int) -> float:
    if x <= 0 or not math.isfinite(x):
        return x
    step = 10.0 ** (int(math.floor(math.log10(x))) - sig + 1)
    return math.ceil(x / step - 1e-9) * step


def class_breaks(values: np.ndarray, n_classes: int = 5) -> list[float]:
    """Upper bounds of quantile classes of the positive values, rounded for legends.

    Parameters
    ----------
    values : ndarray
        Values of one measure [any unit]; NaN and values ≤ 0 are ignored
        (they get the separate "no PV" class).
    n_classes : int
        Wanted number of classes.

    Returns
    -------
    list of float
        Strictly increasing upper bounds, at most ``n_classes``; the last is
        ≥ the largest value, so every positive value falls in a class.  Empty
        when no value is positive.  Bounds are rounded to the fewest
        significant digits (2–4) that keep the raw quantiles distinct.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        return []
    vmax = float(v.max())
    raw = np.unique(np.quantile(v, np.linspace(0.0, 1.0, n_classes + 1)[1:-1]))
    raw = raw[raw < vmax]
    for sig in (2, 3, 4):
        inner = sorted({_round_sig(float(q), sig) for q in raw})
        if len(inner) == raw.size:
            break
    top = _ceil_sig(vmax, sig)
    return [b for b in inner if 0 < b < top] + [top]


def _fmt(x: float) -> str:
    if abs(x) >= 100 or float(x).is_integer():
        return f"{x:,.0f}"
    return f"{x:.3g}"


# --------------------------------------------------------------------------- renderers
def _graduated(attr_expr: str, breaks: list[float], colours: tuple[str, ...], unit: str,
               zero_label: str, alpha: int = 255, outline: str = "#636363", outline_mm: float = 0.1) -> str:
    """Graduated-colour renderer: a "no value" class for ≤ 0 (first, so 0 matches it), then ``breaks``."""
    k = len(breaks)
    pick = [colours[int(i)] for i in np.round(np.linspace(0, len(colours) - 1, k))] if k else []
    ranges = [_el("range", {"symbol": "0", "lower": "-1e+300", "upper": "0", "label": zero_label, "render": "true"})]
    symbols = [_fill_symbol("0", _rgba(NO_PV_COLOUR, alpha), _rgba("#969696"), outline_mm)]
    lower = 0.0
    for i, (upper, colour) in enumerate(zip(breaks, pick), start=1):
        label = f"≤ {_fmt(upper)} {unit}" if i == 1 else f"{_fmt(lower)} – {_fmt(upper)} {unit}"
        ranges.append(_el("range", {"symbol": str(i), "lower": repr(float(lower)), "upper": repr(float(upper)),
                                    "label": label, "render": "true"}))
        symbols.append(_fill_symbol(str(i), _rgba(colour, alpha), _rgba(outline), outline_mm))
        lower = upper
    ramp = _el("colorramp", {"name": "[source]", "type": "gradient"},
               _options({"color1": _rgba(colours[0]), "color2": _rgba(colours[-1]),
                         "discrete": "0", "rampType": "gradient"}))
    method = _el("classificationMethod", {"id": "Quantile"}, [
        _el("symmetricMode", {"enabled": "0", "symmetrypoint": "0", "astride": "0"}),
        _el("labelFormat", {"format": "%1 - %2", "labelprecision": "0", "trimtrailingzeroes": "1"}),
    ])
    return _el("renderer-v2", {"type": "graduatedSymbol", "attr": attr_expr, "graduatedMethod": "GraduatedColor",
                               "symbollevels": "0", "forceraster": "0", "enableorderby": "0",
                               "referencescale": "-1"},
               [_el("ranges", None, ranges), _el("symbols", None, symbols), ramp, method])


def _classify_preset_of(con) -> str:
    """The classification preset a pvsite GeoPackage was made with (its run_info config), else the default."""
    try:
        row = con.execute("SELECT value FROM run_info WHERE key = 'config_toml'").fetchone()
        return tomllib.loads(row[0])["classify"]["preset"]
    except (sqlite3.Error, TypeError, KeyError, tomllib.TOMLDecodeError):
        return ClassifyConfig().preset


def _categorized_by_class(classes) -> str:
    """Categorised renderer on ``class_zh``: the preset's classes in plan order, in their colours, then the rest."""
    cats, syms = [], []
    for i, c in enumerate(classes):
        cats.append(_el("category", {"symbol": str(i), "value": c.name_zh, "label": c.name_zh,
                                     "render": "true"}))
        syms.append(_fill_symbol(str(i), _rgba(c.colour), _rgba("#444444"), 0.1))
    i = len(classes)  # an empty value is QGIS's "all other values" category
    cats.append(_el("category", {"symbol": str(i), "value": "", "label": "未分类", "render": "true"}))
    syms.append(_fill_symbol(str(i), _rgba("#ffffff"), _rgba("#444444"), 0.1))
    return _el("renderer-v2", {"type": "categorizedSymbol", "attr": "class_zh", "symbollevels": "0",
                               "forceraster": "0", "enableorderby": "0", "referencescale": "-1"},
               [_el("categories", None, cats), _el("symbols", None, syms)])


def _single(symbol: str) -> str:
    return _el("renderer-v2", {"type": "singleSymbol", "symbollevels": "0", "forceraster": "0",
                               "enableorderby": "0", "referencescale": "-1"},
               [_el("symbols", None, [symbol])])


def _labeling(expression: str) -> str:
    """Simple labelling by an expression: CJK font, white buffer, centred over the polygon, all shown."""
    style = _el("text-style", {
        "fontFamily": FONT_FAMILY, "namedStyle": "Regular", "fontSize": "10", "fontSizeUnit": "Point",
        "fontWeight": "50", "fontItalic": "0", "textColor": "20,20,20,255", "textOpacity": "1",
        "isExpression": "1", "fieldName": expression, "multilineHeight": "1", "allowHtml": "0",
        "blendMode": "0", "capitalization": "0", "fontKerning": "1", "fontLetterSpacing": "0",
        "fontWordSpacing": "0", "fontUnderline": "0", "fontStrikeout": "0", "textOrientation": "horizontal",
        "useSubstitutions": "0", "previewBkgrdColor": "255,255,255,255",
    }, [_el("text-buffer", {"bufferDraw": "1", "bufferSize": "1", "bufferSizeUnits": "MM",
                            "bufferColor": "255,255,255,255", "bufferOpacity": "0.85", "bufferNoFill": "1",
                            "bufferJoinStyle": "128", "bufferBlendMode": "0"})])
    fmt = _el("text-format", {"multilineAlign": "1", "wrapChar": "", "autoWrapLength": "0", "formatNumbers": "0",
                              "decimals": "3", "plussign": "0", "addDirectionSymbol": "0"})
    place = _el("placement", {"placement": "1", "centroidInside": "1", "centroidWhole": "0", "priority": "8",
                              "dist": "0", "distUnits": "MM", "offsetType": "0", "quadOffset": "4",
                              "xOffset": "0", "yOffset": "0", "offsetUnits": "MM", "rotationAngle": "0",
                              "fitInPolygonOnly": "0", "polygonPlacementFlags": "2"})
    render = _el("rendering", {"drawLabels": "1", "displayAll": "1", "obstacle": "1", "obstacleFactor": "1",
                               "obstacleType": "1", "scaleVisibility": "0", "scaleMin": "0", "scaleMax": "0",
                               "fontLimitPixelSize": "0", "fontMinPixelSize": "3", "fontMaxPixelSize": "10000",
                               "upsidedownLabels": "0", "labelPerPart": "0", "mergeLines": "0",
                               "limitNumLabels": "0", "maxNumLabels": "2000", "minFeatureSize": "0",
                               "zIndex": "0", "unplacedVisibility": "0"})
    return _el("labeling", {"type": "simple"}, [_el("settings", {"calloutType": "simple"},
                                                    [style, fmt, place, render])])


def _aliases(fields: list[str], alias: dict[str, str]) -> str:
    """``<aliases>``: ``index`` is the QGIS field index (the fid column is field 0)."""
    return _el("aliases", None, [_el("alias", {"field": f, "index": str(i), "name": alias[f]})
                                 for i, f in enumerate(fields) if alias.get(f)])


# --------------------------------------------------------------------------- GeoPackage reading
@dataclass(frozen=True)
class _Layer:
    name: str
    fields: list[str]            # QGIS field order: fid first, geometry column left out
    geom_column: str             # '' for a table without geometry
    geom_type: str               # gpkg geometry_type_name ('' for none)
    srs_id: int | None


def _read_layers(con: sqlite3.Connection) -> dict[str, _Layer]:
    rows = con.execute(
        "SELECT c.table_name, c.data_type, g.column_name, g.geometry_type_name, g.srs_id "
        "FROM gpkg_contents c LEFT JOIN gpkg_geometry_columns g ON g.table_name = c.table_name "
        "WHERE c.data_type IN ('features', 'attributes')"
    ).fetchall()
    out = {}
    for table, _kind, geom, gtype, srs in rows:
        if table == "layer_styles":
            continue
        cols = [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]
        fields = [c for c in cols if c != geom]
        out[table] = _Layer(table, fields, geom or "", (gtype or "").upper(), srs)
    return out


def _column(con: sqlite3.Connection, table: str, column: str) -> np.ndarray:
    vals = con.execute(f'SELECT "{column}" FROM "{table}"').fetchall()
    return np.array([np.nan if v[0] is None else float(v[0]) for v in vals], dtype=float)


def _alias_map(layer: str) -> dict[str, str]:
    if layer in schema.LAYERS:
        return schema.aliases(layer)
    if layer == "rejected":  # rejected rows carry input/roof columns
        return {**schema.aliases("roofs"), "reject_reason": schema.aliases("roofs")["reject_reason"]}
    if layer == "run_info":
        return dict(RUN_INFO_ALIASES)
    return {}


# --------------------------------------------------------------------------- style bodies
def _body(layer: _Layer, renderer: str | None, labeling: str | None) -> list[str]:
    """The style elements shared by a QML document and a project ``<maplayer>``."""
    parts = []
    if renderer:
        parts.append(renderer)
    if labeling:
        parts.append(labeling)
    parts += [_text("blendMode", 0), _text("featureBlendMode", 0), _text("layerOpacity", 1),
              _aliases(layer.fields, _alias_map(layer.name))]
    kind = _GEOM_KIND.get(layer.geom_type)
    if not layer.geom_column:
        parts.append(_text("layerGeometryType", 4))
    elif kind:
        parts.append(_text("layerGeometryType", kind[2]))
    return parts


def _root_attrs(labels: bool) -> dict[str, str]:
    return {"version": QGIS_VERSION, "styleCategories": "AllStyleCategories",
            "labelsEnabled": "1" if labels else "0", "hasScaleBasedVisibilityFlag": "0",
            "minScale": "100000000", "maxScale": "0", "readOnly": "0"}


def _qml(body: list[str], labels: bool) -> str:
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            + _el("qgis", _root_attrs(labels), body) + "\n")


@dataclass(frozen=True)
class Style:
    """One stored style of one layer."""

    layer: str
    name: str
    qml: str
    default: bool
    description: str
    labels: bool
    body: tuple[str, ...]


def build_styles(gpkg_path: str | Path, measure: str = "capacity_kw") -> list[Style]:
    """The styles :func:`add_styles` stores, computed from the data in the file.

    Parameters
    ----------
    gpkg_path : str or Path
        A pvsite GeoPackage.
    measure : str
        ``roofs`` column of the default graduated roof style.

    Returns
    -------
    list of Style
    """
    gpkg_path = Path(gpkg_path)
    if measure not in _ROOF_MEASURES:
        raise ValueError(f"measure must be one of {sorted(_ROOF_MEASURES)}, got {measure!r}")
    with sqlite3.connect(gpkg_path) as con:
        layers = _read_layers(con)
        if "roofs" not in layers:
            raise InputError(f"{gpkg_path} has no 'roofs' layer; it is not a pvsite output.",
                             fix="Pass the GeoPackage written by `pvsite run`.",
                             zh=f"{gpkg_path} 没有 'roofs' 图层，不是 pvsite 的输出。",
                             fix_zh="请传入 `pvsite run` 写出的 GeoPackage。")
        styles: list[Style] = []

        roofs = layers["roofs"]
        roof_measures = [measure] + [m for m in ("capacity_kw", "specific_yield_kwh_per_kwp") if m != measure]
        for m in roof_measures:
            if m not in roofs.fields:
                continue
            name, unit, zero = _ROOF_MEASURES[m]
            r = _graduated(f'coalesce("{m}", 0)', class_breaks(_column(con, "roofs", m)), YLORRD_5, unit, zero)
            styles.append(_style(roofs, name, r, None, m == measure,
                                 f"pvsite: roofs by {m} [{unit}], quantile classes"))
        if "class_zh" in roofs.fields:
            styles.append(_style(roofs, "政策类别 class_zh", _categorized_by_class(load_classify(_classify_preset_of(con)).classes), None, False,
                                 "pvsite: roofs by policy class (class_zh)"))

        if "streets" in layers and layers["streets"].geom_column:
            st = layers["streets"]
            for j, m in enumerate(m for m in _STREET_MEASURES if m in st.fields):
                name, unit, zero = _STREET_MEASURES[m]
                r = _graduated(f'coalesce("{m}", 0)', class_breaks(_column(con, "streets", m)), BLUES_5,
                               unit, zero, alpha=110, outline="#252525", outline_mm=0.6)
                styles.append(_style(st, name, r, _labeling(STREET_LABEL), j == 0,
                                     f"pvsite: streets by {m} [{unit}], labelled with name and kW"))

        if "district" in layers and layers["district"].geom_column:
            di = layers["district"]
            renderer = _single(_fill_symbol("0", _rgba("#000000", 0), _rgba("#08306b"), 1.2))
            styles.append(_style(di, "全区边界 district", renderer, None, True,
                                 "pvsite: district (or selected street) outline with its totals"))

        if "panels" in layers and layers["panels"].geom_column:
            pa = layers["panels"]
            renderer = _single(_fill_symbol("0", _rgba("#1f3b73"), _rgba("#9ecae1"), 0.1))
            styles.append(_style(pa, "光伏组件 panels", renderer, None, True,
                                 "pvsite: installed PV modules"))

        if "rejected" in layers:
            rj = layers["rejected"]
            renderer = None
            if _GEOM_KIND.get(rj.geom_type, ("", "", -1))[2] == 2:
                renderer = _single(_fill_symbol("0", _rgba("#e31a1c", 60), _rgba("#e31a1c"), 0.5,
                                                fill_style="b_diagonal", outline_style="dash"))
            styles.append(_style(rj, "剔除要素 rejected", renderer, None, True,
                                 "pvsite: input features that could not be used"))
        for table in ("summary", "classification", "run_info"):
            if table in layers:
                styles.append(_style(layers[table], LAYER_TITLES[table][:30], None, None, True,
                                     f"pvsite: Chinese field aliases of {table}"))
    return styles


def _style(layer: _Layer, name: str, renderer: str | None, labeling: str | None, default: bool,
           description: str) -> Style:
    body = _body(layer, renderer, labeling)
    labels = labeling is not None
    return Style(layer.name, name, _qml(body, labels), default, description, labels, tuple(body))


# --------------------------------------------------------------------------- layer_styles table
_LAYER_STYLES_DDL = (
    'CREATE TABLE IF NOT EXISTS "layer_styles" ('
    '"id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "f_table_catalog" TEXT(256), '
    '"f_table_schema" TEXT(256), "f_table_name" TEXT(256), "f_geometry_column" TEXT(256), '
    '"styleName" TEXT(30), "styleQML" TEXT, "styleSLD" TEXT, "useAsDefault" BOOLEAN, '
    '"description" TEXT, "owner" TEXT(30), "ui" TEXT(30), '
    "\"update_time\" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"
)


def add_styles(gpkg_path: str | Path, measure: str = "capacity_kw") -> list[Style]:
    """Store default QGIS styles for every pvsite layer in the GeoPackage's ``layer_styles`` table.

    ``roofs``: graduated colour (YlOrRd, ≤ 5 quantile classes of the file's
    values, plus a grey 0/no-value class) on ``measure`` — the default style —
    and on the other of capacity / specific yield, plus a categorised style
    on ``class_zh``.  ``streets``: graduated (Blues, semi-transparent) on
    ``capacity_kw`` (default) and ``potential_x_target``, labelled with the
    street name, potential kW and its multiple of the target.  ``rejected``: red hatch.  Every
    style, also those of ``summary`` and ``run_info``, carries the Chinese
    field aliases of :mod:`pvsite.outputs.schema`.  Rows pvsite wrote before (owner
    ``pvsite``) are replaced, so the call is idempotent.

    Parameters
    ----------
    gpkg_path : str or Path
        GeoPackage written by :func:`pvsite.outputs.gpkg.write_gpkg` (may be the
        temporary file before its rename).
    measure : str
        ``roofs`` column of the default roof style: ``capacity_kw`` [kW]
        (default), ``specific_yield_kwh_per_kwp`` [kWh/kWp], ``annual_kwh``
        [kWh], ``co2_t`` [t] or ``pv_area_m2`` [m²].

    Returns
    -------
    list of Style
        The styles written.
    """
    gpkg_path = Path(gpkg_path)
    styles = build_styles(gpkg_path, measure)
    with sqlite3.connect(gpkg_path) as con:
        layers = _read_layers(con)
        con.execute(_LAYER_STYLES_DDL)
        con.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, srs_id) "
            "SELECT 'layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles', "
            "strftime('%Y-%m-%dT%H:%M:%fZ','now'), 0 "
            "WHERE NOT EXISTS (SELECT 1 FROM gpkg_contents WHERE table_name = 'layer_styles')"
        )
        names = sorted({s.layer for s in styles})
        marks = ",".join("?" * len(names))
        con.execute(f"DELETE FROM layer_styles WHERE owner = ? AND f_table_name IN ({marks})",
                    [STYLE_OWNER, *names])
        for s in styles:
            geom = layers[s.layer].geom_column
            if s.default:
                con.execute("UPDATE layer_styles SET useAsDefault = 0 WHERE f_table_name = ? "
                            "AND f_geometry_column = ?", (s.layer, geom))
            con.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui) "
                "VALUES ('', '', ?, ?, ?, ?, '', ?, ?, ?, NULL)",
                (s.layer, geom, s.name, s.qml, 1 if s.default else 0, s.description, STYLE_OWNER),
            )
    log.info("stored %d QGIS styles in %s", len(styles), gpkg_path)
    return styles


# --------------------------------------------------------------------------- project
def _crs_xml(con: sqlite3.Connection, srs_id: int | None) -> tuple[str, str]:
    """``<spatialrefsys>`` for a gpkg srs_id, and its authid ('' when unknown)."""
    import pyproj

    row = con.execute("SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys "
                      "WHERE srs_id = ?", (srs_id,)).fetchone() if srs_id is not None else None
    if row is None or srs_id in (0, -1):
        return _el("spatialrefsys", None, [_text("wkt", ""), _text("srsid", 0), _text("authid", "")]), ""
    org, code, definition = row
    try:
        crs = pyproj.CRS.from_user_input(f"{org}:{code}")
        authid = f"{org.upper()}:{code}"
    except pyproj.exceptions.CRSError:
        crs = pyproj.CRS.from_wkt(definition)
        authid = ":".join(crs.to_authority() or ("", "")).strip(":")
    with warnings.catch_warnings():  # PROJ strings are lossy; QGIS reads the WKT first anyway
        warnings.simplefilter("ignore", UserWarning)
        proj4 = crs.to_proj4() or ""
    children = [
        _text("wkt", crs.to_wkt()), _text("proj4", proj4), _text("srsid", 0),
        _text("srid", code if org.upper() == "EPSG" else 0), _text("authid", authid),
        _text("description", crs.name), _text("projectionacronym", ""), _text("ellipsoidacronym", ""),
        _text("geographicflag", "true" if crs.is_geographic else "false"),
    ]
    return _el("spatialrefsys", None, children), authid


def _extent(con: sqlite3.Connection, tables: list[str]) -> tuple[float, float, float, float] | None:
    boxes = []
    for t in tables:
        row = con.execute("SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = ?",
                          (t,)).fetchone()
        if row and None not in row and row[2] >= row[0]:
            boxes.append(row)
    if not boxes:
        return None
    b = np.array(boxes, dtype=float)
    x0, y0, x1, y1 = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
    pad = 0.05 * max(x1 - x0, y1 - y0, 1.0)
    return x0 - pad, y0 - pad, x1 + pad, y1 + pad


def _extent_xml(tag: str, ext, attrs: bool = False) -> str:
    keys = ("xmin", "ymin", "xmax", "ymax")
    if attrs:
        return _el(tag, {k: repr(float(v)) for k, v in zip(keys, ext)})
    return _el(tag, None, [_text(k, repr(float(v))) for k, v in zip(keys, ext)])


def project_text(gpkg_path: str | Path, project_path: str | Path | None = None,
                 measure: str = "capacity_kw", source: str | Path | None = None) -> str:
    """The QGIS project (``.qgs`` XML) that opens every layer of the GeoPackage, styled.

    See :func:`write_project`.  ``source`` is the file the layers are read
    from when it is not (yet) at ``gpkg_path`` — the temporary GeoPackage of
    an output set; the project still points at ``gpkg_path``.
    """
    gpkg_path = Path(gpkg_path).resolve()
    project_path = Path(project_path) if project_path else gpkg_path.with_suffix(".qgs")
    project_path = project_path.resolve()
    rel = os.path.relpath(gpkg_path, project_path.parent).replace(os.sep, "/")
    if not rel.startswith("."):
        rel = "./" + rel
    source = Path(source) if source is not None else gpkg_path
    styles = {s.layer: s for s in build_styles(source, measure) if s.default}
    with sqlite3.connect(source) as con:
        layers = _read_layers(con)
        order = [n for n in LAYER_ORDER if n in layers] + sorted(n for n in layers if n not in LAYER_ORDER)
        spatial = [n for n in order if layers[n].geom_column]
        srs_of = {n: _crs_xml(con, layers[n].srs_id) for n in spatial}
        main = "roofs" if "roofs" in spatial else (spatial[0] if spatial else None)
        project_srs, project_authid = srs_of[main] if main else _crs_xml(con, None)
        extent = _extent(con, [n for n in ("roofs", "streets") if n in spatial] or spatial)
        tree, maplayers, order_items = [], [], []
        for n in order:
            lay = layers[n]
            lid = f"pvsite_{n}"
            title = LAYER_TITLES.get(n, n)
            source = f"{rel}|layername={n}"
            tree.append(_el("layer-tree-layer", {"id": lid, "name": title, "source": source,
                                                 "providerKey": "ogr", "checked": "Qt::Checked",
                                                 "expanded": "1" if n in ("roofs", "streets") else "0"}))
            order_items.append(_el("layer", {"id": lid}))
            style = styles.get(n)
            body = list(style.body) if style else _body(lay, None, None)
            kind = _GEOM_KIND.get(lay.geom_type)
            attrs = {"type": "vector", "styleCategories": "AllStyleCategories",
                     "labelsEnabled": "1" if style and style.labels else "0",
                     "hasScaleBasedVisibilityFlag": "0", "minScale": "100000000", "maxScale": "0",
                     "readOnly": "0", "autoRefreshEnabled": "0", "autoRefreshTime": "0"}
            head = []
            if lay.geom_column:
                attrs["geometry"] = kind[1] if kind else "Unknown geometry"
                attrs["wkbType"] = kind[0] if kind else "Unknown"
                ext = _extent(con, [n])
                if ext:
                    head.append(_extent_xml("extent", ext))
            else:
                attrs["geometry"] = "No geometry"
                attrs["wkbType"] = "NoGeometry"
            head += [_text("id", lid), _text("datasource", source), _text("layername", title)]
            if lay.geom_column:
                head.append(_el("srs", None, [srs_of[n][0]]))
            head.append(_el("provider", {"encoding": "UTF-8"}, escape("ogr")))
            maplayers.append(_el("maplayer", attrs, head + body))

        canvas = []
        view = []
        if extent:
            canvas = [_el("mapcanvas", {"name": "theMapCanvas", "annotationsVisible": "1"},
                          [_text("units", "meters"), _extent_xml("extent", extent), _text("rotation", 0),
                           _el("destinationsrs", None, [project_srs])])]
            view = [_el("DefaultViewExtent", {k: repr(float(v)) for k, v in
                                              zip(("xmin", "ymin", "xmax", "ymax"), extent)}, [project_srs])]
    doc = _el("qgis", {"version": QGIS_VERSION, "projectname": f"pvsite — {gpkg_path.stem}"}, [
        _el("homePath", {"path": ""}),
        _text("title", f"pvsite — {gpkg_path.stem}"),
        _el("projectCrs", None, [project_srs]),
        _el("layer-tree-group", None, tree + [_el("custom-order", {"enabled": "0"},
                                                  [_text("item", f"pvsite_{n}") for n in order])]),
        *canvas,
        _el("projectlayers", None, maplayers),
        _el("layerorder", None, order_items),
        _el("properties", None, [
            _el("Paths", None, [_el("Absolute", {"type": "bool"}, "false")]),
            _el("SpatialRefSys", None, [_el("ProjectionsEnabled", {"type": "int"}, "1")]),
        ]),
        _el("ProjectViewSettings", {"UseProjectScales": "0", "rotation": "0"}, [_el("Scales")] + view),
    ])
    log.debug("QGIS project for %s (CRS %s)", gpkg_path, project_authid or "unknown")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + doc + "\n"


def write_project(gpkg_path: str | Path, project_path: str | Path | None = None,
                  measure: str = "capacity_kw") -> Path:
    """Write a QGIS project (``.qgs``) that opens every layer of the GeoPackage, styled.

    Layer panel, top first: roofs, rejected (when present), streets (labelled),
    then the tables summary and run_info.  Sources are relative
    (``./<name>.gpkg|layername=roofs``) so the pair can be moved or zipped
    together; the project CRS is the layers' CRS and the start view is the
    extent of roofs and streets.  Styles are the ones :func:`add_styles`
    stores (embedded in the project as QGIS does).  Written to a temporary
    file and renamed (:func:`pvsite.io.atomic.write_text`).

    Parameters
    ----------
    gpkg_path : str or Path
        The (final) GeoPackage path.
    project_path : str or Path, optional
        Defaults to the GeoPackage path with suffix ``.qgs``.
    measure : str
        Roof measure of the roof style, as in :func:`add_styles`.

    Returns
    -------
    Path
        The project file.
    """
    project_path = (Path(project_path) if project_path else Path(gpkg_path).with_suffix(".qgs")).resolve()
    atomic.write_text(project_path, project_text(gpkg_path, project_path, measure))
    log.info("wrote QGIS project %s", project_path)
    return project_path
