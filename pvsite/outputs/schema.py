"""Output schema as data: every output column once, with dtype, unit, Chinese alias and meaning.

Beside the columns, :data:`CATEGORY_LABELS`: the Chinese display label of
every category code an output people read shows (the workbook, its CSV
twins), so no English code reaches a cell; policy classes and building types
take the classification preset's names (:func:`preset_names`).

This one table drives the GeoPackage writer (column order and dtypes), the
Chinese field aliases shown in QGIS, and the column list in the README
(``python -m pvsite.outputs.schema`` prints it as Markdown).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
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
    Column("owner_type", "string", "", "权属", "Owner category (区属国企 / 市属国企 / 央企 / 公共机构 / 私营 / 外资, or as written) from a footprint attribute, a registry column (权属, 单位性质 …) or the overrides (that order of precedence, the last wins); empty when unknown"),
    Column("plan_task", "string", "", "规划任务", "Number of the plan task that obliges the roof (长府〔2023〕1号 task table: 36 new buildings, 37 existing); empty when no task covers it"),
    Column("plan_task_departments", "string", "", "任务责任单位", "The departments (责任单位) the task table names for that task, 、-joined"),
    Column("responsible_department", "string", "", "责任部门", "The one department whose task list carries the roof: by owner (区属国企 → 区国资委), building type (schools → 区教育局 …), else the roof's street (各街道镇) for task 37; 区建管委 for task 36 (policy preset [tasks])"),
    Column("is_new", "boolean", "", "是否新建", "Completed in or after the policy's new-building year (2022)"),
    Column("is_new_basis", "string", "", "新建判定依据", "How is_new was decided"),
    Column("area_m2", "Float64", "m²", "屋顶面积(㎡)", "Roof (footprint) area"),
    Column("usable_area_m2", "Float64", "m²", "可用面积(㎡)", "Area left after edge setbacks, slivers, roof-equipment allowance and minimum size"),
    Column("obstruction_area_m2", "Float64", "m²", "设备占用扣减(㎡)", "Allowance for roof equipment (stair housings, tanks, HVAC) removed from the usable area"),
    Column("raster_roof_shape", "string", "", "栅格屋顶形态", "Roof shape measured on the height raster (flat / pitched / mono-pitch / unknown), when one is given"),
    Column("axis_azimuth_deg", "Float64", "°", "建筑主轴方位(°)", "Bearing of the building's long axis, 0–180 clockwise from north"),
    Column("roof_note", "string", "", "屋顶说明", "Why the roof has no PV (every roof without PV has one: status reason first — exclusion, unsuitable, class not required, too small with its usable area and what the smallest layout needs, low yield — then why usable area is reduced or zero and which planes are left out for low yield) (中文 / English)"),
    Column("mounting", "string", "", "安装方式", "tilted_rows (flat roofs) or flush (pitched/metal roofs)"),
    Column("layout", "string", "", "排布方式", "Module layout of the first plane: rows (normal rack rows of modules_per_row_portrait in portrait, or the flush grid of pitched/metal roofs); on flat roofs the normal rows cannot use, single_portrait (1P racks, one module up the slope) or single_landscape (1L racks), tried in that order ([mounting] narrow_roof_layouts)"),
    Column("build_status", "string", "", "建设状态", "under_construction when a survey status column (现状 / 建设状态 …) holds 在建 / 施工 / 拟建 … and no completed word such as 竣工 / 施工完成 ([build_status] of presets/fields.toml), else empty"),
    Column("unsuitable_reason", "string", "", "不宜安装原因", "under_construction (OSM building=construction or a survey status 在建/施工/拟建) or slender_crown (height ≥ roof.slender_min_height_m and footprint < roof.slender_max_area_m2 or height/√footprint ≥ roof.slender_ratio); empty otherwise"),
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
    Column("modules_fit", "Int64", "", "可装组件数", "Modules that physically fit the usable roof (layout), on planes that pass the suitability threshold (see low_yield_kw): a technical fit, shown on every roof whatever its status — an unsuitable, excluded or not-required roof keeps its fit but carries no module (n_modules 0), and no potential or total counts it"),
    Column("low_yield_kw", "Float64", "kW", "低产面未计容量(kW)", "DC kW of the modules that fit on planes whose (shaded) specific yield is below roof.min_yield_share_pct (default 80 %) of the site's optimum plane (north slopes, deep shade): not counted in any scenario; technical, like modules_fit, on every roof whatever its status; 0 when the threshold is 0"),
    Column("fit_pv_area_m2", "Float64", "m²", "可装阵列面积(㎡)", "Array field of every module that fits (modules_fit, technical: whatever the status)"),
    Column("n_modules", "Int64", "", "安装组件数", "Modules installed under the scenario"),
    Column("pv_area_m2", "Float64", "m²", "光伏占用面积(㎡)", "Array field of the installed modules: the required area in whole modules, capped by what fits"),
    Column("policy_exceeds_fit", "boolean", "", "要求超出可装", "The policy asks for more area than physically fits"),
    Column("capacity_kw", "Float64", "kW", "装机容量(kW)", "DC capacity: installed modules × module watts"),
    Column("installed_kw", "Float64", "kW", "已并网(kW)", "DC capacity of built (已并网) projects of the --installed lists on this roof; empty when no list was given (unknown, not zero)"),
    Column("under_construction_kw", "Float64", "kW", "在建(kW)", "DC capacity of projects under construction (在建) on this roof; empty without --installed"),
    Column("planned_kw", "Float64", "kW", "已备案(kW)", "DC capacity of registered, not yet built projects (已备案) on this roof; empty without --installed"),
    Column("remaining_potential_kw", "Float64", "kW", "剩余潜力(kW)", "max(capacity_kw − installed_kw − under_construction_kw − planned_kw, 0): the scenario's potential beyond what is on the roof"),
    Column("annual_kwh", "Float64", "kWh", "年发电量(kWh)", "AC energy in the weather year"),
    *[
        Column(m, "Float64", "kWh", f"{int(m[-2:])}月发电量(kWh)", f"AC energy in month {int(m[-2:])}")
        for m in MONTHS
    ],
    Column("specific_yield_kwh_per_kwp", "Float64", "kWh/kWp", "等效利用小时(kWh/kWp)", "annual_kwh / capacity_kw"),
    Column("performance_ratio", "Float64", "", "系统效率PR", "Specific yield / plane-of-array insolation in kWh/m² per kW/m²"),
    Column("shading_loss_pct", "Float64", "%", "遮挡损失(%)", "Annual AC energy lost to neighbouring buildings vs the same planes unshaded (energy-weighted over the planes at the modules that fit); empty when shading is off (--no-shading)"),
    Column("sky_view_factor", "Float64", "", "天空可视因子", "Share of the plane's unobstructed sky-diffuse view left by the horizon (Dozier & Frew 1990), module-weighted over the planes"),
    Column("horizon_max_deg", "Float64", "°", "最大遮挡高度角(°)", "Highest obstruction elevation seen from the roof's sample points"),
    Column("co2_t", "Float64", "t/yr", "年减排CO2(吨)", "annual_kwh × grid emission factor of the emission preset (--emission-factor; default 沪环气〔2022〕34号 0.42 kg/kWh)"),
    Column("tce_t", "Float64", "t/yr", "年节约标准煤(吨)", "annual_kwh × 供电标准煤耗 of the emission preset (default 300.7 gce/kWh) / 10⁶"),
    Column("business_model", "string", "", "商业模式", "self (自发自用、余电上网, owner-financed) / full-export (全额上网) / emc (合同能源管理: investor builds, host buys at a discount); money figures are the investing party's"),
    Column("capex_yuan", "Float64", "元", "投资(元)", "Installed cost: capacity × 元/W of the economics preset by mounting and size band"),
    Column("om_yuan_per_yr", "Float64", "元/yr", "年运维费(元)", "Operation and maintenance per year (preset 元/W/yr × capacity)"),
    Column("self_consumption_share", "Float64", "", "自用比例", "Share of PV energy used on site (0–1): preset per type/class, or hourly from --load (self_consumption_source); 0 under full-export"),
    Column("self_consumption_source", "string", "", "自用比例来源", "preset:type / preset:class / load:building / load:street / load:class / full-export"),
    Column("tariff_group", "string", "", "电价类别", "Tariff group of the economics preset the host pays (general_ci, large_industry, residential_school, residential)"),
    Column("first_year_benefit_yuan", "Float64", "元/yr", "首年净收益(元)", "Net benefit of year 1 to the investing party: savings + feed-in revenue + Shanghai reward − O&M (− roof rent and host discount under EMC)"),
    Column("simple_payback_yr", "Float64", "yr", "静态回收期(年)", "capex_yuan / first_year_benefit_yuan; empty when the net benefit ≤ 0 or beyond the lifetime (see econ_note)"),
    Column("npv_yuan", "Float64", "元", "净现值(元)", "Net present value of the investing party's real cash flows over the lifetime at the real discount rate"),
    Column("irr_pct", "Float64", "%", "内部收益率IRR(%)", "Internal rate of return (real) of the investing party's cash flows; empty where undefined"),
    Column("lcoe_yuan_per_kwh", "Float64", "元/kWh", "度电成本LCOE(元/kWh)", "Real LCOE: discounted capex + O&M + inverter replacement / discounted degraded energy"),
    Column("host_benefit_yuan_per_yr", "Float64", "元/yr", "业主年收益(元)", "EMC only: year-1 saving of the roof owner (tariff discount on self-consumed energy + roof rent)"),
    Column("investor_irr_pct", "Float64", "%", "投资方内部收益率(%)", "EMC only: the investor's IRR (real)"),
    Column("econ_note", "string", "", "经济性说明", "Why payback or IRR are empty (不回收 never pays back …), or 未装光伏 for unsized roofs"),
    Column("status", "string", "", "状态", "sized / not required / low yield (modules fit only on planes below the suitability threshold) / too small / excluded / unsuitable (under construction or slender tower crown: unsuitable_reason) / rejected"),
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
    Column("tce_t", "Float64", "t/yr", "年节约标准煤(吨)", "Total standard coal saved per year (annual kWh × 供电标准煤耗)"),
    Column("specific_yield_kwh_per_kwp", "Float64", "kWh/kWp", "等效利用小时", "Capacity-weighted specific yield"),
    Column("consumption_kwh", "Float64", "kWh", "年用能(kWh)", "Annual energy use from --consumption (street and district rows; NA without)"),
    Column("share_pv_kwh", "Float64", "kWh", "计入替代率的光伏发电量(kWh)", "PV potential counted against consumption_kwh: all roofs of a street or district with a street/district value, only the listed buildings' roofs where use is given per building"),
    Column("renewable_share_pct", "Float64", "%", "可再生能源替代率代理值(%)", "share_pv_kwh / consumption_kwh × 100: a PV-only proxy of task 15's 城镇建筑可再生能源替代率 (goal 10 % 2025, 15 % 2030), in kWh, potential not built; NA without --consumption"),
    Column("installed_kw", "Float64", "kW", "已并网(kW)", "Built (已并网) DC capacity of the --installed lists; the district row also counts projects that matched no roof; empty without a list (unknown)"),
    Column("under_construction_kw", "Float64", "kW", "在建(kW)", "DC capacity under construction (在建); district row as installed_kw"),
    Column("planned_kw", "Float64", "kW", "已备案(kW)", "DC capacity registered, not yet built (已备案); district row as installed_kw"),
    Column("remaining_potential_kw", "Float64", "kW", "剩余潜力(kW)", "Sum of the roofs' remaining potential beyond what is on them"),
    Column("target_kw", "Float64", "kW", "目标容量(kW)", "The plan's built-capacity target: district row, and street / department rows the policy preset allocates a target to"),
    Column("remaining_kw", "Float64", "kW", "距目标尚差(kW)", "target_kw − built capacity commissioned within the target's years (policy [targets]: 2021–2025 for Changning; = installed_kw when every project is); negative when the target is exceeded"),
    Column("achieved_pct", "Float64", "%", "目标完成率(%)", "Built capacity commissioned within the target's years / target_kw × 100 (built only: under construction and planned are not achieved)"),
    Column("potential_x_target", "Float64", "×", "潜力为目标的倍数", "capacity_kw / target_kw (the row's own target, else the district's): the scenario's potential as a multiple of the target, not an achievement"),
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

# RunResult tables others produce (contracts.md); shown by the workbook and its CSV twins. Columns these
# tables share with the roofs layer (street, capacity_kw, …) take their header from _ROOFS.
_TRAJECTORY = [
    Column("year", "Int64", "", "年份", "Calendar year"),
    Column("added_kw", "Float64", "kW", "当年新增已并网(kW)", "Built capacity commissioned in the year"),
    Column("cumulative_kw", "Float64", "kW", "累计已并网(kW)", "Built capacity commissioned up to the end of the year"),
    Column("target_kw", "Float64", "kW", "累计目标(kW)", "Cumulative target for the year, where the policy preset gives one"),
]

_PRIORITY = [
    Column("rank", "Int64", "", "排序", "Rank of the roof under the --rank-by key (1 = first)"),
    Column("remaining_potential_kw", "Float64", "kW", "剩余潜力(kW)", "capacity_kw less what is built, in construction or planned on the roof"),
    Column("cumulative_kw", "Float64", "kW", "累计剩余潜力(kW)", "remaining_potential_kw summed down the ranked list"),
    Column("closes_gap", "boolean", "", "属于补足缺口的最少屋顶", "In the smallest set of roofs, in rank order, that closes the remaining gap to the target"),
    Column("status_zh", "string", "", "状态", "Status of the roof in Chinese (department task lists)"),
]

_INSTALLED = [
    Column("project_name", "string", "", "项目名称", "Project name in the registry of installed systems"),
    Column("capacity_kw", "Float64", "kW", "直流容量(kW)", "DC capacity of the system"),
    Column("capacity_ac_kw", "Float64", "kW", "交流容量(kW)", "AC capacity of the system, where the registry gives it"),
    Column("status_zh", "string", "", "状态", "已并网 / 在建 / 已备案"),
    Column("commissioned", "datetime64[ns]", "", "并网日期", "Commissioning date"),
    Column("building_id", "string", "", "建筑编号", "Roof the entry was matched to (empty when unmatched)"),
    Column("street", "string", "", "街道(镇)", "Street of the matched roof or of the entry"),
    Column("match_method", "string", "", "匹配方式", "id / contains / nearest / unmatched"),
    Column("match_distance_m", "Float64", "m", "匹配距离(米)", "Distance to the matched roof for nearest matches"),
    Column("note", "string", "", "说明", "Why an entry is unmatched or how it was matched"),
    Column("source", "string", "", "来源", "File and row of the entry"),
]

# Display columns: money in 万元 (10⁴ 元) where people read it (the priority and department sheets, 经济性, the
# report).  Each is derived from one column of the layers by a factor (:data:`DERIVED`); the GeoPackage and the
# roofs CSV keep 元.
_DISPLAY = [
    Column("capex_wan_yuan", "Float64", "万元", "投资(万元)", "capex_yuan / 10⁴: installed cost in 万元"),
    Column("first_year_benefit_wan_yuan", "Float64", "万元/yr", "首年收益(万元)",
           "first_year_benefit_yuan / 10⁴: net first-year benefit of the investing party in 万元"),
    Column("npv_wan_yuan", "Float64", "万元", "净现值(万元)", "npv_yuan / 10⁴: net present value in 万元"),
]
#: Display column → (the column it is derived from, factor): ``display = source × factor``.
DERIVED: dict[str, tuple[str, float]] = {
    "capex_wan_yuan": ("capex_yuan", 1e-4),
    "first_year_benefit_wan_yuan": ("first_year_benefit_yuan", 1e-4),
    "npv_wan_yuan": ("npv_yuan", 1e-4),
}

# The 经济性 sheet: summary money sums (in 万元) beside what only the roofs give per group
# (pvsite.economics.group_economics).
_ECONOMICS = [
    Column("lcoe_yuan_per_kwh", "Float64", "元/kWh", "加权度电成本LCOE(元/kWh)",
           "Capacity-weighted LCOE of the group's sized roofs: Σ(LCOE × kW) / Σ kW"),
    Column("business_model", "string", "", "商业模式", "Business model(s) of the group's sized roofs"),
]

# RunResult.sensitivity (pvsite.economics.sensitivity): the district's payback and NPV per case.
_SENSITIVITY = [
    Column("parameter_zh", "string", "", "参数", "Parameter changed: 投资 capex, 电价 host tariff, 自用比例 self-consumption"),
    Column("change_label", "string", "", "变化", "The change: ± % of the preset's values, or ± percentage points of the share"),
    Column("payback_yr", "Float64", "yr", "静态回收期(年)", "District Σ capex / Σ net first-year benefit under the change"),
    Column("npv_yuan", "Float64", "元", "净现值(元)", "District Σ NPV under the change"),
]


def with_display_units(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every source column of :data:`DERIVED` replaced, in its place, by its display column.

    The one place money becomes 万元 for display; the numbers are the
    source × factor at full precision (the number format rounds them).
    """
    out = df.copy()
    for name, (source, factor) in DERIVED.items():
        if source in out.columns and name not in out.columns:
            at = out.columns.get_loc(source)
            values = pd.to_numeric(out.pop(source), errors="coerce").astype("Float64") * factor
            out.insert(at, name, values)
    return out


