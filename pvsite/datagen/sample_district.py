"""The embedded synthetic sample district (合成示例街区).

``footprints/sample_district.gpkg`` lets pvsite run out of the box, offline,
without any real survey data.  It is **synthetic**: every building, name and
street outline below is made up by a seeded random generator.  Only the names
and 2023 statistical codes of Changning's ten sub-districts (9 街道 + 新泾镇)
and the road names used to compose building names are real; no building in
the file exists, and the street polygons are not the real boundaries (those
are not available offline).

The GeoPackage (version 1.2, CRS EPSG:4490 CGCS2000) holds three layers:

``buildings``
    MultiPolygon footprints (most single-part; a few multi-part, some with
    courtyards) with the attribute names of Chinese survey data: ``编号``,
    ``名称``, ``用途``, ``层数``, ``建成年份``, ``屋顶类型``.
``streets``
    The ten sub-district polygons (``name``, ``code``, ``type``): Voronoi cells
    of approximate centres clipped to a synthetic district outline; they tile
    the outline without overlap.
``sample_info``
    A key/value table without geometry.  ``synthetic = true`` marks the file
    as the sample; :func:`is_synthetic_sample` reads it so that every output
    made from it is flagged as synthetic.

Regenerate with ``python -m pvsite.datagen.sample_district`` (default output
:data:`pvsite.resources.SAMPLE_FOOTPRINTS`); the same seed gives the same content.
All sizes, storeys and years are pvsite assumptions chosen to look like a
Shanghai inner district (old 新村 slab housing, office towers, industrial
sheds in the west); they are not statistics of Changning.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS, Transformer
from pyproj.crs import ProjectedCRS
from pyproj.crs.coordinate_operation import TransverseMercatorConversion
from shapely.geometry import MultiPolygon, Polygon

from pvsite import __version__
from pvsite.errors import OutputError
from pvsite.io.atomic import atomic_path
from pvsite.io.footprints import SAMPLE_INFO_LAYER, is_synthetic_sample
from pvsite.resources import SAMPLE_FOOTPRINTS

logger = logging.getLogger(__name__)

SEED = 20230105
"""Seed of the committed sample (arbitrary; any seed gives a valid district)."""

CRS_OUT = "EPSG:4490"
"""CGCS2000 geographic, the national datum of Chinese survey data."""

BUILDING_COLUMNS = ("编号", "名称", "用途", "层数", "建成年份", "屋顶类型")
"""Attribute columns of the ``buildings`` layer, in order."""

STREET_COLUMNS = ("name", "code", "type")
"""Attribute columns of the ``streets`` layer, in order."""

USES = (
    "行政办公", "教育", "医疗卫生", "文化体育", "社会福利", "工业", "仓储物流",
    "商务办公", "商业", "旅馆", "交通", "住宅", "其他",
)
"""Values of ``用途`` (besides blanks), as surveys write them."""

ROOF_TYPES = ("平屋顶", "坡屋顶", "彩钢屋顶")
"""Values of ``屋顶类型`` (besides blanks): flat, pitched, metal (colour steel)."""

WARNING = "合成示例数据，并非长宁区真实建筑 / Synthetic sample data, not real Changning buildings"
INFO_LAYER = SAMPLE_INFO_LAYER

# Names and official statistical codes (2023) of Changning's sub-districts are
# facts (国家统计局 统计用区划代码); the centres are rough synthetic positions
# [lon °, lat °] used only to draw Voronoi cells; ``character`` picks the land-use
# mix (a pvsite assumption), ``target`` the number of buildings to place.
_STREETS = (
    # name, code, type, centre lon, centre lat, character, target buildings
    ("华阳路街道", "310105001000", "街道", 121.4265, 31.2215, "dense", 320),
    ("江苏路街道", "310105002000", "街道", 121.4385, 31.2150, "dense", 290),
    ("新华路街道", "310105004000", "街道", 121.4300, 31.2020, "dense", 320),
    ("周家桥街道", "310105005000", "街道", 121.4100, 31.2225, "residential", 290),
    ("天山路街道", "310105006000", "街道", 121.4050, 31.2120, "dense", 360),
    ("仙霞新村街道", "310105008000", "街道", 121.3900, 31.2070, "residential", 360),
    ("虹桥街道", "310105009000", "街道", 121.4140, 31.1990, "hongqiao", 370),
    ("程家桥街道", "310105010000", "街道", 121.3720, 31.1960, "industrial", 380),
    ("北新泾街道", "310105011000", "街道", 121.3850, 31.2210, "industrial", 330),
    ("新泾镇", "310105102000", "镇", 121.3610, 31.2150, "industrial", 480),
)

# Synthetic district outline [lon °, lat °], roughly where Changning lies.
_OUTLINE = (
    (121.3520, 31.2010), (121.3640, 31.1900), (121.3700, 31.1870), (121.3950, 31.1890), (121.4120, 31.1915),
    (121.4290, 31.1950), (121.4410, 31.2030), (121.4470, 31.2130), (121.4450, 31.2235),
    (121.4320, 31.2285), (121.4180, 31.2265), (121.4050, 31.2280), (121.3920, 31.2265),
    (121.3780, 31.2300), (121.3600, 31.2285), (121.3500, 31.2150),
)
_LON0, _LAT0 = 121.40, 31.21

# Land-use mix by street character (weights of optional parcels; pvsite assumption).
_MIX = {
    "dense": {"old_res": 38, "new_res": 22, "office": 14, "mall": 6, "hotel": 3, "factory": 1,
              "school": 3, "hospital": 2, "culture": 3, "welfare": 3, "transport": 1, "other": 4},
    "residential": {"old_res": 40, "new_res": 28, "office": 6, "mall": 5, "hotel": 1, "factory": 2,
                    "warehouse": 1, "school": 3, "hospital": 1, "culture": 2, "welfare": 3,
                    "transport": 2, "other": 4},
    "hongqiao": {"old_res": 12, "new_res": 26, "office": 26, "mall": 11, "hotel": 12,
                 "school": 3, "hospital": 2, "culture": 3, "welfare": 2, "transport": 1, "other": 2},
    "industrial": {"old_res": 12, "new_res": 14, "office": 18, "mall": 2, "hotel": 2,
                   "factory": 8, "warehouse": 4, "school": 2, "hospital": 1, "culture": 1,
                   "welfare": 2, "transport": 4, "other": 3},
}
# Parcels every street gets, on full-size parcels: the 街道办事处 / 镇人民政府 and one
# more government office, a primary or middle school and another school, a
# kindergarten, the community health centre, a hospital, elderly care and the
# community culture centre.
_MANDATORY = ("gov", "gov", "school", "school", "kindergarten", "clinic", "hospital", "welfare", "culture")

# Internal kind -> 用途 written in the survey.
_USE = {
    "residential": "住宅", "office": "商务办公", "commercial": "商业", "hotel": "旅馆",
    "factory": "工业", "warehouse": "仓储物流", "school": "教育", "hospital": "医疗卫生",
    "government": "行政办公", "culture": "文化体育", "welfare": "社会福利",
    "transport": "交通", "other": "其他",
}
# Share of buildings whose 用途 is left blank by the surveyor (pvsite assumption);
# a blank is only allowed where the name carries the type (public, industry).
_P_BLANK_USE = {"residential": 0.08, "other": 0.30}
_P_BLANK_USE_DEFAULT = 0.12
# Share of parcels completed 2022–2025 ("new buildings" of the 2022 policy).
_P_NEW_PARCEL = {"new_res": 0.16, "office": 0.10, "mall": 0.08, "hotel": 0.06, "factory": 0.10,
                 "warehouse": 0.10, "school": 0.12, "kindergarten": 0.12, "hospital": 0.10,
                 "clinic": 0.10, "gov": 0.10, "culture": 0.08, "welfare": 0.12,
                 "transport": 0.08, "other": 0.05, "old_res": 0.0}
_P_NEW_EXTENSION = 0.03  # one building of an older parcel rebuilt/added 2022–2025
_BASE_YEARS = {"old_res": (1955, 1995), "new_res": (1996, 2021), "office": (1988, 2021),
               "mall": (1993, 2021), "hotel": (1983, 2021), "factory": (1960, 2021),
               "warehouse": (1985, 2021), "school": (1955, 2021), "kindergarten": (1960, 2021),
               "hospital": (1950, 2021), "clinic": (1980, 2021), "gov": (1960, 2021),
               "culture": (1970, 2021), "welfare": (1985, 2021), "transport": (1975, 2021),
               "other": (1960, 2021)}

# Name parts.  Road names are real Changning roads (facts), combined at random:
# a name such as "长宁区天山路小学" in this file does not denote a real institution.
_ROADS = ("长宁路", "愚园路", "延安西路", "虹桥路", "天山路", "仙霞路", "遵义路", "娄山关路",
          "古北路", "水城路", "剑河路", "哈密路", "金钟路", "协和路", "淞虹路", "福泉路",
          "北翟路", "天山西路", "茅台路", "武夷路", "定西路", "番禺路", "新华路", "法华镇路",
          "凯旋路", "江苏路", "华山路", "安化路", "镇宁路", "宣化路", "泸定路", "威宁路",
          "安顺路", "芙蓉江路", "双流路", "广顺路", "绥宁路", "平塘路", "伊犁路", "玉屏南路",
          "安龙路", "紫云路", "中山西路", "万航渡路", "华阳路", "红宝石路", "荣华东道")
_PLACE = ("天山", "仙霞", "虹古", "遵义", "茅台", "安顺", "华阳", "长宁", "江苏", "北新泾",
          "程桥", "新泾", "剑河", "哈密", "紫云", "水城", "平塘", "古北", "虹桥", "玉屏",
          "武夷", "定西", "番禺", "法华", "新华", "愚园", "镇宁", "威宁", "泸定", "淞虹")
_FANCY = ("锦绣", "金泾", "怡景", "御景", "瑞丽", "嘉和", "悦庭", "东苑", "翠庭", "华府",
          "明珠", "春天", "绿洲", "虹景", "雅苑", "馨园", "上林", "君悦", "晶华", "宝丰")
_FIRM = ("华新", "申达", "宏远", "联丰", "东昇", "金泾", "恒通", "永固", "瑞丰", "海鸿",
         "天元", "协力", "长华", "建申", "明泰", "鼎盛", "中泰", "嘉禾", "锦程", "新虹",
         "凯达", "博远", "同舟", "宝泾", "益民", "立新", "兴业", "振华", "开元", "捷安")
_INDUSTRY = ("机械厂", "电子有限公司", "精密机械有限公司", "印刷厂", "食品厂", "服装厂",
             "塑料制品厂", "电器厂", "仪表厂", "五金厂", "包装材料有限公司", "汽车配件厂",
             "医疗器械有限公司", "纺织机械厂")
_BUREAU = ("市场监督管理局", "人力资源和社会保障局", "城市管理行政执法局", "民政局", "教育局",
           "卫生健康委员会", "生态环境局", "房屋管理局", "规划和自然资源局", "退役军人事务局")
_NUM = "一二三四五六七八"
_OLD_COMPOUND = ("{s}新村", "{s}小区", "{s}公寓", "{s}坊", *(f"{{s}}{n}村" for n in _NUM))


# ---------------------------------------------------------------------------
# Shapes (local metric frame of a parcel, x along the parcel's street axis)
# ---------------------------------------------------------------------------


def _rect(cx, cy, w, h):
    return shapely.box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def _l_shape(cx, cy, w, h, t, flip_x=False, flip_y=False):
    x0, y0 = -w / 2, -h / 2
    pts = [(x0, y0), (-x0, y0), (-x0, y0 + t), (x0 + t, y0 + t), (x0 + t, -y0), (x0, -y0)]
    return _place(pts, cx, cy, flip_x, flip_y)


def _u_shape(cx, cy, w, h, t, flip_y=False):
    x0, y0, x1, y1 = -w / 2, -h / 2, w / 2, h / 2
    pts = [(x0, y0), (x1, y0), (x1, y1), (x1 - t, y1), (x1 - t, y0 + t), (x0 + t, y0 + t),
           (x0 + t, y1), (x0, y1)]
    return _place(pts, cx, cy, False, flip_y)


def _courtyard(cx, cy, w, h, t):
    outer = [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)]
    a, b = w / 2 - t, h / 2 - t
    hole = [(-a, -b), (-a, b), (a, b), (a, -b)]
    return shapely.transform(Polygon(outer, [hole]), lambda xy: xy + (cx, cy))


def _place(pts, cx, cy, flip_x, flip_y):
    xy = np.asarray(pts, dtype=float) * (-1.0 if flip_x else 1.0, -1.0 if flip_y else 1.0)
    poly = shapely.orient_polygons(Polygon(xy + (cx, cy)))
    return poly


# ---------------------------------------------------------------------------
# Parcel layouts: each returns a list of buildings in the parcel frame
# ---------------------------------------------------------------------------


def _compose(rng, stems, patterns):
    """One name: a random pattern (``"{s}宾馆"``) filled with a random stem."""
    return str(rng.choice(patterns)).format(s=rng.choice(stems))


def _uniq(ctx, draw, tries=30):
    """Draw a name not used yet in this sample (``ctx["used"]``); else add 二期, 三期, ..."""
    for _ in range(tries):
        name = draw()
        if not name:
            return None
        name = str(name)
        if name not in ctx["used"]:
            ctx["used"].add(name)
            return name
    for phase in _NUM[1:]:
        if f"{name}{phase}期" not in ctx["used"]:
            ctx["used"].add(f"{name}{phase}期")
            return f"{name}{phase}期"
    return name


@dataclass
class _B:
    """One building before it is placed in the world."""

    geom: object
    kind: str
    name: str | None
    storeys: int
    roof: str


def _annex(rng, w_p, h_p, kind="other", name=None):
    """Guard house / switch room (< 20 m²) in the parcel's 6 m edge strip [m]."""
    w, h = rng.uniform(3.0, 4.5), rng.uniform(2.8, 4.0)
    cx = rng.uniform(-w_p / 2 + 8, w_p / 2 - 8)
    return _B(_rect(cx, -h_p / 2 + 1.0 + h / 2, w, h), kind, name, 1,
              "平屋顶" if rng.random() < 0.7 else "彩钢屋顶")


