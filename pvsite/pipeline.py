"""The pipeline: one call per stage, in the order of the diagram.

::

    prepare(config, selection)                        ← everything a scenario does not change
      io.read_inputs          weather, footprints, streets, registries, exclusions, selection layers
      buildings.locate        datum → metric CRS, checks, streets, site, registries
      buildings.choose        street / district / bbox / within selection
      buildings.checks        weather distance, policy district, datum, overlaps, high latitude
      buildings.classify      site context (--context parcels / OSM areas), building type, policy class, department
      planning.tasks          plan task (36 / 37), its departments, the responsible one
      buildings.exclusions    protected / no-go roofs
      roofs.survey_roofs      usable area → planes → heights → module layout   } on partitions with
      roofs.roof_horizons     horizons of the planes (shading on), each        } [compute] (pvsite.compute)
                              partition's points → solar.shading.PlaneShading  }
      planning.installed      installed / under construction / planned projects → roofs
      solar.plane_yields      pvlib, once per distinct orientation; planes below roof.min_yield_share_pct
                              of the site's optimum yield keep no modules (suitability)
    size(prepared, scenario)                          ← per scenario, cheap
      planning.apply_scenario policy coverage → modules → capacity → status
      buildings.checks        unclassified buildings and the kW they leave out
      solar.apply_yields      kWh, performance ratio, CO2 (emission preset)
      planning.carbon         standard coal saved
      planning.installed      kW on each roof, remaining potential, trajectory
      economics.appraise      capex, benefit, payback, NPV, IRR, LCOE per roof (business model)
      economics.sensitivity   district payback / NPV with capex ± 20 %, tariff ± 10 %, self-use ± 20 points
      planning.summarise      district / street / class / department rollup, targets, renewable share
      planning.ranking        priority list toward the gap, one task list per department
      planning.outlines       street and district layers
      outputs.provenance      run_info
    run(config) = size(prepare(config))


writes it as one set (GeoPackage, QGIS project, workbook).  The CLI and the
Python API (``pvsite.run``, ``pvsite.write``) call exactly these.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
from dataclasses import dataclass, field
from typing import Callable

import geopandas as gpd
import pandas as pd

from pvsite.roofs.layout import ModulePanels
from pvsite.buildings import checks
from pvsite.buildings import classify as classify_mod
from pvsite.buildings import exclusions as exclusions_mod
from pvsite.buildings import locate as locate_mod
from pvsite.buildings.locate import Selection
from pvsite.config import Config
from pvsite.io import run_inputs
from pvsite.outputs import provenance
from pvsite.planning import carbon, outlines, ranking, sizing, tasks
from pvsite.planning import installed as installed_mod
from pvsite.planning.rollup import potential_totals, summarise
from pvsite.planning.scenario import apply_scenario, scenario_potential
from pvsite import compute, economics, presets
from pvsite.roofs import horizon as horizon_mod
from pvsite.roofs import usable as usable_mod
from pvsite.solar import hourly, yields
from pvsite.solar import shading as shading_mod

__all__ = ["Prepared", "RunResult", "Selection", "compare_scenarios", "list_streets", "prepare", "run", "size"]

Stage = Callable[[str], None]

#: Progress labels, one per stage the progress bar counts.
STAGES = ("读取输入 reading inputs", "定位 locating buildings", "分类 classifying buildings",
          "屋顶可用面积与排布 usable roof area and module layout", "发电量 energy (pvlib)",
          "政策覆盖率与装机 policy coverage and capacity", "汇总 rolling up")
#: The stages of :func:`prepare` (the rest belong to :func:`size`).
PREPARE_STAGES = STAGES[:5]


def _silent(label: str) -> None:
    """A progress callback that shows nothing."""


@dataclass
class Prepared:
    """Everything a run computes before a scenario is chosen (output of :func:`prepare`)."""

    config: Config
    selection: Selection
    inputs: run_inputs.RunInputs
    located: locate_mod.Located
    chosen: locate_mod.Chosen
    roofs: gpd.GeoDataFrame
    planes: pd.DataFrame
    panels: gpd.GeoDataFrame | ModulePanels | None
    classification_report: pd.DataFrame
    policy: presets.PolicyPreset
    classes: presets.ClassifyPreset
    module: presets.ModulePreset
    started: _dt.datetime
    findings: list = field(default_factory=list)
    horizons: horizon_mod.HorizonProfiles | None = None
    shading: dict | None = None
    emission: presets.EmissionPreset | None = None
    installed: pd.DataFrame | None = None

    def usable_roofs(self) -> gpd.GeoDataFrame:
        """The roofs with their ``usable_geometry`` (usable MultiPolygon after setbacks; None where there is
        no usable area), which :func:`prepare` lets go of once the layout and the horizons are done.

        Rebuilt with :func:`pvsite.roofs.usable.usable_roofs` in the run's frame (``located.north_deg``),
        so it equals the polygons the layout and the horizons used.
        """
        footprints = self.roofs[["roof_type", self.roofs.geometry.name]]  # all that usable_roofs reads
        usable = usable_mod.usable_roofs(footprints, self.config.roof, north_deg=self.located.north_deg)
        return self.roofs.assign(usable_geometry=usable["usable_geometry"])


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
    panels: gpd.GeoDataFrame | ModulePanels | None = None
    registry_entries: pd.DataFrame | None = None
    footprints_meta: dict = field(default_factory=dict)
    config: Config | None = None
    findings: list = field(default_factory=list)
    priority: pd.DataFrame | None = None
    department_tasks: dict | None = None
    installed_entries: pd.DataFrame | None = None
    trajectory: pd.DataFrame | None = None
    #: Potential of every scenario of the preset (:func:`compare_scenarios`), for the headline tables.
    scenarios: pd.DataFrame | None = None
    #: District payback and NPV with capex ± 20 %, tariff ± 10 %, self-consumption ± 20 points
    #: (:func:`pvsite.economics.sensitivity.sensitivity`): parameter, change, payback_yr, npv_yuan …
    sensitivity: pd.DataFrame | None = None
    #: Horizon profiles of the planes (shading on), for the GeoPackage's ``horizons`` table.
    horizons: horizon_mod.HorizonProfiles | None = None

    @property
    def district(self) -> pd.Series:
        """The district (or selected street) row of the summary."""
        return self.summary[self.summary["level"] == "district"].iloc[0]


def prepare(config: Config, selection: Selection | None = None, stage: Stage | None = None) -> Prepared:
    """Read, locate, select, classify, survey the roofs and simulate each orientation once.

    Parameters
    ----------
    config : Config
        Validated configuration.
    selection : Selection, optional
        Street, district, bounding box and/or polygon selection; default the whole input.
    stage : callable, optional
        Called with a short label as each stage starts (progress display).
    """
    say, selection = stage or _silent, selection or Selection()
    started = _dt.datetime.now(_dt.timezone.utc)
    classes, policy, module, losses, emission = _presets(config)
    say(STAGES[0])
    inputs = run_inputs.read_inputs(config, selection)
    say(STAGES[1])
    located = locate_mod.locate(inputs, config, classes)
    inputs = run_inputs.release_footprints(inputs)  # the file-CRS rows are dead once located (≈ 0.5 GB at 1M)
    chosen = locate_mod.choose(located, selection, inputs)
    findings = checks.check_inputs(inputs, located, chosen, policy, config)
    say(STAGES[2])
    buildings = _classify(chosen.buildings, located, inputs, config, classes)
    buildings = exclusions_mod.apply_exclusions(tasks.assign_tasks(buildings, policy, config.delivery.departments),
                                                inputs.exclusions, config.exclusions)
    say(STAGES[3])
    surveyed = compute.survey_roofs(buildings, config, module, located.site_lat_deg, north_deg=located.north_deg)
    plane_shading = _plane_shading(surveyed, inputs, located, module, losses, config)
    horizons = compute.roof_horizons(surveyed, _obstructions(located, buildings, inputs, config, classes), config,
                                     shading=plane_shading, north_deg=located.north_deg)
    surveyed = _without_intermediates(surveyed)
    say(STAGES[4])
    planes = yields.plane_yields(surveyed.planes, inputs.weather, inputs.weather_meta, located.site_lat_deg,
                                 located.site_lon_deg, module, losses, config.system, config.roof.min_yield_share_pct,
                                 plane_shading=None if horizons is None else plane_shading.result())
    return Prepared(config, selection, inputs, located, chosen, surveyed.roofs, planes, surveyed.panels,
                    classify_mod.classification_report(buildings, classes.class_order), policy, classes,
                    module, started, findings, horizons, planes.attrs.get("shading"), emission,
                    installed_mod.match_installed(surveyed.roofs, inputs.installed, config.delivery.tolerance_m))


#: Columns of the surveyed roofs only the layout and the horizons read (both done within :func:`prepare`); no
#: output, scenario or report uses them, so the prepared roofs let go of them (``usable_geometry``, a second
#: polygon per roof: 60 MB resident at 100,000 roofs, ``benchmarks/memory.py --probe``).  :meth:`Prepared.usable_roofs`
#: rebuilds them, equal.
INTERMEDIATE_COLUMNS = ("usable_geometry",)


def _without_intermediates(surveyed):
    """``surveyed`` with its roofs without :data:`INTERMEDIATE_COLUMNS`."""
    drop = [c for c in INTERMEDIATE_COLUMNS if c in surveyed.roofs.columns]
    return dataclasses.replace(surveyed, roofs=surveyed.roofs.drop(columns=drop)) if drop else surveyed


def _plane_shading(surveyed, inputs, located, module, losses, config: Config):
    """The per-plane shading sums the horizons stage fills (None with shading off): each spatial partition's
    sample points go straight into them and are dropped (their profiles, points × sectors, would be ≈ 5 GB at
    1,000,000 roofs)."""
    if not config.shading.enabled:
        return None
    site = (located.site_lat_deg, located.site_lon_deg, float(inputs.weather_meta.get("altitude") or 0.0))
    return shading_mod.PlaneShading(surveyed.planes, config.shading.n_sectors, inputs.weather, site, module, losses,
                                    config.system)


def _presets(config: Config):
    """The run's presets, loaded and cross-checked before any input is read (a wrong one fails first)."""
    classes = presets.load_classify(config.classify.preset)
    policy = presets.load_policy(config.policy.preset, classify=classes)
    sizing.scenario_rules(policy, config.policy.scenario)
    presets.load_economics(config.economics.preset)
    module, losses = presets.load_module(config.system.module), presets.load_losses(config.system.losses)
    return classes, policy, module, losses, carbon.emission_preset(config, policy)


