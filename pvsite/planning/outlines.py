"""Geometry of the rollup: street and district outlines for the ``streets`` and ``district`` layers."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from pvsite.planning.rollup import NO_STREET


def streets_layer(summary: pd.DataFrame, polys: gpd.GeoDataFrame | None, roofs: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Street rollup rows with geometry: the street polygon (in the roofs' CRS), else the convex hull of its roofs."""
    rows = summary[summary["level"] == "street"].reset_index(drop=True)
    geoms = []
    street_col = roofs["street"].astype("string").fillna(NO_STREET)
    for key in rows["key"]:
        geom = None
        if polys is not None:
            hit = polys.loc[polys["street_name"] == key, "geometry"]
            if len(hit):
                geom = shapely.union_all(hit.to_numpy())
        if geom is None:
            members = roofs.geometry[(street_col == key).to_numpy()]
            members = members[~members.isna()]
            geom = shapely.convex_hull(shapely.union_all(members.to_numpy())) if len(members) else None
        geoms.append(geom)
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=roofs.crs)


def district_layer(summary: pd.DataFrame, streets_gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The district (or selected street) row with the union of the street outlines."""
    row = summary[summary["level"] == "district"].reset_index(drop=True)
    geoms = streets_gdf.geometry[~streets_gdf.geometry.isna()].to_numpy()
    geom = shapely.union_all(geoms) if len(geoms) else None
    return gpd.GeoDataFrame(row, geometry=[geom], crs=streets_gdf.crs)
