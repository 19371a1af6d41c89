#!/usr/bin/env bash
# Install headless PyQGIS (Debian's python3-qgis) and a CJK font, for the
# QGIS check in tests/outputs/test_qgis.py.  Idempotent and quiet: does nothing when
# /usr/bin/python3 can already `import qgis.core` and the CJK font is present.
# Never fails the build: when it cannot install (no network, not root, no
# apt-get) it prints why and exits 0, and the QGIS test skips with a reason.
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

skip() { echo "install_qgis: SKIPPED — $* (QGIS tests will be skipped)"; exit 0; }

command -v apt-get >/dev/null 2>&1 || skip "apt-get not found (not Debian/Ubuntu)"
SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
        skip "not root and no password-less sudo"; fi
fi

start=$(date +%s)
echo "install_qgis: installing python3-qgis qgis-providers fonts-noto-cjk with apt-get ..."
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! $SUDO apt-get update -qq >"$log" 2>&1; then
    tail -n 5 "$log"; rm -f "$log"; skip "apt-get update failed (no network?)"
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends \
        python3-qgis qgis-providers fonts-noto-cjk >"$log" 2>&1; then
    tail -n 10 "$log"; rm -f "$log"; skip "apt-get install failed"
fi
rm -f "$log"
if have_qgis; then
    echo "install_qgis: done in $(( $(date +%s) - start )) s: $(QT_QPA_PLATFORM=offscreen "$PY" -c 'from qgis.core import Qgis; print("QGIS", Qgis.QGIS_VERSION)' 2>/dev/null)"
else
    skip "installed, but '$PY -c \"import qgis.core\"' still fails"
fi
exit 0
