"""A fixed-seed smoke run of scripts/fuzz.py in each mode, so that the
fuzzer keeps working (longer random runs are for developers; see
docs/Testing.md)."""

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("mode,iterations", [("import", 40), ("ops", 80), ("targets", 12),
                                             ("rotations", 6)])
def test_fuzz_smoke(mode, iterations, tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "fuzz.py"), mode, "--seed", "7",
                        "--iterations", str(iterations), "--keep", str(tmp_path)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"fuzz {mode}: {iterations} iterations (seed 7), 0 findings" in r.stdout
    if mode != "import":  # the differential modes compared something
        assert " 0 of " not in r.stdout and "rotations: 0 " not in r.stdout, r.stdout