#: Non-spatial GeoPackage table ``horizons`` (shading on): one row per PV plane, then one column per azimuth
#: sector ``h000`` … ``h357`` (sector centre bearing in whole degrees, clockwise from true north; 144 sectors
#: of 2.5° by default, so h002 is 2.5°) holding the obstruction elevation [°] seen from the plane (mean of its
#: sample points). One column per sector, not a packed text field, so QGIS can chart, filter and join it
#: (join on building_id to the roofs layer).
HORIZON_SECTOR_PREFIX = "h"
_HORIZONS = [
    Column("building_id", "string", "", "建筑编号", "Building the plane belongs to (join to the roofs layer)"),
    Column("plane", "Int64", "", "阵列面", "Plane of the roof (0, or 0/1 for pitched and metal roofs)"),
    Column("tilt_deg", "Float64", "°", "倾角(°)", "Tilt of the plane"),
    Column("azimuth_deg", "Float64", "°", "方位角(°)", "Azimuth of the plane, clockwise from north"),
    Column("horizon_max_deg", "Float64", "°", "最大遮挡高度角(°)", "Highest sector of the plane's horizon"),
    Column("sky_view_factor", "Float64", "", "天空可视因子", "Sky-view factor of the plane (Dozier & Frew 1990)"),
    Column("shading_loss_pct", "Float64", "%", "遮挡损失(%)", "Annual AC energy the horizon takes from the plane"),
]

