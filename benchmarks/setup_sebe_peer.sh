#!/usr/bin/env bash
# The peer of benchmarks/shading_compare.py: UMEP's SEBE in a virtualenv of its own (never pvsite's).
#
#   bash benchmarks/setup_sebe_peer.sh [VENV] [UMEP_PROCESSING_CHECKOUT]
#
# VENV (default /work/venv-sebe) gets the `umep` PyPI package (wall heights, DSM slope/aspect) with
# numpy < 2.4: UMEP's sun-position loop assigns 1-element arrays to array elements, an error from
# numpy 2.4 on ("setting an array element with a sequence").  SEBE itself (sunmapcreator_2015a,
# SEBE_2015a_calc) is not in that package: it ships in the UMEP-processing QGIS plugin (GPL-3.0,
# UMEP-dev/UMEP-processing on GitHub), so give a checkout of it; its functions/SEBEfiles and
# util/SEBESOLWEIGCommonFiles are copied to VENV/umep-processing (nothing of it enters pvsite).
set -euo pipefail
venv=${1:-/work/venv-sebe}
src=${2:-}
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet umep "numpy<2.4"
if [ -n "$src" ]; then
    mkdir -p "$venv/umep-processing/functions" "$venv/umep-processing/util"
    cp -r "$src/functions/SEBEfiles" "$venv/umep-processing/functions/"
    cp -r "$src/util/SEBESOLWEIGCommonFiles" "$venv/umep-processing/util/"
    cp "$src/LICENSE" "$venv/umep-processing/"
    (git -C "$src" rev-parse HEAD 2>/dev/null || echo unknown) > "$venv/umep-processing/COMMIT"
else
    echo "no UMEP-processing checkout given: shading_compare.py will skip SEBE until $venv/umep-processing exists" >&2
fi
"$venv/bin/python" -c "import umep, numpy; print('umep ready, numpy', numpy.__version__)"
