// RUN: quant-opt %s --qc-lower-to-cpu="int8-kernel=vnni512" | FileCheck %s
// RUN: quant-opt %s --qc-lower-to-cpu="int8-kernel=vnni512" \
// RUN:   | quant-translate --mlir-to-llvmir \
// RUN:   | llc -O3 -mtriple=x86_64-unknown-linux-gnu -mattr=+avx512f,+avx512bw,+avx512vl,+avx512vnni \
// RUN:   | FileCheck %s --check-prefix=ASM
// RUN: quant-opt %s --qc-lower-to-cpu="int8-kernel=vnni512 threads=2" | FileCheck %s --check-prefix=OMP
// RUN: not quant-opt %s --qc-convert-qc-to-linalg="int8-kernel=vnni512" --qc-x86-lower-int8-kernels 2>&1 | FileCheck %s --check-prefix=TENSORS

// TENSORS: error: qc-x86-lower-int8-kernels: the u8s8_vnni512 kernel runs after bufferization

// u8 x s8 -> s32 with AVX-512 VNNI: the micro-kernel keeps a 12 x 32 tile
// of accumulators in 24 zmm registers and issues 24 vpdpbusd per 4 values
// of K (2 weight loads, 12 broadcasts of 4 activation bytes). It comes in
// two copies: tiles 0 and 1 of a row block also prefetch the next block of
// packed weights into L2 (one line per K group), the others do not.
// CHECK-LABEL: llvm.func @main(
// CHECK: "llvm.intr.prefetch"(%{{.*}}) <{cache = 1 : i32, hint = 2 : i32, rw = 0 : i32}>
// CHECK-COUNT-24: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"({{.*}}) : (vector<16xi32>, vector<16xi32>, vector<16xi32>) -> vector<16xi32>
// CHECK-NOT: llvm.intr.prefetch
// CHECK-COUNT-24: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"({{.*}}) : (vector<16xi32>, vector<16xi32>, vector<16xi32>) -> vector<16xi32>
// CHECK-NOT: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"

// The loop nest is a function of its own, named after the kernel and the
// packed shapes, which main calls. Its inner loop in the generated
// assembly: 24 vpdpbusd on zmm registers, no widening vpmaddwd chain (nor
// anywhere else in the module).
// ASM-NOT: vpmaddwd
// ASM-LABEL: main:
// ASM: call{{q?}} __qc_u8s8_vnni512_2x16x48_2x16x128_64_24x64_t1
// ASM-LABEL: __qc_u8s8_vnni512_2x16x48_2x16x128_64_24x64_t1:
// ASM-NOT: vpmaddwd
// ASM: # =>{{ *}}This Inner Loop Header
// ASM-NOT: vpmaddwd
// ASM-COUNT-24: vpdpbusd %zmm{{[0-9]+}}, %zmm{{[0-9]+}}, %zmm{{[0-9]+}}
// ASM-NOT: vpmaddwd
// ASM: j{{[a-z]+}} .LBB
// ASM-NOT: vpmaddwd

// With threads, the activations are packed into row tiles 4 bytes at a
// time over ranges of tiles (a loop nest, outlined), then the column panels
// are an OpenMP worksharing loop.
// OMP-LABEL: llvm.func @main(
// OMP: llvm.call @[[PACK:__qc_loop_nest_[0-9]+]](
// OMP: llvm.call @[[GEMM:__qc_u8s8_vnni512_[0-9x_]+_t2]](
// OMP: llvm.func internal @[[GEMM]](
// OMP: omp.parallel
// OMP: omp.wsloop
// OMP-COUNT-48: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// OMP: llvm.func internal @[[PACK]](
// OMP: omp.parallel
// OMP: omp.wsloop
// OMP: llvm.load %{{.*}} : !llvm.ptr -> vector<4xi8>
// OMP: llvm.store %{{.*}} : vector<4xi8>, !llvm.ptr
func.func @main(%x: !qc.qtensor<24x64, #qc.int<8, unsigned>>) -> tensor<24x40xi32> {
  %w = qc.constant dense<3> : tensor<40x64xi8> : !qc.qtensor<40x64, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>
  %y = qc.linear %x, %w : (!qc.qtensor<24x64, #qc.int<8, unsigned>>, !qc.qtensor<40x64, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>) -> tensor<24x40xi32>
  return %y : tensor<24x40xi32>
}