LAYERS: dict[str, list[Column]] = {
    "roofs": _ROOFS,
    "streets": _ROLLUP,
    "district": _ROLLUP,
    "summary": _ROLLUP,
    "classification": _CLASSIFICATION,
    "panels": _PANELS,
}

#: Tables of a RunResult that are not GeoPackage layers (the workbook's 进度, 优先屋顶清单, 已建项目清单).
TABLES: dict[str, list[Column]] = {
    "trajectory": _TRAJECTORY,
    "priority": _PRIORITY,
    "installed": _INSTALLED,
    "display": _DISPLAY,
    "economics": _ECONOMICS,
    "sensitivity": _SENSITIVITY,
    "horizons": _HORIZONS,
}


def columns(layer: str) -> list[Column]:
    """Columns of one output layer (or RunResult table, :data:`TABLES`), in order."""
    return LAYERS[layer] if layer in LAYERS else TABLES[layer]


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


# ---------------------------------------------------------------------------
# Chinese labels of category codes (the workbook and CSV twins show these; the GeoPackage keeps the codes)
# ---------------------------------------------------------------------------

#: Roof status (:data:`pvsite.planning.scenario.STATUSES`).
STATUS_ZH = {
    "sized": "已配置光伏",
    "not required": "政策未要求",
    "too small": "面积过小",
    "low yield": "发电量低(朝北或遮挡)",
    "excluded": "排除(保护建筑/禁建区)",
    "unsuitable": "不宜安装(在建/超高层塔顶)",
    "rejected": "几何无效",
}
#: Roof type of the input (``roof_type``) and the raster's roof shape (``raster_roof_shape``).
ROOF_TYPE_ZH = {"flat": "平屋顶", "pitched": "坡屋顶", "metal": "金属屋面", "mono-pitch": "单坡屋顶",
                "unknown": "未知"}
