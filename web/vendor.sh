#!/usr/bin/env bash
# Re-vendor the page's browser libraries from the npm registry, reproducibly:
# `npm ci` installs exactly what package-lock.json pins (integrity-checked), then the
# built files are copied and their sha256 written to VENDOR.json (a test checks them).
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --ignore-scripts
out=../src/dexcex/web/static/vendor
mkdir -p "$out"
cp node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css "$out/"
cp node_modules/uplot/LICENSE "$out/uPlot.LICENSE"
python3 - "$out" <<'PY'
import hashlib, json, pathlib, sys
out = pathlib.Path(sys.argv[1])
lock = json.loads(pathlib.Path("package-lock.json").read_text())
pkg = lock["packages"]["node_modules/uplot"]
files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
         for p in sorted(out.iterdir()) if p.name != "VENDOR.json"}
(out / "VENDOR.json").write_text(json.dumps(
    {"uplot": {"version": pkg["version"], "integrity": pkg["integrity"]}, "sha256": files},
    indent=2) + "\n")
PY
echo "vendored into $out"
