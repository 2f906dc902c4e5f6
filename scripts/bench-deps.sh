#!/usr/bin/env bash
# The programs the benchmarks drive besides Python: wrk (bench.polls).
# On Debian as root it is installed; elsewhere we say what to do.
set -euo pipefail
command -v wrk >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing wrk with apt-get ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends wrk >/dev/null
  exit 0
fi
echo "The benchmarks need wrk. On Debian or Ubuntu: sudo apt-get install wrk" >&2
exit 1
