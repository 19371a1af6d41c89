"""The pipeline: chains the stages, one module each.

    read footprints → select street → metric CRS → classify → usable roof
    → planes & mounting → policy coverage → capacity → energy (pvlib)
    → rollup → (output)

:func:`run` returns a :class:`RunResult`; :func:`pvsite.outputs.gpkg.write_gpkg`
writes it.  The CLI only parses options and calls these two.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import logging
import platform
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

import pvsite
from pvsite.buildings import classify as classify_mod
from pvsite.geo import crs as crs_mod
from pvsite.geo import datums
from pvsite.solar import energy
from pvsite.io import footprints
from pvsite.io import layers
from pvsite.roofs import layout
from pvsite.roofs import usable as roofs_mod
from pvsite.planning import sizing
from pvsite.buildings import streets as streets_mod
from pvsite.buildings import exclusions as exclusions_mod
from pvsite.roofs import heights
from pvsite.buildings import registry as registry_mod
from pvsite.io import weather as weather_mod
from pvsite.config import Config
from pvsite.errors import ConfigError, InputError, SelectionError
from pvsite.resources import SAMPLE_FOOTPRINTS
from pvsite.presets import load_preset
from pvsite.planning.rollup import NO_STREET, summarise
from pvsite.io.footprints import is_synthetic_sample
from pvsite.outputs.schema import MONTHS

log = logging.getLogger(__name__)

SYNTHETIC_WARNING = (
    "合成示例数据，并非长宁区真实建筑，结果不得作为长宁区数据使用 / "
    "SYNTHETIC sample data — not real Changning buildings; never report these figures as Changning's."
)

Stage = Callable[[str], None]


@dataclass
class RunResult:
    """Everything a run produces (in memory)."""

    roofs: gpd.GeoDataFrame
    planes: pd.DataFrame
    streets: gpd.GeoDataFrame
    district_layer: gpd.GeoDataFrame
    summary: pd.DataFrame
    rejected: gpd.GeoDataFrame
    run_info: dict
    scenario: str
    scenario_description: str
    target_kw: float
    is_synthetic: bool
    scope: str
    classification_report: pd.DataFrame
    weather_meta: dict
    counts: dict = field(default_factory=dict)
    panels: gpd.GeoDataFrame | None = None
    registry_entries: pd.DataFrame | None = None
    footprints_meta: dict = field(default_factory=dict)

    @property
    def district(self) -> pd.Series:
        """The district (or selected street) row of the summary."""
        return self.summary[self.summary["level"] == "district"].iloc[0]


def footprints_path(config: Config) -> Path:
    """The footprint file of a run (the embedded sample when none is given)."""
    if config.input.footprints:
        return Path(config.input.footprints)
    if not SAMPLE_FOOTPRINTS.is_file():
        raise InputError(
            f"The embedded sample district {SAMPLE_FOOTPRINTS} is missing.",
            fix="Regenerate it with `python -m pvsite.datagen.sample_district`, or pass --footprints PATH.",
        )
    return SAMPLE_FOOTPRINTS


def load_street_polygons(config: Config, fp_path: Path) -> tuple[gpd.GeoDataFrame | None, str]:
    """Street/town polygons: ``[input] streets`` or the ``streets`` layer of the footprint GPKG."""
    return layers.read_street_polygons(config.input.streets or None, fp_path, config.input.streets_layer,
                                       config.input.street_name_field)


def list_streets(config: Config) -> list[str]:
    """Names of the streets a run can select (polygons, else the street attribute)."""
    fp = footprints_path(config)
    polys, _ = load_street_polygons(config, fp)
    if polys is not None:
        return list(dict.fromkeys(polys["street_name"]))
    gdf, _ = footprints.read_footprints(
        fp, layer=config.input.layer, encoding=config.input.encoding,
        crs=config.input.crs, fields=config.input.fields,
    )
    return sorted(gdf["street"].dropna().astype(str).unique())


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


def run(config: Config, street: str | None = None, stage: Stage | None = None,
        selection: Selection | None = None) -> RunResult:
    """Run the whole pipeline.

    Parameters
    ----------
    config : Config
        Resolved configuration.
    street : str, optional
        Restrict the run to one street / town (shortcut for
        ``selection=Selection(street=...)``); ``None`` = the whole district.
    stage : callable, optional
        Called with a short label as each stage starts (progress display).
    selection : Selection, optional
        Street, district, bounding box and/or polygon selection.

    Returns
    -------
    RunResult
    """
    say = stage or (lambda label: None)
    started = _dt.datetime.now(_dt.timezone.utc)
    selection = selection or Selection()
    if street is not None:
        selection = dataclasses.replace(selection, street=street)

    # --- fail fast on the cheap inputs: policy, scenario, presets, weather ----
    policy = load_preset("policy", config.policy.preset)
    scenario, rules = sizing.scenario_rules(policy, config.policy.scenario)
    module = load_preset("module", config.system.module)
    losses = load_preset("losses", config.system.losses)
    if config.weather.path:
        weather, wmeta = weather_mod.read_weather(config.weather.path,
                                                  time_shift_min=config.weather.time_shift_min)
    else:
        if config.weather.time_shift_min:
            raise ConfigError(
                "[weather] time_shift_min is set but no weather file is given.",
                fix="The default year already follows the sun: drop time_shift_min, or pass --weather PATH.",
            )
        weather, wmeta = weather_mod.default_weather()

    # --- read ---------------------------------------------------------------
    say("读取建筑轮廓 reading footprints")
    fp_path = footprints_path(config)
    gdf, fp_meta = footprints.read_footprints(
        fp_path, layer=config.input.layer, encoding=config.input.encoding,
        crs=config.input.crs, fields=config.input.fields, engine=config.input.engine,
    )
    n_input = len(gdf)
    for warning in fp_meta.get("warnings", []):
        log.warning("%s: %s", fp_path, warning)
    synthetic = is_synthetic_sample(fp_path)
    if synthetic:
        log.warning(SYNTHETIC_WARNING)
    if n_input == 0:
        raise InputError(
            f"{fp_path} (layer {fp_meta.get('layer')}) holds no features.",
            fix="Check --layer (the layers are listed by `ogrinfo` or QGIS) or the export.",
        )

    # --- datum and metric CRS -------------------------------------------------
    say("投影 projecting to a metric CRS")
    if config.input.datum != "wgs84":
        gdf = datums.convert_datum(gdf, config.input.datum)
    gdf = crs_mod.to_metric(gdf)
    _reject_implausible(gdf, config)
    usable_geom = gdf["reject_reason"].isna().to_numpy()
    if not usable_geom.any():
        reasons = gdf["reject_reason"].value_counts().to_dict()
        raise InputError(
            f"No feature of {fp_path} (layer {fp_meta.get('layer')}) has a usable building footprint: "
            + ", ".join(f"{n} × {r}" for r, n in reasons.items()) + ".",
            fix="Footprints must be polygons; pick the building layer with --layer.",
        )
    polys, streets_source = load_street_polygons(config, fp_path)
    if polys is not None:
        polys = polys.to_crs(gdf.crs)
        gdf["street"] = streets_mod.assign_streets(gdf, polys.rename(columns={"street_name": "name"}), "name")
        street_names = list(dict.fromkeys(polys["street_name"]))
    else:
        street_names = sorted(gdf["street"].dropna().astype(str).unique())
    n_outside_streets = int((gdf["street"].isna() & pd.Series(usable_geom, index=gdf.index)).sum()) \
        if polys is not None else 0
    if n_outside_streets:
        log.warning("%d buildings lie outside every street polygon; kept as %s", n_outside_streets, NO_STREET)

    # Solar geometry and row pitch use the centre of ALL input buildings, so a
    # street run gives exactly the same per-roof figures as the district run.
    site_lon, site_lat = _site_lonlat(gdf)

    # Registries are matched on the whole input, before any selection, so an
    # entry near a street border cannot snap to the wrong roof.
    registry, registry_entries = _match_registries(gdf, config)

    scope = "全区"
    if not selection.is_empty():
        mask = _select(gdf, selection, street_names)
        gdf = gdf[mask].copy()
        if selection.street:
            scope = str(gdf["street"].iloc[0])
            street_names = [scope]
        else:
            scope = selection.label()
            street_names = [n for n in street_names if (gdf["street"] == n).any()]
    n_selected = len(gdf)

    # Rows whose geometry cannot be used stay in `roofs` (no geometry, status
    # 'rejected') and go, with their original geometry, to the `rejected` layer.
    rejected_mask = gdf["reject_reason"].notna().to_numpy()
    rejected = gdf.loc[rejected_mask, ["building_id", "source_row", "name", "reject_reason", "geometry"]].copy()
    if rejected_mask.any():
        gdf.loc[rejected_mask, "geometry"] = None

    # --- classify -------------------------------------------------------------
    say("分类 classifying buildings")
    gdf = classify_mod.classify(
        gdf, preset=config.classify.preset, new_building_year=config.classify.new_building_year,
        overrides=config.input.overrides or None,
        registry=registry.reindex(gdf.index) if registry is not None else None,
    )
    class_report = classify_mod.classification_report(gdf)

    # --- exclusions -------------------------------------------------------------
    excl = _exclusions(gdf, config)
    gdf["excluded"] = excl["excluded"].astype(bool)
    gdf["exclusion_reason"] = excl["exclusion_reason"]

    # --- usable roof, planes, panel layout ------------------------------------
    say("屋顶可用面积与排布 usable roof area and module layout")
    gdf = roofs_mod.usable_roofs(gdf, config.roof)
    planes = roofs_mod.roof_planes(gdf, config.roof, config.mounting, site_lat, module)
    if config.roof.height_raster:
        surface = heights.roof_surface_from_raster(gdf, config.roof.height_raster)
        fill = gdf["height_m"].isna() & surface["raster_height_m"].notna()
        gdf.loc[fill, "height_m"] = surface.loc[fill, "raster_height_m"]
        gdf["raster_roof_shape"] = surface["raster_roof_shape"]
        planes = heights.apply_raster_planes(planes, surface, gdf, module, config.mounting)
        log.warning("height raster %s: %s", Path(config.roof.height_raster).name,
                    surface["raster_roof_shape"].value_counts().to_dict())
    else:
        gdf["raster_roof_shape"] = pd.NA
    planes, panels = layout.layout_roofs(gdf, planes, module, config.mounting, site_lat,
                                         panels=config.output.panels)

    # --- policy coverage → modules → capacity --------------------------------
    say("政策覆盖率与装机 policy coverage and capacity")
    ratios = sizing.policy_ratios(gdf, rules)
    ratios.loc[rejected_mask, "policy_ratio"] = 0.0  # rejected geometries carry nothing
    no_pv = gdf["excluded"].to_numpy() & (not config.exclusions.flag_only)
    gdf, planes = sizing.size_roofs(gdf, planes, ratios, no_pv=no_pv)
    if panels is not None:
        panels = layout.select_panels(panels, planes)

    # --- energy ----------------------------------------------------------------
    say("发电量 energy (pvlib)")
    gdf, planes = _energy(gdf, planes, weather, wmeta, site_lat, site_lon, module, losses, config)
    ef = float(policy["emission_factor_kg_per_kwh"])
    gdf["co2_t"] = gdf["annual_kwh"] * ef / 1000.0

    # --- status and first-plane descriptors -----------------------------------
    first = planes.sort_values(["roof_index", "plane"]).groupby("roof_index").first()
    gdf["mounting"] = first["mounting"].reindex(gdf.index)
    gdf["tilt_deg"] = first["tilt_deg"].reindex(gdf.index)
    gdf["array_azimuth_deg"] = first["azimuth_deg"].reindex(gdf.index)
    gdf["n_planes"] = planes.groupby("roof_index").size().reindex(gdf.index).fillna(0).astype(int)
    gdf["status"] = np.select(
        [rejected_mask, gdf["capacity_kw"].to_numpy() > 0, no_pv & (gdf["policy_ratio"].to_numpy() > 0),
         gdf["policy_ratio"].to_numpy() <= 0],
        ["rejected", "sized", "excluded", "not required"],
        default="too small",
    )

    # --- rollup -----------------------------------------------------------------
    say("汇总 rolling up")
    target_kw = float(policy["target_kw"])
    summary = summarise(gdf, target_kw, streets=street_names, scope_label=scope)
    streets_gdf = _streets_layer(summary, polys, gdf)
    district_gdf = _district_layer(summary, streets_gdf)

    desc = policy["scenarios"][scenario].get("description_zh", "") + " / " + policy["scenarios"][scenario].get("description", "")
    counts = {"input": n_input, "selected": n_selected, "rejected": int(rejected_mask.sum()),
              "excluded": int(gdf["excluded"].sum()), "outside_streets": n_outside_streets,
              "panels": int(planes["n_modules"].sum())}
    run_info = _run_info(
        config, fp_path, fp_meta, synthetic, scenario, desc, policy, wmeta, streets_source,
        started, n_input, n_selected, int(rejected_mask.sum()), scope, class_report, gdf,
        site_lat, site_lon,
    )
    run_info.update({
        "selection": selection.label() or "whole input",
        "n_excluded": str(counts["excluded"]),
        "n_outside_streets": str(n_outside_streets),
        "n_modules": str(counts["panels"]),
        "module_preset": str(module.get("_path", "")),
        "footprints_warnings": json.dumps(fp_meta.get("warnings", []), ensure_ascii=False),
    })
    return RunResult(
        roofs=gdf, planes=planes, streets=streets_gdf, district_layer=district_gdf, summary=summary,
        rejected=rejected, run_info=run_info, scenario=scenario, scenario_description=desc,
        target_kw=target_kw, is_synthetic=synthetic, scope=scope, classification_report=class_report,
        weather_meta=wmeta, counts=counts, panels=panels, registry_entries=registry_entries,
        footprints_meta=fp_meta,
    )


def _reject_implausible(gdf: gpd.GeoDataFrame, config: Config) -> None:
    """Mark footprints too large to be one building (in place, never dropped)."""
    limit = config.roof.max_footprint_area_m2
    area = gdf.geometry.area.fillna(0.0).to_numpy()
    big = (area > limit) & gdf["reject_reason"].isna().to_numpy()
    if big.any():
        gdf.loc[big, "reject_reason"] = [
            f"implausibly large footprint ({a / 1e6:.2f} km² > {limit / 1e6:g} km²)" for a in area[big]
        ]
        log.warning("%d footprints larger than %g km² rejected", int(big.sum()), limit / 1e6)


def _select(gdf: gpd.GeoDataFrame, sel: Selection, street_names: list[str]) -> np.ndarray:
    within = layers.read_within(sel.within) if sel.within else None
    kwargs = {}
    if sel.district:
        if not sel.district_boundaries:
            raise SelectionError(
                f"--district {sel.district} needs district outlines.",
                fix="Pass --district-boundaries PATH[:datum] (e.g. a districts GeoJSON).",
            )
        bpath, bdatum = layers.parse_spec(sel.district_boundaries)
        kwargs = dict(district=sel.district, district_boundaries=bpath, district_datum=bdatum or "wgs84")
    return streets_mod.select(gdf, street=sel.street, bbox=sel.bbox, within=within,
                              valid_streets=street_names, **kwargs)


def _match_registries(gdf: gpd.GeoDataFrame, config: Config):
    specs = list(config.input.registries)
    if not specs:
        return None, None
    per_roof, entries = [], []
    allowed = {"path", "datum", "lon_col", "lat_col", "name_col", "type_col", "default_type",
               "type_map", "tolerance_m", "layer", "encoding"}
    for spec in specs:
        spec = dict(spec) if isinstance(spec, dict) else {"path": str(spec)}
        bad = set(spec) - allowed
        if bad or "path" not in spec:
            raise ConfigError(f"Registry entry {spec!r}: unknown key(s) {sorted(bad)}" if bad
                              else f"Registry entry {spec!r} has no path.",
                              fix=f"Registry keys: {', '.join(sorted(allowed))}.")
        path = spec.pop("path")
        datum = spec.pop("datum", None)
        pr, en = registry_mod.match_registry(gdf, path, datum, preset=config.classify.preset, **spec)
        en.insert(0, "registry_file", Path(path).name)
        per_roof.append(pr)
        entries.append(en)
        unmatched = int(en["status"].astype(str).str.startswith("unmatched").sum()) if "status" in en else 0
        log.warning("registry %s: %d of %d entries matched a footprint, %d unmatched (listed in layer registry_entries)",
                    Path(path).name, len(en) - unmatched, len(en), unmatched)
    return registry_mod.combine_matches(per_roof), pd.concat(entries, ignore_index=True)


def _exclusions(gdf: gpd.GeoDataFrame, config: Config) -> pd.DataFrame:
    layers = exclusions_mod.expand_layers(config.exclusions.layers)
    if not layers:
        return pd.DataFrame({"excluded": False, "exclusion_reason": pd.NA}, index=gdf.index)
    return exclusions_mod.mark_exclusions(gdf, layers, min_overlap_share=config.exclusions.min_overlap_share)


def _site_lonlat(gdf: gpd.GeoDataFrame) -> tuple[float, float]:
    """Centre of the buildings in lon/lat (for solar geometry and row pitch)."""
    geoms = gdf.geometry[~gdf.geometry.isna() & ~gdf.geometry.is_empty]
    if len(geoms) == 0:
        raise InputError("No building in the selection has a usable geometry.",
                         fix="Check the footprint file and the selection.")
    xmin, ymin, xmax, ymax = geoms.total_bounds
    centre = gpd.GeoSeries([shapely.Point((xmin + xmax) / 2, (ymin + ymax) / 2)], crs=gdf.crs).to_crs(4326)
    return float(centre.x.iloc[0]), float(centre.y.iloc[0])


def _energy(gdf, planes, weather, wmeta, lat, lon, module, losses, config):
    """Simulate each distinct (rounded) orientation once; map kWh back to planes and roofs."""
    step = config.system.orientation_step_deg
    p = planes.copy()
    p["tilt_r"] = (p["tilt_deg"] / step).round() * step
    p["azim_r"] = ((p["azimuth_deg"] / step).round() * step) % 360.0
    orient = (
        p[["tilt_r", "azim_r", "mounting"]].drop_duplicates().reset_index(drop=True)
        .rename(columns={"tilt_r": "tilt_deg", "azim_r": "azimuth_deg"})
    )
    sim = energy.simulate(
        weather, latitude=lat, longitude=lon, altitude=float(wmeta.get("altitude") or 0.0),
        orientations=orient, module=module, losses=losses,
        inverter_efficiency_pct=config.system.inverter_efficiency_pct,
        dc_ac_ratio=config.system.dc_ac_ratio, temperature_model=config.system.temperature_model,
    )
    sim = pd.concat([orient, sim.reset_index(drop=True)], axis=1)
    p = p.merge(
        sim.rename(columns={"tilt_deg": "tilt_r", "azimuth_deg": "azim_r"}),
        on=["tilt_r", "azim_r", "mounting"], how="left", validate="many_to_one",
    )
    p.index = planes.index
    cap = p["capacity_kw"].to_numpy()
    p["annual_kwh"] = cap * p["specific_yield_kwh_per_kwp"].to_numpy()
    p["poa_kwh_dc_ref"] = cap * p["poa_kwh_per_m2"].to_numpy()  # kWh at STC-normalised 1 kW/m²
    for i, m in enumerate(MONTHS, start=1):
        p[m] = cap * p[f"kwh_per_kwp_m{i:02d}"].to_numpy()
    sums = p.groupby("roof_index")[["annual_kwh", "poa_kwh_dc_ref", *MONTHS]].sum()
    gdf = gdf.copy()
    for col in ["annual_kwh", *MONTHS]:
        gdf[col] = sums[col].reindex(gdf.index).fillna(0.0)
    capacity = gdf["capacity_kw"].to_numpy()
    ref = sums["poa_kwh_dc_ref"].reindex(gdf.index).fillna(0.0).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        gdf["specific_yield_kwh_per_kwp"] = np.where(capacity > 0, gdf["annual_kwh"] / capacity, np.nan)
        gdf["performance_ratio"] = np.where(ref > 0, gdf["annual_kwh"] / ref, np.nan)
    keep = [c for c in planes.columns] + ["annual_kwh", "specific_yield_kwh_per_kwp", "poa_kwh_per_m2"]
    return gdf, p[keep]


def _streets_layer(summary: pd.DataFrame, polys: gpd.GeoDataFrame | None, roofs: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Street rollup rows with geometry: the street polygon, else the hull of its roofs."""
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


