"""Sanity checks: do the inputs belong together, and do the figures rest on something?

Each check is a pure function over frames and returns :class:`Finding` s (a
warning the console prints even with ``-q`` and ``run_info`` stores under
``warnings``), or raises an :class:`~pvsite.errors.InputError` where the
figures would be meaningless, naming the flag that proceeds anyway.

Two stage calls: :func:`check_inputs` in :func:`pvsite.pipeline.prepare`
(weather station distance, the policy preset's district, a web-map datum
left unconverted, overlapping footprints, the high-latitude no-shade
fallback) and :func:`check_scenario` in :func:`pvsite.pipeline.size`
(buildings no rule classified, and the kW the scenario leaves out because of
them; roofs without a roof type, sized as flat; planes left out for low yield).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from pvsite.buildings.classify import DEFAULT_RULE as NO_RULE
from pvsite.errors import InputError
from pvsite.geo import datums
from pvsite.solar import mounting

#: Unclassified share from which the scenario check warns [-] (pvsite assumption).
UNCLASSIFIED_WARN_SHARE = 0.05
#: Weather station farther than this from the site centre: warning [km] (pvsite assumption: within
#: ~100 km a station usually shares the site's climate; the CSWD station 58362 of the default year
#: lies ~25 km from Changning).
WEATHER_WARN_KM = 100.0
#: Farther than this, or :data:`WEATHER_REFUSE_DLAT_DEG` of latitude away: refused unless
#: ``--allow-distant-weather`` [km] — another climate and another sun path (pvsite assumption).
WEATHER_REFUSE_KM = 1000.0
#: Latitude difference refused [°]: the noon sun of every day moves by as much (pvsite assumption).
WEATHER_REFUSE_DLAT_DEG = 5.0
#: Share of the roofs outside the policy preset's district above which the run warns [-].
OUTSIDE_DISTRICT_WARN_SHARE = 0.5
#: Share of roofs outside the street/district polygons from which a datum is looked for [-]
#: (GCJ-02 shifts Shanghai ~500 m: 9.8 % of the sample district's roofs leave its streets).
DATUM_OUTSIDE_SHARE = 0.02
#: Share of those outside roofs a datum must bring inside to be named [-] (pvsite assumption:
#: roofs that are genuinely beyond the polygons stay outside under any datum).
DATUM_RESOLVED_SHARE = 0.75
#: Mean Earth radius [km] (IUGG).
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Finding:
    """One result of a sanity check.

    Attributes
    ----------
    code : str
        Stable identifier (``weather_distance``, ``unclassified`` …).
    level : str
        ``warning`` (the run goes on) or ``error``.
    message_zh, message_en : str
        What was found and what to do, in Chinese and English.
    figures : dict
        The numbers behind the message (units in the keys).
    """

    code: str
    level: str
    message_zh: str
    message_en: str
    figures: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def haversine_km(lon1, lat1, lon2, lat2) -> float:
    """Great-circle distance [km] between two lon/lat points [°] (sphere of :data:`EARTH_RADIUS_KM`)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def weather_distance(weather_meta: dict, site_lon_deg: float, site_lat_deg: float,
                     allow_distant: bool = False) -> list[Finding]:
    """Distance between the weather file's station and the buildings.

    Parameters
    ----------
    weather_meta : dict
        Weather metadata (``latitude``, ``longitude`` [°], ``source``, ``description``).
    site_lon_deg, site_lat_deg : float
        Centre of the buildings [°, WGS 84].
    allow_distant : bool
        ``weather.allow_distant`` (``--allow-distant-weather``): report instead of refusing.

    Returns
    -------
    list of Finding
        A warning beyond :data:`WEATHER_WARN_KM`, or when the file gives no location.

    Raises
    ------
    InputError
        Beyond :data:`WEATHER_REFUSE_KM` or :data:`WEATHER_REFUSE_DLAT_DEG` without ``allow_distant``.
    """
    lat, lon = weather_meta.get("latitude"), weather_meta.get("longitude")
    src = str(weather_meta.get("source", ""))
    if lat is None or lon is None:
        return [Finding("weather_location_unknown", "warning",
                        f"气象文件 {src} 未给出站点经纬度，无法核对其与建筑的距离。",
                        f"The weather file {src} states no latitude/longitude: its distance from the "
                        "buildings is not checked (add '# latitude: …' / '# longitude: …' header lines).")]
    km = haversine_km(float(lon), float(lat), site_lon_deg, site_lat_deg)
    dlat = abs(float(lat) - site_lat_deg)
    figures = {"distance_km": round(km, 1), "weather_lat_deg": float(lat), "weather_lon_deg": float(lon),
               "site_lat_deg": round(site_lat_deg, 4), "site_lon_deg": round(site_lon_deg, 4),
               "latitude_difference_deg": round(dlat, 2)}
    far = km > WEATHER_REFUSE_KM or dlat > WEATHER_REFUSE_DLAT_DEG
    where = (f"{km:,.0f} km from the buildings ({float(lat):.2f}° N {float(lon):.2f}° E vs "
             f"{site_lat_deg:.2f}° N {site_lon_deg:.2f}° E, {dlat:.1f}° of latitude apart)")
    if far and not allow_distant:
        raise InputError(
            f"The weather year {src} ({weather_meta.get('description', '')}) is {where}: its sun and climate "
            f"are not the buildings' (limits {WEATHER_REFUSE_KM:,.0f} km, {WEATHER_REFUSE_DLAT_DEG:g}° of latitude).",
            fix="Pass a weather file for the site (--weather PATH; `pvsite weather fetch --lat … --lon …` gets a "
                "PVGIS year), or --allow-distant-weather (weather.allow_distant = true) to run anyway.",
            zh=f"气象文件 {src} 的站点距建筑 {km:,.0f} km（{where}），其日照和气候不能代表当地（限值 {WEATHER_REFUSE_KM:,.0f} km、纬度差 {WEATHER_REFUSE_DLAT_DEG:g}°）。",
            fix_zh="请提供当地的气象文件（--weather PATH；`pvsite weather fetch --lat … --lon …` 可下载 PVGIS 典型年），或加 --allow-distant-weather（weather.allow_distant = true）仍然运行。",
        )
    if not far and km <= WEATHER_WARN_KM:
        return []
    return [Finding("weather_distance", "warning",
                    f"气象站距建筑 {km:,.0f} km（纬度差 {dlat:.1f}°）：发电量可能不代表当地。",
                    f"The weather year {src} is {where}; the energy figures may not be the site's"
                    + (" (run with --allow-distant-weather)." if far else "."), figures)]


