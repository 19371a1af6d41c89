"""Street and district outlines: street polygons when given, else the hull of the roofs' vertices (never a union)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from pvsite.planning import outlines
from pvsite.planning.rollup import NO_STREET

CRS = "EPSG:32651"


def _roofs(seed: int = 3, n: int = 300) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, 2000, n), rng.uniform(0, 2000, n)
    w, h = rng.uniform(5, 60, n), rng.uniform(5, 60, n)
    geoms = list(shapely.box(x, y, x + w, y + h))
    geoms[7] = None  # a roof without geometry is left out of the hull
    geoms[11] = shapely.MultiPolygon([shapely.box(0, 0, 5, 5), shapely.box(3000, 10, 3010, 20)])
    street = rng.choice(["甲街道", "乙街道", "丙镇"], n).astype(object)
    street[:5] = None  # roofs outside every street
    return gpd.GeoDataFrame({"street": street}, geometry=geoms, crs=CRS)


def _summary(keys) -> pd.DataFrame:
    return pd.DataFrame({"level": ["district"] + ["street"] * len(keys), "key": ["全区", *keys],
                         "capacity_kw": np.arange(len(keys) + 1, dtype=float)})


def _old_hull(roofs, key):
    """What pvsite drew before: the convex hull of the union of the street's roofs."""
    street = roofs["street"].astype("string").fillna(NO_STREET)
    members = roofs.geometry[(street == key).to_numpy()].dropna()
    return shapely.convex_hull(shapely.union_all(members.to_numpy()))


def test_hull_contains_every_roof_and_equals_the_old_union_hull():
    roofs = _roofs()
    keys = ["甲街道", "乙街道", "丙镇", NO_STREET]
    layer = outlines.streets_layer(_summary(keys), None, roofs)
    assert list(layer["key"]) == keys and layer.crs == roofs.crs
    street = roofs["street"].astype("string").fillna(NO_STREET).to_numpy()
    for key, hull in zip(layer["key"], layer.geometry):
        members = roofs.geometry[(street == key) & roofs.geometry.notna().to_numpy()]
        assert len(members) > 0
        points = shapely.point_on_surface(members.to_numpy())
        assert shapely.covers(hull, points).all(), key
        assert shapely.covers(hull.buffer(1e-6), members.to_numpy()).all(), key
        assert hull.equals_exact(_old_hull(roofs, key).normalize(), 1e-9) or hull.equals(_old_hull(roofs, key))
    # the far part of the multi-part roof stretches its street's hull
    far = roofs["street"].iloc[11] if roofs["street"].iloc[11] is not None else NO_STREET
    assert layer.set_index("key").geometry[far].bounds[2] >= 3010


def test_street_polygons_are_used_as_they_are():
    roofs = _roofs()
    a = shapely.box(0, 0, 1000, 2000)
    b1, b2 = shapely.box(1000, 0, 2000, 1000), shapely.box(1000, 1000, 2000, 2000)
    polys = gpd.GeoDataFrame({"street_name": ["甲街道", "乙街道", "乙街道"]}, geometry=[a, b1, b2], crs=CRS)
    layer = outlines.streets_layer(_summary(["甲街道", "乙街道", "丙镇"]), polys, roofs).set_index("key")
    assert layer.geometry["甲街道"].equals(a)
    assert layer.geometry["乙街道"].equals(shapely.union_all([b1, b2]))  # a street in two polygons: their union
    assert layer.geometry["丙镇"].equals(_old_hull(roofs, "丙镇"))  # no polygon: the hull of its roofs
    district = outlines.district_layer(_summary(["甲街道", "乙街道", "丙镇"]), layer.reset_index())
    assert district.geometry.iloc[0].covers(layer.geometry["甲街道"])


def test_a_street_without_roofs_and_without_a_polygon_has_no_outline():
    roofs = _roofs()
    layer = outlines.streets_layer(_summary(["甲街道", "无此街道"]), None, roofs).set_index("key")
    assert layer.geometry["无此街道"] is None and layer.geometry["甲街道"] is not None


def test_no_union_of_roofs_is_computed(monkeypatch):
    roofs = _roofs()

    def forbidden(*args, **kwargs):
        raise AssertionError("union_all called on roofs")

    monkeypatch.setattr(shapely, "union_all", forbidden)
    layer = outlines.streets_layer(_summary(["甲街道", "乙街道"]), None, roofs)
    assert layer.geometry.notna().all()


@pytest.mark.parametrize("block", [1, 7, 50])
def test_hulls_in_runs_of_streets_equal_one_call(monkeypatch, block):
    """Streets in runs of a few vertices give the same hulls, vertex for vertex, as all streets in one call."""
    roofs = _roofs(n=400)
    roofs["street"] = np.where(np.arange(400) % 9 == 0, None, [f"街道{i % 23}" for i in range(400)])
    whole = outlines.street_hulls(roofs)
    monkeypatch.setattr(outlines, "HULL_BLOCK_VERTICES", block)
    parts = outlines.street_hulls(roofs)
    assert list(parts) == list(whole) and len(whole) == 24
    for key in whole:
        assert shapely.equals_exact(parts[key], whole[key], tolerance=0), key
        assert shapely.equals(whole[key], _old_hull(roofs, key)), key
