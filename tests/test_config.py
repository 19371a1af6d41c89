"""Config: defaults, TOML overrides, unknown keys are errors naming the key."""

import pytest

from pvsite.config import Config, load_config
from pvsite.errors import ConfigError


def test_defaults_roundtrip_through_toml(tmp_path):
    cfg = Config()
    path = tmp_path / "c.toml"
    path.write_text(cfg.to_toml(), encoding="utf-8")
    assert load_config(path) == cfg


def test_override_values_and_relative_paths(tmp_path):
    (tmp_path / "c.toml").write_text(
        '[input]\nfootprints = "data/b.gpkg"\n[input.fields]\nname = "JZMC"\n'
        "[mounting]\nflat_tilt_deg = 15\n[roof.setback_m]\nflat = 2.0\n",
        encoding="utf-8",
    )
    cfg = load_config(tmp_path / "c.toml")
    assert cfg.mounting.flat_tilt_deg == 15.0 and isinstance(cfg.mounting.flat_tilt_deg, float)
    assert cfg.input.fields == {"name": "JZMC"}
    assert cfg.input.footprints == str(tmp_path / "data" / "b.gpkg")
    # dict overrides merge into the defaults instead of replacing them
    assert cfg.roof.setback_m["flat"] == 2.0 and cfg.roof.setback_m["pitched"] == 0.5


def test_unknown_key_names_it_and_suggests(tmp_path):
    (tmp_path / "c.toml").write_text("[mounting]\nflat_tilt = 15\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config(tmp_path / "c.toml")
    msg = str(exc.value)
    assert "mounting.flat_tilt" in msg and "flat_tilt_deg" in msg and "c.toml" in msg


def test_unknown_section(tmp_path):
    (tmp_path / "c.toml").write_text("[mountin]\nflat_tilt_deg = 15\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown config key 'mountin'"):
        load_config(tmp_path / "c.toml")


def test_wrong_type(tmp_path):
    (tmp_path / "c.toml").write_text('[mounting]\nflat_tilt_deg = "steep"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="flat_tilt_deg"):
        load_config(tmp_path / "c.toml")


def test_bad_toml_and_missing_file(tmp_path):
    (tmp_path / "c.toml").write_text("[mounting\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid"):
        load_config(tmp_path / "c.toml")
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")


def test_with_overrides():
    cfg = Config().with_overrides(policy={"scenario": "plan-2030"})
    assert cfg.policy.scenario == "plan-2030" and cfg.policy.preset == "changning-2023"
