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
