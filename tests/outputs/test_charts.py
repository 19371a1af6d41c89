"""Charts: real PNGs, Chinese text in a font that has the glyphs, the no-registry note."""

from __future__ import annotations

import io

import numpy as np
import pytest

from pvsite.outputs import charts
from report_fixtures import small_result


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return small_result(tmp_path_factory.mktemp("charts"))


def test_the_cjk_font_used_has_chinese_glyphs():
    family = charts.cjk_font()
    if family is None:
        pytest.skip("no CJK font installed (fonts-noto-cjk): the charts fall back to English labels")
    from matplotlib.ft2font import FT2Font

    font = FT2Font(charts.font_file(family))
    for ch in "潜力目标街道已建容量未知逐月发电量区教育局":
        assert font.get_char_index(ord(ch)) != 0, (family, ch)


def test_labels_never_tofu_without_a_cjk_font(monkeypatch):
    monkeypatch.setattr(charts, "cjk_font", lambda: None)
    assert charts.label("潜力", "potential") == "potential"
    assert charts.name("新华路街道") == "?????"


@pytest.mark.parametrize("chart", charts.CHARTS, ids=lambda c: c.key)
def test_every_chart_is_a_png_with_pixels(result, chart):
    from matplotlib import image

    png = charts.render(result, chart.key)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    img = image.imread(io.BytesIO(png))
    assert img.shape[0] > 200 and img.shape[1] > 600
    assert np.unique(img.reshape(-1, img.shape[-1]), axis=0).shape[0] > 20  # not a blank canvas


def test_progress_says_built_is_unknown_without_a_registry(result):
    fig = charts.progress(result)
    texts = " ".join(t.get_text() for t in fig.texts + [t for ax in fig.axes for t in ax.texts])
    assert not charts.registry_given(result)
    assert "已建容量未知（未提供 --installed）" in texts or "built capacity unknown" in texts
    assert "× 0.00" not in texts and "16,000" in texts


def test_monthly_chart_totals_the_roofs(result):
    fig = charts.monthly(result)
    bars = [p.get_height() for p in fig.axes[0].patches]
    expected = [result.roofs[f"kwh_m{m:02d}"].sum() / 1000 for m in range(1, 13)]
    assert np.allclose(bars, expected)
    assert np.isclose(sum(bars), result.roofs["annual_kwh"].sum() / 1000, rtol=1e-6)


def test_kw_colours_by_bins():
    c = charts.kw_colours([0, 10, 30, 99.9, 100, 5000, np.nan])
    assert list(c) == [charts.NO_PV_COLOUR, charts.KW_COLOURS[0], charts.KW_COLOURS[1], charts.KW_COLOURS[1],
                       charts.KW_COLOURS[2], charts.KW_COLOURS[4], charts.NO_PV_COLOUR]


def test_sensitivity_chart_without_economics_says_so(result):
    import dataclasses

    png = charts.render(dataclasses.replace(result, sensitivity=None), "sensitivity")
    assert png[:4] == b"\x89PNG"
    assert charts.label("未测算回收期敏感性", "x").startswith("未测算")
def test_polygon_paths_equal_geopandas_patches():
    """The vectorised paths of the roof map are geopandas' own (holes, multipolygons, ring orientation)."""
    import shapely
    from geopandas.plotting import _PolygonPatch

    from pvsite.outputs.charts import polygon_paths

    square = shapely.Polygon([(0, 0), (0, 10), (10, 10), (10, 0)], holes=[[(2, 2), (4, 2), (4, 4), (2, 4)]])
    multi = shapely.MultiPolygon([shapely.box(20, 0, 25, 5), shapely.box(30, 0, 31, 9)])
    geoms = np.array([square, None, multi, shapely.Polygon(), shapely.box(0, 20, 3, 21, ccw=False)], dtype=object)
    paths = polygon_paths(geoms)
    want = [_PolygonPatch(g).get_path() for g in shapely.normalize(geoms[[0, 2, 4]])]
    assert len(paths) == 3
    for got, exp in zip(paths, want):
        np.testing.assert_array_equal(got.vertices, exp.vertices)
        np.testing.assert_array_equal(got.codes, exp.codes)


