//===- GPURuntime.cpp - MLIR's mgpu* functions on the CUDA driver ---------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// The host code that --qc-lower-to-gpu makes (gpu-to-llvm) calls MLIR's
// GPU runtime functions (mgpuMemAlloc, mgpuLaunchKernel, ...). Debian's
// LLVM 19 does not ship MLIR's CUDA runtime wrappers, so QuantC provides
// them here, on the CUDA driver API loaded with dlopen at run time: nothing
// of CUDA is needed to build QuantC, and a machine without a driver or GPU
// gets an error, not a crash.
//
// Differences from MLIR's wrappers, on purpose:
// - errors do not abort the process: the first one is recorded (with the
//   call that failed) and the calls after it do nothing, until the caller
//   takes the error (takeRuntimeError) after the entry point returns;
// - a module loaded from PTX is JIT-compiled by the driver once per
//   process and kept (the generated host code loads and unloads the module
//   around every launch, which would JIT-compile the PTX every time).
//
//===----------------------------------------------------------------------===//

#include "qc/Target/GPU/GPURunner.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstring>
#include <dlfcn.h>
#include <mutex>
#include <string>

namespace {

// The few driver API types and values used (cuda.h is not needed).
using CUresult = int;
using CUdevice = int;
using CUcontext = void *;
using CUmodule = void *;
using CUfunction = void *;
using CUstream = void *;
using CUevent = void *;
using CUdeviceptr = unsigned long long;
constexpr int kJitErrorLogBuffer = 5;     // CU_JIT_ERROR_LOG_BUFFER
constexpr int kJitErrorLogBufferSize = 6; // ..._SIZE_BYTES
constexpr int kJitOptimizationLevel = 7;  // CU_JIT_OPTIMIZATION_LEVEL
constexpr unsigned kMemAttachGlobal = 1;  // CU_MEM_ATTACH_GLOBAL
constexpr int kAttrComputeCapabilityMajor = 75;
constexpr int kAttrComputeCapabilityMinor = 76;

struct Driver {
  void *handle = nullptr;
  std::string loadError;
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetAttribute)(int *, int, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuGetErrorString)(CUresult, const char **);
  CUresult (*cuModuleLoadDataEx)(CUmodule *, const void *, unsigned, int *,
                                 void **);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                             unsigned, unsigned, unsigned, CUstream, void **,
                             void **);
  CUresult (*cuStreamCreate)(CUstream *, unsigned);
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuStreamDestroy)(CUstream);
  CUresult (*cuStreamWaitEvent)(CUstream, CUevent, unsigned);
  CUresult (*cuEventCreate)(CUevent *, unsigned);
  CUresult (*cuEventDestroy)(CUevent);
  CUresult (*cuEventRecord)(CUevent, CUstream);
  CUresult (*cuEventSynchronize)(CUevent);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemAllocManaged)(CUdeviceptr *, size_t, unsigned);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuMemcpyAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
  CUresult (*cuMemsetD32Async)(CUdeviceptr, unsigned, size_t, CUstream);
  CUresult (*cuMemsetD16Async)(CUdeviceptr, unsigned short, size_t, CUstream);

  CUcontext context = nullptr;
  int major = 0, minor = 0;
  std::string initError;
  bool initialized = false;

  template <typename F> bool bind(F &f, const char *name) {
    f = reinterpret_cast<F>(dlsym(handle, name));
    if (!f)
      loadError = std::string("libcuda.so.1 has no ") + name;
    return f != nullptr;
  }

  Driver() {
    handle = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char *e = dlerror();
      loadError = std::string("cannot load the CUDA driver (libcuda.so.1): ") +
                  (e ? e : "not found");
      return;
    }
    bool ok = bind(cuInit, "cuInit") &&
              bind(cuDeviceGetCount, "cuDeviceGetCount") &&
              bind(cuDeviceGet, "cuDeviceGet") &&
              bind(cuDeviceGetAttribute, "cuDeviceGetAttribute") &&
              bind(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain") &&
              bind(cuCtxSetCurrent, "cuCtxSetCurrent") &&
              bind(cuGetErrorString, "cuGetErrorString") &&
              bind(cuModuleLoadDataEx, "cuModuleLoadDataEx") &&
              bind(cuModuleGetFunction, "cuModuleGetFunction") &&
              bind(cuLaunchKernel, "cuLaunchKernel") &&
              bind(cuStreamCreate, "cuStreamCreate") &&
              bind(cuStreamSynchronize, "cuStreamSynchronize") &&
              bind(cuStreamDestroy, "cuStreamDestroy_v2") &&
              bind(cuStreamWaitEvent, "cuStreamWaitEvent") &&
              bind(cuEventCreate, "cuEventCreate") &&
              bind(cuEventDestroy, "cuEventDestroy_v2") &&
              bind(cuEventRecord, "cuEventRecord") &&
              bind(cuEventSynchronize, "cuEventSynchronize") &&
              bind(cuMemAlloc, "cuMemAlloc_v2") &&
              bind(cuMemAllocManaged, "cuMemAllocManaged") &&
              bind(cuMemFree, "cuMemFree_v2") &&
              bind(cuMemcpyAsync, "cuMemcpyAsync") &&
              bind(cuMemsetD32Async, "cuMemsetD32Async") &&
              bind(cuMemsetD16Async, "cuMemsetD16Async");
    if (!ok) {
      dlclose(handle);
      handle = nullptr;
    }
  }

  std::string describe(CUresult r) {
    const char *s = nullptr;
    if (cuGetErrorString && cuGetErrorString(r, &s) == 0 && s)
      return s;
    return "CUDA error " + std::to_string(r);
  }

  /// Loads the driver and makes device 0's primary context current on the
  /// calling thread; returns an error message or "".
  std::string init() {
    if (!handle)
      return loadError;
    if (!initialized) {
      initialized = true;
      CUresult r = cuInit(0);
      int count = 0;
      if (r == 0)
        r = cuDeviceGetCount(&count);
      if (r != 0) {
        initError = "cuInit: " + describe(r);
      } else if (count == 0) {
        initError = "the CUDA driver sees no GPU";
      } else {
        CUdevice device;
        r = cuDeviceGet(&device, 0);
        if (r == 0)
          r = cuDeviceGetAttribute(&major, kAttrComputeCapabilityMajor, device);
        if (r == 0)
          r = cuDeviceGetAttribute(&minor, kAttrComputeCapabilityMinor, device);
        if (r == 0)
          r = cuDevicePrimaryCtxRetain(&context, device);
        if (r != 0)
          initError = "cannot open GPU 0: " + describe(r);
      }
    }
    if (!initError.empty())
      return initError;
    CUresult r = cuCtxSetCurrent(context);
    return r == 0 ? "" : "cuCtxSetCurrent: " + describe(r);
  }
};