def outside_policy_district(buildings: gpd.GeoDataFrame, policy, is_synthetic: bool = False) -> list[Finding]:
    """Roofs outside the district whose target the policy preset states.

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        The selected buildings (any CRS; rows without geometry ignored).
    policy : pvsite.presets.PolicyPreset
        With ``district_bbox`` [°, WGS 84] (no check when it has none).
    is_synthetic : bool
        The input is pvsite's synthetic sample (said in the message).

    Returns
    -------
    list of Finding
        A warning when more than :data:`OUTSIDE_DISTRICT_WARN_SHARE` of the roofs lie outside the box.
    """
    bbox = policy.get("district_bbox")
    geoms = buildings.geometry
    geoms = geoms[~(geoms.isna() | geoms.is_empty)]
    if bbox is None or len(geoms) == 0:
        return []
    # the centres' coordinates through the same transformer GeoSeries.to_crs uses, without building points
    xy = shapely.get_coordinates(shapely.centroid(geoms.values))
    x, y = (np.asarray(v) for v in pyproj.Transformer.from_crs(
        pyproj.CRS(buildings.crs), pyproj.CRS(4326), always_xy=True).transform(xy[:, 0], xy[:, 1]))
    inside = (x >= bbox[0]) & (x <= bbox[2]) & (y >= bbox[1]) & (y <= bbox[3])
    n, n_out = len(inside), int((~inside).sum())
    if n_out <= OUTSIDE_DISTRICT_WARN_SHARE * n:
        return []
    district, code = policy.get("district", ""), policy.get("district_adcode", "")
    target = float(policy["target_kw"])
    synth = " (the synthetic sample district)" if is_synthetic else ""
    return [Finding(
        "outside_policy_district", "warning",
        f"{n_out:,} / {n:,} 栋建筑（{100 * n_out / n:.0f}%）不在{district}（{code}）范围内：{target:,.0f} kW 目标不是这些建筑所在区的目标。",
        f"{n_out:,} of {n:,} buildings{synth} ({100 * n_out / n:.0f} %) lie outside {district} (adcode {code}, bbox "
        f"{', '.join(f'{v:.4f}' for v in bbox)}): the {target:,.0f} kW target of {policy.get('name_en') or policy.get('name')} "
        "is not their district's; read '% of target' accordingly, or use a policy preset for their district (--policy).",
        {"n_buildings": n, "n_outside": n_out, "district": district, "district_adcode": code})]


