"""Plan tasks and departments per roof from the policy preset's task table (长府〔2023〕1号 tasks 34/36/37)."""

import pandas as pd

from pvsite.planning.tasks import assign_tasks
from pvsite.presets import load_classify, load_policy


def _roofs():
    return pd.DataFrame({
        "building_id": [f"B{i}" for i in range(8)],
        "building_class": ["public_institution", "public_institution", "public_institution", "factory", "factory",
                           "factory", "other_public", "residential"],
        "building_type": ["government", "school", "hospital", "factory", "warehouse", "factory", "office",
                          "residential"],
        "is_new": [False, False, False, False, False, True, True, False],
        "street": ["新华路街道", "虹桥街道", "新泾镇", "北新泾街道", "程家桥街道", None, "天山路街道", "江苏路街道"],
        "owner_type": ["", "", "", "私营", "区属国企", "", "", ""],
        "responsible_department": ["区机管局", "区教育局", "区卫健委", "", "", "", "区发改委（统筹）", ""],
    })


def test_task_37_by_owner_type_then_street_and_task_36_new_buildings():
    pol = load_policy("changning-2023", classify=load_classify("cn-default"))
    out = assign_tasks(_roofs(), pol)
    assert list(out["plan_task"]) == ["37", "37", "37", "37", "37", "36", "36", ""]
    assert list(out["responsible_department"]) == ["区机管局", "区教育局", "区卫健委", "北新泾街道", "区国资委",
                                                   "区建管委", "区建管委", ""]
    assert out.loc[0, "plan_task_departments"] == "区机管局、区国资委、区教育局、区卫健委、区东虹办、各街道镇"
    assert out.loc[5, "plan_task_departments"] == "区规划资源局、区发改委、区建管委"
    assert "区商务委" not in set(out["responsible_department"])
    assert pol.tasks["34"].departments == ("区发改委", "区虹桥办") and pol.targets.milestones[2025] == 16000.0


def test_classify_source_keeps_type_departments_and_nea_has_no_tasks():
    pol = load_policy("changning-2023")
    out = assign_tasks(_roofs(), pol, source="classify")
    assert list(out["responsible_department"]) == list(_roofs()["responsible_department"])
    assert out.loc[3, "plan_task"] == "37"
    nea = assign_tasks(_roofs(), load_policy("nea-2021-county"))
    assert (nea["plan_task"] == "").all()
    assert list(nea["responsible_department"]) == list(_roofs()["responsible_department"])
    assert load_policy("nea-2021-county").targets is None and not load_policy("nea-2021-county").tasks


def test_targets_and_tasks_are_checked(tmp_path):
    import pytest

    from pvsite.errors import ConfigError
    from pvsite.presets import preset_path

    text = preset_path("policy", "changning-2023").read_text(encoding="utf-8")
    bad = text.replace('milestones = { "2025" = 16000.0 }', 'milestones = { "2024" = 9000.0, "2025" = 8000.0 }')
    bad = bad.replace('responsible_default = "区建管委"', 'responsible_default = "区商务委"')
    p = tmp_path / "bad.toml"
    p.write_text(bad, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_policy(str(p))
    msg = str(err.value)
    assert "must not fall" in msg and "must equal target_kw" in msg and "tasks.36.responsible_default" in msg


def test_owner_words_and_overrides_set_owner_type():
    import geopandas as gpd
    import shapely

    from pvsite.buildings.classify import classify
    from pvsite.io.fields import parse_owner_type

    got = parse_owner_type(pd.Series(["区属企业", "上海长宁区属国有公司", "民营", "某集团", "", None]))
    assert list(got[:4]) == ["区属国企", "区属国企", "私营", "某集团"] and got[4:].isna().all()
    gdf = gpd.GeoDataFrame({"building_id": ["A", "B"], "name": ["厂房", "厂房"], "use": ["工业", "工业"],
                            "year_built": pd.array([2000, 2000], dtype="Int64"), "owner_type": ["私营", pd.NA]},
                           geometry=[shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10)], crs=32651)
    over = pd.DataFrame({"building_id": ["B"], "building_type": ["factory"], "reason": ["台账"],
                         "owner_type": ["区属企业"]})
    out = classify(gdf, load_classify("cn-default"), 2022, overrides=over)
    assert list(out["owner_type"]) == ["私营", "区属国企"]
    tasks = assign_tasks(out.assign(street=["新华路街道", "新华路街道"]), load_policy("changning-2023"))
    assert list(tasks["responsible_department"]) == ["新华路街道", "区国资委"]