Driver &driver() {
  static Driver d;
  return d;
}

std::mutex errorMutex;
std::string firstError;

/// Whether an earlier call failed (the calls after it do nothing).
bool failed() {
  std::lock_guard<std::mutex> lock(errorMutex);
  return !firstError.empty();
}

void fail(const std::string &message) {
  std::lock_guard<std::mutex> lock(errorMutex);
  if (firstError.empty())
    firstError = message;
}

/// Checks `r` of driver call `what`; records an error and returns false if
/// it failed.
bool check(CUresult r, const char *what) {
  if (r == 0)
    return true;
  fail(std::string(what) + ": " + driver().describe(r));
  return false;
}

/// Ready to call the driver: no earlier error and a current context.
bool ready() {
  if (failed())
    return false;
  std::string e = driver().init();
  if (!e.empty()) {
    fail(e);
    return false;
  }
  return true;
}

std::mutex moduleMutex;
llvm::DenseMap<const void *, CUmodule> &modules() {
  static llvm::DenseMap<const void *, CUmodule> m;
  return m;
}

CUmodule loadModule(const void *data, int optLevel) {
  if (!ready())
    return nullptr;
  std::lock_guard<std::mutex> lock(moduleMutex);
  auto it = modules().find(data);
  if (it != modules().end())
    return it->second;
  char log[8192] = {0};
  int options[] = {kJitErrorLogBuffer, kJitErrorLogBufferSize,
                   kJitOptimizationLevel};
  void *values[] = {log, reinterpret_cast<void *>(uintptr_t(sizeof(log))),
                    reinterpret_cast<void *>(uintptr_t(optLevel))};
  CUmodule module = nullptr;
  unsigned n = optLevel >= 0 ? 3 : 2;
  CUresult r = driver().cuModuleLoadDataEx(&module, data, n, options, values);
  if (r != 0) {
    fail("loading the GPU module (the driver's PTX JIT): " +
         driver().describe(r) + (log[0] ? std::string(": ") + log : ""));
    return nullptr;
  }
  modules()[data] = module;
  return module;
}

} // namespace

