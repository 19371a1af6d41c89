#!/usr/bin/env bash
# Install Debian's chromium (/usr/bin/chromium) for the real-browser tests of the HTML
# report (tests/outputs/test_report_browser.py) and the report's PDF (chromium --print-to-pdf).
# Idempotent and quiet: does nothing when chromium is already there.  Never fails the
# build: when it cannot install (no network, not root, no apt-get) it prints why and exits 0;
# the browser tests then skip with that reason and pvsite writes no PDF (the report says so).
# The apt-get work (missing packages only, sudo when not root) is scripts/apt_install.sh;
# APT_INSTALL_DRY_RUN=1 prints what it would install and installs nothing.
set -u

have_chromium() { [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1; }
have_font() { command -v fc-list >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; }

if have_chromium && have_font; then
    echo "install_browser: chromium and Noto Sans CJK already installed"
    exit 0
fi

note="browser tests will be skipped, no PDF of the report"
skip() { echo "install_browser: SKIPPED — $* ($note)"; exit 0; }

start=$(date +%s)
bash "$(dirname "$0")/apt_install.sh" --tag install_browser --note "$note" chromium fonts-noto-cjk || exit 0
[ "${APT_INSTALL_DRY_RUN:-0}" = 1 ] && exit 0
if have_chromium; then
    echo "install_browser: done in $(( $(date +%s) - start )) s: $(/usr/bin/chromium --version 2>/dev/null)"
else
    skip "installed, but no chromium executable found"
fi
exit 0
