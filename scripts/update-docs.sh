#!/usr/bin/env bash
# update-docs.sh — regenerate docs/cli.md, docs/rert.1 and the README command section from the
# command tables (`rert help --markdown` / `--man`). tests/test_docs.c fails when they are stale.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/rert}
"$bin" help --markdown > docs/cli.md
"$bin" help --man > docs/rert.1
python3 - "$bin" <<'PY'
import re, subprocess, sys
md = subprocess.run([sys.argv[1], "help", "--markdown"], capture_output=True, text=True, check=True).stdout
table = md.split("\n### ")[0].rstrip() + "\n"
r = open("README.md").read()
new = re.sub(r"(<!-- commands:begin -->\n).*?(<!-- commands:end -->)", lambda m: m.group(1) + table + m.group(2), r, flags=re.S)
open("README.md", "w").write(new)
PY
