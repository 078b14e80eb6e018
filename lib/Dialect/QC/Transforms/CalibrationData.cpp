//===- CalibrationData.cpp - Sample inputs for the interpreter ------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//

#include "CalibrationData.h"

#include "qc/Interpreter/NPY.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace qc;

func::FuncOp qc::detail::entryFunction(ModuleOp module, StringRef entry) {
  auto func = module.lookupSymbol<func::FuncOp>(entry);
  if (!func) {
    SmallVector<func::FuncOp> defined;
    for (auto f : module.getOps<func::FuncOp>())
      if (!f.isExternal())
        defined.push_back(f);
    if (defined.size() == 1)
      func = defined.front();
  }
  return func && !func.isExternal() ? func : func::FuncOp();
}

FailureOr<std::vector<std::string>> qc::detail::sampleDirs(StringRef dir,
                                                           std::string &err) {
  if (!llvm::sys::fs::is_directory(dir)) {
    err = "calibration directory '" + dir.str() + "' does not exist";
    return failure();
  }
  std::vector<std::pair<uint64_t, std::string>> found;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    StringRef name = llvm::sys::path::filename(it->path());
    uint64_t index;
    if (!name.getAsInteger(10, index) &&
        llvm::sys::fs::is_directory(it->path()))
      found.emplace_back(index, it->path());
  }
  if (found.empty()) {
    err = "calibration directory '" + dir.str() +
          "' has no sample sub-directories (expected " + dir.str() +
          "/0/<input>.npy, " + dir.str() + "/1/<input>.npy, ...)";
    return failure();
  }
  llvm::sort(found);
  std::vector<std::string> out;
  for (auto &f : found)
    out.push_back(f.second);
  return out;
}

FailureOr<std::vector<interp::Tensor>>
qc::detail::readSample(func::FuncOp func, StringRef sampleDir, StringRef pass) {
  auto inNames = func->getAttrOfType<ArrayAttr>("onnx.input_names");
  std::vector<interp::Tensor> inputs;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    std::string name = inNames && i < inNames.size()
                           ? llvm::cast<StringAttr>(inNames[i]).str()
                           : "arg" + std::to_string(i);
    llvm::SmallString<256> path(sampleDir);
    llvm::sys::path::append(path, name + ".npy");
    interp::HostArray a;
    std::string err;
    if (!interp::readNpy(std::string(path), a, err))
      return func.emitError(pass) << ": missing calibration data for input '"
                                  << name << "': " << err;
    auto t = interp::fromHostArray(a, func.getArgument(i).getType(), err);
    if (failed(t))
      return func.emitError(pass)
             << ": calibration input '" << path << "': " << err;
    inputs.push_back(*t);
  }
  return inputs;
}
