#!/usr/bin/env bash
#===- test.sh - Run QuantC's whole test suite ------------------------------===#
#
# Installs what is missing (scripts/setup.sh), builds, then runs:
#   - lit: IR and tool tests (test/) and the gtest unit tests (test/Unit),
#   - pytest: Python tests against ml_dtypes and NumPy oracles (python/tests),
#   - the ONNX backend node tests, interpreted, compiled for the CPU, and
#     compiled for the GPU (emulated on the host; PTX checked by ptxas).
# Ends with one line "TOTAL: N passed, M failed, K skipped"; exits non-zero
# when anything failed.
#
#===------------------------------------------------------------------------===#
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
bash scripts/build.sh
build="${QUANTC_BUILD_DIR:-$root/build}"
py="$root/.venv/bin/python"
results="$build/test-results"
mkdir -p "$results"

set +e
"$root/.venv/bin/lit" -sv --order=lexical -o "$results/lit.json" \
  "$build/test" "$build/test/Unit"
lit_rc=$?
QUANTC_LIB_DIR="$build/lib" "$py" -m pytest -q -n 2 python/tests \
  --junitxml="$results/pytest.xml"
pytest_rc=$?
# ONNX backend node tests (from the onnx package) through the importer and
# the interpreter.
"$py" test/onnx-node/run_node_tests.py --quant-run "$build/bin/quant-run" \
  --status-table "$results/onnx-node-ops.md" | tee "$results/onnx-node.txt"
node_rc=${PIPESTATUS[0]}
# The same node tests compiled for the host CPU (--qc-lower-to-cpu + JIT).
"$py" test/onnx-node/run_node_tests.py --quant-run "$build/bin/quant-run" \
  --target=cpu | tee "$results/onnx-node-cpu.txt"
node_cpu_rc=${PIPESTATUS[0]}
# The GPU target: the node tests' kernels run thread by thread on the host
# (--target=gpu-emulated), and their PTX assembled by ptxas when the CUDA
# toolkit is installed.
"$py" test/onnx-node/run_node_tests.py --quant-run "$build/bin/quant-run" \
  --target=gpu-emulated | tee "$results/onnx-node-gpu.txt"
node_gpu_rc=${PIPESTATUS[0]}
ptx_rc=0
if command -v ptxas >/dev/null || [[ -x /usr/local/cuda/bin/ptxas ]]; then
  "$py" test/onnx-node/run_ptx_node_tests.py | tee "$results/onnx-node-ptx.txt"
  ptx_rc=${PIPESTATUS[0]}
else
  echo "PTX node tests: skipped (no ptxas: the CUDA toolkit is not installed)" \
    | tee "$results/onnx-node-ptx.txt"
fi
set -e

"$py" - "$results/lit.json" "$results/pytest.xml" "$results/onnx-node.txt" \
  "$results/onnx-node-cpu.txt" "$results/onnx-node-gpu.txt" \
  "$results/onnx-node-ptx.txt" <<'PY'
import json, re, sys, xml.etree.ElementTree as ET
passed = failed = skipped = 0
try:
    for t in json.load(open(sys.argv[1]))["tests"]:
        code = t["code"]
        if code in ("PASS", "XFAIL"):
            passed += 1
        elif code in ("UNSUPPORTED", "SKIPPED"):
            skipped += 1
        else:
            failed += 1
except (OSError, ValueError, KeyError):
    failed += 1
try:
    root = ET.parse(sys.argv[2]).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    for s in suites:
        n = int(s.get("tests", 0))
        f = int(s.get("failures", 0)) + int(s.get("errors", 0))
        k = int(s.get("skipped", 0))
        passed += n - f - k
        failed += f
        skipped += k
except (OSError, ET.ParseError):
    failed += 1
for path in sys.argv[3:6]:
    try:
        text = open(path).read()
        m = re.search(r"node tests(?: \([a-z-]+\))?: (\d+) passed, (\d+) failed", text)
        passed += int(m.group(1))
        failed += int(m.group(2))
    except (OSError, AttributeError):
        failed += 1
try:
    text = open(sys.argv[6]).read()
    m = re.search(r"PTX node tests \(\w+\): (\d+) assembled, (\d+) failed", text)
    if m:
        passed += int(m.group(1))
        failed += int(m.group(2))
    elif "skipped" in text:
        skipped += 1
    else:
        failed += 1
except OSError:
    failed += 1
print(f"TOTAL: {passed} passed, {failed} failed, {skipped} skipped")
PY
if ((lit_rc != 0 || pytest_rc != 0 || node_rc != 0 || node_cpu_rc != 0 ||
  node_gpu_rc != 0 || ptx_rc != 0)); then
  exit 1
fi