def _rows(rng, w_p, h_p, length, depth, pitch_y, gap_x, margin=8.0):
    """Centres and sizes of slab rows filling the parcel [m]."""
    out = []
    y = -h_p / 2 + margin + depth / 2
    while y + depth / 2 <= h_p / 2 - margin:
        x = -w_p / 2 + margin + rng.uniform(0, 8)
        while True:
            ln = length * rng.uniform(0.8, 1.2)
            if x + ln > w_p / 2 - margin:
                break
            if rng.random() > 0.08:  # a few gaps: greens, bike sheds
                out.append((x + ln / 2, y, ln, depth))
            x += ln + gap_x * rng.uniform(0.8, 1.3)
        y += pitch_y * rng.uniform(0.95, 1.08)
    return out


def _lay_old_res(rng, w_p, h_p, ctx):
    compound = _uniq(ctx, lambda: _compose(rng, _PLACE, _OLD_COMPOUND))
    named = rng.choice([0.0, 0.5, 0.9])
    base = int(rng.choice([5, 6, 6, 6, 7]))
    pitched = rng.random() < 0.75  # 平改坡 programme gave many old slabs pitched roofs
    out = []
    for k, (cx, cy, ln, d) in enumerate(_rows(rng, w_p, h_p, rng.uniform(36, 64), rng.uniform(10, 13),
                                             rng.uniform(26, 32), rng.uniform(6, 14)), start=1):
        geom = _rect(cx, cy, ln, d)
        if rng.random() < 0.15:  # staggered slab: two offset wings
            geom = shapely.union(_rect(cx - ln / 4 + 0.5, cy, ln / 2 + 1, d),
                                 _rect(cx + ln / 4 - 0.5, cy + 1.5, ln / 2 + 1, d))
        roof = "坡屋顶" if (pitched or rng.random() < 0.1) else "平屋顶"
        name = f"{compound}{k}号楼" if rng.random() < named else None
        out.append(_B(geom, "residential", name, base + int(rng.integers(-1, 1)), roof))
    if rng.random() < 0.05:
        out.append(_annex(rng, w_p, h_p))
    return out


