"""Chinese display labels of every category code an output shows: one place for all of them.

Outputs people read (the workbook, its CSV twins, reports) show these labels
instead of the ASCII codes the GeoPackage keeps (``sized`` → 已配置光伏,
``tilted_rows`` → 倾斜支架阵列, ``True`` → 是).  Policy classes and building
types are not repeated here: their Chinese names are the classification
preset's (``class_zh`` / ``type_zh`` beside the codes, or
:func:`preset_names` when only the code is at hand).

:data:`CATEGORY_LABELS` maps a column name to its code → label table; a code
missing from a table is shown as it is (so a new code is visible, not lost)
and :func:`unlabelled` lists such codes for a test to catch.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

#: Roof status (:data:`pvsite.planning.scenario.STATUSES`).
STATUS_ZH = {
    "sized": "已配置光伏",
    "not required": "政策未要求",
    "too small": "面积过小",
    "excluded": "排除(保护建筑/禁建区)",
    "rejected": "几何无效",
}
#: Roof type of the input (``roof_type``) and the raster's roof shape (``raster_roof_shape``).
ROOF_TYPE_ZH = {"flat": "平屋顶", "pitched": "坡屋顶", "metal": "金属屋面", "mono-pitch": "单坡屋顶",
                "unknown": "未知"}
#: Mounting (:data:`pvsite.solar.energy.MOUNTINGS`).
MOUNTING_ZH = {"tilted_rows": "倾斜支架阵列", "flush": "顺坡平铺"}
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
#: Business model of the economics (contracts: ``business_model``).
BUSINESS_MODEL_ZH = {"self": "自发自用、余电上网", "full-export": "全额上网", "emc": "合同能源管理(EMC)"}
#: Booleans.
BOOL_ZH = {True: "是", False: "否"}

#: Column name → code → Chinese label, for every category column of an output.
CATEGORY_LABELS: dict[str, Mapping[str, str]] = {
    "status": {**STATUS_ZH, **INSTALLED_STATUS_ZH},
    "roof_type": ROOF_TYPE_ZH,
    "raster_roof_shape": ROOF_TYPE_ZH,
    "mounting": MOUNTING_ZH,
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
    from pvsite import presets

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
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype(object).map(lambda v: BOOL_ZH.get(bool(v)) if not pd.isna(v) else None)
    table = (extra or {}).get(name) or CATEGORY_LABELS.get(name)
    if table is None:
        return s
    return s.astype(object).map(lambda v: table.get(v, v) if isinstance(v, str) else v)


def unlabelled(name: str, s: pd.Series) -> set[str]:
    """Codes of ``s`` that the table of column ``name`` does not label (empty when all are)."""
    table = CATEGORY_LABELS.get(name, {})
    return {v for v in s.dropna().unique() if isinstance(v, str) and v and v not in table}