#: Mounting (:data:`pvsite.solar.energy.MOUNTINGS`).
MOUNTING_ZH = {"tilted_rows": "倾斜支架阵列", "flush": "顺坡平铺"}
#: Module layout (:data:`pvsite.roofs.layout.LAYOUTS`).
LAYOUT_ZH = {"rows": "常规排布", "single_portrait": "单排竖放支架(1P)", "single_landscape": "单排横放支架(1L)"}
#: Why a roof is unsuitable (:data:`pvsite.roofs.unsuitable.UNSUITABLE_REASONS`).
UNSUITABLE_REASON_ZH = {"under_construction": "在建/拟建", "slender_crown": "超高层塔顶面积小"}
#: Confidence of the class (:data:`pvsite.presets.CONFIDENCE_LEVELS`).
CONFIDENCE_ZH = {"high": "高", "medium": "中", "low": "低", "none": "无(未匹配规则)"}
#: Where ``height_m`` comes from.
HEIGHT_SOURCE_ZH = {"attribute": "高度字段", "storeys": "层数×层高", "raster": "高度栅格",
                    "class_default": "类别默认层数(无高度数据)"}
#: Summary level.
LEVEL_ZH = {"district": "全区", "street": "街道(镇)", "class": "政策类别", "department": "责任部门",
            "street_class": "街道×类别"}