def _lay_new_res(rng, w_p, h_p, ctx):
    compound = _uniq(ctx, lambda: _compose(rng, _FANCY, ["{s}花园", "{s}苑", "{s}公寓", "{s}家园", "{s}名邸", "{s}华庭"]))
    named = rng.choice([0.0, 0.6, 1.0])
    out = []
    if rng.random() < 0.55:  # high-rise slabs
        storeys = int(rng.integers(11, 19))
        spots = _rows(rng, w_p, h_p, rng.uniform(40, 70), rng.uniform(14, 18), rng.uniform(48, 60),
                      rng.uniform(15, 25), margin=10.0)
    else:  # point towers
        storeys = int(rng.integers(18, 34))
        spots = _rows(rng, w_p, h_p, rng.uniform(24, 32), rng.uniform(20, 28), rng.uniform(60, 72),
                      rng.uniform(22, 32), margin=10.0)
    for k, (cx, cy, ln, d) in enumerate(spots, start=1):
        name = f"{compound}{k}号楼" if rng.random() < named else None
        out.append(_B(_rect(cx, cy, ln, d), "residential", name, storeys + int(rng.integers(-2, 3)), "平屋顶"))
    if rng.random() < 0.3:
        club = f"{compound}会所" if rng.random() < 0.5 else None
        out.append(_B(_rect(w_p / 2 - 22, -h_p / 2 + 16, 22, 12), "other", club, 2, "平屋顶"))
    if rng.random() < 0.12:
        out.append(_annex(rng, w_p, h_p, name="门卫室" if rng.random() < 0.3 else None))
    return out