def test_charts_leave_matplotlib_settings_alone_and_keep_the_cjk_font(result):
    """Figure + Agg canvas, no pyplot figure; the style applies inside the chart only, its font stays on the texts."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    before = dict(matplotlib.rcParams)
    fig = charts.by_street(result)
    assert dict(matplotlib.rcParams) == before
    assert isinstance(fig.canvas, FigureCanvasAgg) and fig.canvas.manager is None
    family = charts.cjk_font()
    texts = [t for ax in fig.axes for t in ax.get_yticklabels()] + fig.texts
    assert texts and all(t.get_fontfamily()[0] == (family or "DejaVu Sans") for t in texts)
    assert all(not t._parse_math for t in texts)  # a '$' in a name is not mathtext
    assert charts.png_bytes(fig)[:4] == b"\x89PNG"


def test_compound_path_fills_the_union_and_keeps_holes():
    """One path for many roofs: holes stay empty, overlapping and MultiPolygon parts are filled."""
    import shapely
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import PathCollection
    from matplotlib.figure import Figure

    ring = shapely.Polygon([(0, 0), (0, 10), (10, 10), (10, 0)], holes=[[(3, 3), (7, 3), (7, 7), (3, 7)]])
    geoms = np.array([ring, shapely.box(8, 8, 14, 14, ccw=False), None,  # overlaps ring's corner
                      shapely.MultiPolygon([shapely.box(16, 0, 18, 2), shapely.box(16, 4, 18, 6)])], dtype=object)
    fig = Figure(figsize=(2, 1), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.add_collection(PathCollection([charts.compound_path(geoms)], facecolor="black", linewidth=0))
    ax.set_xlim(0, 20), ax.set_ylim(0, 10), ax.set_axis_off()
    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())[..., 0]  # red channel: 0 = filled, 255 = white

    def at(x, y):
        return img[int((10 - y) * 10), int(x * 10)]

    assert at(1, 1) == 0 and at(9, 9) == 0 and at(9.5, 9.5) == 0  # ring and the overlap
    assert at(5, 5) == 255  # the hole
    assert at(17, 1) == 0 and at(17, 5) == 0 and at(17, 3) == 255  # both parts, the gap between them
    assert charts.compound_path(np.array([None, shapely.Polygon()], dtype=object)) is None


def test_roof_map_draws_every_roof_in_its_colour_class(result):
    from matplotlib.collections import PathCollection

    fig = charts.roof_map(result)
    ax = fig.axes[0]
    cols = [c for c in ax.collections if isinstance(c, PathCollection)]
    n_vertices = sum(len(c.get_paths()[0].vertices) for c in cols)
    import shapely

    assert n_vertices == len(shapely.get_coordinates(shapely.get_rings(shapely.get_parts(result.roofs.geometry.to_numpy()))))
    colours = set(charts.kw_colours(result.roofs["capacity_kw"]))
    from matplotlib.colors import to_hex

    assert {to_hex(c.get_facecolor()[0]) for c in cols} == colours


def test_a_chart_of_many_streets_shows_the_largest_and_sums_the_rest(result):
    """A whole city's ≈ 200 streets: MAX_BARS bars, the last the sum of the others; the totals unchanged."""
    import dataclasses

    import pandas as pd

    n = 75
    streets = pd.DataFrame({"level": "street", "key": [f"s{i:03d}" for i in range(n)],
                            "key_zh": [f"街道{i:03d}" for i in range(n)],
                            "capacity_kw": np.arange(n, dtype=float) * 10.0 + 1.0,
                            "annual_mwh": np.arange(n, dtype=float) + 0.5})
    bars, n_rest = charts.bar_rows(streets)
    assert len(bars) == charts.MAX_BARS and n_rest == n - charts.MAX_BARS + 1
    assert bars["capacity_kw"].sum() == pytest.approx(streets["capacity_kw"].sum())
    assert bars["annual_mwh"].sum() == pytest.approx(streets["annual_mwh"].sum())
    assert list(bars["key"].iloc[1:]) == [f"s{i:03d}" for i in range(n - charts.MAX_BARS + 1, n)]  # smallest first
    assert bars["key"].iloc[0] == "others" and str(n_rest) in bars["key_zh"].iloc[0]
    few, none_summed = charts.bar_rows(streets.iloc[:5])
    assert none_summed == 0 and list(few["key"]) == ["s000", "s001", "s002", "s003", "s004"]

    summary = pd.concat([result.summary[result.summary["level"] != "street"], streets], ignore_index=True)
    fig = charts.by_street(dataclasses.replace(result, summary=summary))
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(ticks) == charts.MAX_BARS and str(n_rest) in ticks[0]
    assert any(str(n_rest) in t.get_text() and ("workbook" in t.get_text()) for t in fig.texts)
