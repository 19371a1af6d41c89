"""The roofs stage: usable area → PV planes → measured planes → building heights → module layout.

:func:`survey_roofs` is the one call :func:`pvsite.pipeline.prepare` makes for
this stage.  Everything here is independent of the policy scenario: the
modules that *fit* on each plane are counted once, and
:mod:`pvsite.planning` later takes as many of them as a scenario asks for.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from pvsite.roofs.layout import ModulePanels
from pvsite.roofs import heights, layout
from pvsite.roofs import planes as planes_mod
from pvsite.roofs.building_heights import building_heights
from pvsite.roofs import unsuitable as unsuitable_mod
from pvsite.roofs import usable as usable_mod

log = logging.getLogger(__name__)


@dataclass
class SurveyedRoofs:
    """Roofs with usable area and planes; the planes with the modules that fit.

    Attributes
    ----------
    roofs : geopandas.GeoDataFrame
        One row per selected building, with ``usable_area_m2``, ``usable_geometry``,
        ``raster_roof_shape``, ``height_m`` [m], ``height_source`` and the first
        plane's ``mounting``, ``tilt_deg``, ``array_azimuth_deg`` and ``n_planes``.
    planes : pandas.DataFrame
        One row per PV plane (``roof_index``, ``plane``, ``tilt_deg``,
        ``azimuth_deg``, ``mounting``, ``modules_fit`` ...).
    panels : pvsite.roofs.layout.ModulePanels or None
        One rectangle per module that fits, built in batches when written
        (None with ``output.panels = false``).
    """

    roofs: gpd.GeoDataFrame
    planes: pd.DataFrame
    panels: gpd.GeoDataFrame | ModulePanels | None


def survey_roofs(buildings: gpd.GeoDataFrame, config, module, site_lat_deg: float, *,
                 north_deg: float | None = None) -> SurveyedRoofs:
    """Usable roof, planes and module layout of every building.

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        Classified buildings in a metric CRS (rejected rows with no geometry).
    config : pvsite.config.Config
        Validated configuration (``roof``, ``mounting``, ``output.panels``).
    module : mapping
        Module preset.
    site_lat_deg : float
        Latitude of the site [°N] (row pitch).
    north_deg : float, optional
        Grid bearing of true north [°]; default that of ``buildings``
        (:func:`pvsite.roofs.orientation.grid_north_bearing_deg`).  A
        partition of a run (:func:`pvsite.compute.survey_roofs`) gets the
        whole run's, so it gives the roofs one process would.

    With ``config.roof.height_raster``, roof planes are measured from the
    raster (:func:`pvsite.roofs.heights.roof_surface_from_raster`, which
    samples it through :mod:`pvsite.io`).  Every roof then gets a height and
    its ``height_source`` (:func:`pvsite.roofs.building_heights.building_heights`:
    attribute, storeys, raster median, or a flagged class default).
    """
    roofs = usable_mod.usable_roofs(buildings, config.roof, north_deg=north_deg)
    planes = planes_mod.roof_planes(roofs, config.roof, config.mounting, site_lat_deg, module)
    if config.roof.height_raster:
        surface = heights.roof_surface_from_raster(roofs, config.roof.height_raster, north_deg=north_deg)
        log.warning("height raster %s: %s", Path(config.roof.height_raster).name,
                    surface["raster_roof_shape"].value_counts().to_dict())
        roofs["raster_roof_shape"] = surface["raster_roof_shape"]
        planes = heights.apply_raster_planes(planes, surface, roofs, module, config.mounting)
    else:
        surface = None
        roofs["raster_roof_shape"] = pd.NA
    roofs[["height_m", "height_source"]] = building_heights(
        roofs, config.heights, None if surface is None else surface["raster_height_m"])
    planes, panels = layout.layout_roofs(roofs, planes, module, config.mounting, site_lat_deg,
                                         panels=False if config.output.panels is False else "lazy",
                                         north_deg=north_deg)
    roofs["roof_note"] = layout.no_fit_notes(roofs, planes, module, config.mounting)
    roofs["unsuitable_reason"] = unsuitable_mod.unsuitable_reasons(roofs, config.roof)
    return SurveyedRoofs(describe_planes(roofs, planes), planes, panels)


def describe_planes(roofs: gpd.GeoDataFrame, planes: pd.DataFrame) -> gpd.GeoDataFrame:
    """Copy the first plane's mounting, layout, tilt and azimuth, and the plane count, onto each roof."""
    roofs = roofs.copy()
    first = planes.sort_values(["roof_index", "plane"]).groupby("roof_index").first()
    roofs["mounting"] = first["mounting"].reindex(roofs.index)
    if "layout" in first.columns:
        roofs["layout"] = first["layout"].reindex(roofs.index)
    roofs["tilt_deg"] = first["tilt_deg"].reindex(roofs.index)
    roofs["array_azimuth_deg"] = first["azimuth_deg"].reindex(roofs.index)
    roofs["n_planes"] = planes.groupby("roof_index").size().reindex(roofs.index).fillna(0).astype(int)
    return roofs