def size(prepared: Prepared, scenario: str | None = None, stage: Stage | None = None) -> RunResult:
    """Size the prepared roofs for one scenario of the policy preset and roll up.

    Parameters
    ----------
    prepared : Prepared
        From :func:`prepare`; not modified, so it serves any number of scenarios.
    scenario : str, optional
        Scenario of the policy preset; default ``config.policy.scenario``, else the preset's default.
    stage : callable, optional
        Progress callback.
    """
    say, p = stage or _silent, prepared
    compute.release_freed_memory()  # the heap prepare (or a previous scenario) freed, back to the OS first
    scenario, rules = sizing.scenario_rules(p.policy, scenario or p.config.policy.scenario)
    say(STAGES[5])
    sized = apply_scenario(p.roofs, p.planes, p.panels, rules, p.config.exclusions.flag_only)
    roofs, planes = yields.apply_yields(sized.roofs, sized.planes, p.emission.emission_factor_kg_per_kwh)
    roofs = installed_mod.apply_installed(carbon.add_coal(roofs, p.emission), p.installed)
    roofs = economics.appraise(roofs, planes, p.config.economics, load=p.inputs.load, hourly_pv=_hourly_pv(p))
    sensitivity = economics.sensitivity(roofs, planes, p.config.economics)
    findings = p.findings + checks.check_scenario(roofs, planes, p.module, scenario,
                                                       p.config.exclusions.flag_only)
    say(STAGES[6])
    summary = summarise(roofs, float(p.policy["target_kw"]), p.classes.class_names_zh, streets=p.chosen.street_names,
                        scope_label=p.chosen.scope, consumption=p.inputs.consumption, targets=p.policy.targets,
                        entries=p.installed)
    priority = ranking.rank_roofs(roofs, p.config.priority.rank_by, float(p.policy["target_kw"]),
                                  p.classes.class_order, summary)
    streets = outlines.streets_layer(summary, p.located.street_polygons, roofs)
    return _result(p, scenario, roofs, planes, sized.panels, summary, streets, findings, priority,
                   compare_scenarios(p), sensitivity)


