"""Tests of pvsite.buildings.streets: overlap assignment, selection, attribute outlines."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from pvsite.errors import InputError, SelectionError
from pvsite.buildings.streets import (
    UNASSIGNED,
    assign_streets,
    resolve_street,
    select,
    streets_from_attribute,
)

UTM51 = "EPSG:32651"
X0, Y0 = 350_000.0, 3_450_000.0  # Changning-ish UTM 51N origin [m]


def _box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


@pytest.fixture()
def streets():
    # Two streets side by side, border at x = 100 m; a third further east.
    return gpd.GeoDataFrame(
        {"name": ["新华路街道", "江苏路街道", "新泾镇"]},
        geometry=[_box(0, 0, 100, 100), _box(100, 0, 200, 100), _box(300, 0, 400, 100)],
        crs=UTM51,
    )


@pytest.fixture()
def roofs():
    return gpd.GeoDataFrame(
        {"id": ["straddle", "inside_b", "outside", "null", "edge_only", "empty"]},
        geometry=[
            _box(30, 10, 130, 20),  # 70 m in 新华路 (x 30–100), 30 m in 江苏路 (100–130)
            _box(150, 50, 160, 60),
            _box(220, 10, 240, 20),  # between 江苏路 and 新泾镇
            None,
            _box(200, 10, 210, 20),  # shares only the border x = 200 with 江苏路
            shapely.Polygon(),
        ],
        crs=UTM51,
        index=[10, 11, 12, 13, 14, 15],
    )


# ---------------------------------------------------------------------------
# assign_streets
# ---------------------------------------------------------------------------


def test_assign_largest_overlap(roofs, streets):
    s = assign_streets(roofs, streets)
    assert list(s.index) == [10, 11, 12, 13, 14, 15]
    assert s[10] == "新华路街道"  # 70 % beats 30 %
    assert s[11] == "江苏路街道"
    assert s[12] is None
    assert s[13] is None
    assert s[14] is None  # touching a border is no overlap
    assert s[15] is None


def test_assign_30_70_goes_the_other_way(streets):
    roof = gpd.GeoDataFrame(geometry=[_box(70, 10, 170, 20)], crs=UTM51)  # 30 m / 70 m
    assert assign_streets(roof, streets).iloc[0] == "江苏路街道"


def test_assign_reprojects_streets_and_geographic_roofs(roofs, streets):
    expected = assign_streets(roofs, streets)
    # streets in lon/lat, roofs metric
    got = assign_streets(roofs, streets.to_crs(4326))
    pd.testing.assert_series_equal(got, expected)
    # roofs in lon/lat, streets in CGCS2000 GK: both measured in UTM
    got2 = assign_streets(roofs.to_crs(4326), streets.to_crs(4549))
    pd.testing.assert_series_equal(got2, expected)


def test_assign_missing_name_field(roofs, streets):
    with pytest.raises(InputError, match="XZQMC"):
        assign_streets(roofs, streets, name_field="XZQMC")


def test_assign_duplicate_index_and_tie_break(streets):
    # exact 50/50 split: ties go to the name sorting first, whatever the order
    r = gpd.GeoDataFrame(geometry=[_box(50, 0, 150, 10), _box(50, 0, 150, 10)], crs=UTM51, index=[7, 7])
    s1 = assign_streets(r, streets)
    s2 = assign_streets(r, streets.iloc[::-1])
    assert list(s1) == list(s2) == [min("新华路街道", "江苏路街道")] * 2
    assert list(s1.index) == [7, 7]


@settings(max_examples=30, deadline=None)
@given(st.permutations(range(6)), st.permutations(range(3)))
def test_assign_order_invariant(roof_order, street_order):
    streets = gpd.GeoDataFrame(
        {"name": ["新华路街道", "江苏路街道", "新泾镇"]},
        geometry=[_box(0, 0, 100, 100), _box(100, 0, 200, 100), _box(300, 0, 400, 100)],
        crs=UTM51,
    )
    roofs = gpd.GeoDataFrame(
        geometry=[
            _box(30, 10, 130, 20),
            _box(150, 50, 160, 60),
            _box(220, 10, 240, 20),
            None,
            _box(50, 0, 150, 10),
            _box(290, 0, 350, 10),
        ],
        crs=UTM51,
    )
    base = assign_streets(roofs, streets)
    shuffled = assign_streets(roofs.iloc[list(roof_order)], streets.iloc[list(street_order)])
    pd.testing.assert_series_equal(shuffled.sort_index(), base.sort_index())


# ---------------------------------------------------------------------------
# select
# ---------------------------------------------------------------------------


@pytest.fixture()
def assigned(roofs, streets):
    r = roofs.copy()
    r["street"] = assign_streets(roofs, streets)
    return r


def test_select_street_and_suffix(assigned):
    m = select(assigned, street="新华路街道")
    assert m.tolist() == [True, False, False, False, False, False]
    # suffix may be omitted
    assert select(assigned, street="新华路").tolist() == m.tolist()
    assert resolve_street("新泾", ["新泾镇", "北新泾街道"]) == "新泾镇"
    assert resolve_street("北新泾", ["新泾镇", "北新泾街道"]) == "北新泾街道"
    # and the layer may spell it without the suffix
    assert resolve_street("新华路街道", ["新华路", "江苏路"]) == "新华路"
    both = select(assigned, street=["新华路", "江苏路"])
    assert both.tolist() == [True, True, False, False, False, False]


def test_unknown_street_lists_valid_and_suggests(assigned, streets):
    with pytest.raises(SelectionError) as exc:
        select(assigned, street="新华街道", valid_streets=streets["name"])
    msg = str(exc.value)
    for name in ["新华路街道", "江苏路街道", "新泾镇"]:
        assert name in msg
    assert "Did you mean 新华路街道" in msg


def test_ambiguous_suffixless_name():
    with pytest.raises(SelectionError, match="ambiguous"):
        resolve_street("新泾", ["新泾镇", "新泾街道"])


def test_empty_selection_names_it(assigned, streets):
    # 新泾镇 is a valid street but holds no roof
    with pytest.raises(SelectionError, match="新泾镇"):
        select(assigned, street="新泾镇", valid_streets=streets["name"])


def test_select_bbox_and_within(assigned):
    # bbox in lon/lat around the 江苏路 roof only
    inner = gpd.GeoSeries([_box(140, 40, 170, 70)], crs=UTM51).to_crs(4326).total_bounds
    m = select(assigned, bbox=tuple(inner))
    assert m.tolist() == [False, True, False, False, False, False]
    # a bbox in metres
    m2 = select(assigned, bbox=(X0, Y0, X0 + 100, Y0 + 100), bbox_crs=UTM51)
    assert m2.tolist() == [True, False, False, False, False, False]  # straddler's point on surface
    region = gpd.GeoDataFrame(geometry=[_box(200, 0, 260, 100)], crs=UTM51)
    assert select(assigned, within=region).tolist() == [False, False, True, False, True, False]
    # combined with a street: AND
    with pytest.raises(SelectionError, match="bbox"):
        select(assigned, street="江苏路", bbox=(X0, Y0, X0 + 100, Y0 + 100), bbox_crs=UTM51)
    with pytest.raises(SelectionError, match="xmin"):
        select(assigned, bbox=(1, 1, 0, 2))


def test_select_nothing_requested_is_all(assigned):
    assert select(assigned).all()


# ---------------------------------------------------------------------------
# streets_from_attribute
# ---------------------------------------------------------------------------


def test_streets_from_attribute_hulls():
    r = gpd.GeoDataFrame(
        {"street": ["A街道", "A街道", "B镇", None, "B镇"]},
        geometry=[_box(0, 0, 10, 10), _box(20, 20, 30, 30), _box(100, 0, 110, 10), _box(500, 500, 501, 501), None],
        crs=UTM51,
    )
    out = streets_from_attribute(r)
    assert list(out["name"]) == sorted(["A街道", "B镇", UNASSIGNED])
    out = out.set_index("name")
    assert out.loc["A街道", "n_roofs"] == 2
    assert out.loc["B镇", "n_roofs"] == 2  # one of them has no geometry
    # hull of two 10 m squares at (0,0) and (20,20): 30×30 minus two 20×20/2 corners = 500 m²
    assert out.loc["A街道", "geometry"].area == pytest.approx(900 - 2 * 200)
    assert out.loc["B镇", "geometry"].area == pytest.approx(100)
    assert out.loc[UNASSIGNED, "geometry"].area == pytest.approx(1)
    assert out.crs == r.crs
    assert int(out["n_roofs"].sum()) == len(r)


def test_streets_from_attribute_no_info():
    r = gpd.GeoDataFrame(geometry=[_box(0, 0, 10, 10), _box(20, 0, 30, 10)], crs=UTM51)
    out = streets_from_attribute(r)
    assert list(out["name"]) == [UNASSIGNED]
    assert out["n_roofs"].tolist() == [2]
    assert out.geometry.iloc[0].area == pytest.approx(300)
    r["street"] = None
    assert list(streets_from_attribute(r)["name"]) == [UNASSIGNED]


def test_assign_then_rollup_totals_match(roofs, streets):
    r = roofs.copy()
    r["street"] = assign_streets(roofs, streets)
    out = streets_from_attribute(r)
    assert int(out["n_roofs"].sum()) == len(r)
    assert dict(zip(out["name"], out["n_roofs"])) == {"新华路街道": 1, "江苏路街道": 1, UNASSIGNED: 4}
    assert np.isclose(out.set_index("name").loc["新华路街道", "geometry"].area, 100 * 10)


# ---------------------------------------------------------------------------
# district_mask
# ---------------------------------------------------------------------------

from pvsite.geo.datums import wgs84_to_gcj02  # noqa: E402
from pvsite.buildings.streets import district_mask, resolve_district  # noqa: E402
from pvsite.io.layers import read_districts  # noqa: E402


def _district_file(path, datum="wgs84"):
    """Two districts side by side (border at x = 1000 m), written in lon/lat of ``datum``."""
    d = gpd.GeoDataFrame(
        {"name": ["甲区", "乙新区"], "adcode": [310901, 310902]},
        geometry=[_box(0, 0, 1000, 1000), _box(1000, 0, 2000, 1000)],
        crs=UTM51,
    ).to_crs(4326)
    d["geometry"] = d.geometry.segmentize(0.0005)  # ~50 m vertex spacing so edges follow the datum shift
    if datum == "gcj02":
        d["geometry"] = shapely.transform(np.asarray(d.geometry.values),
                                          lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
    d.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


@pytest.fixture()
def district_roofs():
    return gpd.GeoDataFrame(
        {"id": ["west", "east_near_border", "east", "outside", "null"]},
        geometry=[_box(400, 400, 420, 420), _box(1200, 400, 1220, 420), _box(1700, 400, 1720, 420),
                  _box(3000, 400, 3020, 420), None],
        crs=UTM51,
    )


def test_district_mask_names_codes_and_suffixes(tmp_path, district_roofs):
    path = _district_file(tmp_path / "d.geojson")
    assert district_mask(district_roofs, "甲区", path).tolist() == [True, False, False, False, False]
    east = [False, True, True, False, False]
    assert district_mask(district_roofs, "乙新区", path).tolist() == east
    assert district_mask(district_roofs, "乙", path).tolist() == east  # 新区 suffix omitted
    assert district_mask(district_roofs, 310902, path).tolist() == east  # administrative code
    # roofs in lon/lat: same answer
    assert district_mask(district_roofs.to_crs(4490), "乙新区", path).tolist() == east
    # through select(), combined with a bbox
    m = select(district_roofs, district="乙", district_boundaries=path,
               bbox=(X0 + 1500, Y0, X0 + 2000, Y0 + 1000), bbox_crs=UTM51)
    assert m.tolist() == [False, False, True, False, False]
    with pytest.raises(SelectionError, match="boundary file"):
        select(district_roofs, district="乙")


def test_unknown_and_empty_district(tmp_path, district_roofs):
    path = _district_file(tmp_path / "d.geojson")
    with pytest.raises(SelectionError) as exc:
        district_mask(district_roofs, "甲县区", path)
    msg = str(exc.value)
    assert "Unknown district '甲县区'" in msg and "甲区" in msg and "乙新区" in msg and "Did you mean 甲区" in msg
    far = district_roofs.iloc[[3]]
    with pytest.raises(SelectionError, match="甲区 .* contains none of the 1 roofs"):
        district_mask(far, "甲", path)
    with pytest.raises(InputError, match="XZQMC"):
        district_mask(district_roofs, "甲", path, name_field="XZQMC")
    with pytest.raises(InputError, match="does not exist"):
        district_mask(district_roofs, "甲", tmp_path / "none.geojson")


def test_gcj02_boundaries_need_their_datum(tmp_path, district_roofs):
    path = _district_file(tmp_path / "gcj.geojson", datum="gcj02")
    east = [False, True, True, False, False]
    assert district_mask(district_roofs, "乙新区", path, datum="gcj02").tolist() == east
    # taken as WGS 84 the outline sits ~450 m east of its place: the roof 200 m inside the border drops out
    wrong = district_mask(district_roofs, "乙新区", path, datum="wgs84")
    assert wrong.tolist() == [False, False, True, False, False]


def test_shanghai_districts_on_sample(shared_data, repo_root):
    # The sample district is synthetic; this checks bookkeeping and datum handling, not real counts.
    from pvsite.io.footprints import read_footprints

    roofs, _ = read_footprints(repo_root / "footprints" / "sample_district.gpkg", layer="buildings")
    wgs = shared_data / "boundaries/shanghai_districts_wgs84.geojson"
    gcj = shared_data / "boundaries/shanghai_districts_gcj02.geojson"
    names = read_districts(wgs)["name"].tolist()
    assert len(names) == 16 and "长宁区" in names
    assert resolve_district("长宁", read_districts(wgs)) == "长宁区"
    assert resolve_district("310105", read_districts(wgs)) == "长宁区"
    counts = np.zeros(len(roofs), dtype=int)
    for name in names:
        try:
            m = district_mask(roofs, name, wgs)
        except SelectionError:
            continue  # a district holding none of the roofs
        # the GCJ-02 file, converted, gives the same roofs as the WGS 84 file (both from the same source)
        np.testing.assert_array_equal(district_mask(roofs, name, gcj, datum="gcj02"), m)
        counts += m
    assert (counts == 1).all()  # every roof in exactly one district, none in two
    changning = district_mask(roofs, "长宁区", wgs)
    unconverted = district_mask(roofs, "长宁区", gcj, datum="wgs84")
    assert (changning != unconverted).sum() > 0
