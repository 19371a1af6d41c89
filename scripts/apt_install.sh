#!/usr/bin/env bash
# Install Debian packages that are missing, with apt-get; shared by install_qgis.sh and
# install_browser.sh.  Never fails the build: it exits 0 when every package is installed
# (or now installed), and 2 after printing "<tag>: SKIPPED — <reason> (<note>)" when it
# cannot install (no apt-get, not root and no password-less sudo, apt-get update fails —
# usually no network — or apt-get install fails).  The caller exits 0 on 2.
#
# Usage: apt_install.sh [--dry-run] [--tag NAME] [--note TEXT] PACKAGE...
#   --dry-run   print the missing packages and the commands it would run; install nothing
#               (also APT_INSTALL_DRY_RUN=1)
#   --tag NAME  prefix of every message (the calling script's name)
#   --note TEXT what the skip means for the user, appended to the SKIPPED line
set -u

tag=apt_install note="" dry=${APT_INSTALL_DRY_RUN:-0}
while [ $# -gt 0 ]; do
    case $1 in
        --dry-run) dry=1; shift ;;
        --tag) tag=$2; shift 2 ;;
        --note) note=$2; shift 2 ;;
        --) shift; break ;;
        -*) echo "$tag: unknown option $1" >&2; exit 64 ;;
        *) break ;;
    esac
done
[ $# -gt 0 ] || { echo "usage: apt_install.sh [--dry-run] [--tag NAME] [--note TEXT] PACKAGE..." >&2; exit 64; }

skip() { echo "$tag: SKIPPED — $*${note:+ ($note)}"; exit 2; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
missing=()
for p in "$@"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then
    echo "$tag: $* already installed"
    exit 0
fi

command -v apt-get >/dev/null 2>&1 || skip "apt-get not found (not Debian/Ubuntu)"
SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n "; else
        skip "not root and no password-less sudo"; fi
fi

if [ "$dry" = 1 ]; then
    echo "$tag: dry run: missing ${missing[*]}; would run:"
    echo "    ${SUDO}apt-get update -qq"
    echo "    ${SUDO}apt-get install -y -qq --no-install-recommends ${missing[*]}"
    exit 0
fi

start=$(date +%s)
echo "$tag: installing ${missing[*]} with apt-get ..."
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! ${SUDO}apt-get update -qq >"$log" 2>&1; then
    tail -n 5 "$log"; rm -f "$log"; skip "apt-get update failed (no network?)"
fi
if ! ${SUDO}apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
    tail -n 10 "$log"; rm -f "$log"; skip "apt-get install failed"
fi
rm -f "$log"
echo "$tag: apt-get installed ${missing[*]} in $(( $(date +%s) - start )) s"
exit 0