def run(config: Config, selection: Selection | None = None, stage: Stage | None = None,
        scenario: str | None = None) -> RunResult:
    """Run the whole pipeline: :func:`size` of :func:`prepare`."""
    return size(prepare(config, selection, stage), scenario, stage)


def compare_scenarios(prepared: Prepared, scenarios: list[str] | None = None) -> pd.DataFrame:
    """The district row of every scenario of the preset, from one preparation.

    Returns
    -------
    pandas.DataFrame
        One row per scenario: ``scenario``, ``description_zh``, ``n_sized``,
        ``capacity_kw``, ``annual_mwh``, ``co2_t``, ``specific_yield_kwh_per_kwp``,
        ``potential_x_target`` (potentials: what the scenario would reach, not what is built).
    """
    p, rows = prepared, []
    for name in scenarios or list(p.policy["scenarios"]):
        _, rules = sizing.scenario_rules(p.policy, name)
        roofs = scenario_potential(p.roofs, p.planes, rules, p.config.exclusions.flag_only,
                                   p.emission.emission_factor_kg_per_kwh)
        rows.append({"scenario": name, "description_zh": p.policy["scenarios"][name].get("description_zh", ""),
                     **potential_totals(roofs, float(p.policy["target_kw"]))})
    return pd.DataFrame(rows)


