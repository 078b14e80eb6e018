// RUN: not quant-translate --mlir-to-cpu-object %s -o %t.o 2>&1 | FileCheck %s
// RUN: test ! -e %t.o

// A module that records a CPU LLVM does not know as its target (the
// attribute --qc-lower-to-cpu="target-cpu=..." sets, here written by hand)
// is an error naming it; no object is written.
// CHECK: error: cannot compile for the CPU 'pentium9' on this x86_64{{.*}} host (an x86-64 CPU name of LLVM's is expected)
module attributes {qc.target_cpu = "pentium9"} {
  llvm.func @main() {
    llvm.return
  }
}
