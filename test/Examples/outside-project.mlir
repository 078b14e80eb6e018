// Install QuantC, build examples/outside-opt against it with
// find_package(QuantC), and parse and fold qc ops with the outside tool.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %cmake --install %quantc_obj --prefix %t/prefix > %t/install.log
// RUN: %cmake -G Ninja -S %quantc_src/examples/outside-opt -B %t/build -DCMAKE_PREFIX_PATH=%t/prefix -DCMAKE_CXX_COMPILER=clang++-19 -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld > %t/configure.log
// RUN: %cmake --build %t/build > %t/build.log
// RUN: %t/build/outside-opt %s | FileCheck %s --check-prefix=PARSE
// RUN: %t/build/outside-opt %s --canonicalize | FileCheck %s --check-prefix=FOLD

// PARSE: qc.rotate %{{.*}} by #qc.hadamard<4> along 0 : tensor<4xf32>
// FOLD: arith.constant dense<[5.000000e+00, -1.000000e+00, -2.000000e+00, 0.000000e+00]>
func.func @f() -> tensor<4xf32> {
  %x = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %y = qc.rotate %x by #qc.hadamard<4> along 0 : tensor<4xf32>
  return %y : tensor<4xf32>
}
