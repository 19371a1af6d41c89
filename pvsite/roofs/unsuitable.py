"""Roofs that exist on paper but cannot take PV: buildings under construction and slender tower crowns.

:func:`unsuitable_reasons` gives each roof its ``unsuitable_reason`` (the
planning stage then sets status ``unsuitable``, 不宜安装, and installs nothing):

* ``under_construction`` — the building is being built or only planned: an
  OpenStreetMap ``building=construction`` (https://wiki.openstreetmap.org/wiki/Tag:building=construction:
  "a building under construction"), or a survey status column (``build_status``
  field of ``presets/fields.toml``, e.g. 现状 / 建设状态) holding one of the
  ``[build_status] under_construction`` words (在建, 施工, 拟建 …).  There is no
  roof to survey yet; its PV belongs to the new-building rule when it is done.
* ``slender_crown`` — a small roof on a super-tall building: height ≥
  ``roof.slender_min_height_m`` and (footprint < ``roof.slender_max_area_m2``
  or height / √footprint ≥ ``roof.slender_ratio``).  Crowns of towers above
  100 m carry the window-cleaning gondola (BMU) tracks, helipads, aviation
  lights and the mechanical crown, and take the highest wind pressure
  (GB 50009-2012 §8.2: the height coefficient μz grows with height); the
  thresholds are pvsite assumptions the user can change (see
  :class:`pvsite.config.RoofConfig`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Values of ``unsuitable_reason`` (NA: the roof is not unsuitable).
UNSUITABLE_REASONS = ("under_construction", "slender_crown")


def unsuitable_reasons(roofs: pd.DataFrame, roof_cfg) -> pd.Series:
    """``unsuitable_reason`` of every roof (:data:`UNSUITABLE_REASONS`, NA otherwise).

    Parameters
    ----------
    roofs : pandas.DataFrame
        Surveyed roofs: ``area_m2`` [m²], ``height_m`` [m] and, when the input
        has them, ``build_status`` ('under_construction' or NA, from
        :mod:`pvsite.io.footprints`) and ``osm_building`` (OSM ``building=*``).
    roof_cfg : pvsite.config.RoofConfig
        ``slender_min_height_m`` [m], ``slender_max_area_m2`` [m²], ``slender_ratio`` [m/m].

    Returns
    -------
    pandas.Series
        String dtype, index of ``roofs``; under construction wins over slender crown.
    """
    n = len(roofs)
    building = _column(roofs, "build_status").eq("under_construction").to_numpy()
    osm = _column(roofs, "osm_building").str.strip().str.lower().eq("construction").to_numpy()
    under = building | osm
    area = pd.to_numeric(roofs["area_m2"], errors="coerce").to_numpy(dtype=float) if "area_m2" in roofs else np.full(n, np.nan)
    height = pd.to_numeric(roofs["height_m"], errors="coerce").to_numpy(dtype=float, na_value=np.nan) \
        if "height_m" in roofs else np.full(n, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = height / np.sqrt(area)
    tall = height >= float(roof_cfg.slender_min_height_m)
    slender = tall & ((area < float(roof_cfg.slender_max_area_m2)) | (ratio >= float(roof_cfg.slender_ratio)))
    reason = np.where(under, "under_construction", np.where(slender, "slender_crown", None))
    return pd.Series(reason, index=roofs.index, dtype="string")


def _column(roofs: pd.DataFrame, name: str) -> pd.Series:
    """``roofs[name]`` as text with NA → '' (an empty column when absent)."""
    if name not in roofs.columns:
        return pd.Series("", index=roofs.index, dtype="string")
    return roofs[name].astype("string").fillna("")
