#!/usr/bin/env bash
# Install headless PyQGIS (Debian's python3-qgis) and a CJK font, for the
# QGIS check in tests/outputs/test_qgis.py.  Idempotent and quiet: does nothing when
# /usr/bin/python3 can already `import qgis.core` and the CJK font is present.
# Never fails the build: when it cannot install (no network, not root, no
# apt-get) it prints why and exits 0, and the QGIS test skips with a reason.
# The apt-get work (missing packages only, sudo when not root) is scripts/apt_install.sh;
# APT_INSTALL_DRY_RUN=1 prints what it would install and installs nothing.
#
# Packages (Debian 12 bookworm: QGIS 3.22.16):
#   python3-qgis    PyQGIS bindings for /usr/bin/python3 (pulls qgis-providers)
#   qgis-providers  the ogr/gdal data providers needed to open a GeoPackage
#   fonts-noto-cjk  Noto Sans CJK SC, so labels render Chinese in the PNG
set -u

# PYQGIS_PYTHON: the interpreter that must import qgis.core (tests override it).
PY=${PYQGIS_PYTHON:-/usr/bin/python3}
have_qgis() { [ -x "$PY" ] && QT_QPA_PLATFORM=offscreen "$PY" -c 'import qgis.core' >/dev/null 2>&1; }
have_font() { command -v fc-list >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; }

if have_qgis && have_font; then
    echo "install_qgis: PyQGIS and Noto Sans CJK already installed"
    exit 0
fi

note="QGIS tests will be skipped"
skip() { echo "install_qgis: SKIPPED — $* ($note)"; exit 0; }

start=$(date +%s)
bash "$(dirname "$0")/apt_install.sh" --tag install_qgis --note "$note" \
    python3-qgis qgis-providers fonts-noto-cjk || exit 0
[ "${APT_INSTALL_DRY_RUN:-0}" = 1 ] && exit 0
if have_qgis; then
    echo "install_qgis: done in $(( $(date +%s) - start )) s: $(QT_QPA_PLATFORM=offscreen "$PY" -c 'from qgis.core import Qgis; print("QGIS", Qgis.QGIS_VERSION)' 2>/dev/null)"
else
    skip "installed, but '$PY -c \"import qgis.core\"' still fails"
fi
exit 0
