#!/usr/bin/env bash
# install-deps.sh — install every Debian 12 package rert's build, tests and benches need.
# Idempotent: apt-get skips what is installed. Package lists live in scripts/deps.d/*.txt, one
# file per module (name: purpose comments allowed after '#'), so modules add their own.
# Usage: scripts/install-deps.sh [--no-bench]   (needs root or sudo)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
want_bench=1
[ "${1:-}" = "--no-bench" ] && want_bench=0
pkgs=()
for f in "$here"/deps.d/*.txt; do
  case "$(basename "$f")" in bench*) [ $want_bench = 1 ] || continue ;; esac
  while read -r line; do
    line="${line%%#*}"
    for p in $line; do pkgs+=("$p"); done
  done < "$f"
done
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
# a package counts as present when installed or provided by an installed package (e.g. npm by a
# NodeSource nodejs, which conflicts with Debian's npm)
provided=$(dpkg-query -W -f='${Status}\t${Provides}\n' 2>/dev/null | awk -F'\t' '$1 ~ /install ok installed/ {print $2}' |
  tr ',' '\n' | sed 's/^ *//; s/[ (].*//' | sort -u)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" && continue
  grep -qx "$p" <<< "$provided" && continue
  missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
