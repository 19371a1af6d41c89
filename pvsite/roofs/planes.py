"""Assumed PV planes per roof type.

Stage ``roofs``: after :func:`pvsite.roofs.usable.usable_roofs`,
:func:`roof_planes` gives every roof with usable area its PV planes — one
plane of tilted rack rows on flat and unknown roofs, two flush planes split at
the ridge on pitched and metal roofs — with tilt, azimuth, share of the usable
area and power density per m² of horizontal roof area.  A height raster may
then replace the assumed planes by measured ones
(:func:`pvsite.roofs.heights.apply_raster_planes`).

Azimuths are true bearings, clockwise from true north (180 = south).
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from pvsite.config import MountingConfig, RoofConfig
from pvsite.errors import InputError
from pvsite.roofs.orientation import row_azimuths_deg
from pvsite.roofs.usable import RIDGED_TYPES, ROOF_TYPES
from pvsite.solar import mounting


def roof_planes(
    roofs: gpd.GeoDataFrame,
    roof_cfg: RoofConfig,
    mounting_cfg: MountingConfig,
    latitude_deg,
    module: Mapping,
) -> pd.DataFrame:
    """PV planes of every roof with usable area: orientation and power density.

    Flat and unknown roofs carry one plane of **tilted rows** facing
    ``mounting_cfg.flat_azimuth_deg`` at ``flat_tilt_deg`` — or following
    the building when one of its edge normals is within
    ``mounting_cfg.align_tolerance_deg`` of that azimuth
    (:func:`pvsite.roofs.orientation.row_azimuths_deg`) — spaced so the rows
    do not shade each other in the no-shade window
    (:func:`pvsite.solar.mounting.rack_rows`, evaluated for the rows' own
    azimuth).  Pitched and metal roofs
    carry two **flush** planes split at the ridge (the long axis), facing
    ``axis ± 90°``, each with half the usable area, at
    ``roof_cfg.pitched_tilt_deg`` / ``metal_tilt_deg``.

    ``ground_coverage_ratio`` is the module area per m² of *horizontal* roof
    area given to the array — the quantity the sizing needs, because usable
    areas are map (horizontal) areas:

    * tilted rows: ``L / pitch × n·l / (n·l + (n − 1)·gap) × w / (w + gap)``
      (:func:`pvsite.solar.mounting.rack_rows`) — the classic ``L / pitch``
      of rows ``n`` modules high in portrait
      (``mounting_cfg.modules_per_row_portrait``, slant length
      ``L = n·l + (n − 1)·gap``), times the fill up the slope and along the
      row lost to the clamp gaps.  ``L / pitch`` is independent of ``n``;
    * flush: ``packing / cos(tilt)`` — modules cover ``packing`` (clamp gaps,
      :func:`pvsite.solar.mounting.flush_packing_factor`) of the *sloped* plane,
      and a horizontal m² of a plane of slope ``θ`` is ``1 / cos θ`` m² of
      sloped surface; so a 25° roof holds 1.075 m² of module per m² of map
      area.

    ``power_density_w_per_m2 = power_w / (length_m · width_m) × GCR`` is then
    W DC per m² of horizontal roof area given to PV.

    Not modelled (the figures are per unit area of a large array): the last
    row of a flat-roof array needs no shadow gap behind it (slightly
    conservative), and rows or modules do not tile a roof edge exactly, most
    of all when the building is not aligned with the rows (slightly
    optimistic).  Horizontal setbacks on a pitched roof are ``1/cos θ``
    longer along the slope at eaves and ridge (≈ 10 % at 25°).  The two
    halves of a ridged roof get ``area_share`` 0.5 each, exact for a
    rectangle only.  :func:`pvsite.roofs.layout.layout_roofs` places real modules
    in the real halves and gives the count that fits (``modules_fit``).

    Parameters
    ----------
    roofs : geopandas.GeoDataFrame or pandas.DataFrame
        Output of :func:`pvsite.roofs.usable.usable_roofs` (``roof_type``,
        ``usable_area_m2``, ``axis_azimuth_deg``).
    roof_cfg : RoofConfig
        Pitched and metal roof tilts [°].
    mounting_cfg : MountingConfig
        Flat-roof tilt and azimuth [°], alignment tolerance [°], no-shade
        window [h], module gap [m], modules per rack row [-].
    latitude_deg : float or array_like
        Site latitude, north positive [°]; one value, or one per roof.
    module : mapping
        Module preset (``load_preset('module', name)``) with ``power_w``
        [W], ``length_m`` [m] and ``width_m`` [m].

    Returns
    -------
    pandas.DataFrame
        One row per plane, ordered by roof then plane, only for roofs with
        ``usable_area_m2 > 0``: ``roof_index`` (label in ``roofs.index``),
        ``plane`` (0/1), ``roof_type``, ``mounting`` ('tilted_rows' or
        'flush'), ``tilt_deg`` [°], ``azimuth_deg`` [°, 0–360 clockwise from
        north], ``area_share`` (of the roof's usable area),
        ``plane_area_m2`` (horizontal usable area of the plane) [m²],
        ``ground_coverage_ratio`` [m² module / m² horizontal], and
        ``power_density_w_per_m2`` [W/m² horizontal].
    """
    missing = [c for c in ("roof_type", "usable_area_m2", "axis_azimuth_deg") if c not in roofs.columns]
    if missing:
        raise InputError(
            f"roof_planes needs the columns {missing}, which the roofs table lacks.",
            fix="Pass the output of pvsite.roofs.usable.usable_roofs.",
            zh=f"roof_planes 需要列 {missing}，屋顶表中没有。",
            fix_zh="请传入 pvsite.roofs.usable.usable_roofs 的输出。",
        )
    mounting.module_dims(module)  # refuses a bad module preset before any work
    gap_m = float(mounting_cfg.module_gap_m)

    n = len(roofs)
    lat = np.broadcast_to(np.asarray(latitude_deg, dtype=float), (n,))
    roof_type = roofs["roof_type"].astype(object).where(roofs["roof_type"].notna(), "unknown").to_numpy()
    unknown = sorted(set(roof_type) - set(ROOF_TYPES), key=str)
    if unknown:
        raise InputError(f"Unknown roof_type value(s) {unknown}; expected one of {list(ROOF_TYPES)}.",
                         zh=f"未知的 roof_type 值 {unknown}；应为 {list(ROOF_TYPES)} 之一。")
    usable = roofs["usable_area_m2"].to_numpy(dtype=float)
    axis = roofs["axis_azimuth_deg"].to_numpy(dtype=float)
    has_pv = usable > 0
    ridged = np.isin(roof_type, RIDGED_TYPES)
    if np.any(has_pv & ridged & ~np.isfinite(axis)):
        raise InputError("A pitched or metal roof with usable area has no axis_azimuth_deg.",
                         zh="有可用面积的坡屋顶或金属屋顶缺少 axis_azimuth_deg（屋脊方位角）。")

    n_planes = np.where(has_pv, np.where(ridged, 2, 1), 0)
    pos = np.repeat(np.arange(n), n_planes)
    plane = np.arange(len(pos)) - np.repeat(np.cumsum(n_planes) - n_planes, n_planes)
    p_ridged = ridged[pos]
    p_type = roof_type[pos]

    # Orientation.
    ridge_tilt = np.where(p_type == "metal", roof_cfg.metal_tilt_deg, roof_cfg.pitched_tilt_deg)
    tilt = np.where(p_ridged, ridge_tilt, mounting_cfg.flat_tilt_deg).astype(float)
    facing = (axis[pos] + np.where(plane == 0, 90.0, 270.0)) % 360.0
    rows_az = row_azimuths_deg(axis[pos], mounting_cfg.flat_azimuth_deg, mounting_cfg.align_tolerance_deg)
    azimuth = np.where(p_ridged, facing, rows_az)
    share = np.where(p_ridged, 0.5, 1.0)

    # Module area per horizontal m².
    gcr = np.empty(len(pos))
    if p_ridged.any():
        packing = mounting.flush_packing_factor(module, gap_m)
        gcr[p_ridged] = packing / np.cos(np.radians(tilt[p_ridged]))
    rows = ~p_ridged
    if rows.any():
        gcr[rows] = mounting.rack_rows(
            module, mounting_cfg, lat[pos][rows], mounting_cfg.flat_tilt_deg, azimuth[rows]
        ).ground_coverage_ratio
    density = mounting.power_density_w_per_m2(module, gcr)

    return pd.DataFrame(
        {
            "roof_index": roofs.index.to_numpy()[pos],
            "plane": plane.astype(np.int64),
            "roof_type": p_type,
            "mounting": np.where(p_ridged, "flush", "tilted_rows"),
            "tilt_deg": tilt,
            "azimuth_deg": azimuth,
            "area_share": share,
            "plane_area_m2": usable[pos] * share,
            "ground_coverage_ratio": gcr,
            "power_density_w_per_m2": density,
        }
    )
