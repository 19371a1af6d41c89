"""Output schema as data: every output column once, with dtype, unit, Chinese alias and meaning.

This one table drives the GeoPackage writer (column order and dtypes), the
Chinese field aliases shown in QGIS, and the column list in the README
(``python -m pvsite.outputs.schema`` prints it as Markdown).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Column:
    """One output column.

    Attributes
    ----------
    name : str
        Column name (ASCII, with unit suffix where it has a unit).
    dtype : str
        pandas dtype the writer casts to.
    unit : str
        Unit, ``""`` when dimensionless or text.
    alias_zh : str
        Chinese display name (QGIS field alias).
    description : str
        What it means, in one line.
    """

    name: str
    dtype: str
    unit: str
    alias_zh: str
    description: str


MONTHS = [f"kwh_m{m:02d}" for m in range(1, 13)]

_ROOFS = [
    Column("building_id", "string", "", "建筑编号", "Unique building id (from the source id, or generated)"),
    Column("source_row", "Int64", "", "源数据行号", "0-based row of the building in the input file"),
    Column("name", "string", "", "名称", "Building name from the input"),
    Column("use", "string", "", "用途", "Building use as written in the input"),
    Column("storeys", "Int64", "", "层数", "Number of storeys"),
    Column("height_m", "Float64", "m", "高度(米)", "Building height (see height_source)"),
    Column("height_source", "string", "", "高度来源", "Where height_m comes from: attribute (height field), storeys (storeys × storey height of the class), raster (median of the --heights raster), class_default (assumed storeys of the class: no height data)"),
    Column("year_built", "Int64", "", "建成年份", "Year the building was completed"),
    Column("roof_type", "string", "", "屋顶类型", "flat / pitched / metal / unknown"),
    Column("street", "string", "", "街道(镇)", "Sub-district (街道) or town (镇) the roof belongs to"),
    Column("building_type", "string", "", "建筑类型", "Fine type: government, school, hospital, public_service, factory, warehouse, office, commercial, hotel, religious, transport, residential, other"),
    Column("type_zh", "string", "", "建筑类型(中文)", "Fine type in Chinese"),
    Column("building_class", "string", "", "政策类别", "Policy class: public_institution, factory, other_public, residential, other"),
    Column("class_zh", "string", "", "政策类别(中文)", "公共机构 / 工业厂房 / 其他公共建筑 / 居住 / 其他"),
    Column("class_rule", "string", "", "分类依据", "The classification rule that fired (the stated reason)"),
    Column("class_note", "string", "", "分类说明", "Override reason or registry entry behind the class"),
    Column("class_confidence", "string", "", "分类依据可信度", "Confidence of the class from the family of the deciding rule (classify preset [confidence]): high (override, registry, survey use or land-use code), medium (OSM tags), low (name keywords only), none (no rule matched)"),
    Column("class_overruled", "string", "", "被覆盖的分类规则", "Rule of the highest lower-priority family that also matched but gave another policy class ('<rule> → <class>'), empty when the rules agree"),
    Column("responsible_department", "string", "", "责任部门", "Department responsible under the plan's task table"),
    Column("is_new", "boolean", "", "是否新建", "Completed in or after the policy's new-building year (2022)"),
    Column("is_new_basis", "string", "", "新建判定依据", "How is_new was decided"),
    Column("area_m2", "Float64", "m²", "屋顶面积(㎡)", "Roof (footprint) area"),
    Column("usable_area_m2", "Float64", "m²", "可用面积(㎡)", "Area left after edge setbacks, slivers, roof-equipment allowance and minimum size"),
    Column("obstruction_area_m2", "Float64", "m²", "设备占用扣减(㎡)", "Allowance for roof equipment (stair housings, tanks, HVAC) removed from the usable area"),
    Column("raster_roof_shape", "string", "", "栅格屋顶形态", "Roof shape measured on the height raster (flat / pitched / mono-pitch / unknown), when one is given"),
    Column("axis_azimuth_deg", "Float64", "°", "建筑主轴方位(°)", "Bearing of the building's long axis, 0–180 clockwise from north"),
    Column("roof_note", "string", "", "屋顶说明", "Why usable area is reduced or zero"),
    Column("mounting", "string", "", "安装方式", "tilted_rows (flat roofs) or flush (pitched/metal roofs)"),
    Column("n_planes", "Int64", "", "阵列面数", "Number of PV planes on the roof"),
    Column("tilt_deg", "Float64", "°", "倾角(°)", "Array tilt (first plane)"),
    Column("array_azimuth_deg", "Float64", "°", "阵列方位角(°)", "Array azimuth, clockwise from north, 180 = south (first plane)"),
    Column("ground_coverage_ratio", "Float64", "", "组件覆盖率", "Module area per m² of roof given to PV (area-weighted over planes)"),
    Column("power_density_w_per_m2", "Float64", "W/m²", "功率密度(W/㎡)", "DC watts per m² of roof given to PV"),
    Column("excluded", "boolean", "", "是否排除", "Roof touched by a protected building or no-go area"),
    Column("exclusion_reason", "string", "", "排除原因", "Which exclusion layer and feature"),
    Column("policy_ratio", "Float64", "", "政策覆盖率", "Share of roof area the scenario asks to give to PV"),
    Column("policy_rule", "string", "", "政策条款", "Scenario rule that set policy_ratio"),
    Column("required_pv_area_m2", "Float64", "m²", "政策要求面积(㎡)", "policy_ratio × area_m2"),
    Column("modules_fit", "Int64", "", "可装组件数", "Modules that physically fit the usable roof (layout)"),
    Column("fit_pv_area_m2", "Float64", "m²", "可装阵列面积(㎡)", "Array field of every module that fits"),
    Column("n_modules", "Int64", "", "安装组件数", "Modules installed under the scenario"),
    Column("pv_area_m2", "Float64", "m²", "光伏占用面积(㎡)", "Array field of the installed modules: the required area in whole modules, capped by what fits"),
    Column("policy_exceeds_fit", "boolean", "", "要求超出可装", "The policy asks for more area than physically fits"),
    Column("capacity_kw", "Float64", "kW", "装机容量(kW)", "DC capacity: installed modules × module watts"),
    Column("annual_kwh", "Float64", "kWh", "年发电量(kWh)", "AC energy in the weather year"),
    *[
        Column(m, "Float64", "kWh", f"{int(m[-2:])}月发电量(kWh)", f"AC energy in month {int(m[-2:])}")
        for m in MONTHS
    ],
    Column("specific_yield_kwh_per_kwp", "Float64", "kWh/kWp", "等效利用小时(kWh/kWp)", "annual_kwh / capacity_kw"),
    Column("performance_ratio", "Float64", "", "系统效率PR", "Specific yield / plane-of-array insolation in kWh/m² per kW/m²"),
    Column("shading_loss_pct", "Float64", "%", "遮挡损失(%)", "Annual AC energy lost to neighbouring buildings vs the same planes unshaded (energy-weighted over the planes at the modules that fit); empty when shading is off (--shading)"),
    Column("sky_view_factor", "Float64", "", "天空可视因子", "Share of the plane's unobstructed sky-diffuse view left by the horizon (Dozier & Frew 1990), module-weighted over the planes"),
    Column("horizon_max_deg", "Float64", "°", "最大遮挡高度角(°)", "Highest obstruction elevation seen from the roof's sample points"),
    Column("co2_t", "Float64", "t/yr", "年减排CO2(吨)", "annual_kwh × grid emission factor"),
    Column("business_model", "string", "", "商业模式", "self (自发自用、余电上网, owner-financed) / full-export (全额上网) / emc (合同能源管理: investor builds, host buys at a discount); money figures are the investing party's"),
    Column("capex_yuan", "Float64", "元", "投资(元)", "Installed cost: capacity × 元/W of the economics preset by mounting and size band"),
    Column("om_yuan_per_yr", "Float64", "元/yr", "年运维费(元)", "Operation and maintenance per year (preset 元/W/yr × capacity)"),
    Column("self_consumption_share", "Float64", "", "自用比例", "Share of PV energy used on site (0–1): preset per type/class, or hourly from --load (self_consumption_source); 0 under full-export"),
    Column("self_consumption_source", "string", "", "自用比例来源", "preset:type / preset:class / load:building / load:street / load:class / full-export"),
    Column("tariff_group", "string", "", "电价类别", "Tariff group of the economics preset the host pays (general_ci, large_industry, residential_school, residential)"),
    Column("first_year_benefit_yuan", "Float64", "元/yr", "首年净收益(元)", "Net benefit of year 1 to the investing party: savings + feed-in revenue + Shanghai reward − O&M (− roof rent and host discount under EMC)"),
    Column("simple_payback_yr", "Float64", "yr", "静态回收期(年)", "capex_yuan / first_year_benefit_yuan; empty when the net benefit ≤ 0 or beyond the lifetime (see econ_note)"),
    Column("npv_yuan", "Float64", "元", "净现值(元)", "Net present value of the investing party's real cash flows over the lifetime at the real discount rate"),
    Column("irr_pct", "Float64", "%", "内部收益率(%)", "Internal rate of return (real) of the investing party's cash flows; empty where undefined"),
    Column("lcoe_yuan_per_kwh", "Float64", "元/kWh", "度电成本(元/kWh)", "Real LCOE: discounted capex + O&M + inverter replacement / discounted degraded energy"),
    Column("host_benefit_yuan_per_yr", "Float64", "元/yr", "业主年收益(元)", "EMC only: year-1 saving of the roof owner (tariff discount on self-consumed energy + roof rent)"),
    Column("investor_irr_pct", "Float64", "%", "投资方内部收益率(%)", "EMC only: the investor's IRR (real)"),
    Column("econ_note", "string", "", "经济性说明", "Why payback or IRR are empty (不回收 never pays back …), or 未装光伏 for unsized roofs"),
    Column("status", "string", "", "状态", "sized / not required / too small / excluded / rejected"),
    Column("reject_reason", "string", "", "剔除原因", "Why the input geometry could not be used"),
    Column("geometry_note", "string", "", "几何说明", "Repairs made to the input geometry"),
    Column("overlap_note", "string", "", "重叠说明",
           "Part of the footprint a larger footprint covers, subtracted (not roof twice), or duplicate"),
    Column("overlap_removed_m2", "Float64", "m²", "重叠扣除面积(㎡)",
           "Footprint area subtracted because a larger footprint covers it"),
]

_ROLLUP = [
    Column("level", "string", "", "汇总层级", "district / street / class / department / street_class"),
    Column("key", "string", "", "汇总对象", "Street name, class, department (or 全区 for the district)"),
    Column("key_zh", "string", "", "名称", "Chinese display name of the key"),
    Column("n_buildings", "Int64", "", "建筑数", "Buildings (input rows) in the group"),
    Column("n_sized", "Int64", "", "安装建筑数", "Buildings with capacity > 0"),
    Column("n_exceeds_fit", "Int64", "", "要求超出可装数", "Buildings where the policy asks for more than fits"),
    Column("area_m2", "Float64", "m²", "屋顶面积(㎡)", "Total roof area"),
    Column("usable_area_m2", "Float64", "m²", "可用面积(㎡)", "Total usable roof area"),
    Column("pv_area_m2", "Float64", "m²", "光伏占用面积(㎡)", "Total roof area given to PV"),
    Column("capacity_kw", "Float64", "kW", "装机容量(kW)", "Total DC capacity"),
    Column("capacity_high_kw", "Float64", "kW", "高可信度装机(kW)", "Part of capacity_kw on roofs whose class confidence is high: override, registry, survey use or land-use code"),
    Column("capacity_medium_kw", "Float64", "kW", "中可信度装机(kW)", "Part of capacity_kw on roofs whose class confidence is medium: OSM tags"),
    Column("capacity_low_kw", "Float64", "kW", "低可信度装机(kW)", "Part of capacity_kw on roofs whose class confidence is low: name keywords only"),
    Column("capacity_none_kw", "Float64", "kW", "无可信度装机(kW)", "Part of capacity_kw on roofs whose class confidence is none: no rule matched (default class)"),
    Column("annual_mwh", "Float64", "MWh", "年发电量(MWh)", "Total AC energy per year"),
    Column("co2_t", "Float64", "t/yr", "年减排CO2(吨)", "Total avoided CO2 per year"),
    Column("specific_yield_kwh_per_kwp", "Float64", "kWh/kWp", "等效利用小时", "Capacity-weighted specific yield"),
    Column("target_kw", "Float64", "kW", "目标容量(kW)", "The plan's capacity target (district rows only)"),
    Column("share_of_target_pct", "Float64", "%", "占目标比例(%)", "capacity_kw / target_kw × 100"),
    Column("capex_yuan", "Float64", "元", "投资(元)", "Total installed cost of the sized roofs"),
    Column("first_year_benefit_yuan", "Float64", "元/yr", "首年净收益(元)", "Total net first-year benefit of the investing parties"),
    Column("npv_yuan", "Float64", "元", "净现值(元)", "Total net present value"),
    Column("simple_payback_yr", "Float64", "yr", "静态回收期(年)", "capex_yuan / first_year_benefit_yuan of the group; empty when the benefit ≤ 0"),
]

_CLASSIFICATION = [
    Column("building_class", "string", "", "政策类别", "Policy class"),
    Column("class_zh", "string", "", "政策类别(中文)", "Policy class in Chinese"),
    Column("building_type", "string", "", "建筑类型", "Fine building type"),
    Column("type_zh", "string", "", "建筑类型(中文)", "Fine building type in Chinese"),
    Column("class_rule", "string", "", "分类依据", "Classification rule that fired"),
    Column("n_buildings", "Int64", "", "建筑数", "Buildings classified by this rule"),
    Column("n_usable", "Int64", "", "几何可用数", "Of those, buildings with a usable footprint"),
]

_PANELS = [
    Column("building_id", "string", "", "建筑编号", "Building the module sits on"),
    Column("plane", "Int64", "", "阵列面", "Plane of the roof (0, or 0/1 for pitched and metal roofs)"),
    Column("row", "Int64", "", "排", "Row number from the front (south or eave) row"),
    Column("order", "Int64", "", "序号", "Placement order on the plane"),
]

LAYERS: dict[str, list[Column]] = {
    "roofs": _ROOFS,
    "streets": _ROLLUP,
    "district": _ROLLUP,
    "summary": _ROLLUP,
    "classification": _CLASSIFICATION,
    "panels": _PANELS,
}


def columns(layer: str) -> list[Column]:
    """Columns of one output layer, in order."""
    return LAYERS[layer]


def column_names(layer: str) -> list[str]:
    return [c.name for c in LAYERS[layer]]


def aliases(layer: str) -> dict[str, str]:
    """Column name → Chinese alias for one layer."""
    return {c.name: c.alias_zh for c in LAYERS[layer]}


def conform(df: pd.DataFrame, layer: str) -> pd.DataFrame:
    """Order and cast ``df``'s columns to the layer's schema.

    Columns of the schema missing from ``df`` raise ``KeyError`` (a bug, not
    a user error); extra columns are dropped, except ``geometry``.
    """
    cols = LAYERS[layer]
    missing = [c.name for c in cols if c.name not in df.columns]
    if missing:
        raise KeyError(f"layer {layer!r} is missing schema columns {missing}")
    out = df[[c.name for c in cols] + (["geometry"] if "geometry" in df.columns else [])].copy()
    for c in cols:
        out[c.name] = out[c.name].astype(c.dtype)
    return out


def markdown(layer: str) -> str:
    """The layer's columns as a Markdown table (for the README)."""
    lines = ["| column | unit | 中文名 | meaning |", "|---|---|---|---|"]
    for c in LAYERS[layer]:
        if c.name.startswith("kwh_m") and c.name != "kwh_m01":
            continue
        name = "kwh_m01 … kwh_m12" if c.name == "kwh_m01" else c.name
        desc = "AC energy per calendar month" if c.name == "kwh_m01" else c.description
        alias = "1月…12月发电量(kWh)" if c.name == "kwh_m01" else c.alias_zh
        lines.append(f"| `{name}` | {c.unit} | {alias} | {desc} |")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    for layer in ("roofs", "streets"):
        print(f"### `{layer}`\n\n{markdown(layer)}\n")