def datum_hint(buildings: gpd.GeoDataFrame, polygons: list, datum: str) -> list[Finding]:
    """A GCJ-02 / BD-09 datum the footprints seem to be in although none was stated.

    When at least :data:`DATUM_OUTSIDE_SHARE` of the roofs fall outside the
    street or district polygons, the roofs' centres are converted as if they
    were GCJ-02 (and BD-09) to WGS 84; a datum that brings at least
    :data:`DATUM_RESOLVED_SHARE` of the outside roofs inside is named.

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        All input buildings (any CRS; their coordinates as read, datum-converted when one was given).
    polygons : list of geopandas.GeoDataFrame or None
        Street polygons, district outlines (any CRS; None entries ignored).
    datum : str
        The stated datum (``input.datum``); only ``wgs84`` (the default) is checked.

    Returns
    -------
    list of Finding
    """
    layers = [p for p in polygons if p is not None and len(p)]
    geoms = buildings.geometry
    geoms = geoms[~(geoms.isna() | geoms.is_empty)]
    if datum != "wgs84" or not layers or len(geoms) == 0:
        return []
    # the centres' coordinates through the same transformer GeoSeries.to_crs uses, without building points
    xy = shapely.get_coordinates(shapely.centroid(geoms.values))
    x, y = (np.asarray(v) for v in pyproj.Transformer.from_crs(
        pyproj.CRS(buildings.crs), pyproj.CRS(4326), always_xy=True).transform(xy[:, 0], xy[:, 1]))
    area = shapely.union_all(np.concatenate([np.asarray(p.to_crs(4326).geometry.values) for p in layers]))
    shapely.prepare(area)
    share = {"wgs84": float(shapely.contains_xy(area, x, y).mean())}
    if 1.0 - share["wgs84"] < DATUM_OUTSIDE_SHARE:
        return []
    for name, func in (("gcj02", datums.gcj02_to_wgs84), ("bd09", datums.bd09_to_wgs84)):
        lon, lat = func(x, y)
        share[name] = float(shapely.contains_xy(area, lon, lat).mean())
    best = max(("gcj02", "bd09"), key=share.get)
    if share[best] - share["wgs84"] < DATUM_RESOLVED_SHARE * (1.0 - share["wgs84"]):
        return []
    label = {"gcj02": "GCJ-02 (Amap/Gaode, Tencent, DataV)", "bd09": "BD-09 (Baidu)"}[best]
    return [Finding(
        "datum_hint", "warning",
        f"{100 * (1 - share['wgs84']):.0f}% 的建筑落在街道/区界之外；按 {best} 坐标换算后落在界内的比例由 "
        f"{100 * share['wgs84']:.0f}% 升至 {100 * share[best]:.0f}%：数据可能是 {label} 坐标，请加 --datum {best}。",
        f"{100 * (1 - share['wgs84']):.0f} % of the buildings fall outside the street/district polygons; read as "
        f"{label} they would fit ({100 * share['wgs84']:.0f} % → {100 * share[best]:.0f} % inside). "
        f"If the data come from a web map, run with --datum {best}.",
        {f"share_inside_as_{k}": round(v, 4) for k, v in share.items()})]


