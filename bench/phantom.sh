#!/usr/bin/env bash
# phantom.sh — timing of `rert phantom` (small and clinical, 2 and 3 courses) with farm-bench.
# Not a test: numbers go into docs/phantom.md / reports. Usage: bench/phantom.sh [path/to/rert]
set -euo pipefail
rert=${1:-build/rert}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for size in small clinical; do
  for courses in 2 3; do
    echo "== rert phantom --size $size --courses $courses"
    farm-bench -n 3 --warmup 1 --timeout 600 -- \
      sh -c "rm -rf '$out/p' && '$rert' phantom --out '$out/p' --size $size --courses $courses >/dev/null" |
      grep -E "cpu s|wall s|peak MiB"
  done
done
