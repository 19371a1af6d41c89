"""Where the buildings are: metric CRS, streets, site, registries, and the run's selection.

Two stage calls of :func:`pvsite.pipeline.prepare`:

* :func:`locate` — datum → WGS 84, the metric CRS, implausible footprints
  marked (never dropped), overlapping footprints resolved
  (:mod:`pvsite.buildings.overlaps`), the street of every building, the site centre (for
  solar geometry and row pitch) and registry matches, all on the **whole**
  input so that a street run gives exactly the figures of the district run;
* :func:`choose` — the selection (street, district, bbox, ``--within``) and
  the split of rows whose geometry cannot be used.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pvsite.buildings import overlaps as overlaps_mod
from pvsite.buildings import registry as registry_mod
from pvsite.buildings import streets as streets_mod
from pvsite.errors import InputError, SelectionError
from pvsite.geo import crs as crs_mod
from pvsite.geo import datums
from pvsite.planning.rollup import NO_STREET
from pvsite.presets import ClassifyPreset

log = logging.getLogger(__name__)

#: Key of the district row when the whole input is run.
WHOLE_INPUT_SCOPE = "全区"


@dataclass(frozen=True)
class Selection:
    """Which part of the input a run covers (criteria combine with AND).

    Attributes
    ----------
    street : str, optional
        Street / town name (街道/镇 suffix optional when unambiguous).
    district : str, optional
        District name or adcode in ``district_boundaries``.
    district_boundaries : str, optional
        District polygon file, ``PATH[:datum]``.
    bbox : tuple of 4 float, optional
        (lon_min, lat_min, lon_max, lat_max) [°, WGS84].
    within : str, optional
        Polygon file: keep roofs inside it.
    """

    street: str | None = None
    district: str | None = None
    district_boundaries: str | None = None
    bbox: tuple | None = None
    within: str | None = None

    def is_empty(self) -> bool:
        return not any((self.street, self.district, self.bbox, self.within))

    def label(self) -> str:
        parts = [p for p in (self.street, self.district) if p]
        if self.bbox:
            parts.append("bbox " + ",".join(f"{v:g}" for v in self.bbox))
        if self.within:
            parts.append(f"within {Path(self.within).name}")
        return " ∩ ".join(parts)


@dataclass
class Located:
    """Every input building in a metric CRS, with its street (output of :func:`locate`)."""

    buildings: gpd.GeoDataFrame
    street_names: list
    n_outside_streets: int
    site_lon_deg: float
    site_lat_deg: float
    registry_per_roof: pd.DataFrame | None
    registry_entries: pd.DataFrame | None
    street_polygons: gpd.GeoDataFrame | None

    @functools.cached_property
    def north_deg(self) -> float:
        """Grid convergence at the centre of every usable input building [°] (the run's one frame).

        A street or box run takes it from the whole input, not the selection, so
        its planes and horizons are those of the district run.
        """
        from pvsite.roofs.orientation import grid_north_bearing_deg

        b = self.buildings
        usable = b[b["reject_reason"].isna()] if "reject_reason" in b.columns else b
        return grid_north_bearing_deg(usable[~usable.geometry.isna()])


@dataclass
class Chosen:
    """The selected buildings (output of :func:`choose`)."""

    buildings: gpd.GeoDataFrame
    rejected: gpd.GeoDataFrame
    street_names: list
    scope: str
    n_selected: int


def reject_implausible(gdf: gpd.GeoDataFrame, max_footprint_area_m2: float) -> gpd.GeoDataFrame:
    """Mark footprints too large to be one building (``reject_reason``; never dropped)."""
    area = gdf.geometry.area.fillna(0.0).to_numpy()
    big = (area > max_footprint_area_m2) & gdf["reject_reason"].isna().to_numpy()
    if big.any():
        gdf = gdf.copy()
        gdf.loc[big, "reject_reason"] = [
            f"implausibly large footprint ({a / 1e6:.2f} km² > {max_footprint_area_m2 / 1e6:g} km²)"
            for a in area[big]
        ]
        log.warning("%d footprints larger than %g km² rejected", int(big.sum()), max_footprint_area_m2 / 1e6)
    return gdf


def site_lonlat(gdf: gpd.GeoDataFrame) -> tuple[float, float]:
    """Centre of the buildings' bounding box in lon/lat [°] (solar geometry and row pitch)."""
    geoms = gdf.geometry[~gdf.geometry.isna() & ~gdf.geometry.is_empty]
    if len(geoms) == 0:
        raise InputError("No building in the selection has a usable geometry.",
                         fix="Check the footprint file and the selection.",
                         zh="所选范围内没有几何有效的建筑。",
                         fix_zh="请检查建筑轮廓文件和选择范围。")
    xmin, ymin, xmax, ymax = geoms.total_bounds
    centre = gpd.GeoSeries([shapely.Point((xmin + xmax) / 2, (ymin + ymax) / 2)], crs=gdf.crs).to_crs(4326)
    return float(centre.x.iloc[0]), float(centre.y.iloc[0])


def locate(inputs, config, classes: ClassifyPreset) -> Located:
    """Project, check, assign streets and match registries on the whole input.

    Parameters
    ----------
    inputs : pvsite.io.run_inputs.RunInputs
        The run's inputs (footprints, street polygons, read registries).
    config : pvsite.config.Config
        Validated configuration.
    classes : pvsite.presets.ClassifyPreset
        Classification preset (the registries' building types and name rules).

    Raises
    ------
    InputError
        No feature has a usable footprint.
    """
    gdf = inputs.footprints
    if config.input.datum != "wgs84":
        gdf = datums.convert_datum(gdf, config.input.datum)
    gdf = crs_mod.to_metric(gdf)
    gdf = reject_implausible(gdf, config.roof.max_footprint_area_m2)
    gdf = overlaps_mod.resolve_overlaps(gdf)
    usable = gdf["reject_reason"].isna().to_numpy()
    if not usable.any():
        reasons = gdf["reject_reason"].value_counts().to_dict()
        raise InputError(
            f"No feature of {inputs.footprints_path} (layer {inputs.footprints_meta.get('layer')}) has a usable "
            "building footprint: " + ", ".join(f"{n} × {r}" for r, n in reasons.items()) + ".",
            fix="Footprints must be polygons; pick the building layer with --layer.",
            zh=f"{inputs.footprints_path}（图层 {inputs.footprints_meta.get('layer')}）中没有可用的建筑轮廓：" + "，".join(f"{n} × {r}" for r, n in reasons.items()) + "。",
            fix_zh="建筑轮廓必须是面要素；请用 --layer 选择建筑图层。",
        )
    polys = inputs.street_polygons
    n_outside = 0
    if polys is not None:
        polys = polys.to_crs(gdf.crs)
        gdf["street"] = streets_mod.assign_streets(gdf, polys.rename(columns={"street_name": "name"}), "name")
        street_names = list(dict.fromkeys(polys["street_name"]))
        n_outside = int((gdf["street"].isna() & pd.Series(usable, index=gdf.index)).sum())
        if n_outside:
            log.warning("%d buildings lie outside every street polygon; kept as %s", n_outside, NO_STREET)
    else:
        street_names = sorted(gdf["street"].dropna().astype(str).unique())
    lon, lat = site_lonlat(gdf)
    per_roof, entries = match_registries(gdf, inputs.registries, classes)
    return Located(gdf, street_names, n_outside, lon, lat, per_roof, entries, polys)


def match_registries(gdf: gpd.GeoDataFrame, registries, classes: ClassifyPreset
                     ) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """Match every read registry to the buildings; combine the per-roof tags.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Buildings in a metric CRS.
    registries : list of (pvsite.config.RegistryConfig, pvsite.io.layers.SideLayer)
        The registries read by the IO stage (:attr:`pvsite.io.run_inputs.RunInputs.registries`),
        in precedence order.
    classes : pvsite.presets.ClassifyPreset
        Classification preset.

    Returns
    -------
    per_roof, entries : pandas.DataFrame or None
        :func:`pvsite.buildings.registry.combine_matches` of the per-roof frames, and every entry
        of every registry (``registry_file`` first); both None without registries.
    """
    if not registries:
        return None, None
    per_roof, entries = [], []
    for spec, side in registries:
        pr, en = registry_mod.match_registry(gdf, side, spec, classes)
        en.insert(0, "registry_file", Path(spec.path).name)
        per_roof.append(pr)
        entries.append(en)
        unmatched = int(en["status"].astype(str).str.startswith("unmatched").sum()) if "status" in en else 0
        log.warning("registry %s: %d of %d entries matched a footprint, %d unmatched (listed in layer registry_entries)",
                    Path(spec.path).name, len(en) - unmatched, len(en), unmatched)
    return registry_mod.combine_matches(per_roof), pd.concat(entries, ignore_index=True)


def choose(located: Located, selection: Selection, inputs) -> Chosen:
    """Apply the selection; rows with unusable geometry stay (no geometry) and go to ``rejected``.

    Raises
    ------
    SelectionError
        Unknown street or district, or a selection that selects nothing.
    """
    gdf = located.buildings
    street_names = located.street_names
    scope = WHOLE_INPUT_SCOPE
    if not selection.is_empty():
        gdf = gdf[_selection_mask(gdf, selection, street_names, inputs)].copy()
        if selection.street:
            scope = str(gdf["street"].iloc[0])
            street_names = [scope]
        else:
            scope = selection.label()
            street_names = [n for n in street_names if (gdf["street"] == n).any()]
    else:
        gdf = gdf.copy()
    bad = gdf["reject_reason"].notna().to_numpy()
    rejected = gdf.loc[bad, ["building_id", "source_row", "name", "reject_reason", "geometry"]].copy()
    if bad.any():
        gdf.loc[bad, "geometry"] = None
    return Chosen(gdf, rejected, street_names, scope, len(gdf))


def _selection_mask(gdf, sel: Selection, street_names, inputs) -> np.ndarray:
    kwargs = {}
    if sel.district:
        if not sel.district_boundaries:
            raise SelectionError(
                f"--district {sel.district} needs district outlines.",
                fix="Pass --district-boundaries PATH[:datum] (e.g. a districts GeoJSON).",
                zh=f"--district {sel.district} 需要区界数据。",
                fix_zh="请传入 --district-boundaries PATH[:datum]（如区界 GeoJSON）。",
            )
        kwargs = dict(district=sel.district, district_boundaries=inputs.districts)
    return streets_mod.select(gdf, street=sel.street, bbox=sel.bbox, within=inputs.within,
                              valid_streets=street_names, **kwargs)