def overlaps(stats: dict) -> list[Finding]:
    """The overlapping footprints :func:`pvsite.buildings.overlaps.resolve_overlaps` resolved."""
    if not stats or not stats.get("n_pairs"):
        return []
    s = stats
    share = 100 * s["removed_m2"] / s["footprint_m2"] if s["footprint_m2"] else 0.0
    return [Finding(
        "overlapping_footprints", "warning",
        f"{s['n_pairs']:,} 对建筑轮廓重叠：{s['n_reduced']:,} 个扣除重叠部分，{s['n_duplicates']:,} 个为重复轮廓（不计光伏）；"
        f"{s['removed_m2']:,.0f} m²（{share:.1f}%）不重复计算。",
        f"{s['n_pairs']:,} pairs of footprints overlap: {s['n_reduced']:,} lose the part a larger footprint covers, "
        f"{s['n_duplicates']:,} are duplicates (no PV, status rejected); {s['removed_m2']:,.0f} m² ({share:.1f} % of "
        "the footprint area) is not counted twice (roofs.overlap_note).", dict(s))]


def high_latitude(site_lat_deg: float, mounting_cfg) -> list[Finding]:
    """The no-shade window narrowed by the high-latitude fallback (``mounting.min_sun_elevation_deg``)."""
    w = mounting.shade_window(site_lat_deg, mounting_cfg.no_shade_start_hour, mounting_cfg.no_shade_end_hour,
                              mounting_cfg.min_sun_elevation_deg)
    if not w.narrowed:
        return []
    hm = lambda h: f"{int(h):02d}:{int(round(60 * (h % 1))):02d}"  # noqa: E731
    kept = (f"{hm(w.kept_start_hour)}–{hm(w.kept_end_hour)}" if w.kept_end_hour > w.kept_start_hour
            else "solar noon only")
    return [Finding(
        "no_shade_window_narrowed", "warning",
        f"纬度 {site_lat_deg:.1f}°：冬至日 {w.start_hour:g}–{w.end_hour:g} 时太阳高度低于 "
        f"{mounting_cfg.min_sun_elevation_deg:g}°（正午 {w.noon_elevation_deg:.1f}°），前后排间距按 {kept}（真太阳时）计算。",
        f"At {site_lat_deg:.1f}° latitude the winter-solstice sun is below {mounting_cfg.min_sun_elevation_deg:g}° "
        f"during part of the {w.start_hour:g}–{w.end_hour:g} h no-shade window (noon elevation "
        f"{w.noon_elevation_deg:.1f}°): rows are spaced to stay unshaded {kept} (true solar time) instead "
        "(mounting.min_sun_elevation_deg).",
        {"kept_start_hour": round(w.kept_start_hour, 3), "kept_end_hour": round(w.kept_end_hour, 3),
         "noon_elevation_deg": round(w.noon_elevation_deg, 2)})]


def check_inputs(inputs, located, chosen, policy, config) -> list[Finding]:
    """The checks of :func:`pvsite.pipeline.prepare` (before classification and layout).

    Raises
    ------
    InputError
        A distant weather station without ``weather.allow_distant``.
    """
    out = weather_distance(inputs.weather_meta, located.site_lon_deg, located.site_lat_deg,
                           config.weather.allow_distant)
    out += high_latitude(located.site_lat_deg, config.mounting)
    out += outside_policy_district(chosen.buildings, policy, inputs.is_synthetic)
    out += datum_hint(located.buildings, [located.street_polygons, inputs.districts], config.input.datum)
    out += overlaps(located.buildings.attrs.get("overlaps", {}))
    return out


