#!/usr/bin/env bash
# Installs the Debian packages that the test suite needs, if any is missing:
#   chromium          headless browser for the end-to-end tests (Playwright drives it; no
#                     browser is ever downloaded by a test tool)
#   fonts-noto-cjk    so that Chinese renders in screenshots
#   libreoffice-calc  converts the generated template to .xls (a file written by another
#   libreoffice-writer program than ours) and produces a LibreOffice PDF for the archive tests
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-calc libreoffice-writer)
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing system packages: ${need[*]}"
if [ "$(id -u)" -eq 0 ]; then SUDO=(); elif command -v sudo >/dev/null; then SUDO=(sudo); else
  echo "cannot install ${need[*]}: not root and no sudo; browser/LibreOffice tests will fail" >&2; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" fontconfig >/dev/null
