"""Provenance of a run: what went in, with which software, and which output set it is.

:func:`run_info` assembles the key/value table written as the ``run_info``
layer of the GeoPackage (and summarised on the workbook's 说明 sheet):
resolved config, inputs and their SHA-256, weather, policy and its sources,
counts, versions.  :func:`output_set_info` gives the identity stamped into
every file of one output set, so a consistent set is checkable.
"""

from __future__ import annotations

import datetime as _dt
import json
import platform
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

SYNTHETIC_WARNING = (
    "合成示例数据，并非长宁区真实建筑，结果不得作为长宁区数据使用 / "
    "SYNTHETIC sample data — not real Changning buildings; never report these figures as Changning's."
)

#: Keys :func:`output_set_info` adds to the run_info layer and the 说明 sheet.
SET_KEYS = ("output_set_id", "output_set_created_utc")


def _utc_text(t: _dt.datetime) -> str:
    return t.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def versions() -> dict[str, str]:
    """Versions of pvsite, Python and the libraries a result depends on (name → version text)."""
    import geopandas
    import pvlib
    import pyogrio
    import pyproj

    import pvsite

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


def run_info(*, config, footprints_path: str | Path, footprints_meta: dict, synthetic: bool,
             scenario: str, scenario_description: str, policy: dict, weather_meta: dict,
             streets_source: str, started: _dt.datetime, n_input: int, n_selected: int,
             n_rejected: int, scope: str, classification_report: pd.DataFrame, roofs,
             site_lat_deg: float, site_lon_deg: float) -> dict[str, str]:
    """The provenance table of one run (every value text).

    Parameters
    ----------
    config : pvsite.config.Config
        The resolved configuration (written as TOML under ``config_toml``).
    footprints_path : str or Path
        The footprint file read.
    footprints_meta : dict
        Second value of :func:`pvsite.io.footprints.read_footprints` (sha256,
        layer, crs, field_mapping).
    synthetic : bool
        The input is the embedded synthetic sample: adds ``warning``.
    scenario, scenario_description : str
        Scenario name and its Chinese / English description.
    policy : dict
        The policy preset (target_kw [kW], emission_factor_kg_per_kwh [kg/kWh], sources).
    weather_meta : dict
        Second value of the weather reader (source, description, sha256, …).
    streets_source : str
        Where the street polygons came from (``"none"`` when none).
    started : datetime
        Start of the run (any time zone; written in UTC).
    n_input, n_selected, n_rejected : int
        Buildings read, in the selection, with unusable geometry.
    scope : str
        The run's scope label (全区, a street, a selection).
    classification_report : DataFrame
        :func:`pvsite.buildings.classify.classification_report` (written as JSON).
    roofs : GeoDataFrame
        The roofs (its CRS is the output CRS).
    site_lat_deg, site_lon_deg : float
        Site centre used for solar geometry [°, WGS84].

    Returns
    -------
    dict of str to str
    """
    fp_meta, wmeta = footprints_meta, weather_meta
    info = {"synthetic_sample": "true" if synthetic else "false"}
    if synthetic:
        info["warning"] = SYNTHETIC_WARNING
    info.update(
        {
            "created_utc": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "scope": scope,
            "scenario": scenario,
            "scenario_description": scenario_description,
            "policy_preset": policy.get("_path", ""),
            "policy_source": policy.get("source", ""),
            "target_kw": f"{float(policy['target_kw']):g}",
            "target_label": policy.get("target_label", ""),
            "emission_factor_kg_per_kwh": f"{float(policy['emission_factor_kg_per_kwh']):g}",
            "emission_factor_source": policy.get("emission_factor_source", ""),
            "footprints_path": str(footprints_path),
            "footprints_sha256": fp_meta.get("sha256", ""),
            "footprints_layer": str(fp_meta.get("layer", "")),
            "footprints_crs": str(fp_meta.get("crs", "")),
            "field_mapping": json.dumps(fp_meta.get("field_mapping", {}), ensure_ascii=False),
            "streets_source": streets_source,
            "n_input_features": str(n_input),
            "n_selected": str(n_selected),
            "n_rejected": str(n_rejected),
            "output_crs": roofs.crs.to_string() if roofs.crs else "",
            "site_latitude_deg": f"{site_lat_deg:.4f}",
            "site_longitude_deg": f"{site_lon_deg:.4f}",
            "weather_source": str(wmeta.get("source", "")),
            "weather_description": str(wmeta.get("description", "")),
            "weather_is_synthetic": "true" if wmeta.get("is_synthetic") else "false",
            "weather_sha256": str(wmeta.get("sha256", "")),
            "weather_irradiance_noon_offset_min": str(wmeta.get("irradiance_noon_offset_min", "")),
            "weather_time_shift_min": str(wmeta.get("time_shift_min", 0.0)),
            "classification_report": classification_report.to_json(orient="records", force_ascii=False),
            "config_toml": config.to_toml(),
        }
    )
    for k, v in versions().items():
        info[f"version_{k}"] = str(v)
    return info


def output_set_info(now: _dt.datetime | None = None) -> dict[str, str]:
    """A fresh identity for one output set: ``output_set_id`` (UUID4) and ``output_set_created_utc``.

    Every file of the set records the same two values (the GeoPackage's
    ``run_info`` layer, the workbook's 说明 sheet), so a ``.gpkg`` and an
    ``.xlsx`` from different runs are told apart.
    """
    now = now or _dt.datetime.now(_dt.timezone.utc)
    return {"output_set_id": uuid.uuid4().hex, "output_set_created_utc": _utc_text(now)}


