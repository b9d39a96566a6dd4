#!/usr/bin/env bash
# Debian's Chromium for the browser test (tests/e2e/test_ui.py). The test drives it through the
# `playwright` package with executable_path=/usr/bin/chromium: `playwright install` downloads its
# own browser from a CDN that CI machines here cannot reach, so it is never used.
# poppler-utils too: tests/integration/test_invoice_pdf.py opens the invoices with pdftoppm and
# pdftotext, as a buyer's PDF viewer would.
set -euo pipefail
if [ -x /usr/bin/chromium ] && command -v pdftoppm >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    run=()
elif command -v sudo >/dev/null 2>&1; then
    run=(sudo)
else
    echo "chromium.sh: /usr/bin/chromium or pdftoppm is missing and this user cannot install" \
        "packages; apt-get install chromium poppler-utils, then run again" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# apt writes its progress to stdout; CI output stays readable without it. fonts-liberation is
# only "recommended" by chromium, and without a font the screenshots show boxes for letters.
"${run[@]}" apt-get update -qq >/dev/null
"${run[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-liberation poppler-utils \
    >/dev/null
/usr/bin/chromium --version
