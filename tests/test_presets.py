"""Typed presets: shipped files load; a broken copy names its file and key."""

from pathlib import Path

import pytest

from pvsite.errors import ConfigError
from pvsite.presets import (
    ClassifyPreset, LossesPreset, ModulePreset, PolicyPreset, available, load_classify, load_losses,
    load_module, load_policy, load_preset, preset_path,
)


@pytest.mark.parametrize("kind,cls", [("policy", PolicyPreset), ("classify", ClassifyPreset),
                                      ("module", ModulePreset), ("losses", LossesPreset)])
def test_shipped_presets_load_typed_with_their_path(kind, cls):
    for name in available(kind):
        p = load_preset(kind, name)
        assert isinstance(p, cls)
        assert p.path == preset_path(kind, name) and p["_path"] == str(p.path)


def test_shipped_policies_resolve_against_the_shipped_classes():
    classes = load_classify("cn-default")
    assert classes.class_order == ("public_institution", "factory", "other_public", "residential", "other")
    assert classes.class_names_zh["public_institution"] == "公共机构"
    assert all(c.startswith("#") and len(c) == 7 for c in classes.class_colours.values())
    pol = load_policy("changning-2023", classify=classes)
    name, rules = pol.resolve(None)
    assert name == "plan-2025"
    # own rules (none), then new-2022's three, then existing-2025's two
    assert [(r.scenario, r.index, r.building_class, r.is_new, r.ratio) for r in rules] == [
        ("new-2022", 1, "public_institution", True, 0.5), ("new-2022", 2, "factory", True, 0.5),
        ("new-2022", 3, "other_public", True, 0.3), ("existing-2025", 1, "public_institution", False, 0.5),
        ("existing-2025", 2, "factory", False, 0.5)]
    # the mapping view serves code written against the TOML dicts
    assert pol["target_kw"] == 16000.0 and pol.get("source").startswith("上海市长宁区")
    assert pol["scenarios"]["plan-2025"].get("description_zh")
    assert load_module("generic-550w")["width_m"] == 1.134
    assert dict(load_losses("pvwatts"))["soiling"] == 2.0


def _broken(tmp_path, kind, name, old, new) -> Path:
    text = preset_path(kind, name).read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / f"broken-{name}.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_broken_module_names_the_file_and_every_key(tmp_path):
    path = _broken(tmp_path, "module", "generic-550w", "width_m = 1.134", "widht_m = 1.134\npower_kw = 0.55")
    with pytest.raises(ConfigError) as err:
        load_module(str(path))
    msg = str(err.value)
    assert str(path) in msg
    assert "widht_m: unknown key (did you mean 'width_m'?)" in msg and "width_m: missing" in msg
    assert "power_kw: unknown key" in msg
    path = _broken(tmp_path, "module", "generic-550w", "gamma_pdc_per_c = -0.0035", "gamma_pdc_per_c = 0.35")
    with pytest.raises(ConfigError, match="gamma_pdc_per_c: must be a number in"):
        load_module(str(path))


def test_broken_losses(tmp_path):
    path = _broken(tmp_path, "losses", "pvwatts", "soiling = 2.0", "soilling = 2.0\nshading_pct = 120")
    with pytest.raises(ConfigError) as err:
        load_losses(str(path))
    msg = str(err.value)
    assert "soilling: unknown key (did you mean 'soiling'?)" in msg and "shading_pct" in msg


def test_policy_include_cycle_and_unknown_include(tmp_path):
    path = _broken(tmp_path, "policy", "changning-2023", 'include = ["new-2022", "existing-2025"]',
                   'include = ["new-2022", "existing-2025", "plan-2030"]')
    text = path.read_text(encoding="utf-8").replace('include = ["new-2022", "existing-2030"]',
                                                    'include = ["plan-2025", "existing-2030", "nope"]')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_policy(str(path))
    msg = str(err.value)
    assert str(path) in msg
    assert "include cycle plan-2025 → plan-2030 → plan-2025" in msg
    assert "scenarios.plan-2030.include: unknown scenario 'nope'" in msg


def test_policy_rule_keys_ratio_and_classes(tmp_path):
    path = _broken(tmp_path, "policy", "changning-2023",
                   '{ building_class = "factory", is_new = true, ratio = 0.5 }',
                   '{ building_clas = "factory", is_new = "yes", ratio = 1.5 }')
    path.write_text(path.read_text(encoding="utf-8").replace(
        '{ building_class = "other_public", is_new = true, ratio = 0.3 }',
        '{ building_class = "public", is_new = true, ratio = 0.3 }'), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_policy(str(path), classify=load_classify("cn-default"))
    msg = str(err.value)
    assert "scenarios.new-2022.rules[2].building_clas: unknown key (did you mean" in msg
    assert "rules[2].ratio: must be a number in [0, 1], found 1.5" in msg
    assert "rules[2].is_new: must be true or false" in msg
    assert "rules[3].building_class: 'public' is not a class of the classification preset cn-default.toml" in msg
    # without a classification to check against, only the class name problem disappears
    with pytest.raises(ConfigError) as err:
        load_policy(str(path))
    assert "'public'" not in str(err.value)


def test_unknown_scenario_lists_the_valid_ones():
    with pytest.raises(ConfigError) as err:
        load_policy("changning-2023").resolve("plan-2099")
    assert "plan-2025" in str(err.value) and "technical-max" in str(err.value)


def test_broken_classify_preset(tmp_path):
    path = _broken(tmp_path, "classify", "cn-default", 'colour = "#377eb8"', 'colour = "blue"')
    path.write_text(path.read_text(encoding="utf-8").replace(
        '[types.warehouse]\nclass = "factory"', '[types.warehouse]\nclass = "factories"').replace(
        'type = "hotel"\ncodes = ["B14"]', 'type = "inn"\ncodes = ["b14"]'), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_classify(str(path))
    msg = str(err.value)
    assert str(path) in msg
    assert "classes.factory.colour: must be #rrggbb, found 'blue'" in msg
    assert "types.warehouse.class: 'factories' is not one of the classes" in msg
    assert "rules.use_code[5].type: 'inn' is not one of the types" in msg
    assert "land-use code 'b14'" in msg
