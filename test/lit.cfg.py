# -*- Python -*-
# lit configuration of QuantC's IR and tool tests.
import os
import shutil
import sys

import lit.formats

config.name = "QuantC"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.quantc_obj_root, "test")
config.excludes = ["Unit", "lit.cfg.py", "lit.site.cfg.py", "CMakeLists.txt"]

path = [os.path.join(config.quantc_obj_root, "bin"), config.llvm_tools_dir,
        config.environment.get("PATH", os.environ.get("PATH", ""))]
config.environment["PATH"] = os.pathsep.join(path)
for var in ("HOME", "TMPDIR", "CCACHE_DIR"):
    if var in os.environ:
        config.environment[var] = os.environ[var]

config.substitutions.append(("%python", sys.executable))
config.substitutions.append(("%quantc_src", config.quantc_src_root))
config.substitutions.append(("%quantc_obj", config.quantc_obj_root))
config.substitutions.append(("%cmake", config.cmake_command))

# The CUDA toolkit's PTX assembler checks the GPU lowering's PTX.
ptxas = shutil.which("ptxas") or "/usr/local/cuda/bin/ptxas"
if os.path.exists(ptxas):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))

# libdevice (the CUDA toolkit's nvvm/libdevice/libdevice.10.bc), which
# --qc-lower-to-gpu links the kernels' math functions from.
for cuda in [os.environ.get(v) for v in ("CUDA_HOME", "CUDA_PATH", "CUDA_ROOT")] + ["/usr/local/cuda"]:
    if cuda and os.path.exists(os.path.join(cuda, "nvvm", "libdevice", "libdevice.10.bc")):
        config.available_features.add("libdevice")
        break
