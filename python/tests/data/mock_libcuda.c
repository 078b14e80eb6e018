/* A stand-in for the CUDA driver (libcuda.so.1) for test_gpu.py: device
 * memory is host memory, kernels are not run (launches are only logged),
 * and every call is appended to the file $MOCK_CUDA_LOG. It checks
 * QuantC's runtime glue (lib/Target/GPU/GPURuntime.cpp) on a machine
 * without a GPU: which driver calls are made with which sizes, that the
 * PTX is JIT-loaded once, and that driver errors become quant-run errors.
 * $MOCK_CUDA_FAIL_LOAD makes cuModuleLoadDataEx fail with a JIT log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
static const CUresult kInvalidPtx = 218;

static void logf_(const char *fmt, const char *s, unsigned long long a,
                  unsigned long long b) {
  const char *path = getenv("MOCK_CUDA_LOG");
  if (!path)
    return;
  FILE *f = fopen(path, "a");
  if (!f)
    return;
  fprintf(f, fmt, s, a, b);
  fputc('\n', f);
  fclose(f);
}

CUresult cuInit(unsigned flags) { return 0; }
CUresult cuDeviceGetCount(int *n) { *n = 1; return 0; }
CUresult cuDeviceGet(int *d, int i) { *d = i; return 0; }
CUresult cuDeviceGetAttribute(int *v, int attr, int d) {
  *v = attr == 75 ? 8 : 0; /* compute capability 8.0 */
  return 0;
}
CUresult cuDevicePrimaryCtxRetain(void **ctx, int d) {
  *ctx = (void *)1;
  return 0;
}
CUresult cuCtxSetCurrent(void *ctx) { return 0; }
CUresult cuGetErrorString(CUresult r, const char **s) {
  *s = r == kInvalidPtx ? "a PTX JIT compilation failed (mock)" : "mock error";
  return 0;
}
CUresult cuModuleLoadDataEx(void **m, const void *data, unsigned n,
                            int *options, void **values) {
  const char *ptx = (const char *)data;
  logf_("load %s %llu %llu", strstr(ptx, ".entry") ? "ptx" : "not-ptx",
        (unsigned long long)strlen(ptx), n);
  if (getenv("MOCK_CUDA_FAIL_LOAD")) {
    for (unsigned i = 0; i < n; ++i)
      if (options[i] == 5) /* CU_JIT_ERROR_LOG_BUFFER */
        strcpy((char *)values[i], "ptxas fatal: mock log");
    return kInvalidPtx;
  }
  *m = (void *)2;
  return 0;
}
CUresult cuModuleGetFunction(void **f, void *m, const char *name) {
  logf_("function %s %llu %llu", name, 0, 0);
  *f = strdup(name);
  return 0;
}
CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz,
                        unsigned bx, unsigned by, unsigned bz, unsigned smem,
                        void *stream, void **params, void **extra) {
  logf_("launch %s %llu %llu", (const char *)f,
        (unsigned long long)gx * gy * gz, (unsigned long long)bx * by * bz);
  return 0;
}
CUresult cuStreamCreate(void **s, unsigned flags) { *s = (void *)3; return 0; }
CUresult cuStreamSynchronize(void *s) { return 0; }
CUresult cuStreamDestroy_v2(void *s) { return 0; }
CUresult cuStreamWaitEvent(void *s, void *e, unsigned f) { return 0; }
CUresult cuEventCreate(void **e, unsigned f) { *e = (void *)4; return 0; }
CUresult cuEventDestroy_v2(void *e) { return 0; }
CUresult cuEventRecord(void *e, void *s) { return 0; }
CUresult cuEventSynchronize(void *e) { return 0; }
CUresult cuMemAlloc_v2(unsigned long long *p, size_t n) {
  *p = (unsigned long long)malloc(n);
  logf_("alloc %s %llu %llu", "", n, 0);
  return 0;
}
CUresult cuMemAllocManaged(unsigned long long *p, size_t n, unsigned f) {
  return cuMemAlloc_v2(p, n);
}
CUresult cuMemFree_v2(unsigned long long p) {
  free((void *)p);
  logf_("free %s %llu %llu", "", 0, 0);
  return 0;
}
CUresult cuMemcpyAsync(unsigned long long dst, unsigned long long src,
                       size_t n, void *s) {
  memcpy((void *)dst, (const void *)src, n);
  logf_("copy %s %llu %llu", "", n, 0);
  return 0;
}
CUresult cuMemsetD32Async(unsigned long long dst, unsigned v, size_t n,
                          void *s) {
  for (size_t i = 0; i < n; ++i)
    ((unsigned *)dst)[i] = v;
  return 0;
}
CUresult cuMemsetD16Async(unsigned long long dst, unsigned short v, size_t n,
                          void *s) {
  for (size_t i = 0; i < n; ++i)
    ((unsigned short *)dst)[i] = v;
  return 0;
}
