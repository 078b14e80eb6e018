"""Build-here, time-there support shared by the kernel benchmarks.

`--target-cpu CPU --build-only DIR` compiles a benchmark's programs for CPU
(an LLVM CPU name; `--qc-lower-to-cpu="target-cpu=..."`) into DIR with a
manifest and libomp; `--prebuilt DIR` on the other machine times them with
Python and NumPy alone (no compiler, no QuantC build). Without either, the
benchmark builds into a temporary directory and times there.
"""

import json
import pathlib
import shutil
import tempfile

LLVM_LIB = "/usr/lib/llvm-19/lib"
# Programs look for libomp beside themselves first (DIR), then in LLVM's
# directory.
OMP_LINK = [f"-L{LLVM_LIB}", "-lomp", "-Wl,-rpath,$ORIGIN", f"-Wl,-rpath,{LLVM_LIB}"]


def add_arguments(ap):
    ap.add_argument("--target-cpu", default="",
                    help="compile for this CPU (an LLVM CPU name) instead of the host")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--build-only", type=pathlib.Path, metavar="DIR",
                      help="write the programs into DIR for --prebuilt, do not time")
    mode.add_argument("--prebuilt", type=pathlib.Path, metavar="DIR",
                      help="time the programs that --build-only wrote into DIR")


def run(args, build_all, time_all, sources=()):
    """build_all(args, dir) -> manifest (JSON-able); time_all(args, dir,
    manifest). `sources`: files build_all leaves in dir that --build-only
    does not keep."""
    if args.prebuilt:
        manifest = json.loads((args.prebuilt / "manifest.json").read_text())
        with tempfile.TemporaryDirectory() as d:
            for f in args.prebuilt.iterdir():  # a writable copy
                shutil.copy2(f, d)
            time_all(args, pathlib.Path(d), manifest)
    elif args.build_only:
        args.build_only.mkdir(parents=True, exist_ok=True)
        manifest = build_all(args, args.build_only)
        shutil.copy2(pathlib.Path(LLVM_LIB) / "libomp.so.5", args.build_only)
        for f in sources:
            (args.build_only / f).unlink()
        (args.build_only / "manifest.json").write_text(json.dumps(manifest, indent=1))
    else:
        with tempfile.TemporaryDirectory() as d:
            tmp = pathlib.Path(d)
            time_all(args, tmp, build_all(args, tmp))
