#!/usr/bin/env bash
# The programs the tests drive besides Python: Chromium (browser tests),
# poppler-utils (pdftotext, pdftoppm for the printables), Java (the Nu HTML
# checker) and faketime (CI runs the fast suite with the machine's clock moved).
# On Debian as root they are installed; elsewhere we say what to do.
set -euo pipefail
missing=()
[ -x "${KIOSK_CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
command -v pdftotext >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
fc-list 2>/dev/null | grep -qi dejavu || missing+=(fonts-dejavu-core)
command -v faketime >/dev/null 2>&1 || missing+=(faketime)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing+=(nginx-light)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${missing[*]} with apt-get ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "The tests need these system packages: ${missing[*]}" >&2
echo "On Debian or Ubuntu: sudo apt-get install ${missing[*]}" >&2
echo "Chromium must be at /usr/bin/chromium (or set KIOSK_CHROMIUM to its path)." >&2
exit 1
