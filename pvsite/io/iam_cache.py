"""On-disk cache of the Marion diffuse incidence-angle modifiers.

``pvlib.iam.marion_diffuse`` integrates the physical IAM over the sky and
the ground for each tilt (≈ 14 ms idle, more under load, per tilt); a run
needs the whole degrees of its planes plus 0–60° for the optimum tilt, so
every process paid ≈ 1 s for numbers that only depend on the module's
glazing (n, K, L) and the pvlib version.  They are kept in one small JSON
file per key in the user's cache directory, written atomically
(:mod:`pvsite.io.atomic`); the floats round-trip exactly (``repr``), so a
cached run gives the same results as a computed one.

Directory: ``$PVSITE_CACHE_DIR``, else ``$XDG_CACHE_HOME/pvsite``, else
``~/.cache/pvsite``.  ``PVSITE_CACHE_DIR=off`` disables the cache.  Any
failure (read-only home, corrupt or foreign file) only costs the
computation: it is logged at debug level, never raised.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from pathlib import Path

from pvsite.io import atomic

log = logging.getLogger(__name__)

#: Version of the file layout (part of the key).
FORMAT = 1


def cache_dir() -> Path | None:
    """The cache directory, or ``None`` when disabled (``PVSITE_CACHE_DIR=off``)."""
    env = os.environ.get("PVSITE_CACHE_DIR")
    if env:
        return None if env.strip().lower() in ("off", "0", "none", "false") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pvsite"


def _key(n: float, k: float, l: float, pvlib_version: str) -> dict:
    return {"format": FORMAT, "model": "physical", "n": repr(float(n)), "K": repr(float(k)),
            "L": repr(float(l)), "pvlib": pvlib_version}


def _path(key: dict) -> Path | None:
    base = cache_dir()
    if base is None:
        return None
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    return base / f"marion-diffuse-{digest}.json"


def load_marion(n: float, k: float, l: float, pvlib_version: str) -> dict[float, tuple[float, float]]:
    """Cached ``{tilt_deg: (sky, ground)}`` for this glazing and pvlib version; ``{}`` when none."""
    key = _key(n, k, l, pvlib_version)
    path = _path(key)
    if path is None or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("key") != key:
            return {}
        out = {}
        for tilt, sky, ground in data["values"]:
            tilt, sky, ground = float(tilt), float(sky), float(ground)
            if math.isfinite(tilt) and math.isfinite(sky) and math.isfinite(ground):
                out[tilt] = (sky, ground)
        return out
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.debug("Marion IAM cache %s unreadable (%s); computing", path, exc)
        return {}


def store_marion(n: float, k: float, l: float, pvlib_version: str,
                 values: dict[float, tuple[float, float]]) -> None:
    """Write ``values`` (all tilts known to the process) atomically; failures are only logged."""
    key = _key(n, k, l, pvlib_version)
    path = _path(key)
    if path is None:
        return
    rows = [[float(t), float(s), float(g)] for t, (s, g) in sorted(values.items())]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_text(path, json.dumps({"key": key, "values": rows}))
    except OSError as exc:
        log.debug("Marion IAM cache %s not written (%s)", path, exc)