def _lay_office(rng, w_p, h_p, ctx):
    out = []
    if rng.random() < 0.45 and w_p > 120:  # office park of mid-rise blocks
        park = _uniq(ctx, lambda: rng.choice([f"临空{rng.choice(_FIRM)}园", f"{rng.choice(_FIRM)}科技园",
                                              f"{rng.choice(_PLACE)}创意园"]))
        spots = _rows(rng, w_p, h_p, rng.uniform(36, 60), rng.uniform(16, 22), rng.uniform(40, 50),
                      rng.uniform(14, 22), margin=10.0)
        for k, (cx, cy, ln, d) in enumerate(spots, start=1):
            out.append(_B(_rect(cx, cy, ln, d), "office", f"{park}{k}号楼", int(rng.integers(4, 9)), "平屋顶"))
    else:
        n = int(rng.integers(1, 4))
        xs = np.linspace(-w_p / 2, w_p / 2, n + 2)[1:-1]
        for x in xs:
            name = _uniq(ctx, lambda: _compose(rng, _PLACE + _FIRM, ["{s}大厦", "{s}国际大厦", "{s}商务中心", "{s}中心"]))
            w, h = rng.uniform(30, 48), rng.uniform(25, 40)
            w = min(w, w_p / n - 16)
            storeys = int(rng.integers(12, 41))
            if rng.random() < 0.2 and w > 30:  # twin towers recorded as one feature
                geom = MultiPolygon([_rect(x - w / 2 + 7, 0, 14, h), _rect(x + w / 2 - 7, 0, 14, h)])
            else:
                geom = _rect(x, rng.uniform(-8, 8), w, h)
            out.append(_B(geom, "office", name, storeys, "平屋顶"))
            if rng.random() < 0.35 and h_p > h + 50:  # low podium / annex block
                out.append(_B(_rect(x, h / 2 + 22, w, 20), "commercial", None, int(rng.integers(2, 5)), "平屋顶"))
    if rng.random() < 0.15:
        out.append(_annex(rng, w_p, h_p))
    return out


def _lay_mall(rng, w_p, h_p, ctx):
    name = _uniq(ctx, lambda: _compose(rng, _PLACE + _FANCY, ["{s}广场", "{s}购物中心", "{s}商厦", "{s}百货"]))
    w = min(rng.uniform(100, 200), w_p - 24)
    h = min(rng.uniform(60, 120), h_p - 30)
    geom = _rect(0, 3, w, h) if rng.random() < 0.6 else _l_shape(0, 3, w, h, h * 0.55, flip_x=bool(rng.random() < 0.5))
    out = [_B(geom, "commercial", name, int(rng.integers(3, 7)), "平屋顶")]
    if w_p - w > 60:  # strip of small shops
        out.append(_B(_rect(w / 2 + 25, 0, 30, 12), "commercial", None, int(rng.integers(1, 3)), "平屋顶"))
    if rng.random() < 0.15:
        out.append(_annex(rng, w_p, h_p))
    return out


def _lay_hotel(rng, w_p, h_p, ctx):
    name = _uniq(ctx, lambda: _compose(rng, _PLACE + _FANCY, ["{s}大酒店", "{s}宾馆", "{s}酒店", "{s}国际酒店"]))
    w, h = min(rng.uniform(45, 70), w_p - 30), rng.uniform(18, 24)
    out = [_B(_rect(0, h_p / 4 - 10, w, h), "hotel", name, int(rng.integers(10, 29)), "平屋顶")]
    if rng.random() < 0.5:
        out.append(_B(_rect(0, h_p / 4 - 10 - h / 2 - 18, w, 20), "hotel", f"{name}裙楼", 3, "平屋顶"))
    out += _lay_old_res(rng, w_p, h_p / 2 - 10, ctx) if h_p > 180 else []
    for b in out[1:]:
        if b.kind == "residential" or b.kind == "other":
            b.geom = shapely.transform(b.geom, lambda xy: xy - (0, h_p / 4 + 5))
    return out


def _factory_name(rng):
    return f"上海{rng.choice(_FIRM)}{rng.choice(_INDUSTRY)}"


def _lay_sheds(rng, w_p, h_p, kind, name, shed_name):
    """Office block, then rows of large sheds (sides 40–150 m) [m]."""
    office_kind = kind if kind == "factory" else "office"
    out = [_B(_rect(-w_p / 2 + 28, h_p / 2 - 17, 36, 14), office_kind,
              f"{name}办公楼" if rng.random() < 0.7 else name, int(rng.integers(3, 6)), "平屋顶")]
    k = 1
    y = -h_p / 2 + 10
    while y < h_p / 2 - 50:
        h = min(rng.uniform(40, 100), h_p / 2 - 10 - y)
        if h < 40:
            break
        x = -w_p / 2 + 10
        while x < w_p / 2 - 50:
            w = min(rng.uniform(40, 150), w_p / 2 - 10 - x)
            if w < 40:
                break
            roof = "彩钢屋顶" if rng.random() < 0.85 else "平屋顶"
            storeys = 1 if kind == "warehouse" or rng.random() < 0.6 else 2
            out.append(_B(_rect(x + w / 2, y + h / 2, w, h), kind,
                          shed_name(k) if rng.random() < 0.5 else None, storeys, roof))
            x += w + rng.uniform(12, 20)
            k += 1
        y += h + rng.uniform(14, 22)
    if rng.random() < 0.25:
        out.append(_annex(rng, w_p, h_p, name="门卫室" if rng.random() < 0.4 else None))
    return out


def _lay_factory(rng, w_p, h_p, ctx):
    name = _uniq(ctx, lambda: _factory_name(rng))
    return _lay_sheds(rng, w_p, h_p, "factory", name, lambda k: f"{name}{k}号厂房")


def _lay_warehouse(rng, w_p, h_p, ctx):
    name = _uniq(ctx, lambda: _compose(rng, _FIRM, ["{s}物流仓库", "{s}仓储中心", "上海{s}物流有限公司"]))
    return _lay_sheds(rng, w_p, h_p, "warehouse", name, lambda k: f"{name}{k}号库")


def _campus(rng, w_p, h_p, kind, name, main_storeys, courtyard_p, extras):
    """Main building (courtyard, U or L) on the left, extra blocks on the right [m]."""
    w = min(rng.uniform(70, 95), w_p * 0.55)
    h = min(rng.uniform(50, 68), h_p - 30)
    t = rng.uniform(13, 17)
    cx, cy = -w_p / 2 + 10 + w / 2, 0.0
    r = rng.random()
    if r < courtyard_p:
        geom = _courtyard(cx, cy, w, h, t)
    elif r < courtyard_p + (1 - courtyard_p) / 2:
        geom = _u_shape(cx, cy, w, h, t, flip_y=bool(rng.random() < 0.5))
    else:
        geom = _l_shape(cx, cy, w, h, t, flip_x=bool(rng.random() < 0.5), flip_y=bool(rng.random() < 0.5))
    out = [_B(geom, kind, name, main_storeys, "平屋顶")]
    x = cx + w / 2 + 15
    for suffix, ew, eh, storeys, roof in extras:
        if x + ew > w_p / 2 - 10:
            break
        nm = f"{name}{suffix}" if (suffix and rng.random() < 0.6) else None
        out.append(_B(_rect(x + ew / 2, h_p / 2 - 12 - eh / 2, ew, eh), kind, nm, storeys, roof))
        x += ew + 12
    if rng.random() < 0.5:
        out.append(_annex(rng, w_p, h_p, kind=kind, name="门卫室" if rng.random() < 0.5 else None))
    return out


