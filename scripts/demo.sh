#!/usr/bin/env bash
#===- demo.sh - QuantC's main job ------------------------------------------===#
#
# Installs what is missing, builds, then quantizes the bundled example layer
# through the qc dialect with quant-opt and prints the accuracy of each format
# against float (examples/demo/demo.py). Extra arguments go to demo.py.
#
#===------------------------------------------------------------------------===#
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
bash scripts/build.sh >/dev/null
exec "$root/.venv/bin/python" examples/demo/demo.py \
  --quant-opt "${QUANTC_BUILD_DIR:-$root/build}/bin/quant-opt" "$@"