def _district_layer(summary: pd.DataFrame, streets_gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The district (or selected street) row with the union of the street outlines."""
    row = summary[summary["level"] == "district"].reset_index(drop=True)
    geoms = streets_gdf.geometry[~streets_gdf.geometry.isna()].to_numpy()
    geom = shapely.union_all(geoms) if len(geoms) else None
    return gpd.GeoDataFrame(row, geometry=[geom], crs=streets_gdf.crs)


def _versions() -> dict:
    import geopandas
    import pvlib
    import pyogrio
    import pyproj

    return {
        "pvsite": pvsite.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "shapely": shapely.__version__,
        "geopandas": geopandas.__version__,
        "pyogrio": pyogrio.__version__,
        "gdal": pyogrio.__gdal_version_string__,
        "pyproj": pyproj.__version__,
        "proj": pyproj.proj_version_str,
        "pvlib": pvlib.__version__,
    }


def _run_info(config, fp_path, fp_meta, synthetic, scenario, desc, policy, wmeta, streets_source,
              started, n_input, n_selected, n_rejected, scope, class_report, roofs, lat, lon) -> dict:
    info = {
        "synthetic_sample": "true" if synthetic else "false",
    }
    if synthetic:
        info["warning"] = SYNTHETIC_WARNING
    info.update(
        {
            "created_utc": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "scope": scope,
            "scenario": scenario,
            "scenario_description": desc,
            "policy_preset": policy.get("_path", ""),
            "policy_source": policy.get("source", ""),
            "target_kw": f"{float(policy['target_kw']):g}",
            "target_label": policy.get("target_label", ""),
            "emission_factor_kg_per_kwh": f"{float(policy['emission_factor_kg_per_kwh']):g}",
            "emission_factor_source": policy.get("emission_factor_source", ""),
            "footprints_path": str(fp_path),
            "footprints_sha256": fp_meta.get("sha256", ""),
            "footprints_layer": str(fp_meta.get("layer", "")),
            "footprints_crs": str(fp_meta.get("crs", "")),
            "field_mapping": json.dumps(fp_meta.get("field_mapping", {}), ensure_ascii=False),
            "streets_source": streets_source,
            "n_input_features": str(n_input),
            "n_selected": str(n_selected),
            "n_rejected": str(n_rejected),
            "output_crs": roofs.crs.to_string() if roofs.crs else "",
            "site_latitude_deg": f"{lat:.4f}",
            "site_longitude_deg": f"{lon:.4f}",
            "weather_source": str(wmeta.get("source", "")),
            "weather_description": str(wmeta.get("description", "")),
            "weather_is_synthetic": "true" if wmeta.get("is_synthetic") else "false",
            "weather_sha256": str(wmeta.get("sha256", "")),
            "weather_irradiance_noon_offset_min": str(wmeta.get("irradiance_noon_offset_min", "")),
            "weather_time_shift_min": str(wmeta.get("time_shift_min", 0.0)),
            "classification_report": class_report.to_json(orient="records", force_ascii=False),
            "config_toml": config.to_toml(),
        }
    )
    for k, v in _versions().items():
        info[f"version_{k}"] = str(v)
    return info