def unclassified(roofs: pd.DataFrame, planes: pd.DataFrame, module_power_w: float, scenario: str,
                 flag_only_exclusions: bool = False) -> list[Finding]:
    """Buildings no rule classified and the kW the scenario therefore leaves out.

    Parameters
    ----------
    roofs : pandas.DataFrame
        Sized roofs (``class_rule``, ``capacity_kw``, ``status``; ``excluded`` when exclusions were read).
    planes : pandas.DataFrame
        Planes with ``roof_index`` and ``modules_fit``.
    module_power_w : float
        Module nameplate power [W].
    scenario : str
        Scenario name (messages).
    flag_only_exclusions : bool
        Excluded roofs keep their PV (``exclusions.flag_only``).

    Returns
    -------
    list of Finding
        A warning from :data:`UNCLASSIFIED_WARN_SHARE` of the usable buildings.
        Its ``fit_kw`` ("their roofs hold up to") counts only the roofs a class
        could give PV: ``modules_fit`` is a technical fit, also on roofs that are
        unsuitable (under construction, slender crowns) or excluded, which no
        classification sizes.
    """
    status = roofs["status"].astype(str).to_numpy()
    usable = status != "rejected"
    n = int(usable.sum())
    mask = usable & (roofs["class_rule"].astype(str).to_numpy() == NO_RULE)
    k = int(mask.sum())
    if n == 0 or k < UNCLASSIFIED_WARN_SHARE * n:
        return []
    kw = float(roofs.loc[mask, "capacity_kw"].sum())
    could = mask & (status != "unsuitable")
    if "excluded" in roofs.columns and not flag_only_exclusions:
        could &= ~roofs["excluded"].to_numpy(dtype=bool)
    fit = planes.groupby("roof_index")["modules_fit"].sum().reindex(roofs.index[could]).fillna(0).sum()
    fit_kw = float(fit) * module_power_w / 1000.0
    return [Finding(
        "unclassified", "warning",
        f"{k:,} / {n:,} 栋建筑未能分类 → 情景 {scenario} 中计 {kw:,.0f} kW（其屋顶可装至多 {fit_kw:,.0f} kW）；"
        "请提供用途字段、--context、--registry 或 --overrides。",
        f"{k:,} of {n:,} buildings unclassified → {kw:,.0f} kW in scenario {scenario} (their roofs hold up to "
        f"{fit_kw:,.0f} kW); give a use column ([input.fields] use), --context, --registry or --overrides.",
        {"n_unclassified": k, "n_buildings": n, "capacity_kw": round(kw, 1), "fit_kw": round(fit_kw, 1)})]


def unknown_roof_type(roofs: pd.DataFrame) -> list[Finding]:
    """Roofs without a roof type, and what pvsite assumed for them.

    Parameters
    ----------
    roofs : pandas.DataFrame
        Sized roofs (``roof_type``, ``status``, ``capacity_kw``).

    Returns
    -------
    list of Finding
        One warning when any usable roof has ``roof_type`` missing or
        ``unknown``: they are laid out as flat roofs (tilted rows, the flat
        setback and equipment allowance of ``[roof]``).
    """
    if "roof_type" not in roofs.columns:
        return []
    usable = roofs["status"].astype(str).to_numpy() != "rejected"
    rt = roofs["roof_type"].astype(object)
    mask = usable & (rt.isna() | (rt.astype(str) == "unknown")).to_numpy()
    k, n = int(mask.sum()), int(usable.sum())
    if k == 0:
        return []
    kw = float(roofs.loc[mask, "capacity_kw"].sum())
    return [Finding(
        "unknown_roof_type", "warning",
        f"{k:,} / {n:,} 个屋顶无屋顶类型，按平屋顶（倾斜支架阵列、平屋顶退让与设备扣减）计算，计 {kw:,.0f} kW；"
        "坡屋顶或彩钢屋面会因此被高估或低估，请提供屋顶类型字段（[input.fields] roof_type）。",
        f"{k:,} of {n:,} roofs have no roof type: sized as flat roofs (tilted rack rows, the flat setback and "
        f"equipment allowance of [roof]), {kw:,.0f} kW; pitched or metal roofs among them are misjudged — give "
        "a roof type column ([input.fields] roof_type).",
        {"n_unknown_roof_type": k, "n_roofs": n, "capacity_kw": round(kw, 1)})]