def _lay_school(rng, w_p, h_p, ctx):
    if rng.random() < 0.55:
        name = _uniq(ctx, lambda: f"长宁区{rng.choice(_ROADS)}小学")
    else:
        name = _uniq(ctx, lambda: rng.choice([f"上海市{rng.choice(_PLACE)}中学", f"长宁区{rng.choice(_PLACE)}中学",
                                              f"上海市{rng.choice(_PLACE)}初级中学"]))
    gym_roof = "彩钢屋顶" if rng.random() < 0.5 else "平屋顶"
    return _campus(rng, w_p, h_p, "school", name, int(rng.integers(4, 6)), 0.35,
                   [("综合楼", 46, 16, 4, "平屋顶"), ("体育馆", 40, 28, 2, gym_roof)])


def _lay_kindergarten(rng, w_p, h_p, ctx):
    name = _uniq(ctx, lambda: f"长宁区{rng.choice(_ROADS + _PLACE)}幼儿园")
    w, h = rng.uniform(40, 55), rng.uniform(30, 42)
    out = [_B(_l_shape(-w_p / 4, 0, w, h, 13, flip_x=bool(rng.random() < 0.5)), "school", name,
              3, "平屋顶" if rng.random() < 0.8 else "坡屋顶")]
    out.append(_annex(rng, w_p, h_p, kind="school", name="门卫室"))
    out += [b for b in _lay_old_res(rng, w_p / 2 - 10, h_p, ctx)]
    for b in out[2:]:
        b.geom = shapely.transform(b.geom, lambda xy: xy + (w_p / 4 + 5, 0))
    return out


def _lay_hospital(rng, w_p, h_p, ctx):
    name = _uniq(ctx, lambda: rng.choice([f"长宁区{rng.choice(_PLACE)}医院", f"上海市{rng.choice(_PLACE)}医院",
                                          f"长宁区{rng.choice(_PLACE)}中医医院", f"上海{rng.choice(_FANCY)}妇产科医院"]))
    return _campus(rng, w_p, h_p, "hospital", name, int(rng.integers(8, 16)), 0.0,
                   [("门诊楼", 50, 30, int(rng.integers(4, 6)), "平屋顶"),
                    ("住院楼", 40, 18, int(rng.integers(8, 13)), "平屋顶")])


def _lay_clinic(rng, w_p, h_p, ctx):
    name = f"{ctx['street']}社区卫生服务中心"
    out = [_B(_l_shape(-w_p / 4, 5, rng.uniform(40, 52), rng.uniform(28, 36), 15), "hospital", name,
              int(rng.integers(4, 6)), "平屋顶")]
    out += _lay_old_res(rng, w_p / 2 - 10, h_p, ctx)
    for b in out[1:]:
        b.geom = shapely.transform(b.geom, lambda xy: xy + (w_p / 4 + 5, 0))
    return out


def _lay_gov(rng, w_p, h_p, ctx):
    street = ctx["street"]
    if ctx.get("first_gov", True):
        name = f"{street}办事处" if street.endswith("街道") else f"{street}人民政府"
    else:
        name = _uniq(ctx, lambda: rng.choice([f"长宁区{rng.choice(_BUREAU)}", f"长宁公安分局{rng.choice(_ROADS)}派出所"]))
    out = _campus(rng, w_p, h_p, "government", name, int(rng.integers(4, 7)), 0.7, [])
    side = _uniq(ctx, lambda: rng.choice([f"{street}党群服务中心", None, f"长宁区{rng.choice(_BUREAU)}"]))
    out.insert(1, _B(_rect(w_p / 2 - 30, h_p / 2 - 20, 36, 15), "government", side, int(rng.integers(3, 6)),
                     "平屋顶"))
    return out


def _lay_culture(rng, w_p, h_p, ctx):
    if ctx.get("mandatory"):
        name = f"{ctx['street']}社区文化活动中心"
    else:
        name = _uniq(ctx, lambda: _compose(rng, _PLACE, ["长宁区{s}体育馆", "{s}文化馆", "长宁区{s}图书馆", "{s}体育中心"]))
    metal = "体育" in name and rng.random() < 0.6
    w, h = min(rng.uniform(55, 85), w_p - 30), min(rng.uniform(38, 55), h_p - 40)
    out = [_B(_rect(-w_p / 2 + 12 + w / 2, 0, w, h), "culture", name, 2 if metal else int(rng.integers(3, 5)),
              "彩钢屋顶" if metal else "平屋顶")]
    if rng.random() < 0.4:
        out.append(_annex(rng, w_p, h_p, kind="culture"))
    return out


def _lay_welfare(rng, w_p, h_p, ctx):
    if ctx.get("mandatory"):
        name = f"{ctx['street']}社区综合为老服务中心"
    else:
        name = _uniq(ctx, lambda: _compose(rng, _PLACE, ["长宁区{s}养老院", "{s}敬老院", "{s}长者照护之家",
                                                         "{s}社区托养服务中心"]))
    out = [_B(_l_shape(-w_p / 4, 0, rng.uniform(40, 58), rng.uniform(30, 44), 14,
                       flip_y=bool(rng.random() < 0.5)), "welfare", name, int(rng.integers(3, 7)), "平屋顶")]
    out += _lay_old_res(rng, w_p / 2 - 10, h_p, ctx)
    for b in out[1:]:
        b.geom = shapely.transform(b.geom, lambda xy: xy + (w_p / 4 + 5, 0))
    return out