#: Registry status of an installed system (contracts: ``status`` / ``status_zh`` of installed_entries).
INSTALLED_STATUS_ZH = {"built": "已并网", "under_construction": "在建", "planned": "已备案"}
#: How a registry entry was matched to a roof.
MATCH_METHOD_ZH = {"id": "编号匹配", "contains": "位置落在屋顶内", "nearest": "最近屋顶", "unmatched": "未匹配"}
#: Business model of the economics (contracts: ``business_model``); a group's models are comma-joined codes.
BUSINESS_MODEL_ZH = {"self": "自发自用、余电上网", "full-export": "全额上网", "emc": "合同能源管理(EMC)"}
#: Booleans.
BOOL_ZH = {True: "是", False: "否"}

#: Column name → code → Chinese label, for every category column of an output.
CATEGORY_LABELS: dict[str, Mapping[str, str]] = {
    "status": {**STATUS_ZH, **INSTALLED_STATUS_ZH},
    "roof_type": ROOF_TYPE_ZH,
    "raster_roof_shape": ROOF_TYPE_ZH,
    "mounting": MOUNTING_ZH,
    "layout": LAYOUT_ZH,
    "unsuitable_reason": UNSUITABLE_REASON_ZH,
    "build_status": {"under_construction": "在建/拟建"},
    "class_confidence": CONFIDENCE_ZH,
    "height_source": HEIGHT_SOURCE_ZH,
    "level": LEVEL_ZH,
    "match_method": MATCH_METHOD_ZH,
    "business_model": BUSINESS_MODEL_ZH,
}

