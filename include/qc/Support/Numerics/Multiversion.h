//===- Multiversion.h - Per-ISA clones of hot loops -------------*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// QuantC is built for the baseline x86-64 ISA so that one binary runs
// everywhere. The few loops that touch every weight element at compile time
// (quantization, absmax, Hadamard butterflies) are marked QC_MULTIVERSION:
// the compiler emits an AVX-512, an AVX2 and a baseline clone and the loader
// picks one for the host (an ifunc). The loops are elementwise IEEE
// operations in a fixed order, so every clone computes the same bits.
//
//===----------------------------------------------------------------------===//

#ifndef QC_SUPPORT_NUMERICS_MULTIVERSION_H
#define QC_SUPPORT_NUMERICS_MULTIVERSION_H

#if defined(__x86_64__) && defined(__ELF__) && defined(__clang__)
#define QC_MULTIVERSION                                                        \
  __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define QC_MULTIVERSION
#endif

/// Bodies that QC_MULTIVERSION functions share; always inlined so that each
/// clone compiles them for its own ISA.
#define QC_ALWAYS_INLINE inline __attribute__((always_inline))

#endif // QC_SUPPORT_NUMERICS_MULTIVERSION_H
