"""Charts of a run as PNG (matplotlib, Agg), with Chinese text in a CJK font.

    png = charts.render(result, "progress")      # bytes of one PNG
    for chart in charts.CHARTS: ...               # every chart of the report

Each chart is a function ``result → matplotlib Figure`` listed in
:data:`CHARTS` (key, file suffix, Chinese / English title); the output set
writes each as ``<stem>_chart_<key>.png`` (:mod:`pvsite.outputs`) and the HTML
report embeds the same bytes.  matplotlib is imported only when a chart is
drawn, so ``import pvsite`` stays fast; the charts use ``matplotlib.figure.Figure``
on an Agg canvas, never pyplot (no global figure list, no backend switch), and
matplotlib's settings only inside :func:`_styled` (the CJK font is looked up once
per process).

Chinese text needs a font with CJK glyphs: :func:`cjk_font` looks one up in
matplotlib's font list (Noto Sans CJK SC, installed by Debian's
``fonts-noto-cjk`` — ``scripts/install_qgis.sh`` installs it — then Source Han
Sans, WenQuanYi, SimHei, Microsoft YaHei, PingFang).  Without one the charts
fall back to their English labels, log a warning and print
"no CJK font: install fonts-noto-cjk" on the figure, so a chart never shows
tofu boxes silently.
"""

from __future__ import annotations

import functools
import io
import logging
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

#: CJK font families tried, in order (names as matplotlib's font manager reports them).
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
                "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC",
                "Noto Sans CJK JP", "Noto Sans CJK TC")
#: Text drawn on a figure when no CJK font was found.
NO_CJK_NOTE = "no CJK font: Chinese labels omitted - install fonts-noto-cjk (scripts/install_qgis.sh)"

#: Class bins of roof capacity for the maps (static chart and the report's interactive map) [kW]:
#: lower bounds; a roof with 0 kW is drawn grey (pvsite assumption: bins a planner reads at a glance).
KW_BINS = (0.0, 30.0, 100.0, 300.0, 1000.0)
#: Colours of :data:`KW_BINS` (viridis-like, light → dark; readable in print and for colour-blind readers).
KW_COLOURS = ("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154")
#: Colour of roofs without PV.
NO_PV_COLOUR = "#d0d0d0"

#: Colours of built / in progress / remaining / potential.
_C_BUILT, _C_PROGRESS, _C_REMAIN, _C_POTENTIAL = "#2e7d32", "#f9a825", "#e0e0e0", "#1565c0"
_DPI = 120
_CJK_RE = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]")


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The first CJK font family of :data:`CJK_FAMILIES` matplotlib knows, else ``None``."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in names:
            return family
    log.warning("No CJK font found for the charts (tried %s): Chinese labels are left out. "
                "Install fonts-noto-cjk (apt-get install fonts-noto-cjk, or scripts/install_qgis.sh). / "
                "图表未找到中文字体，中文标注已省略；请安装 fonts-noto-cjk。", ", ".join(CJK_FAMILIES))
    return None


def font_file(family: str) -> str:
    """Path of the font file matplotlib uses for ``family``."""
    from matplotlib import font_manager

    return font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)


def label(zh: str, en: str) -> str:
    """``"zh en"`` with a CJK font, else ``en`` alone (never tofu)."""
    return f"{zh} {en}".strip() if cjk_font() else en


def name(text: object) -> str:
    """A data label (street, department): as is with a CJK font, else its CJK characters replaced by '?'."""
    text = "" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text)
    return text if cjk_font() else (_CJK_RE.sub("?", text) or "?")