def _lay_transport(rng, w_p, h_p, ctx):
    name = _uniq(ctx, lambda: _compose(rng, _ROADS, ["{s}公交停车场", "{s}公交枢纽站", "{s}公交首末站"]))
    w, h = min(rng.uniform(80, 120), w_p - 60), min(rng.uniform(40, 60), h_p - 50)
    return [_B(_rect(-w_p / 2 + 10 + w / 2, -h_p / 2 + 12 + h / 2, w, h), "transport", name, 1, "彩钢屋顶"),
            _B(_rect(w_p / 2 - 25, h_p / 2 - 16, 30, 12), "transport", f"{name}调度楼" if rng.random() < 0.5 else None,
               3, "平屋顶")]


def _lay_other(rng, w_p, h_p, ctx):
    name = _uniq(ctx, lambda: _compose(rng, _ROADS, ["{s}变电站", "{s}垃圾中转站", "{s}加油站", ""])) or None
    out = [_B(_rect(-w_p / 2 + 30, h_p / 2 - 22, 40, 25), "other", name, int(rng.integers(1, 3)),
              rng.choice(["平屋顶", "彩钢屋顶"]))]
    out += _lay_old_res(rng, w_p, h_p - 60, ctx)
    for b in out[1:]:
        b.geom = shapely.transform(b.geom, lambda xy: xy - (0, 30))
    return out


_LAYOUTS = {
    "old_res": _lay_old_res, "new_res": _lay_new_res, "office": _lay_office, "mall": _lay_mall,
    "hotel": _lay_hotel, "factory": _lay_factory, "warehouse": _lay_warehouse, "school": _lay_school,
    "kindergarten": _lay_kindergarten, "hospital": _lay_hospital, "clinic": _lay_clinic, "gov": _lay_gov,
    "culture": _lay_culture, "welfare": _lay_welfare, "transport": _lay_transport, "other": _lay_other,
}
# Minimum parcel size [m × m] of the layouts that need room (others fit any parcel).
_MIN_PARCEL = {"school": (130, 100), "hospital": (130, 100), "gov": (130, 100), "mall": (110, 90),
               "transport": (110, 90), "factory": (90, 80), "warehouse": (90, 80)}


# ---------------------------------------------------------------------------
# District, streets, parcels
# ---------------------------------------------------------------------------


def _local_crs() -> CRS:
    """Transverse Mercator on CGCS2000 centred on the district (metres)."""
    conv = TransverseMercatorConversion(latitude_natural_origin=_LAT0, longitude_natural_origin=_LON0,
                                        false_easting=0.0, false_northing=0.0, scale_factor_natural_origin=1.0)
    return ProjectedCRS(conversion=conv, geodetic_crs=CRS.from_epsg(4490), name="pvsite sample local TM")


def _streets_metric(to_local: Transformer) -> list:
    """Street polygons [m]: Voronoi cells of the centres clipped to the outline."""
    ox, oy = to_local.transform(*np.asarray(_OUTLINE).T)
    outline = Polygon(np.column_stack([ox, oy]))
    cx, cy = to_local.transform(np.array([s[3] for s in _STREETS]), np.array([s[4] for s in _STREETS]))
    cells = shapely.voronoi_polygons(shapely.multipoints(np.column_stack([cx, cy])),
                                     extend_to=outline.buffer(5000.0), ordered=True)
    cells = shapely.get_parts(cells)
    return list(shapely.intersection(cells, outline))


def _parcels(rng, street, angle0_deg):
    """Rectangular parcels of a rotated street grid inside one street [m, °].

    Returns a list of (cx, cy, angle_deg, w, h, clip polygon) with clip the
    parcel ∩ (street shrunk by 12 m, half a road).
    """
    inner = street.buffer(-12.0)
    theta = math.radians(angle0_deg)
    c, s = math.cos(theta), math.sin(theta)
    # street in the grid frame (rotate by -theta)
    rot = shapely.transform(street, lambda xy: xy @ np.array([[c, -s], [s, c]]))
    minx, miny, maxx, maxy = rot.bounds
    out = []
    x = minx + rng.uniform(0, 60)
    while x < maxx:
        bw = rng.uniform(160, 300)
        y = miny + rng.uniform(0, 60)
        while y < maxy:
            bh = rng.uniform(140, 260)
            # split the block along its long side into 1–3 parcels, 10 m apart
            long_x = bw >= bh
            n = int(rng.choice([1, 2, 2, 3])) if max(bw, bh) > 200 else int(rng.choice([1, 2]))
            size = ((bw if long_x else bh) - 10 * (n - 1)) / n
            jitter = rng.uniform(-1.5, 1.5)
            for i in range(n):
                if long_x:
                    px, py, pw, ph = x + i * (size + 10) + size / 2, y + bh / 2, size, bh
                else:
                    px, py, pw, ph = x + bw / 2, y + i * (size + 10) + size / 2, bw, size
                wx, wy = px * c - py * s, px * s + py * c
                ang = angle0_deg + jitter
                rect = _to_world(_rect(0, 0, pw, ph), wx, wy, ang)
                clip = shapely.intersection(rect, inner)
                if clip.area > 0.6 * pw * ph and pw > 60 and ph > 60:
                    out.append((wx, wy, ang, pw, ph, clip, clip.area / (pw * ph)))
            y += bh + rng.uniform(16, 28)
        x += bw + rng.uniform(16, 28)
    return out


def _to_world(geom, cx, cy, angle_deg):
    t = math.radians(angle_deg)
    c, s = math.cos(t), math.sin(t)
    m = np.array([[c, s], [-s, c]])  # row vectors: xy @ m rotates by +angle
    return shapely.transform(geom, lambda xy: xy @ m + (cx, cy))


def _new_year(rng):
    return int(rng.integers(2022, 2026))