// MLIR's GPU runtime interface (the functions gpu-to-llvm calls), LLVM 19.
extern "C" {

void *mgpuModuleLoad(void *data, size_t /*size*/) {
  return loadModule(data, -1);
}

void *mgpuModuleLoadJIT(void *data, int optLevel) {
  return loadModule(data, optLevel);
}

void mgpuModuleUnload(void * /*module*/) {
  // Kept for the next launch (see the file comment).
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  if (!module || !ready())
    return nullptr;
  // The host code looks the kernel up before every launch; `name` is a
  // constant of the compiled code.
  static std::mutex mutex;
  static llvm::DenseMap<std::pair<void *, const char *>, CUfunction> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find({module, name});
  if (it != cache.end())
    return it->second;
  CUfunction f = nullptr;
  if (!check(driver().cuModuleGetFunction(&f, module, name),
             "cuModuleGetFunction"))
    return nullptr;
  cache[{module, name}] = f;
  return f;
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void ** /*extra*/,
                      size_t /*paramsCount*/) {
  // An empty grid (a loop of no iterations) is nothing to run; the driver
  // would reject it.
  if (!function || gridX <= 0 || gridY <= 0 || gridZ <= 0 || blockX <= 0 ||
      blockY <= 0 || blockZ <= 0 || !ready())
    return;
  check(driver().cuLaunchKernel(function, unsigned(gridX), unsigned(gridY),
                                unsigned(gridZ), unsigned(blockX),
                                unsigned(blockY), unsigned(blockZ),
                                unsigned(smem), stream, params, nullptr),
        "cuLaunchKernel");
}

void *mgpuStreamCreate() {
  if (!ready())
    return nullptr;
  CUstream s = nullptr;
  check(driver().cuStreamCreate(&s, /*CU_STREAM_NON_BLOCKING=*/1),
        "cuStreamCreate");
  return s;
}

void mgpuStreamDestroy(void *stream) {
  if (stream && driver().handle)
    (void)driver().cuStreamDestroy(stream);
}

void mgpuStreamSynchronize(void *stream) {
  if (!ready())
    return;
  check(driver().cuStreamSynchronize(stream), "cuStreamSynchronize");
}

void mgpuStreamWaitEvent(void *stream, void *event) {
  if (!event || !ready())
    return;
  check(driver().cuStreamWaitEvent(stream, event, 0), "cuStreamWaitEvent");
}

void *mgpuEventCreate() {
  if (!ready())
    return nullptr;
  CUevent e = nullptr;
  check(driver().cuEventCreate(&e, /*CU_EVENT_DISABLE_TIMING=*/2),
        "cuEventCreate");
  return e;
}

void mgpuEventDestroy(void *event) {
  if (event && driver().handle)
    (void)driver().cuEventDestroy(event);
}

void mgpuEventSynchronize(void *event) {
  if (!event || !ready())
    return;
  check(driver().cuEventSynchronize(event), "cuEventSynchronize");
}

void mgpuEventRecord(void *event, void *stream) {
  if (!event || !ready())
    return;
  check(driver().cuEventRecord(event, stream), "cuEventRecord");
}

void *mgpuMemAlloc(uint64_t sizeBytes, void * /*stream*/, bool isHostShared) {
  if (!ready() || sizeBytes == 0)
    return nullptr;
  CUdeviceptr p = 0;
  bool ok =
      isHostShared
          ? check(driver().cuMemAllocManaged(&p, sizeBytes, kMemAttachGlobal),
                  "cuMemAllocManaged")
          : check(driver().cuMemAlloc(&p, sizeBytes), "cuMemAlloc");
  return ok ? reinterpret_cast<void *>(p) : nullptr;
}

void mgpuMemFree(void *ptr, void * /*stream*/) {
  // The stream's work on `ptr` is complete: cuMemFree synchronizes.
  if (ptr && driver().handle)
    (void)driver().cuMemFree(reinterpret_cast<CUdeviceptr>(ptr));
}

void mgpuMemcpy(void *dst, void *src, size_t sizeBytes, void *stream) {
  if (sizeBytes == 0 || !dst || !src || !ready())
    return;
  check(driver().cuMemcpyAsync(reinterpret_cast<CUdeviceptr>(dst),
                               reinterpret_cast<CUdeviceptr>(src), sizeBytes,
                               stream),
        "cuMemcpyAsync");
}

void mgpuMemset32(void *dst, unsigned value, size_t count, void *stream) {
  if (count == 0 || !dst || !ready())
    return;
  check(driver().cuMemsetD32Async(reinterpret_cast<CUdeviceptr>(dst), value,
                                  count, stream),
        "cuMemsetD32Async");
}

void mgpuMemset16(void *dst, unsigned short value, size_t count, void *stream) {
  if (count == 0 || !dst || !ready())
    return;
  check(driver().cuMemsetD16Async(reinterpret_cast<CUdeviceptr>(dst), value,
                                  count, stream),
        "cuMemsetD16Async");
}

void mgpuSetDefaultDevice(int32_t /*device*/) {}

} // extern "C"