def _economics_info(econ) -> str:
    """The economics preset, its terms and conventions, as one JSON line of run_info."""
    from pvsite import presets

    e = presets.load_economics(econ.preset)
    return json.dumps({
        "preset": str(e.path), "business_model": econ.business_model,
        "business_model_by_class": dict(econ.business_model_by_class),
        "discount_rate_pct_real": e.discount_rate_pct if econ.discount_rate_pct is None else econ.discount_rate_pct,
        "lifetime_yr": int(econ.lifetime_yr or e.lifetime_yr), "load": econ.load or "",
        "conventions": "real 元 of the preset year; year-end flows, capex at year 0; LCOE = discounted capex + "
                       "O&M + inverter / discounted degraded kWh; payback = capex / net first-year benefit",
        "assumption_tables": [k for k, v in e.sources.items() if presets.ASSUMPTION_LABEL in v],
    }, ensure_ascii=False)


#: Chinese names of the tables of an economics preset (the assumption labels the workbook and report list).
ECON_TABLES_ZH = {"capex": "投资单价", "om": "运维费", "inverter": "逆变器更换", "degradation": "组件衰减",
                  "finance": "寿命与折现率", "feed_in": "上网电价", "subsidy": "上海市奖励", "tariff_of": "电价类别归属",
                  "self_consumption": "自用比例", "emc": "合同能源管理条款"}


def economics_entry(run_info: dict) -> dict:
    """The ``economics`` entry of ``run_info`` as a dict, with ``preset_name`` and
    ``assumption_tables_zh`` (Chinese names of the preset's tables labelled pvsite assumptions); {} without one."""
    try:
        e = json.loads(run_info.get("economics") or "{}")
    except ValueError:
        return {}
    if not e:
        return {}
    e["preset_name"] = Path(e.get("preset", "")).stem or e.get("preset", "")
    e["assumption_tables_zh"] = [
        f"电价 {t.split('.', 1)[1]}" if t.startswith("tariffs.") else ECON_TABLES_ZH.get(t, t)
        for t in e.get("assumption_tables", [])]
    return e


def for_run(prepared, scenario: str, scenario_description: str, roofs, counts: dict,
            findings=()) -> dict[str, str]:
    """The ``run_info`` of one sized scenario of a :class:`pvsite.pipeline.Prepared` run.

    :func:`run_info` plus the selection, the counts of excluded buildings,
    buildings outside every street polygon and modules, the module preset,
    the footprint reader's warnings and the sanity checks' findings
    (``warnings``: JSON list of :class:`pvsite.buildings.checks.Finding` dicts).
    """
    p = prepared
    info = run_info(
        config=p.config, footprints_path=p.inputs.footprints_path, footprints_meta=p.inputs.footprints_meta,
        synthetic=p.inputs.is_synthetic, scenario=scenario, scenario_description=scenario_description,
        policy=p.policy, weather_meta=p.inputs.weather_meta, streets_source=p.inputs.streets_source,
        started=p.started, n_input=counts["input"], n_selected=counts["selected"], n_rejected=counts["rejected"],
        scope=p.chosen.scope, classification_report=p.classification_report, roofs=roofs,
        site_lat_deg=p.located.site_lat_deg, site_lon_deg=p.located.site_lon_deg,
    )
    info.update({
        "selection": p.selection.label() or "whole input",
        "n_excluded": str(counts["excluded"]),
        "n_outside_streets": str(counts["outside_streets"]),
        "n_modules": str(counts["panels"]),
        "module_preset": str(p.module.get("_path", "")),
        "economics": _economics_info(p.config.economics),
        "footprints_warnings": json.dumps(p.inputs.footprints_meta.get("warnings", []), ensure_ascii=False),
        "shading": json.dumps(p.shading, ensure_ascii=False, default=str) if p.shading else
        "off (no geometric shading; the losses preset's shading item applies)",
        "warnings": json.dumps([f.to_dict() for f in findings], ensure_ascii=False, default=str),
    })
    info.update(carbon_info(p))
    return info


#: How pvsite's renewable share relates to the plan's indicator (run_info, workbook, report).
RENEWABLE_SHARE_NOTE = (
    "代理指标: 仅计屋顶光伏潜力发电量 / 用户提供的年用能(kWh), 未计太阳能热水、热泵等, 未折标煤; 非官方的城镇建筑"
    "可再生能源替代率 / proxy: rooftop PV potential kWh over the given annual use in kWh only (no solar heat, "
    "heat pumps, no standard-coal conversion); not the official 城镇建筑可再生能源替代率")


def carbon_info(prepared) -> dict[str, str]:
    """run_info entries of the emission preset, the coal rate, the ranking key and the renewable-share goals.

    When ``--emission-factor`` chose a preset other than the policy's
    ``emission_preset``, ``emission_factor_kg_per_kwh`` / ``emission_factor_source``
    are replaced by the chosen preset's (the factor the run used).
    """
    p, e = prepared, prepared.emission
    goals = p.policy.get("renewable_share_goals_pct") or {}
    info = {"priority_rank_by": p.config.priority.rank_by,
            "consumption_path": str(p.config.carbon.consumption or ""),
            "renewable_share_goals_pct": json.dumps({str(k): v for k, v in goals.items()}),
            "renewable_share_source": p.policy.get("renewable_share_source", ""),
            "renewable_share_note": RENEWABLE_SHARE_NOTE}
    if e is not None:
        info.update({"emission_preset": str(e.path), "coal_gce_per_kwh": f"{e.coal_gce_per_kwh:g}",
                     "coal_source": e.coal_source})
        if e.path.stem != p.policy.get("emission_preset"):  # --emission-factor chose another than the policy's
            info.update({"emission_factor_kg_per_kwh": f"{e.emission_factor_kg_per_kwh:g}",
                         "emission_factor_source": e.source})
    return info