#: Code column → the column beside it that holds its Chinese name (the code column is then not shown).
ZH_SIBLINGS = {"building_class": "class_zh", "building_type": "type_zh", "key": "key_zh", "status": "status_zh"}


def preset_names(classify_preset: str = "cn-default") -> dict[str, dict[str, str]]:
    """``{"building_class": {code: 中文}, "building_type": {code: 中文}}`` of a classification preset."""
    from pvsite import presets  # noqa: PLC0415 (presets import outputs lazily)

    p = presets.load_classify(classify_preset)
    return {"building_class": dict(p.class_names_zh),
            "building_type": {k: t.name_zh for k, t in p.types.items()}}


def label_series(name: str, s: pd.Series, extra: Mapping[str, Mapping[str, str]] | None = None) -> pd.Series:
    """``s`` with category codes replaced by Chinese labels (booleans → 是/否); other columns unchanged.

    Parameters
    ----------
    name : str
        The column name (selects the table of :data:`CATEGORY_LABELS` or ``extra``).
    s : pandas.Series
    extra : mapping, optional
        More column → code → label tables (e.g. :func:`preset_names`).

    Returns
    -------
    pandas.Series
        Object dtype where labels were applied; missing values stay missing.
    """
    # vectorised (a dict look-up per distinct value, not a Python call per row): the same values as
    # ``map(lambda v: BOOL_ZH.get(bool(v)) ...)`` / ``map(lambda v: table.get(v, v) ...)``
    if pd.api.types.is_bool_dtype(s.dtype):
        na = s.isna().to_numpy()
        true = s.to_numpy(dtype=bool, na_value=False)
        out = np.where(true, BOOL_ZH[True], BOOL_ZH[False]).astype(object)
        out[na] = None
        return pd.Series(out, index=s.index, name=s.name, dtype=object)
    table = (extra or {}).get(name) or CATEGORY_LABELS.get(name)
    if table is None:
        return s
    obj = s.astype(object)
    vals = obj.to_numpy(dtype=object)
    hit = obj.isin([k for k in table if isinstance(k, str)]).to_numpy()
    out = vals.copy()
    if hit.any():
        out[hit] = obj[hit].map(table).to_numpy(dtype=object)
    # several codes joined by commas (a group's business models): label each, once per distinct value
    multi = ~hit & obj.astype("string").str.contains(",", regex=False).fillna(False).to_numpy(dtype=bool)
    if multi.any():
        joined = {v: " + ".join(table.get(x, x) for x in v.split(",")) for v in pd.unique(vals[multi])}
        out[multi] = [joined[v] for v in vals[multi]]
    return pd.Series(out, index=s.index, name=s.name, dtype=object)


def unlabelled(name: str, s: pd.Series) -> set[str]:
    """Codes of ``s`` that the table of column ``name`` does not label (empty when all are)."""
    table = CATEGORY_LABELS.get(name, {})
    return {x for v in s.dropna().unique() if isinstance(v, str) and v
            for x in ([v] if v in table else v.split(",")) if x not in table}


if __name__ == "__main__":  # pragma: no cover
    for layer in ("roofs", "streets"):
        print(f"### `{layer}`\n\n{markdown(layer)}\n")
