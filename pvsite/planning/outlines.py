"""Geometry of the rollup: street and district outlines for the ``streets`` and ``district`` layers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pvsite.planning.rollup import NO_STREET


def streets_layer(summary: pd.DataFrame, polys: gpd.GeoDataFrame | None, roofs: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Street rollup rows with geometry: the street polygon, else the convex hull of its roofs' vertices.

    Parameters
    ----------
    summary : pandas.DataFrame
        The rollup (rows with ``level == 'street'`` get a geometry, by ``key``).
    polys : geopandas.GeoDataFrame or None
        Street polygons (``street_name``, in the roofs' CRS); a street given
        as several polygons gets their union.
    roofs : geopandas.GeoDataFrame
        Roofs with ``street`` and footprint geometry.

    Returns
    -------
    geopandas.GeoDataFrame
        The street rows; a street without a polygon gets the convex hull of
        every vertex of its roofs, which is the convex hull of the union of
        those roofs (what pvsite drew before) without computing the union:
        one pass over the coordinates (:func:`street_hulls`).
    """
    rows = summary[summary["level"] == "street"].reset_index(drop=True)
    keys = rows["key"].astype(str).to_numpy()
    geoms = np.full(len(rows), None, dtype=object)
    if polys is not None and len(polys):
        names = polys["street_name"].astype(str).to_numpy()
        for i, key in enumerate(keys):
            hit = polys.geometry.to_numpy()[names == key]
            if len(hit):
                geoms[i] = shapely.union_all(hit)
    missing = np.array([g is None for g in geoms], dtype=bool)
    if missing.any():
        hulls = street_hulls(roofs)
        geoms[missing] = [hulls.get(k) for k in keys[missing]]
    return gpd.GeoDataFrame(rows, geometry=list(geoms), crs=roofs.crs)


def street_hulls(roofs: gpd.GeoDataFrame) -> dict[str, shapely.Geometry]:
    """Street → convex hull of all vertices of its roofs (roofs without a street under ``NO_STREET``).

    Vectorised: the vertices of every roof in one array
    (:func:`shapely.get_coordinates`), grouped by street into MultiPoints
    (:func:`shapely.multipoints` with sorted indices), one :func:`shapely.convex_hull`
    call.  The hull contains every roof, so every roof's representative point.
    """
    geom = roofs.geometry.to_numpy()
    ok = ~(shapely.is_missing(geom) | shapely.is_empty(geom))
    if not ok.any():
        return {}
    street = roofs["street"].astype("string").fillna(NO_STREET).to_numpy()[ok]
    codes, names = pd.factorize(street)
    coords, roof_of = shapely.get_coordinates(geom[ok], return_index=True)
    group = codes[roof_of]
    by_street = np.argsort(group, kind="stable")  # shapely wants the indices sorted
    coords, group = coords[by_street], group[by_street]
    # Streets in runs of about HULL_BLOCK_VERTICES vertices: the MultiPoints of one run exist at a time (the same
    # hull per street; at 300,000 roofs all streets' MultiPoints at once held ≈ 0.3 GB).
    cuts = np.searchsorted(group, np.unique(group[::HULL_BLOCK_VERTICES]), side="left")
    hulls = []
    for lo, hi in zip(cuts, np.r_[cuts[1:], len(group)]):
        points = shapely.multipoints(coords[lo:hi], indices=group[lo:hi] - group[lo])
        hulls.extend(shapely.convex_hull(points))
        del points
    return dict(zip(map(str, names), hulls))


#: Vertices per run of streets in :func:`street_hulls` (whole streets; pvsite choice, any value gives the same hulls).
HULL_BLOCK_VERTICES = 200_000


def district_layer(summary: pd.DataFrame, streets_gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The district (or selected street) row with the union of the street outlines."""
    row = summary[summary["level"] == "district"].reset_index(drop=True)
    geoms = streets_gdf.geometry[~streets_gdf.geometry.isna()].to_numpy()
    geom = shapely.union_all(geoms) if len(geoms) else None
    return gpd.GeoDataFrame(row, geometry=[geom], crs=streets_gdf.crs)