#: Statuses of the roofs a scenario asks PV of and sizes: only there does the yield threshold leave kW out.
ASKED_STATUSES = ("sized", "low yield")


def low_yield_planes(roofs: pd.DataFrame, planes: pd.DataFrame) -> list[Finding]:
    """Planes left without modules by the suitability threshold (:func:`pvsite.solar.yields.suitable_planes`).

    Counted on the roofs the scenario asks PV of (:data:`ASKED_STATUSES`):
    ``low_yield_kw`` is a technical figure on every roof, but on a roof that is
    not required, excluded or unsuitable the threshold leaves nothing out (the
    scenario sizes none of it), so those kW are named apart.

    Returns
    -------
    list of Finding
        One warning with the planes, roofs and kW left out, and the optimum
        they were measured against; none when the threshold is off or left
        nothing out on the roofs the scenario asks PV of.
    """
    info = planes.attrs.get("suitability")
    if not info or "low_yield_kw" not in roofs.columns or not info.get("n_planes_low_yield"):
        return []
    asked = roofs["status"].astype(str).isin(ASKED_STATUSES).to_numpy()
    low_kw = roofs["low_yield_kw"].to_numpy(dtype=float)
    on_low = planes["modules_low_yield"].to_numpy() > 0
    n_planes = int((on_low & planes["roof_index"].isin(roofs.index[asked]).to_numpy()).sum())
    if n_planes == 0:
        return []
    kw = float(low_kw[asked].sum())
    rest = float(low_kw[~asked].sum())
    n_roofs = int((asked & (low_kw > 0)).sum())
    n_none = int((roofs["status"].astype(str) == "low yield").sum())
    share = info["min_yield_share_pct"]
    best = ", ".join(f"{m} {o['specific_yield_kwh_per_kwp']:.0f} kWh/kWp @ {o['tilt_deg']:g}°"
                     for m, o in info["optimum"].items())
    rest_zh = f"（本情景不要求安装的屋顶上另有 {rest:,.0f} kW 低产面）" if rest > 0 else ""
    rest_en = f" (a further {rest:,.0f} kW on roofs the scenario asks no PV of)" if rest > 0 else ""
    return [Finding(
        "low_yield_planes", "warning",
        f"{n_planes:,} 个阵列面（{n_roofs:,} 个要求安装的屋顶，其中 {n_none:,} 个因此无光伏）年发电量低于本地最佳朝向的 "
        f"{share:g}%（{best}），不装组件，至多 {kw:,.0f} kW 未计入；roof.min_yield_share_pct = 0 可恢复计入{rest_zh}。",
        f"{n_planes:,} planes on {n_roofs:,} roofs the scenario asks PV of ({n_none:,} of them left without PV) "
        f"yield below {share:g} % of the site's optimum ({best}): no modules, up to {kw:,.0f} kW not counted; "
        f"roof.min_yield_share_pct = 0 counts them{rest_en}.",
        {"n_planes": n_planes, "n_roofs": n_roofs, "n_roofs_without_pv": n_none, "low_yield_kw": round(kw, 1),
         "low_yield_kw_not_asked": round(rest, 1), "min_yield_share_pct": share})]


def check_scenario(roofs, planes, module, scenario: str, flag_only_exclusions: bool = False) -> list[Finding]:
    """The checks of :func:`pvsite.pipeline.size` (depend on the scenario)."""
    return (unclassified(roofs, planes, float(module["power_w"]), scenario, flag_only_exclusions)
            + unknown_roof_type(roofs)
            + low_yield_planes(roofs, planes))
