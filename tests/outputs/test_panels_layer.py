"""The panels layer: written in batches; "auto" skips it beyond PANELS_AUTO_MAX_MODULES with a note."""

from __future__ import annotations

import copy
import dataclasses
import logging

import pyogrio
import pytest
import shapely

import pvsite
from pvsite import outputs, pipeline
from pvsite.outputs import gpkg
from pvsite.roofs import layout


@pytest.fixture(scope="module")
def result():
    return pipeline.run(pvsite.configure(scenario="technical-max"), pipeline.Selection(street="华阳路街道"))


def _layers(path):
    return {name for name, _ in pyogrio.list_layers(path)}


@pytest.mark.slow
def test_default_is_auto_and_writes_small_layers_in_batches(result, tmp_path, monkeypatch):
    assert result.config.output.panels is None
    assert isinstance(result.panels, layout.ModulePanels)
    n = len(result.panels)
    assert n == result.counts["panels"] > 0
    monkeypatch.setattr(layout, "PANEL_BATCH_MODULES", 97)  # many appends
    written = outputs.write_all(result, tmp_path / "a.gpkg")
    stored = pyogrio.read_dataframe(written.gpkg, layer="panels")
    assert len(stored) == n
    eager = result.panels.to_geodataframe()
    assert list(stored["order"]) == list(eager["order"]) and list(stored["building_id"]) == list(eager["building_id"])
    assert shapely.equals_exact(stored.geometry.to_numpy(), eager.geometry.to_numpy(), 1e-6).all()
    info = pyogrio.read_dataframe(written.gpkg, layer="run_info").set_index("key")["value"]
    assert "panels_layer" not in info.index


def test_auto_skips_beyond_the_threshold_with_a_warning(result, tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(gpkg, "PANELS_AUTO_MAX_MODULES", len(result.panels) - 1)
    with caplog.at_level(logging.WARNING, logger="pvsite.outputs.gpkg"):
        written = outputs.write_all(result, tmp_path / "b.gpkg")
    assert "panels" not in _layers(written.gpkg) and "roofs" in _layers(written.gpkg)
    info = pyogrio.read_dataframe(written.gpkg, layer="run_info").set_index("key")["value"]
    assert "skipped" in info["panels_layer"] and "panels = true" in info["panels_layer"]
    assert any("panels layer skipped" in r.getMessage() for r in caplog.records)
    # output.panels = true writes it anyway
    forced = copy.copy(result)
    forced.config = result.config.with_overrides(output={"panels": True})
    written = outputs.write_all(forced, tmp_path / "c.gpkg")
    assert len(pyogrio.read_dataframe(written.gpkg, layer="panels", read_geometry=False)) == len(result.panels)


def test_never_means_no_layer_and_no_geometry(tmp_path):
    r = pipeline.run(pvsite.configure(panels=False), pipeline.Selection(street="华阳路街道"))
    assert r.panels is None and r.counts["panels"] > 0
    written = outputs.write_all(r, tmp_path / "d.gpkg")
    assert "panels" not in _layers(written.gpkg)


@pytest.mark.slow
def test_a_geodataframe_is_written_in_slices(result, tmp_path):
    eager = result.panels.to_geodataframe()
    path = tmp_path / "e.gpkg"
    pyogrio.write_dataframe(eager.iloc[:0][["geometry"]], path, layer="stub", driver="GPKG")
    assert gpkg.write_panels(path, eager, batch_modules=50) == len(eager)
    assert len(pyogrio.read_dataframe(path, layer="panels", read_geometry=False)) == len(eager)
