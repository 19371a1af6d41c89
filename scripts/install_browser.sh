#!/usr/bin/env bash
# Install Debian's chromium (/usr/bin/chromium) for the real-browser tests of the HTML
# report (tests/outputs/test_report_browser.py) and the report's PDF (chromium --print-to-pdf).
# Idempotent and quiet: does nothing when chromium is already there.  Never fails the
# build: when it cannot install (no network, not root, no apt-get) it prints why and exits 0;
# the browser tests then skip with that reason and pvsite writes no PDF (the report says so).
set -u

have_chromium() { [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1; }
have_font() { command -v fc-list >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; }

if have_chromium && have_font; then
    echo "install_browser: chromium and Noto Sans CJK already installed"
    exit 0
fi

skip() { echo "install_browser: SKIPPED — $* (browser tests will be skipped, no PDF of the report)"; exit 0; }

command -v apt-get >/dev/null 2>&1 || skip "apt-get not found (not Debian/Ubuntu)"
SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
        skip "not root and no password-less sudo"; fi
fi

start=$(date +%s)
echo "install_browser: installing chromium fonts-noto-cjk with apt-get ..."
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! $SUDO apt-get update -qq >"$log" 2>&1; then
    tail -n 5 "$log"; rm -f "$log"; skip "apt-get update failed (no network?)"
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >"$log" 2>&1; then
    tail -n 10 "$log"; rm -f "$log"; skip "apt-get install failed"
fi
rm -f "$log"
if have_chromium; then
    echo "install_browser: done in $(( $(date +%s) - start )) s: $(/usr/bin/chromium --version 2>/dev/null)"
else
    skip "installed, but no chromium executable found"
fi
exit 0
