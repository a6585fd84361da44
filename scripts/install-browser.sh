#!/usr/bin/env bash
# Install what the browser tests need, once: Debian's Chromium, a Korean font (without one
# the screenshots show empty boxes for Hangul) and the Python playwright package. The tests
# point playwright at /usr/bin/chromium, so `playwright install` and its browser download
# are never needed. Safe to run again: each step is skipped when already done.
set -euo pipefail

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
fi

APT_PACKAGES=()
if [ -x "$CHROMIUM" ]; then
    echo "chromium: present ($CHROMIUM)"
else
    APT_PACKAGES+=(chromium)
fi
if command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=ko 2>/dev/null)" ]; then
    echo "korean font: present"
else
    APT_PACKAGES+=(fonts-nanum)
fi
if [ ${#APT_PACKAGES[@]} -gt 0 ]; then
    echo "apt-get: installing ${APT_PACKAGES[*]}"
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${APT_PACKAGES[@]}"
fi

PYTHON=${PYTHON:-python}
if "$PYTHON" -c "import playwright" >/dev/null 2>&1; then
    echo "playwright: present ($("$PYTHON" -m pip show playwright 2>/dev/null | sed -n 's/^Version: //p'))"
else
    echo "playwright: installing into $("$PYTHON" -c 'import sys; print(sys.prefix)')"
    "$PYTHON" -m pip install --quiet "playwright>=1.65"
fi

"$CHROMIUM" --version 2>/dev/null