def _fill_street(rng, street_i, street_geom, angle0, used):
    """Place buildings in one street until its target count is reached."""
    name, code, typ, _, _, character, target = _STREETS[street_i]
    parcels = _parcels(rng, street_geom, angle0)
    order = rng.permutation(len(parcels))
    parcels = [parcels[i] for i in order]
    full = [i for i, p in enumerate(parcels) if p[6] > 0.98 and p[3] >= 130 and p[4] >= 100]
    mix = _MIX[character]
    kinds, weights = list(mix), np.array(list(mix.values()), dtype=float)
    plan = {}
    for j, use in enumerate(_MANDATORY):
        if j >= len(full):
            raise RuntimeError(f"{name}: not enough large parcels for mandatory uses")
        plan[full[j]] = use
    buildings = []
    n_gov = 0
    for i, (cx, cy, ang, w_p, h_p, clip, frac) in enumerate(parcels):
        if len(buildings) >= target and i not in plan:
            continue
        use = plan.get(i)
        mandatory = use is not None
        if use is None:
            for _ in range(4):  # redraw when the parcel is too small for the layout
                use = kinds[rng.choice(len(kinds), p=weights / weights.sum())]
                min_w, min_h = _MIN_PARCEL.get(use, (0, 0))
                if w_p >= min_w and h_p >= min_h:
                    break
            else:
                use = "old_res"
        ctx = {"street": name, "mandatory": mandatory, "first_gov": n_gov == 0, "used": used}
        n_gov += use == "gov"
        blds = _LAYOUTS[use](rng, w_p, h_p, ctx)
        lo, hi = _BASE_YEARS[use]
        base = int(rng.integers(lo, hi + 1))
        is_new = rng.random() < _P_NEW_PARCEL[use]
        placed = []
        for b in blds:
            geom = _to_world(b.geom, cx, cy, ang)
            if not geom.within(clip):
                continue
            if placed and shapely.intersects(np.array([p[0] for p in placed]), geom.buffer(2.0)).any():
                continue
            if is_new:
                year = _new_year(rng)
            elif rng.random() < _P_NEW_EXTENSION and b.kind != "residential":
                year = _new_year(rng)
            else:
                year = min(2021, base + int(rng.integers(0, 4)))
            placed.append((geom, b.kind, b.name, max(1, int(b.storeys)), year, b.roof, street_i))
        if mandatory and not any(p[1] not in ("residential", "other") for p in placed):
            raise RuntimeError(f"{name}: mandatory {use} parcel got no building")
        buildings += placed
    if len(buildings) < target:
        logger.warning("%s: only %d of %d buildings fit", name, len(buildings), target)
    return buildings


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def generate_sample(seed: int = SEED) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    """Generate the synthetic sample district in memory.

    Parameters
    ----------
    seed : int
        Seed of the ``numpy.random.Generator`` [-]; the same seed gives the
        same content on the same library versions.

    Returns
    -------
    buildings : geopandas.GeoDataFrame
        Footprints in EPSG:4490 with columns :data:`BUILDING_COLUMNS` and an
        extra ``_kind`` column (the generator's intended type; not written).
    streets : geopandas.GeoDataFrame
        Ten street/town polygons in EPSG:4490 with columns :data:`STREET_COLUMNS`.
    info : pandas.DataFrame
        ``key`` / ``value`` rows of the ``sample_info`` table.
    """
    rng = np.random.default_rng(seed)
    local = _local_crs()
    to_local = Transformer.from_crs(CRS_OUT, local, always_xy=True)
    to_geo = Transformer.from_crs(local, CRS_OUT, always_xy=True)
    streets_m = _streets_metric(to_local)
    used: set[str] = set()  # names already given (names are unique per sample)
    grid_deg = rng.uniform(4.0, 8.0)  # district grid rotation, varied per street below
    rows = []
    for i, geom in enumerate(streets_m):
        rows += _fill_street(rng, i, geom, grid_deg + rng.uniform(-3.0, 3.0), used)
    geoms, kind, name, storeys, year, roof, street_i = (list(col) for col in zip(*rows))
    kind = np.array(kind, dtype=object)
    n = len(rows)

    # Survey blanks: 用途 left empty (only where the name carries the type, or
    # for housing/other), roof type missing, empty names as NULL or "".
    use = np.array([_USE[k] for k in kind], dtype=object)
    p_blank = np.array([_P_BLANK_USE.get(k, _P_BLANK_USE_DEFAULT) for k in kind])
    has_name = np.array([bool(x) for x in name])
    blank_use = (rng.random(n) < p_blank) & (has_name | np.isin(kind, ["residential", "other"]))
    use[blank_use] = np.where(rng.random(blank_use.sum()) < 0.6, None, "")
    roof = np.array(roof, dtype=object)
    roof[rng.random(n) < 0.02] = None
    name = np.array(name, dtype=object)
    empty = ~has_name
    name[empty] = np.where(rng.random(empty.sum()) < 0.85, None, "")

    def _geo(xy):
        x, y = to_geo.transform(xy[:, 0], xy[:, 1])
        return np.round(np.column_stack([x, y]), 8)

    geoms_geo = shapely.transform(np.array(geoms, dtype=object), _geo)
    buildings = gpd.GeoDataFrame(
        {
            "编号": [f"CN-{i:06d}" for i in range(1, n + 1)],
            "名称": pd.array(name, dtype="string"),
            "用途": pd.array(use, dtype="string"),
            "层数": np.array(storeys, dtype="int32"),
            "建成年份": np.array(year, dtype="int32"),
            "屋顶类型": pd.array(roof, dtype="string"),
            "_kind": kind,
        },
        geometry=geoms_geo,
        crs=CRS_OUT,
    )
    streets = gpd.GeoDataFrame(
        {"name": [s[0] for s in _STREETS], "code": [s[1] for s in _STREETS], "type": [s[2] for s in _STREETS]},
        geometry=shapely.transform(np.array(streets_m, dtype=object), _geo),
        crs=CRS_OUT,
    )
    info = pd.DataFrame(
        [
            ("synthetic", "true"),
            ("generator", "pvsite.datagen.sample_district"),
            ("seed", str(seed)),
            ("pvsite_version", __version__),
            ("warning", WARNING),
            ("crs", CRS_OUT),
            ("n_buildings", str(n)),
            ("n_streets", str(len(streets))),
            ("regenerate", "python -m pvsite.datagen.sample_district --out PATH"),
        ],
        columns=["key", "value"],
    )
    logger.info("generated %d synthetic buildings in %d streets (seed %d)", n, len(streets), seed)
    return buildings, streets, info


