"""Streets (街道) and towns (镇): assign roofs to them and select roofs.

Changning has 10 sub-districts, 9 街道 and 新泾镇 (statistical codes
310105001000–310105102000, see ``boundaries/changning_subdistricts_reference.csv``
of the shared reference data).  Targets and reports roll up by them.

* :func:`assign_streets` gives every roof the street polygon it overlaps most
  (area, in metres).
* :func:`select` turns ``--street`` / ``--bbox`` / ``--within`` / ``--district``
  into a boolean mask, refusing unknown streets and empty selections.
* :func:`district_mask` keeps the roofs inside one district (区/县) of a
  boundary layer (e.g. the 16 Shanghai districts) read by
  :func:`pvsite.io.layers.read_districts`, which converts GCJ-02 / BD-09
  outlines to WGS 84 first.
* :func:`streets_from_attribute` builds display outlines when the input has a
  street *attribute* but no street polygons.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from pvsite.geo.crs import to_metric
from pvsite.errors import InputError, SelectionError

logger = logging.getLogger(__name__)

#: Group name of roofs without street information (rollups, maps).
UNASSIGNED = "(未划分街道)"
#: Administrative suffixes that may be omitted when naming a street:
#: 街道 (sub-district), 镇 (town), 乡 (township).
STREET_SUFFIXES = ("街道", "镇", "乡")
#: Administrative suffixes that may be omitted when naming a district:
#: 新区 (new area, 浦东新区), 区 (district), 县 (county), 市 (county-level city).
DISTRICT_SUFFIXES = ("新区", "区", "县", "市")


# ---------------------------------------------------------------------------
# Assignment
# ---------------------------------------------------------------------------


def assign_streets(
    roofs: gpd.GeoDataFrame, streets: gpd.GeoDataFrame, name_field: str = "name"
) -> pd.Series:
    """Street of every roof: the street polygon with the largest overlap area.

    Both layers are measured in the same metric CRS: the roofs' CRS when it is
    metric (streets are reprojected to it), otherwise the roofs' UTM zone
    (:func:`pvsite.geo.crs.to_metric`).  A roof straddling a street border goes to
    the street holding the larger part of its area; exact ties go to the name
    that sorts first, so the result does not depend on feature order.

    Parameters
    ----------
    roofs : geopandas.GeoDataFrame
        Roof polygons; the index may hold duplicates.
    streets : geopandas.GeoDataFrame
        Street / town polygons.  Polygons with a null name are ignored.  A
        layer without CRS is taken to be in the roofs' CRS (logged).
    name_field : str
        Column of ``streets`` holding the street name.

    Returns
    -------
    pandas.Series
        Index of ``roofs``, dtype object: the street name, or None for roofs
        that overlap no street polygon with a positive area (outside all
        streets, or only touching a border) and for null/empty geometries.

    Raises
    ------
    InputError
        When ``name_field`` is not a column of ``streets``.
    """
    if name_field not in streets.columns:
        raise InputError(
            f"Street polygons have no column {name_field!r}; found columns "
            f"{[c for c in streets.columns if c != streets.geometry.name]}.",
            fix="Name the street-name column with [input] street_name_field in the config "
            "(e.g. street_name_field = \"XZQMC\").",
            zh=f"街道图层没有字段 {name_field!r}；现有字段：{[c for c in streets.columns if c != streets.geometry.name]}。",
            fix_zh="请在配置文件 [input] street_name_field 中指定街道名称字段（如 street_name_field = \"XZQMC\"）。",
        )
    result = pd.Series([None] * len(roofs), index=roofs.index, dtype=object, name="street")
    if len(roofs) == 0 or len(streets) == 0:
        return result

    streets = streets[streets[name_field].notna()]
    if roofs.crs is not None and streets.crs is None:
        logger.warning("street polygons declare no CRS; assuming the roofs' CRS %s", roofs.crs)
        streets = streets.set_crs(roofs.crs)
    roofs_m = to_metric(roofs) if roofs.crs is not None else roofs
    if (
        roofs_m.crs is not None
        and streets.crs is not None
        and pyproj.CRS(streets.crs) != pyproj.CRS(roofs_m.crs)
    ):
        streets = streets.to_crs(roofs_m.crs)

    roof_geoms = np.asarray(roofs_m.geometry.values)
    street_geoms = np.asarray(streets.geometry.values)
    names = streets[name_field].astype(str).to_numpy()
    valid_street = ~(shapely.is_missing(street_geoms) | shapely.is_empty(street_geoms))
    street_geoms, names = street_geoms[valid_street], names[valid_street]
    if len(street_geoms) == 0:
        return result

    tree = shapely.STRtree(street_geoms)
    roof_pos, street_pos = tree.query(roof_geoms, predicate="intersects")
    if len(roof_pos) == 0:
        logger.warning("no roof overlaps any street polygon; check both layers' CRS")
        return result
    overlap_m2 = shapely.area(shapely.intersection(roof_geoms[roof_pos], street_geoms[street_pos]))
    pairs = pd.DataFrame({"roof": roof_pos, "overlap_m2": overlap_m2, "name": names[street_pos]})
    pairs = pairs[pairs["overlap_m2"] > 0]
    best = pairs.sort_values(
        ["roof", "overlap_m2", "name"], ascending=[True, False, True], kind="mergesort"
    ).drop_duplicates("roof", keep="first")
    values = result.to_numpy(copy=True)
    values[best["roof"].to_numpy()] = best["name"].to_numpy()
    n_none = int(sum(v is None for v in values))
    if n_none:
        logger.info("%d of %d roofs lie in no street polygon", n_none, len(values))
    return pd.Series(values, index=roofs.index, dtype=object, name="street")


# ---------------------------------------------------------------------------
# Selection
# ---------------------------------------------------------------------------


def _base_name(name: str) -> str:
    """Street name without a trailing 街道/镇/乡 suffix."""
    for suffix in STREET_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def resolve_street(name: str, valid_streets: Iterable[str]) -> str:
    """The valid street name meant by ``name``.

    An exact match wins.  Otherwise names are compared without a trailing
    街道/镇/乡, so '新华路' finds '新华路街道' and '新泾' finds '新泾镇' (and
    '新华路街道' finds a layer that spells it '新华路'), provided exactly one
    valid street matches.

    Parameters
    ----------
    name : str
        Street name given by the user.
    valid_streets : iterable of str
        Known street names.

    Returns
    -------
    str
        The matching valid name.

    Raises
    ------
    SelectionError
        When no or several streets match; the message lists the valid names
        and suggests the nearest ones (difflib).
    """
    valid = sorted({str(v) for v in valid_streets})
    name = str(name).strip()
    if name in valid:
        return name
    base = _base_name(name)
    matches = [v for v in valid if _base_name(v) == base]
    if len(matches) == 1:
        logger.info("street %r taken as %r", name, matches[0])
        return matches[0]
    if len(matches) > 1:
        raise SelectionError(
            f"Street {name!r} is ambiguous: it matches {', '.join(matches)}.",
            fix="Give the full name, e.g. --street " + matches[0],
            zh=f"街道名 {name!r} 有歧义：可匹配 {', '.join(matches)}。",
            fix_zh="请写全称，如 --street " + matches[0],
        )
    close = difflib.get_close_matches(name, valid, n=3, cutoff=0.4)
    hint = f"Did you mean {' or '.join(close)}? " if close else ""
    hint_zh = f"是否想写 {' 或 '.join(close)}？" if close else ""
    raise SelectionError(
        f"Unknown street {name!r}. Valid streets ({len(valid)}): {', '.join(valid) or '(none)'}.",
        fix=f"{hint}Use one of the valid names (the 街道/镇 suffix may be omitted).",
        zh=f"未知街道 {name!r}。有效街道（{len(valid)} 个）：{', '.join(valid) or '（无）'}。",
        fix_zh=f"{hint_zh}请使用有效名称之一（可省略“街道/镇”后缀）。",
    )


def _region_mask(roofs: gpd.GeoDataFrame, region, region_crs) -> np.ndarray:
    """Roofs whose point-on-surface lies inside ``region`` (boundary included)."""
    if isinstance(region, (gpd.GeoDataFrame, gpd.GeoSeries)):
        series = region.geometry if isinstance(region, gpd.GeoDataFrame) else region
        if series.crs is None and region_crs is not None:
            series = series.set_crs(region_crs)
    else:
        series = gpd.GeoSeries([region], crs=region_crs)
    if roofs.crs is not None and series.crs is not None and pyproj.CRS(series.crs) != pyproj.CRS(roofs.crs):
        series = series.to_crs(roofs.crs)
    area = shapely.union_all(np.asarray(series.values))
    geoms = np.asarray(roofs.geometry.values)
    points = shapely.point_on_surface(geoms)
    inside = shapely.covers(area, points)
    return np.asarray(inside, dtype=bool) & ~shapely.is_missing(points)


def select(
    roofs: gpd.GeoDataFrame,
    street: str | Sequence[str] | None = None,
    bbox: Sequence[float] | None = None,
    within=None,
    valid_streets: Iterable[str] | None = None,
    street_field: str = "street",
    bbox_crs="EPSG:4326",
    district=None,
    district_boundaries=None,
    district_field: str = "name",
    district_datum: str = "wgs84",
) -> np.ndarray:
    """Boolean mask of the roofs in a selection (all criteria combined with AND).

    A roof is in a ``bbox`` / ``within`` region when its point on surface
    (``shapely.point_on_surface``, always inside the roof) is covered by the
    region, so adjacent regions never share a roof.

    Parameters
    ----------
    roofs : geopandas.GeoDataFrame
        Roofs, with ``street_field`` when selecting by street.
    street : str or sequence of str, optional
        Street name(s); the 街道/镇/乡 suffix may be omitted when unambiguous
        (see :func:`resolve_street`).
    bbox : sequence of 4 float, optional
        (xmin, ymin, xmax, ymax) in ``bbox_crs`` [°] or [m].
    within : shapely geometry, GeoSeries or GeoDataFrame, optional
        Region (its union); a bare geometry is taken to be in ``bbox_crs``,
        a GeoSeries/GeoDataFrame in its own CRS.
    valid_streets : iterable of str, optional
        Known street names (e.g. the street layer's names).  Default: the
        non-null values of ``roofs[street_field]``.
    street_field : str
        Column of ``roofs`` holding the street.
    bbox_crs : str or pyproj.CRS
        CRS of ``bbox`` and of a bare ``within`` geometry (default lon/lat).
    district : str, optional
        District name or code in ``district_boundaries`` (see
        :func:`district_mask`).
    district_boundaries : geopandas.GeoDataFrame, str or Path, optional
        District polygons (:func:`pvsite.io.layers.read_districts`) or their
        file; required with ``district``.
    district_field : str
        Column of ``district_boundaries`` holding the names.
    district_datum : {'wgs84', 'gcj02', 'bd09'}
        Datum of a ``district_boundaries`` file.

    Returns
    -------
    numpy.ndarray of bool
        One value per roof, in row order.

    Raises
    ------
    SelectionError
        Unknown street or district (listing the valid names and the nearest
        suggestion), or a selection that selects no roof (naming the
        selection).
    """
    mask = np.ones(len(roofs), dtype=bool)
    described = []
    if district is not None:
        if district_boundaries is None:
            raise SelectionError(
                f"Cannot select district {district!r}: no district boundary file given.",
                fix="Give the boundaries, e.g. --district-boundaries shanghai_districts_wgs84.geojson.",
                zh=f"无法选择区县 {district!r}：未提供区界文件。",
                fix_zh="请提供区界，如 --district-boundaries shanghai_districts_wgs84.geojson。",
            )
        mask &= district_mask(roofs, district, district_boundaries, district_field, district_datum)
        described.append(f"district {district}")
    if street is not None:
        wanted = [street] if isinstance(street, str) else list(street)
        if street_field not in roofs.columns:
            raise SelectionError(
                f"Cannot select by street: the roofs have no {street_field!r} column.",
                fix="Give street polygons (--streets) or map a street column in [input.fields].",
                zh=f"无法按街道选择：屋顶数据没有 {street_field!r} 字段。",
                fix_zh="请提供街道边界（--streets），或在 [input.fields] 中映射街道字段。",
            )
        if valid_streets is None:
            valid_streets = roofs[street_field].dropna().astype(str).unique()
        valid = [str(v) for v in valid_streets]
        resolved = [resolve_street(s, valid) for s in wanted]
        mask &= roofs[street_field].isin(resolved).to_numpy(dtype=bool)
        described.append("street " + ", ".join(resolved))
    if bbox is not None:
        if len(bbox) != 4 or not (bbox[0] < bbox[2] and bbox[1] < bbox[3]):
            raise SelectionError(
                f"Bounding box {tuple(bbox)} is not (xmin, ymin, xmax, ymax) with xmin < xmax and "
                "ymin < ymax.",
                fix="Give --bbox xmin ymin xmax ymax, e.g. --bbox 121.40 31.19 121.43 31.22.",
                zh=f"范围框 {tuple(bbox)} 不是 (xmin, ymin, xmax, ymax)，或不满足 xmin < xmax 且 ymin < ymax。",
                fix_zh="请写 --bbox xmin ymin xmax ymax，如 --bbox 121.40 31.19 121.43 31.22。",
            )
        mask &= _region_mask(roofs, shapely.box(*bbox), bbox_crs)
        described.append(f"bbox {tuple(bbox)} ({bbox_crs})")
    if within is not None:
        mask &= _region_mask(roofs, within, bbox_crs)
        described.append("within region")
    if described and not mask.any():
        raise SelectionError(
            f"The selection {'; '.join(described)} contains none of the {len(roofs)} roofs.",
            fix="Check the street name / bbox coordinates (lon/lat order: xmin ymin xmax ymax) "
            "and the CRS of the region.",
            zh=f"所选范围 {'；'.join(described)} 不包含 {len(roofs)} 个屋顶中的任何一个。",
            fix_zh="请检查街道名称 / bbox 坐标（经纬度顺序：xmin ymin xmax ymax）及其坐标系。",
        )
    return mask


# ---------------------------------------------------------------------------
# Districts
# ---------------------------------------------------------------------------


def _strip_suffix(name: str, suffixes) -> str:
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def resolve_district(district, districts: gpd.GeoDataFrame) -> str:
    """The district name meant by ``district``.

    An exact name wins; then the name without a trailing 新区/区/县/市 ('长宁'
    finds '长宁区'); then an exact administrative code when the layer has an
    ``adcode`` column ('310105' finds 长宁区).

    Parameters
    ----------
    district : str or int
        Name (or code) given by the user.
    districts : geopandas.GeoDataFrame
        Output of :func:`pvsite.io.layers.read_districts`.

    Returns
    -------
    str
        The district's name in the layer.

    Raises
    ------
    SelectionError
        Unknown or ambiguous name; the message lists the valid names and the
        nearest suggestions.
    """
    valid = list(dict.fromkeys(districts["name"]))
    name = str(district).strip()
    if name in valid:
        return name
    base = _strip_suffix(name, DISTRICT_SUFFIXES)
    matches = [v for v in valid if _strip_suffix(v, DISTRICT_SUFFIXES) == base]
    if len(matches) == 1:
        return matches[0]
    if "adcode" in districts.columns:
        codes = districts["adcode"].astype(str).str.strip()
        hit = districts.loc[codes == name, "name"].unique()
        if len(hit) == 1:
            return str(hit[0])
    if len(matches) > 1:
        raise SelectionError(f"District {name!r} is ambiguous: it matches {', '.join(matches)}.",
                             fix="Give the full name, e.g. --district " + matches[0],
                             zh=f"区县名 {name!r} 有歧义：可匹配 {', '.join(matches)}。",
                             fix_zh="请写全称，如 --district " + matches[0])
    close = difflib.get_close_matches(name, valid, n=3, cutoff=0.4)
    hint = f"Did you mean {' or '.join(close)}? " if close else ""
    hint_zh = f"是否想写 {' 或 '.join(close)}？" if close else ""
    raise SelectionError(
        f"Unknown district {name!r}. Valid districts ({len(valid)}): {', '.join(valid) or '(none)'}.",
        fix=f"{hint}Use one of the valid names (the 区/县 suffix may be omitted).",
        zh=f"未知区县 {name!r}。有效区县（{len(valid)} 个）：{', '.join(valid) or '（无）'}。",
        fix_zh=f"{hint_zh}请使用有效名称之一（可省略“区/县”后缀）。",
    )


def district_mask(
    roofs: gpd.GeoDataFrame,
    district,
    boundaries,
    name_field: str = "name",
    datum: str = "wgs84",
    layer=None,
) -> np.ndarray:
    """Boolean mask of the roofs inside one district of a boundary file.

    A roof is inside when its point on surface (``shapely.point_on_surface``)
    is covered by the district's polygon(s) (boundary included), as in
    :func:`select`, so neighbouring districts never share a roof.

    Parameters
    ----------
    roofs : geopandas.GeoDataFrame
        Roofs with a CRS (any; the district is reprojected to it).
    district : str or int
        District name (suffix 区/县 optional) or administrative code.
    boundaries : geopandas.GeoDataFrame, str or Path
        District polygons as returned by :func:`pvsite.io.layers.read_districts`
        (``name`` column, EPSG:4326), or their file, e.g.
        ``shanghai_districts_wgs84.geojson``, read through it with
        ``name_field``, ``datum`` and ``layer``.
    name_field : str
        Column of a boundary file holding the district names.
    datum : {'wgs84', 'gcj02', 'bd09'}
        Datum of a boundary file's lon/lat (see :func:`pvsite.io.layers.read_districts`).
    layer : str, optional
        Layer of a multi-layer boundary file.

    Returns
    -------
    numpy.ndarray of bool
        One value per roof, in row order; False for roofs without geometry.

    Raises
    ------
    SelectionError
        Unknown district (listing the valid names), or a district that holds
        none of the roofs.
    InputError
        Unreadable boundary file or missing name column.
    """
    if isinstance(boundaries, gpd.GeoDataFrame):
        districts, source = boundaries, boundaries.attrs.get("source", "district boundaries")
    else:
        from pvsite.io.layers import read_districts

        districts = read_districts(boundaries, name_field=name_field, datum=datum, layer=layer)
        source = f"{Path(boundaries).name}, datum {datum}"
    name = resolve_district(district, districts)
    region = districts.loc[districts["name"] == name, ["geometry"]]
    mask = _region_mask(roofs, region, "EPSG:4326")
    logger.info("district %s holds %d of %d roofs", name, int(mask.sum()), len(roofs))
    if len(roofs) and not mask.any():
        raise SelectionError(
            f"District {name} ({source}) contains none of the {len(roofs)} roofs.",
            fix="Check that the footprints lie in this district, and the boundary file's datum "
                "(web-map outlines are GCJ-02: pass datum gcj02).",
            zh=f"区县 {name}（{source}）不包含 {len(roofs)} 个屋顶中的任何一个。",
            fix_zh="请检查建筑轮廓是否位于该区，以及区界文件的坐标系（网络地图边界为 GCJ-02：请注明 gcj02）。",
        )
    return mask


# ---------------------------------------------------------------------------
# Street outlines from an attribute
# ---------------------------------------------------------------------------


def streets_from_attribute(roofs: gpd.GeoDataFrame, street_field: str = "street") -> gpd.GeoDataFrame:
    """Display outlines of the streets named by a roof attribute.

    For inputs with a street column but no street polygons, each street's
    geometry is the convex hull of all its roofs (``shapely.convex_hull`` of
    their collection).  Hulls of neighbouring streets may overlap: they serve
    rollup maps only, never to assign roofs (the roofs already carry their
    street).  Roofs with a null street, or all roofs when the column is
    missing or entirely null, form the group :data:`UNASSIGNED`.

    Parameters
    ----------
    roofs : geopandas.GeoDataFrame
        Roofs.
    street_field : str
        Column holding the street name.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``name``, ``n_roofs``, ``geometry``; one row per street,
        sorted by name, in the roofs' CRS.
    """
    if street_field in roofs.columns:
        labels = roofs[street_field].astype(object).where(roofs[street_field].notna(), UNASSIGNED)
        labels = labels.astype(str).to_numpy()
    else:
        labels = np.full(len(roofs), UNASSIGNED, dtype=object)
    geoms = np.asarray(roofs.geometry.values)
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    codes, uniques = pd.factorize(pd.Series(labels), sort=True)
    n_roofs = np.bincount(codes, minlength=len(uniques))
    hulls = np.full(len(uniques), shapely.Polygon(), dtype=object)
    if keep.any():
        order = np.argsort(codes[keep], kind="stable")
        kept_codes = codes[keep][order]
        present, dense = np.unique(kept_codes, return_inverse=True)
        collections = shapely.geometrycollections(geoms[keep][order], indices=dense)
        hulls[present] = shapely.convex_hull(collections)
    return gpd.GeoDataFrame(
        {"name": np.asarray(uniques, dtype=object), "n_roofs": n_roofs},
        geometry=gpd.GeoSeries(hulls, crs=roofs.crs),
        crs=roofs.crs,
    )
