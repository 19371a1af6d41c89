"""Where pvsite's embedded default inputs and outputs live.

pvsite is installed editable from its repository (``make run`` / ``make test``
do this), so the default inputs are found beside the package:

* ``footprints/sample_district.gpkg`` — the synthetic sample district;
* ``irradiance/shanghai_default_year.csv`` — the synthetic Shanghai typical year;
* ``outputs/`` — where runs write by default.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
FOOTPRINTS_DIR = REPO_ROOT / "footprints"
IRRADIANCE_DIR = REPO_ROOT / "irradiance"
OUTPUTS_DIR = REPO_ROOT / "outputs"

SAMPLE_FOOTPRINTS = FOOTPRINTS_DIR / "sample_district.gpkg"
DEFAULT_WEATHER = IRRADIANCE_DIR / "shanghai_default_year.csv"