std::vector<std::pair<std::string, void *>> qc::gpu::runtimeSymbols() {
  return {
      {"mgpuModuleLoad", reinterpret_cast<void *>(&mgpuModuleLoad)},
      {"mgpuModuleLoadJIT", reinterpret_cast<void *>(&mgpuModuleLoadJIT)},
      {"mgpuModuleUnload", reinterpret_cast<void *>(&mgpuModuleUnload)},
      {"mgpuModuleGetFunction",
       reinterpret_cast<void *>(&mgpuModuleGetFunction)},
      {"mgpuLaunchKernel", reinterpret_cast<void *>(&mgpuLaunchKernel)},
      {"mgpuStreamCreate", reinterpret_cast<void *>(&mgpuStreamCreate)},
      {"mgpuStreamDestroy", reinterpret_cast<void *>(&mgpuStreamDestroy)},
      {"mgpuStreamSynchronize",
       reinterpret_cast<void *>(&mgpuStreamSynchronize)},
      {"mgpuStreamWaitEvent", reinterpret_cast<void *>(&mgpuStreamWaitEvent)},
      {"mgpuEventCreate", reinterpret_cast<void *>(&mgpuEventCreate)},
      {"mgpuEventDestroy", reinterpret_cast<void *>(&mgpuEventDestroy)},
      {"mgpuEventSynchronize", reinterpret_cast<void *>(&mgpuEventSynchronize)},
      {"mgpuEventRecord", reinterpret_cast<void *>(&mgpuEventRecord)},
      {"mgpuMemAlloc", reinterpret_cast<void *>(&mgpuMemAlloc)},
      {"mgpuMemFree", reinterpret_cast<void *>(&mgpuMemFree)},
      {"mgpuMemcpy", reinterpret_cast<void *>(&mgpuMemcpy)},
      {"mgpuMemset32", reinterpret_cast<void *>(&mgpuMemset32)},
      {"mgpuMemset16", reinterpret_cast<void *>(&mgpuMemset16)},
      {"mgpuSetDefaultDevice", reinterpret_cast<void *>(&mgpuSetDefaultDevice)},
  };
}

std::string qc::gpu::takeRuntimeError() {
  std::lock_guard<std::mutex> lock(errorMutex);
  std::string e = std::move(firstError);
  firstError.clear();
  return e;
}

std::string qc::gpu::openDevice(std::string *chip) {
  std::string e = driver().init();
  if (e.empty() && chip)
    *chip = "sm_" + std::to_string(driver().major * 10 + driver().minor);
  return e;
}