def write_sample(path: str | Path = SAMPLE_FOOTPRINTS, seed: int = SEED, overwrite: bool = False) -> Path:
    """Generate the sample district and write it as a GeoPackage 1.2.

    The write is atomic (:func:`pvsite.io.atomic.atomic_path`) and the GeoPackage
    timestamps are fixed, so the same seed gives the same content.

    Parameters
    ----------
    path : str or Path
        Output ``.gpkg`` [-]; default :data:`pvsite.resources.SAMPLE_FOOTPRINTS`.
    seed : int
        Generator seed [-].
    overwrite : bool
        Replace an existing file.  Without it an existing file is only
        replaced when it is itself a synthetic sample.

    Returns
    -------
    Path
        The written file.
    """
    path = Path(path)
    if path.exists() and not overwrite and not is_synthetic_sample(path):
        raise OutputError(f"{path} exists and is not a pvsite synthetic sample; refusing to replace it.",
                          fix="choose another --out path or pass --overwrite",
                          zh=f"{path} 已存在且不是 pvsite 合成样例，拒绝覆盖。",
                          fix_zh="请换一个 --out 路径，或加 --overwrite")
    buildings, streets, info = generate_sample(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    old = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2023-01-05T00:00:00.000Z"})
    try:
        with atomic_path(path) as tmp:
            pyogrio.write_dataframe(buildings.drop(columns="_kind"), tmp, layer="buildings", driver="GPKG",
                                    use_arrow=True, dataset_options={"VERSION": "1.2"},
                                    layer_options={"DESCRIPTION": "合成示例建筑 synthetic sample buildings"})
            pyogrio.write_dataframe(streets, tmp, layer="streets", driver="GPKG", use_arrow=True,
                                    layer_options={"DESCRIPTION": "合成街道(镇)范围 synthetic street outlines"})
            pyogrio.write_dataframe(info, tmp, layer=INFO_LAYER, driver="GPKG",
                                    layer_options={"DESCRIPTION": WARNING})
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": old})
    logger.info("wrote %s", path)
    return path


def sample_summary(seed: int = SEED) -> dict[str, pd.DataFrame]:
    """Counts of the generated sample, for the README (measured, not typed).

    Parameters
    ----------
    seed : int
        Generator seed [-].

    Returns
    -------
    dict of str to pandas.DataFrame
        ``by_street_use``: buildings per street × 用途 (blank as ``(空)``);
        ``by_kind``: per intended type, count, new (≥ 2022), median area [m²];
        ``facts``: totals (buildings, new share, multi-part, courtyards, < 20 m²).
    """
    b, s, _ = generate_sample(seed)
    m = b.to_crs(_local_crs())
    joined = gpd.sjoin(b[["geometry"]], s[["name", "geometry"]], predicate="within", how="left")
    street = joined["name"].reindex(b.index)
    use = b["用途"].fillna("").replace("", "(空)")
    by_street = pd.crosstab(pd.Categorical(street, categories=s["name"]),
                            pd.Categorical(use, categories=[*USES, "(空)"]), dropna=False)
    by_street["合计"] = by_street.sum(axis=1)
    by_street["新建≥2022"] = (b["建成年份"] >= 2022).groupby(street).sum().reindex(by_street.index).astype(int)
    by_street.loc["合计"] = by_street.sum()
    by_street.index.name, by_street.columns.name = "street", None
    area = m.geometry.area
    new = b["建成年份"] >= 2022
    kind = b["_kind"]
    by_kind = pd.DataFrame({
        "buildings": kind.value_counts(),
        "new_2022_2025": kind[new].value_counts(),
        "median_area_m2": area.groupby(kind).median().round(0),
        "median_storeys": b["层数"].groupby(kind).median(),
    }).fillna(0).astype({"buildings": int, "new_2022_2025": int}).sort_values("buildings", ascending=False)
    by_kind.index.name = "type (generator)"
    n_holes = shapely.get_num_interior_rings(shapely.get_geometry(b.geometry.values, 0))
    facts = pd.DataFrame([
        ("buildings", len(b)),
        ("streets (街道/镇)", len(s)),
        ("district area [km²]", round(s.to_crs(_local_crs()).area.sum() / 1e6, 2)),
        ("new (建成年份 2022–2025)", int(new.sum())),
        ("new share [%]", round(100 * new.mean(), 1)),
        ("blank 用途", int((b["用途"].fillna("") == "").sum())),
        ("blank 名称", int((b["名称"].fillna("") == "").sum())),
        ("blank 屋顶类型", int(b["屋顶类型"].isna().sum())),
        ("multi-part footprints", int((shapely.get_num_geometries(b.geometry.values) > 1).sum())),
        ("footprints with a courtyard (hole)", int((n_holes > 0).sum())),
        ("footprints < 20 m²", int((area < 20).sum())),
        ("total footprint area [m²]", int(round(area.sum()))),
        *[(f"屋顶类型 {r}", int((b["屋顶类型"] == r).sum())) for r in ROOF_TYPES],
    ], columns=["item", "value"], dtype=object)
    facts["value"] = [str(v) for v in facts["value"]]
    return {"by_street_use": by_street, "by_kind": by_kind, "facts": facts}


def _markdown(df: pd.DataFrame, index: bool = True) -> str:
    """A DataFrame as a GitHub Markdown table (no ``tabulate`` dependency)."""
    frame = df.reset_index() if index else df
    head = [str(c) for c in frame.columns]
    rows = [[str(v) for v in r] for r in frame.itertuples(index=False)]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m pvsite.datagen.sample_district [--out PATH] [--seed N] [--overwrite] [--summary]``."""
    parser = argparse.ArgumentParser(prog="python -m pvsite.datagen.sample_district", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SAMPLE_FOOTPRINTS,
                        help=f"output GeoPackage (default {SAMPLE_FOOTPRINTS})")
    parser.add_argument("--seed", type=int, default=SEED, help=f"generator seed (default {SEED})")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing file that is not a sample")
    parser.add_argument("--summary", action="store_true",
                        help="print the Markdown count tables (for footprints/README.md) instead of writing")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("pyogrio").setLevel(logging.WARNING)
    if args.summary:
        for title, df in sample_summary(args.seed).items():
            print(f"\n### {title}\n")
            print(_markdown(df, index=title != "facts"))
        return 0
    try:
        write_sample(args.out, seed=args.seed, overwrite=args.overwrite)
    except OutputError as exc:
        print(exc, file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
