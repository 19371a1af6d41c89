"""A height for every building: attribute, storeys, raster, or a flagged class default.

Part of stage ``roofs`` (:func:`pvsite.roofs.survey.survey_roofs`).  The
horizon of a roof (:mod:`pvsite.roofs.horizon`) needs the height of every
building around it, so no building may be left without one; where the
height rests on an assumption the roof says so in ``height_source``:

``attribute``
    the footprint's height field (``height_m``, mapped by
    :mod:`pvsite.io.fields` from 高度 / 建筑高度 / ``height`` /
    ``height_est_m`` …).  Note: the Bund outlines' ``height_est_m`` is
    itself ``Floor × 3 m`` (``shared/data/README.md``), so there
    "attribute" means a storey estimate made by the data's publisher.
``storeys``
    ``storeys × HeightsConfig.storey_height_m[class]`` (层数 / ``Floor`` /
    ``building:levels`` …).
``raster``
    the median of the ``--heights`` raster over the footprint
    (``raster_height_m`` of :func:`pvsite.roofs.heights.roof_surface`).
``class_default``
    ``HeightsConfig.default_storeys[class] × storey_height_m[class]``: no
    height information at all (logged with a count).

Pure: frames in, frames out.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from pvsite.config import HeightsConfig

logger = logging.getLogger(__name__)

#: Values of ``height_source``, best first.
HEIGHT_SOURCES = ("attribute", "storeys", "raster", "class_default")


def _per_class(table: dict, classes: pd.Series) -> np.ndarray:
    """``table[class]`` per row, ``table['other']`` for classes the table does not list."""
    return classes.map(table).fillna(table["other"]).to_numpy(dtype=float)


def building_heights(
    roofs: pd.DataFrame,
    heights_cfg: HeightsConfig,
    raster_height_m: pd.Series | None = None,
) -> pd.DataFrame:
    """Height of every building and where it comes from.

    Parameters
    ----------
    roofs : pandas.DataFrame
        One row per building with ``height_m`` [m] (nullable), ``storeys``
        [-] (nullable) and ``building_class`` (policy class; missing → the
        tables' ``other`` entry).
    heights_cfg : HeightsConfig
        Storey height and default storeys per class.
    raster_height_m : pandas.Series, optional
        Median raster height per roof [m] (index of ``roofs``; NaN where the
        raster does not cover the roof), from
        :func:`pvsite.roofs.heights.roof_surface_from_raster`.

    Returns
    -------
    pandas.DataFrame
        Index ``roofs.index``; ``height_m`` [m] (Float64, never missing, > 0)
        and ``height_source`` (one of :data:`HEIGHT_SOURCES`).
    """
    n = len(roofs)
    classes = (roofs["building_class"] if "building_class" in roofs.columns
               else pd.Series("other", index=roofs.index)).astype(object)
    storey_h = _per_class(heights_cfg.storey_height_m, classes)
    default_storeys = _per_class(heights_cfg.default_storeys, classes)

    def _numeric(name: str) -> np.ndarray:
        if name not in roofs.columns:
            return np.full(n, np.nan)
        return pd.to_numeric(roofs[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)

    attribute = _numeric("height_m")
    storeys = _numeric("storeys")
    raster = (np.full(n, np.nan) if raster_height_m is None
              else pd.to_numeric(raster_height_m.reindex(roofs.index), errors="coerce").to_numpy(
                  dtype=float, na_value=np.nan))
    candidates = [
        np.where(attribute > 0, attribute, np.nan),
        np.where(storeys > 0, storeys * storey_h, np.nan),
        np.where(raster > 0, raster, np.nan),
        default_storeys * storey_h,
    ]
    known = np.column_stack([np.isfinite(c) for c in candidates])
    choice = np.argmax(known, axis=1)  # the last candidate is always finite
    height = np.column_stack(candidates)[np.arange(n), choice]
    source = np.asarray(HEIGHT_SOURCES, dtype=object)[choice]
    out = pd.DataFrame({"height_m": pd.array(height, dtype="Float64"),
                        "height_source": pd.Series(source, index=roofs.index, dtype=object)}, index=roofs.index)
    counts = out["height_source"].value_counts().reindex(list(HEIGHT_SOURCES), fill_value=0)
    if counts["class_default"]:
        logger.warning("%d of %d buildings have no height, storeys or raster height: class default heights "
                       "assumed (height_source = 'class_default'); give heights where shading matters",
                       int(counts["class_default"]), n)
    logger.info("building heights by source: %s", counts.to_dict())
    return out