@functools.lru_cache(maxsize=1)
def _style() -> dict:
    """matplotlib settings of every chart, looked up once per process (the CJK font first).

    Applied only inside :func:`_styled` (``matplotlib.rc_context``): pvsite leaves matplotlib's
    global settings as it found them.  The font family is a concrete list, so the
    text artists keep it after the context closes (:func:`png_bytes` renders later).
    """
    family = cjk_font()
    return {
        "font.family": ([family] if family else []) + ["DejaVu Sans"],
        "axes.unicode_minus": False,  # CJK fonts lack U+2212
        "text.parse_math": False,  # names and labels are text: a '$' in a building name is not mathtext
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


def _styled(draw: Callable) -> Callable:
    """``draw`` run with :func:`_style` in effect (a chart function ``result → Figure``)."""
    @functools.wraps(draw)
    def styled(result):
        import matplotlib

        with matplotlib.rc_context(_style()):
            return draw(result)
    return styled


def _figure(figsize, **subplots):
    """A new ``Figure`` on its own Agg canvas (no pyplot: no figure manager, no global figure list)
    and its axes (``Figure.subplots(**subplots)``)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=_DPI)
    FigureCanvasAgg(fig)
    return fig, fig.subplots(**subplots)


def _kw_formatter():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _: _fmt(x))


def _finish(fig, title: str):
    fig.suptitle(title, fontsize=13, fontweight="bold")
    if cjk_font() is None:
        fig.text(0.5, 0.005, NO_CJK_NOTE, ha="center", va="bottom", fontsize=8, color="#b00020")
    return fig


def _fmt(x: float) -> str:
    return f"{x:,.0f}"


def _district(result) -> pd.Series:
    s = result.summary
    return s[s["level"] == "district"].iloc[0]


def _has(row: pd.Series, col: str) -> bool:
    return col in row.index and pd.notna(row[col])


def registry_given(result) -> bool:
    """Whether the run had a registry of installed systems (``installed_kw`` in the summary)."""
    return "installed_kw" in result.summary.columns and _has(_district(result), "installed_kw")


# --- the charts ----------------------------------------------------------------------------------

@_styled
def progress(result):
    """Built / in progress / remaining against the target; without a registry: potential vs target."""
    d = _district(result)
    target = float(d["target_kw"]) if _has(d, "target_kw") else float(result.target_kw)
    potential = float(d["capacity_kw"])
    fig, ax = _figure((9, 3.2 if not registry_given(result) else 3.8))
    rows = [label("潜力", "potential")]
    ax.barh(0, potential, color=_C_POTENTIAL, height=0.5)
    ax.text(potential, 0, f"  {_fmt(potential)} kW (× {potential / target:.2f} {label('目标', 'target')})"
            if target > 0 else f"  {_fmt(potential)} kW", va="center", fontsize=9)
    if registry_given(result):
        # toward the target counts what was commissioned within its years (summary remaining_kw /
        # achieved_pct, planning.rollup.counted_toward_target), not every built project
        built = (target - float(d["remaining_kw"]) if _has(d, "remaining_kw") and target > 0
                 else float(d["installed_kw"]))
        doing = float(d["under_construction_kw"]) if _has(d, "under_construction_kw") else 0.0
        remain = max(target - built - doing, 0.0)
        rows.insert(0, label("进度", "progress"))
        ax.barh(1, built, color=_C_BUILT, height=0.5, label=label("已建", "built"))
        ax.barh(1, doing, left=built, color=_C_PROGRESS, height=0.5, label=label("在建", "in progress"))
        ax.barh(1, remain, left=built + doing, color=_C_REMAIN, height=0.5, edgecolor="#9e9e9e",
                label=label("尚缺", "remaining"))
        pct = (float(d["achieved_pct"]) if _has(d, "achieved_pct") else
               built / target * 100 if target > 0 else float("nan"))
        ax.text(max(built + doing + remain, target), 1,
                f"  {label('已建(计入目标)', 'built toward target')} {_fmt(built)} kW = {pct:.1f} % · "
                f"{label('在建', 'in progress')} "
                f"{_fmt(doing)} kW", va="center", fontsize=9)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=3, fontsize=8, frameon=False)
        yticks = [1, 0]
    else:
        fig.text(0.01, 0.015, label("已建容量未知（未提供 --installed）：图中为潜力，并非已建",
                                    "built capacity unknown (no --installed): this is potential, not built"),
                 fontsize=10, color="#b00020", va="bottom")
        yticks = [0]
    ax.axvline(target, color="#c62828", lw=2, ls="--")
    ax.text(target, ax.get_ylim()[1], f"{label('目标', 'target')} {_fmt(target)} kW", color="#c62828",
            ha="center", va="bottom", fontsize=9)
    ax.set_yticks(yticks, rows if len(yticks) == 2 else rows[-1:])
    ax.set_xlabel(label("装机容量", "capacity") + " [kW]")
    ax.set_xlim(0, max(potential, target) * 1.45)
    ax.xaxis.set_major_formatter(_kw_formatter())
    fig.tight_layout(rect=(0, 0.07, 1, 0.9))
    return _finish(fig, label(f"{result.scope} 目标进度", "progress to target"))


#: Bars of a street / class / department chart at most: the largest by capacity, and one bar of the rest.
#: A district has ≈ 10 streets; a whole city's ≈ 200 bars (12,000 px) could not be read, and every row
#: stays in the workbook and the report's tables.  A pvsite choice.
MAX_BARS = 30


def bar_rows(rows: pd.DataFrame, max_bars: int = MAX_BARS) -> tuple[pd.DataFrame, int]:
    """The bars of a by-level chart, smallest first: ``rows`` itself, or its ``max_bars − 1`` largest by
    capacity and one row ``其余 N 个 N others`` summing the others' ``capacity_kw`` and ``annual_mwh``.

    Returns the bars and how many rows the last bar sums (0: every row has its own bar).
    """
    rows = rows.sort_values("capacity_kw", ascending=False, kind="stable")
    if len(rows) > max_bars:
        keep, rest = rows.iloc[:max_bars - 1], rows.iloc[max_bars - 1:]
        other = {"key": "others", "key_zh": label(f"其余 {len(rest)} 个", f"{len(rest)} others")}
        for col in ("capacity_kw", "annual_mwh"):
            other[col] = float(rest[col].astype(float).fillna(0.0).sum()) if col in rest else np.nan
        return pd.concat([pd.DataFrame([other]), keep.iloc[::-1]], ignore_index=True), len(rest)
    return rows.iloc[::-1], 0


def _by_level(result, level: str, zh: str, en: str):
    rows, n_rest = bar_rows(result.summary[result.summary["level"] == level])
    names = [name(k) for k in rows["key_zh"].fillna(rows["key"])]
    height = max(2.8, 0.36 * len(rows) + 1.4)
    fig, (a1, a2) = _figure((10, height), nrows=1, ncols=2, sharey=True)
    y = np.arange(len(rows))
    for ax, col, colour, what in ((a1, "capacity_kw", _C_POTENTIAL, label("装机潜力", "capacity") + " [kW]"),
                                  (a2, "annual_mwh", "#ef6c00", label("年发电量", "energy") + " [MWh/yr]")):
        values = rows[col].astype(float).fillna(0.0).to_numpy()
        ax.barh(y, values, color=colour, height=0.65)
        top = values.max() if len(values) and values.max() > 0 else 1.0
        for yi, v in zip(y, values):
            ax.text(v + top * 0.01, yi, _fmt(v), va="center", fontsize=8)
        ax.set_xlim(0, top * 1.22)
        ax.set_xlabel(what)
        ax.xaxis.set_major_formatter(_kw_formatter())
        ax.tick_params(axis="x", labelsize=8)
    a1.set_yticks(y, names, fontsize=9)
    if n_rest:
        shown = len(rows) - 1
        fig.text(0.5, 0.935, label(f"前 {shown} 个{zh}与其余 {n_rest} 个之和；全部见工作簿与报告表格",
                                   f"top {shown} {en} rows and the sum of the other {n_rest}; every row is in "
                                   "the workbook and the report's tables"), ha="center", va="top", fontsize=8,
                 color="#555555")
    fig.tight_layout(rect=(0, 0.02, 1, 0.91 if n_rest else 0.93))
    return _finish(fig, label(f"按{zh} 潜力", f"potential by {en}"))


@_styled
def by_street(result):
    """kW and MWh per street (summary rows ``level == 'street'``)."""
    return _by_level(result, "street", "街道", "street")


@_styled
def by_class(result):
    """kW and MWh per policy class (``level == 'class'``)."""
    return _by_level(result, "class", "类别", "class")


@_styled
def by_department(result):
    """kW and MWh per responsible department (``level == 'department'``)."""
    return _by_level(result, "department", "责任部门", "department")


@_styled
def monthly(result):
    """Monthly generation of the roofs with PV [MWh] (``kwh_m01`` … ``kwh_m12``)."""
    cols = [f"kwh_m{m:02d}" for m in range(1, 13)]
    present = [c for c in cols if c in result.roofs.columns]
    mwh = result.roofs[present].astype(float).fillna(0.0).sum().to_numpy() / 1000.0 if present else np.zeros(0)
    fig, ax = _figure((9, 3.8))
    months = [label(f"{m}月", "") if cjk_font() else f"{m}" for m in range(1, 13)][:len(mwh)]
    ax.bar(months, mwh, color="#ef6c00")
    top = mwh.max() if len(mwh) and mwh.max() > 0 else 1.0
    for i, v in enumerate(mwh):
        ax.text(i, v + top * 0.01, _fmt(v), ha="center", va="bottom", fontsize=8)
    ax.set_ylim(0, top * 1.15)
    ax.set_ylabel(label("发电量", "energy") + " [MWh]")
    if not cjk_font():
        ax.set_xlabel("month")
    ax.yaxis.set_major_formatter(_kw_formatter())
    total = mwh.sum()
    ax.text(0.99, 0.97, f"{label('全年', 'year')} {_fmt(total)} MWh", transform=ax.transAxes, ha="right",
            va="top", fontsize=9)
    fig.tight_layout(rect=(0, 0.02, 1, 0.92))
    return _finish(fig, label("逐月发电量", "monthly generation"))


@_styled
def sensitivity(result):
    """Tornado chart: the district's simple payback when capex, tariff or self-consumption change.

    From ``result.sensitivity`` (:func:`pvsite.economics.sensitivity.sensitivity`):
    one bar per parameter from its lower to its higher case, around the base
    payback; the parameter with the widest swing on top.
    """
    table = getattr(result, "sensitivity", None)
    fig, ax = _figure((9, 3.6))
    base = table[table["parameter"] == "base"] if table is not None else None
    if base is None or not len(base) or not np.isfinite(float(base["payback_yr"].iloc[0])):
        ax.set_axis_off()
        ax.text(0.5, 0.5, label("未测算回收期敏感性（无经济性结果或不回收）",
                                "payback sensitivity not computed (no economics, or no payback)"),
                ha="center", va="center", fontsize=11, color="#b00020", transform=ax.transAxes)
        return _finish(fig, label("回收期敏感性", "payback sensitivity"))
    b = float(base["payback_yr"].iloc[0])
    cases = table[table["parameter"] != "base"]
    names = {"capex": ("投资", "capex"), "tariff": ("电价", "tariff"), "self_consumption": ("自用比例", "self-use")}
    bars = []
    for parameter, g in cases.groupby("parameter", sort=False):
        g = g.sort_values("change")
        lo, hi = g.iloc[0], g.iloc[-1]
        unit = "%" if lo["change_unit"] == "%" else label("个百分点", "pp")
        zh, en = names.get(parameter, (parameter, parameter))
        span = abs(float(hi["change"]))
        bars.append((label(zh, en) + f" ±{span:g} {unit}", float(lo["payback_yr"]), float(hi["payback_yr"])))
    bars.sort(key=lambda t: abs(np.nan_to_num(t[2] - t[1])))  # widest last = on top
    y = np.arange(len(bars))
    c_minus, c_plus = "#1565c0", "#ef6c00"
    for yi, (_, lo, hi) in zip(y, bars):
        for v, c in ((lo, c_minus), (hi, c_plus)):
            if np.isfinite(v):
                ax.barh(yi, v - b, left=b, color=c, height=0.55)
                ax.text(v, yi, f" {v:.1f} " if v >= b else f" {v:.1f} ", va="center", fontsize=9,
                        ha="left" if v >= b else "right")
            else:
                ax.text(b, yi, label("  不回收", "  no payback"), va="center", fontsize=9, color="#b00020")
    ax.axvline(b, color="#263238", lw=1.5)
    ax.text(b, len(bars) - 0.45, f"{label('基准', 'base')} {b:.1f} {label('年', 'yr')}", ha="center", va="bottom",
            fontsize=9, bbox={"facecolor": "white", "edgecolor": "#263238", "boxstyle": "round,pad=0.25"})
    ax.set_yticks(y, [t[0] for t in bars], fontsize=9)
    finite = [v for _, lo, hi in bars for v in (lo, hi) if np.isfinite(v)] + [b]
    span = max(max(finite) - min(finite), 0.5)
    ax.set_xlim(max(0.0, min(finite) - 0.35 * span), max(finite) + 0.35 * span)
    ax.set_ylim(-0.6, len(bars) - 0.1)
    ax.set_xlabel(label("全区静态回收期", "district simple payback") + f" [{label('年', 'yr')}]")
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=c_minus, label=label("参数降低", "lower")),
                       Patch(color=c_plus, label=label("参数提高", "higher"))],
              loc="upper right", fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.02, 1, 0.9))
    return _finish(fig, label("回收期敏感性", "payback sensitivity"))


def kw_colours(kw) -> np.ndarray:
    """Colour (hex) of each roof by :data:`KW_BINS`; :data:`NO_PV_COLOUR` for 0 kW."""
    kw = np.nan_to_num(np.asarray(kw, dtype=float))
    idx = np.searchsorted(np.asarray(KW_BINS), kw, side="right") - 1
    out = np.asarray(KW_COLOURS, dtype=object)[np.clip(idx, 0, len(KW_COLOURS) - 1)]
    out[kw <= 0] = NO_PV_COLOUR
    return out


def bin_labels() -> list[str]:
    """Legend labels of :data:`KW_BINS` (``"0–30 kW"`` …)."""
    edges = list(KW_BINS) + [None]
    return [f"{_fmt(lo)}–{_fmt(hi)} kW" if hi is not None else f"≥ {_fmt(lo)} kW"
            for lo, hi in zip(edges[:-1], edges[1:])]


def _ring_arrays(geoms, normalize: bool = True):
    """Vertices, path codes and geometry index of every vertex of ``geoms``'s rings.

    Missing and empty geometries are left out; rings are normalised by
    :func:`shapely.normalize` (exteriors clockwise, holes counter-clockwise), so
    holes stay holes under either fill rule; each ring is a closed sub-path.
    ``normalize=False`` orients the rings the same way from their signed areas
    (numpy, several times faster than GEOS' normalize, which also sorts rings and
    start points: the fill is the same, the vertex order not).
    Returns ``(xy, codes, geom_of_xy, n_geoms)``; ``geom_of_xy`` counts the kept geometries.
    """
    import shapely
    from matplotlib.path import Path

    geoms = np.asarray(geoms, dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if normalize:
        geoms = shapely.normalize(geoms)
    parts, geom_of_part = shapely.get_parts(geoms, return_index=True)
    rings, part_of_ring = shapely.get_rings(parts, return_index=True)
    xy, ring_of_xy = shapely.get_coordinates(rings, return_index=True)
    codes = np.full(len(xy), Path.LINETO, dtype=Path.code_type)
    if len(xy):
        starts = np.flatnonzero(np.r_[True, ring_of_xy[1:] != ring_of_xy[:-1]])
        ends = np.r_[starts[1:], len(xy)]  # exclusive
        codes[starts] = Path.MOVETO
        codes[ends - 1] = Path.CLOSEPOLY
        if not normalize:
            xy = _orient(xy, ring_of_xy, starts, ends, np.r_[True, part_of_ring[1:] != part_of_ring[:-1]])
    return xy, codes, geom_of_part[part_of_ring[ring_of_xy]], len(geoms)


def _orient(xy, ring_of_xy, starts, ends, exterior):
    """``xy`` with every ring reversed whose orientation is not exteriors clockwise, holes counter-clockwise.

    ``exterior``: per ring (in order), whether it is its polygon's shell.  Signed areas by the
    shoelace formula, each ring relative to its first vertex (no cancellation at projected
    coordinates in the millions of metres).
    """
    rel = xy - xy[starts][ring_of_xy]
    cross = rel[:-1, 0] * rel[1:, 1] - rel[1:, 0] * rel[:-1, 1]
    same = ring_of_xy[:-1] == ring_of_xy[1:]
    area2 = np.bincount(ring_of_xy[:-1][same], weights=cross[same], minlength=len(starts))
    flip = np.where(exterior, area2 > 0, area2 < 0)
    if not flip.any():
        return xy
    idx = np.arange(len(xy))
    ring = flip[ring_of_xy]
    idx[ring] = (starts + ends - 1)[ring_of_xy[ring]] - idx[ring]
    return xy[idx]


def polygon_paths(geoms) -> list:
    """One matplotlib ``Path`` per (Multi)Polygon of ``geoms``, built from whole coordinate arrays.

    The same paths as geopandas' plotting (``_PolygonPatch``: rings normalised by
    :func:`shapely.normalize` so holes stay holes, each ring a closed sub-path, the
    parts of a MultiPolygon one compound path), without a Patch per polygon: the
    10,613 Bund roofs take ~0.1 s instead of ~2.6 s.  Missing and empty geometries
    are left out.
    """
    from matplotlib.path import Path

    xy, codes, geom_of_xy, n = _ring_arrays(geoms)
    bounds = np.searchsorted(geom_of_xy, np.arange(n + 1))
    return [Path(xy[a:b], codes[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def compound_path(geoms):
    """All (Multi)Polygons of ``geoms`` as one matplotlib ``Path`` (the rings of :func:`polygon_paths`,
    concatenated): drawn in one call, its fill is the union of the polygons (non-zero rule,
    normalised rings).  ``None`` when nothing is left after dropping missing and empty geometries."""
    from matplotlib.path import Path

    xy, codes, _, _ = _ring_arrays(geoms, normalize=False)
    return Path(xy, codes) if len(xy) else None


def polygon_collection(geoms, **kwargs):
    """A ``PathCollection`` of :func:`polygon_paths` (``facecolor``, ``edgecolor``, ``linewidth`` as given)."""
    from matplotlib.collections import PathCollection

    return PathCollection(polygon_paths(geoms), **kwargs)


def _line_segments(geoms) -> list[np.ndarray]:
    """The vertex arrays of every line part of ``geoms`` (e.g. polygon boundaries), for a ``LineCollection``."""
    import shapely

    geoms = np.asarray(geoms, dtype=object)
    parts = shapely.get_parts(geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))])
    xy, part_of_xy = shapely.get_coordinates(parts, return_index=True)
    return np.split(xy, np.flatnonzero(np.diff(part_of_xy)) + 1) if len(xy) else []


@_styled
def roof_map(result):
    """Roofs coloured by kW over the street outlines (``result.streets``), in the output CRS.

    Vectorised for large districts: the roofs of one colour class are one compound
    path (:func:`compound_path`, built from shapely's coordinate arrays), so the
    map of 100,000 roofs is six draw calls, not a patch per roof.  Every roof is
    drawn, whatever the size of the district (nothing is thinned or capped); where
    roofs of different classes overlap, the higher class is drawn on top.
    """
    import shapely
    from matplotlib.collections import LineCollection, PathCollection
    from matplotlib.patches import Patch

    import matplotlib.patheffects as pe

    crs = result.roofs.crs
    geoms = result.roofs.geometry.to_numpy()
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))  # arrays only: no copy of the roofs table
    geoms = geoms[keep]
    x0, y0, x1, y1 = shapely.total_bounds(geoms) if len(geoms) else (0.0, 0.0, 1.0, 1.0)
    aspect = float(np.clip((y1 - y0) / max(x1 - x0, 1e-9), 0.4, 1.6))
    fig, ax = _figure((9, 9 * aspect + 0.8))
    streets = getattr(result, "streets", None)
    if streets is not None and len(streets):
        streets = streets.to_crs(crs) if crs is not None and streets.crs != crs else streets
        outlines = streets.geometry.to_numpy()
        shown = ~(shapely.is_missing(outlines) | shapely.is_empty(outlines))
        ax.add_collection(LineCollection(_line_segments(shapely.boundary(outlines[shown])), colors="#616161",
                                         linewidths=0.8))
        ax.autoscale_view()
        points = shapely.get_coordinates(shapely.point_on_surface(outlines[shown]))
        keys = (streets["key_zh"] if "key_zh" in streets.columns else
                streets["key"] if "key" in streets.columns else pd.Series("", index=streets.index))
        for (px, py), text in zip(points, keys[shown].tolist()):  # one label per street (tens, not roofs)
            ax.text(px, py, name(text), fontsize=9, ha="center", va="center",
                    color="#263238", path_effects=[pe.withStroke(linewidth=3, foreground="white")], zorder=5)
    colours = kw_colours(result.roofs["capacity_kw"].to_numpy()[keep])
    for colour, edge in [(NO_PV_COLOUR, None)] + [(c, "#333333") for c in KW_COLOURS]:
        path = compound_path(geoms[colours == colour])
        if path is None:
            continue
        ax.add_collection(PathCollection([path], facecolor=colour, linewidth=0 if edge is None else 0.2,
                                         edgecolor=edge or "none"))
        ax.autoscale_view()
    handles = [Patch(color=NO_PV_COLOUR, label=label("无光伏", "no PV"))] + [
        Patch(color=c, label=t) for c, t in zip(KW_COLOURS, bin_labels())]
    ax.legend(handles=handles, loc="lower left", fontsize=8, title=label("装机", "capacity"),
              title_fontsize=8, framealpha=0.9)
    ax.set_aspect("equal")
    ax.set_axis_off()
    # 1 km scale bar (the output CRS is metric: pvsite.geo.crs)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    if crs is not None and crs.is_projected:
        bx, by = x1 - (x1 - x0) * 0.05 - 1000.0, y0 + (y1 - y0) * 0.04
        ax.plot([bx, bx + 1000.0], [by, by], color="black", lw=3)
        ax.text(bx + 500.0, by + (y1 - y0) * 0.012, "1 km", ha="center", va="bottom", fontsize=8)
    fig.tight_layout(rect=(0, 0.01, 1, 0.96))
    return _finish(fig, label(f"{result.scope} 屋顶光伏潜力分布", "roofs by capacity"))


@dataclass(frozen=True)
class Chart:
    """One chart of the report.

    Attributes
    ----------
    key : str
        Short name; the PNG is ``<stem>_chart_<key>.png``.
    title_zh, title_en : str
        Caption in the report.
    draw : callable
        ``draw(result) → matplotlib.figure.Figure``.
    """

    key: str
    title_zh: str
    title_en: str
    draw: Callable

    @property
    def suffix(self) -> str:
        return f"_chart_{self.key}.png"


#: Every chart, in the report's order.
CHARTS: tuple[Chart, ...] = (
    Chart("progress", "目标进度", "progress to target", progress),
    Chart("street", "按街道", "by street", by_street),
    Chart("class", "按类别", "by class", by_class),
    Chart("department", "按责任部门", "by department", by_department),
    Chart("monthly", "逐月发电量", "monthly generation", monthly),
    Chart("sensitivity", "回收期敏感性", "payback sensitivity", sensitivity),
    Chart("map", "屋顶分布图", "map of roofs", roof_map),
)
_BY_KEY = {c.key: c for c in CHARTS}


def png_bytes(fig) -> bytes:
    """The PNG of ``fig`` (a pyplot figure is closed afterwards; pvsite's own are not registered anywhere)."""
    import matplotlib

    buf = io.BytesIO()
    try:
        with matplotlib.rc_context(_style()):
            fig.savefig(buf, format="png", dpi=fig.dpi, metadata={"Software": None})
    finally:
        if getattr(fig.canvas, "manager", None) is not None:  # made by pyplot (a caller's figure)
            import matplotlib.pyplot as plt

            plt.close(fig)
    return buf.getvalue()


def render(result, key: str) -> bytes:
    """PNG bytes of chart ``key`` (:data:`CHARTS`) of ``result``."""
    return png_bytes(_BY_KEY[key].draw(result))


__all__ = ["CHARTS", "CJK_FAMILIES", "Chart", "KW_BINS", "KW_COLOURS", "NO_PV_COLOUR", "bin_labels", "by_class",
           "by_department", "by_street", "cjk_font", "font_file", "kw_colours", "label", "monthly", "name",
           "png_bytes", "compound_path", "polygon_collection", "polygon_paths", "progress", "registry_given", "render", "roof_map", "sensitivity"]