def list_streets(config: Config) -> list[str]:
    """Names of the streets a run can select (polygons, else the street attribute)."""
    return run_inputs.read_street_names(config)


def _classify(frame, located, inputs, config: Config, classes):
    """:func:`pvsite.buildings.classify.classify` of ``frame`` (rows of ``located.buildings``) with the run's
    registries, overrides and site context."""
    registry = located.registry_per_roof
    return classify_mod.classify(
        frame, preset=classes, new_building_year=config.classify.new_building_year,
        overrides=config.input.overrides or None,
        registry=registry.reindex(frame.index) if registry is not None else None,
        context=classify_mod.match_context(frame, inputs.context, classes))


def _obstructions(located, buildings, inputs, config: Config, classes):
    """Every input building as a possible obstruction, with its policy class (``building_class``).

    The selected buildings keep the class they were given; those outside a
    street or box selection are classified the same way (only when shading is
    on), so their heights — storeys × the storey height of their class — and
    hence every shaded yield of a street run equal the district run's.
    """
    everyone = located.buildings
    others = everyone.index.difference(buildings.index)
    if not config.shading.enabled or len(others) == 0:
        return everyone.assign(building_class=buildings["building_class"].reindex(everyone.index))
    rest = everyone.loc[others]
    rest = rest[rest["reject_reason"].isna()] if "reject_reason" in rest.columns else rest
    rest_class = _classify(rest, located, inputs, config, classes)["building_class"]
    return everyone.assign(building_class=pd.concat([buildings["building_class"], rest_class]).reindex(everyone.index))


def _hourly_pv(p: Prepared):
    """Hourly kWh/kWp of planes on the run's weather and site (only computed when a load is given)."""
    return functools.partial(
        hourly.plane_profiles, weather=p.inputs.weather, latitude_deg=p.located.site_lat_deg,
        longitude_deg=p.located.site_lon_deg, altitude_m=float(p.inputs.weather_meta.get("altitude") or 0.0),
        module=p.module, losses=presets.load_losses(p.config.system.losses), system=p.config.system)


def _result(p: Prepared, scenario: str, roofs, planes, panels, summary, streets, findings, priority,
            scenarios, sensitivity=None) -> RunResult:
    sc = p.policy["scenarios"][scenario]
    desc = sc.get("description_zh", "") + " / " + sc.get("description", "")
    counts = {"input": p.inputs.n_footprints, "selected": p.chosen.n_selected, "rejected": len(p.chosen.rejected),
              "excluded": int(roofs["excluded"].sum()), "outside_streets": p.located.n_outside_streets,
              "panels": int(planes["n_modules"].sum())}
    trajectory = installed_mod.trajectory(p.installed, p.policy.targets)
    findings = findings + installed_mod.findings(p.installed, trajectory)
    info = provenance.for_run(p, scenario, desc, roofs, counts, findings)
    return RunResult(
        roofs=roofs, planes=planes, streets=streets, district_layer=outlines.district_layer(summary, streets),
        summary=summary, rejected=p.chosen.rejected, run_info=info, scenario=scenario, scenario_description=desc,
        target_kw=float(p.policy["target_kw"]), is_synthetic=p.inputs.is_synthetic, scope=p.chosen.scope,
        classification_report=p.classification_report, weather_meta=p.inputs.weather_meta, counts=counts,
        panels=panels, registry_entries=p.located.registry_entries, footprints_meta=p.inputs.footprints_meta,
        config=p.config, findings=findings, priority=priority, department_tasks=ranking.department_tasks(priority),
        installed_entries=p.installed, trajectory=trajectory, scenarios=scenarios, sensitivity=sensitivity,
        horizons=p.horizons,
    )
