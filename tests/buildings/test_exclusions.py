"""Exclusion layers: hand-made heritage polygons/points and the real OSM heritage layer on the Bund."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely import Point, box
from shapely.affinity import translate

from pvsite.geo.datums import wgs84_to_gcj02
from pvsite.errors import ConfigError, InputError
from pvsite.buildings.exclusions import mark_exclusions
from pvsite.config import ExclusionLayerConfig, ExclusionsConfig
from pvsite.io.run_inputs import read_exclusion_layer

X0, Y0 = 500_000.0, 3_450_000.0
CRS = "EPSG:32651"
#: ``[exclusions] min_overlap_share`` of the default config.
DEFAULT_SHARE = ExclusionsConfig().min_overlap_share


def read(path, layer=None, datum="wgs84", **settings):
    """One exclusion layer as the IO stage reads it: (config entry, SideLayer)."""
    spec = ExclusionLayerConfig(path=str(path), layer=layer, datum=datum, **settings)
    return spec, read_exclusion_layer(spec)


def mark(roofs, layers, min_overlap_share=None):
    """:func:`mark_exclusions` of (path, layer, datum) tuples or read layers, default share unless given."""
    read_layers = [x if isinstance(x[0], ExclusionLayerConfig) else read(*x) for x in layers]
    return mark_exclusions(roofs, read_layers, DEFAULT_SHARE if min_overlap_share is None else min_overlap_share)


@pytest.fixture()
def roofs():
    shapes = [box(0, 0, 20, 20), box(20, 0, 40, 20), box(100, 0, 120, 20), box(200, 0, 220, 20), None]
    geoms = [None if g is None else translate(g, X0, Y0) for g in shapes]
    return gpd.GeoDataFrame({"name": list("ABCDE")}, geometry=geoms, crs=CRS, index=[10, 11, 12, 13, 14])


def write_layers(tmp_path, datum="wgs84"):
    """Heritage polygon over roof A (reaching 0.5 m into B), a point on C, in lon/lat."""
    poly = translate(box(-1, -1, 20.5, 21), X0, Y0)  # covers A; 0.5 × 20 = 10 m² = 2.5 % of B
    pts = [translate(Point(110, 10), X0, Y0), translate(Point(500, 500), X0, Y0)]
    path = tmp_path / "heritage.gpkg"
    for layer, geoms, names in (("polys", [poly], ["外滩源"]), ("points", pts, ["老闸捕房旧址", None])):
        g = gpd.GeoDataFrame({"name_zh": names}, geometry=geoms, crs=CRS).to_crs(4326)
        if datum == "gcj02":
            g["geometry"] = g.geometry.transform(lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
        g.to_file(path, layer=layer, engine="pyogrio")
    return path


def test_polygons_and_points(roofs, tmp_path):
    path = write_layers(tmp_path)
    out = mark(roofs, [(path, "polys", "wgs84"), (path, "points", "wgs84")])
    assert list(out.index) == [10, 11, 12, 13, 14]
    assert out.excluded.tolist() == [True, False, True, False, False]
    assert out.exclusion_reason[10] == "heritage: 外滩源 (polys)"
    assert out.exclusion_reason[12] == "heritage: 老闸捕房旧址 (points)"
    assert out.exclusion_reason[[11, 13, 14]].isna().all()
    # any contact: B (2.5 % covered) is excluded too
    anyhit = mark(roofs, [(path, "polys", "wgs84")], min_overlap_share=0.0)
    assert anyhit.excluded.tolist() == [True, True, False, False, False]
    # threshold between 2.5 % and 5 %
    assert mark(roofs, [(path, "polys", "wgs84")], min_overlap_share=0.02).excluded[11]
    # a GeoPackage without a layer stands for all its spatial layers: polygons and points
    whole = mark(roofs, [read(path)])
    assert whole.excluded.tolist() == out.excluded.tolist()
    assert whole.exclusion_reason[[10, 12]].tolist() == ["heritage: 外滩源 (polys)", "heritage: 老闸捕房旧址 (points)"]


def test_gcj02_layer_needs_its_datum(roofs, tmp_path):
    path = write_layers(tmp_path, datum="gcj02")
    ok = mark(roofs, [read(path, "polys", "gcj02", kind="no-go")])
    assert ok.excluded.tolist() == [True, False, False, False, False]
    assert ok.exclusion_reason[10] == "no-go: 外滩源 (polys)"
    # read as WGS 84 the polygon lands ~500 m off and touches nothing
    assert not mark(roofs, [(path, "polys", "wgs84")]).excluded.any()


def test_unnamed_feature_and_errors(roofs, tmp_path):
    path = write_layers(tmp_path)
    near = roofs.copy()
    near.loc[13, "geometry"] = translate(box(490, 490, 510, 510), X0, Y0)
    out = mark(near, [(path, "points", "wgs84")])
    assert out.exclusion_reason[13] == "heritage: unnamed (points)"
    with pytest.raises(InputError, match="does not exist"):
        read(tmp_path / "nope.gpkg")
    with pytest.raises(InputError, match="no column 'NAME_CN'"):
        read(path, "points", name_field="NAME_CN")
    with pytest.raises(ConfigError, match="datum"):
        read(path, "points", "mars")


# --------------------------------------------------------------------------
# Real data: OSM heritage layer on the Bund outlines
# --------------------------------------------------------------------------


def test_real_bund_heritage(shared_data):
    bund = gpd.read_file(shared_data / "footprints" / "shanghai_bund_buildings.gpkg", layer="buildings").to_crs(CRS)
    src = shared_data / "constraints" / "shanghai_heritage_osm.gpkg"
    polys, points = (src, "heritage_polygons", "wgs84"), (src, "heritage_points", "wgs84")
    # The shared-data README's figures: polygons touch 437 outlines (predicate
    # 'intersects', i.e. min_overlap_share=0), 43 outlines contain a heritage point.
    touched = mark(bund, [polys], min_overlap_share=0.0).excluded
    assert int(touched.sum()) == 437
    pointed = mark(bund, [points]).excluded
    assert int(pointed.sum()) == 43
    both = mark(bund, [polys, points], min_overlap_share=0.0)
    assert int(both.excluded.sum()) == 458 == int((touched | pointed).sum())  # 22 outlines have both
    # Default rule (polygon covers ≥ 5 % of the roof): 411 by polygons, 432 with the points.
    default = mark(bund, [polys, points])
    assert int(mark(bund, [polys]).excluded.sum()) == 411
    assert int(default.excluded.sum()) == 432
    assert default.exclusion_reason.str.contains("unnamed").sum() == 0
    assert default.exclusion_reason[default.excluded].str.startswith("heritage: ").all()
    print(f"\nBund heritage exclusions: intersects {int(touched.sum())}, points {int(pointed.sum())}, "
          f"union {int(both.excluded.sum())}; default (≥5 % cover) {int(default.excluded.sum())}")
