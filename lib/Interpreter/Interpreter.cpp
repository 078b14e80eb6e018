//===- Interpreter.cpp - Reference interpreter for nn + qc ----------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// One kernel per op, dispatched with a TypeSwitch. Float kernels compute in
// float32 (accumulations too, like onnxruntime); matmul and convolution run
// on all hardware threads. qc kernels call Support/Numerics.
//
//===----------------------------------------------------------------------===//

#include "qc/Interpreter/Interpreter.h"

#include "qc/Dialect/NN/IR/NN.h"
#include "qc/Dialect/QC/IR/QC.h"
#include "qc/Support/Numerics/Quantize.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <limits>
#include <numeric>

using namespace mlir;
using namespace qc::interp;
using qc::num::parallelFor;

namespace {

using Shape = std::vector<int64_t>;

Shape shapeOf(Type t) {
  if (auto r = llvm::dyn_cast<RankedTensorType>(t))
    return Shape(r.getShape().begin(), r.getShape().end());
  auto q = llvm::cast<qc::QTensorType>(t);
  return Shape(q.getShape().begin(), q.getShape().end());
}

int64_t product(const Shape &s, size_t from = 0, size_t to = SIZE_MAX) {
  int64_t n = 1;
  for (size_t i = from; i < std::min(to, s.size()); ++i)
    n *= s[i];
  return n;
}

Shape stridesOf(const Shape &s) {
  Shape st(s.size(), 1);
  for (int64_t i = int64_t(s.size()) - 2; i >= 0; --i)
    st[size_t(i)] = st[size_t(i + 1)] * s[size_t(i + 1)];
  return st;
}

/// Strides of `in` broadcast to `out` (0 on stretched dimensions).
Shape broadcastStrides(const Shape &in, const Shape &out) {
  Shape st(out.size(), 0);
  Shape inSt = stridesOf(in);
  size_t off = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i)
    st[off + i] = in[i] == 1 ? 0 : inSt[i];
  return st;
}

/// Calls fn(outIndex, offsets...) over every element of `out`, with the
/// offsets of each input under broadcasting.
template <size_t N, typename Fn>
void forEachBroadcast(const Shape &out, const std::array<Shape, N> &ins,
                      Fn fn) {
  int64_t n = product(out);
  std::array<Shape, N> st;
  bool flat = true;
  for (size_t k = 0; k < N; ++k) {
    st[k] = broadcastStrides(ins[k], out);
    flat = flat && product(ins[k]) == n;
  }
  std::array<int64_t, N> off{};
  if (flat) {
    for (int64_t i = 0; i < n; ++i) {
      off.fill(i);
      fn(i, off);
    }
    return;
  }
  Shape idx(out.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    fn(i, off);
    for (int64_t d = int64_t(out.size()) - 1; d >= 0; --d) {
      size_t u = size_t(d);
      ++idx[u];
      for (size_t k = 0; k < N; ++k)
        off[k] += st[k][u];
      if (idx[u] < out[u])
        break;
      for (size_t k = 0; k < N; ++k)
        off[k] -= st[k][u] * out[u];
      idx[u] = 0;
    }
  }
}

/// Error helper that honours emitErrors.
struct Ctx {
  Operation *op;
  bool emit;
  LogicalResult fail(const Twine &msg) const {
    if (emit)
      op->emitOpError("interpreter: ") << msg;
    return failure();
  }
};

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

template <typename F> Tensor unaryFloat(Type type, const Tensor &x, F f) {
  Tensor y = Tensor::zeros(type, x.getShape());
  const float *in = x.f();
  float *out = y.fMutable();
  parallelFor(x.size(), 1 << 15, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      out[i] = f(in[i]);
  });
  return y;
}

template <typename FF, typename FI>
Tensor unaryAny(Type type, const Tensor &x, FF ff, FI fi) {
  if (x.isFloat())
    return unaryFloat(type, x, ff);
  Tensor y = Tensor::zeros(type, x.getShape());
  for (int64_t i = 0; i < x.size(); ++i)
    y.iMutable()[i] = fi(x.i()[i]);
  return y;
}

/// Whether `op`'s first operand has unsigned integer elements (an ONNX
/// uint tensor): division and comparisons then treat the 64-bit values as
/// unsigned.
bool unsignedOperand(Operation *op) {
  return op->getNumOperands() > 0 &&
         getElementTypeOrSelf(op->getOperand(0).getType()).isUnsignedInteger();
}

/// Binary op with broadcasting; ff on floats, fi on integers. The result
/// may be float or integer (comparisons produce i1).
template <typename FF, typename FI>
Tensor binary(Type type, const Tensor &a, const Tensor &b, FF ff, FI fi) {
  Tensor y = Tensor::zeros(type, shapeOf(type));
  bool outFloat = y.isFloat();
  forEachBroadcast<2>(y.getShape(), {a.getShape(), b.getShape()},
                      [&](int64_t i, const std::array<int64_t, 2> &o) {
                        if (a.isFloat()) {
                          auto r = ff(a.f()[o[0]], b.f()[o[1]]);
                          if (outFloat)
                            y.fMutable()[i] = float(r);
                          else
                            y.iMutable()[i] = int64_t(r);
                        } else {
                          y.iMutable()[i] = fi(a.i()[o[0]], b.i()[o[1]]);
                        }
                      });
  return y;
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

/// C[M, N] (+)= A[M, K] * B[K, N] (row-major, with leading dimensions),
/// rows in parallel.
void gemmRows(const float *a, int64_t lda, const float *b, int64_t ldb,
              float *c, int64_t ldc, int64_t m, int64_t n, int64_t k,
              bool parallel = true) {
  auto rows = [&](int64_t r0, int64_t r1) {
    constexpr int64_t KB = 256;
    for (int64_t kb = 0; kb < k; kb += KB)
      for (int64_t i = r0; i < r1; ++i) {
        float *ci = c + i * ldc;
        for (int64_t p = kb; p < std::min(k, kb + KB); ++p) {
          float av = a[i * lda + p];
          const float *bp = b + p * ldb;
          for (int64_t j = 0; j < n; ++j)
            ci[j] += av * bp[j];
        }
      }
  };
  if (parallel)
    parallelFor(
        m, std::max<int64_t>(1, 65536 / std::max<int64_t>(1, n * k) + 1), rows);
  else
    rows(0, m);
}

/// numpy matmul's batch loop over `a` [..., M, K] by `b` [..., K, N] (1-D
/// operands promoted, batch dimensions broadcast): fn(t, oa, ob, m, n, k)
/// for the t-th output matrix, whose operand matrices start at matrix
/// offsets oa and ob.
template <typename Fn> void forEachMatmulBatch(Shape sa, Shape sb, Fn fn) {
  if (sa.size() == 1)
    sa.insert(sa.begin(), 1);
  if (sb.size() == 1)
    sb.push_back(1);
  int64_t m = sa[sa.size() - 2], k = sa.back(), n = sb.back();
  Shape ba(sa.begin(), sa.end() - 2), bb(sb.begin(), sb.end() - 2);
  auto batch = qc::nn::broadcastShapes(ba, bb);
  Shape bs(batch->begin(), batch->end());
  Shape sta = broadcastStrides(ba, bs), stb = broadcastStrides(bb, bs);
  Shape idx(bs.size(), 0);
  for (int64_t t = 0, nb = product(bs); t < nb; ++t) {
    int64_t oa = 0, ob = 0;
    for (size_t d = 0; d < bs.size(); ++d) {
      oa += idx[d] * sta[d];
      ob += idx[d] * stb[d];
    }
    fn(t, oa, ob, m, n, k);
    for (int64_t d = int64_t(bs.size()) - 1; d >= 0; --d)
      if (++idx[size_t(d)] < bs[size_t(d)])
        break;
      else
        idx[size_t(d)] = 0;
  }
}

FailureOr<Tensor> matmul(const Ctx &, Type type, const Tensor &a,
                         const Tensor &b) {
  Tensor y = Tensor::zeros(type, shapeOf(type));
  float *out = y.fMutable();
  forEachMatmulBatch(
      a.getShape(), b.getShape(),
      [&](int64_t t, int64_t oa, int64_t ob, int64_t m, int64_t n, int64_t k) {
        gemmRows(a.f() + oa * m * k, k, b.f() + ob * k * n, n, out + t * m * n,
                 n, m, n, k);
      });
  return y;
}

/// nn.matmul_integer: (a - za) (b - zb) with the differences exact in
/// int64 and the sums wrapped to i32 (sums mod 2^32 equal a wrapping i32
/// accumulation).
Tensor matmulInteger(Type type, const Tensor &a, const Tensor &b,
                     const Tensor *za, const Tensor *zb) {
  // The operands minus their zero points, as exact int64 values.
  auto centered = [](const Tensor &x, const Tensor *z) {
    std::vector<int64_t> v(x.i(), x.i() + x.size());
    if (z)
      forEachBroadcast<2>(x.getShape(), {x.getShape(), z->getShape()},
                          [&](int64_t i, const std::array<int64_t, 2> &o) {
                            v[size_t(i)] -= z->i()[o[1]];
                          });
    return v;
  };
  std::vector<int64_t> va = centered(a, za), vb = centered(b, zb);
  Tensor y = Tensor::zeros(type, shapeOf(type));
  int64_t *out = y.iMutable();
  forEachMatmulBatch(
      a.getShape(), b.getShape(),
      [&](int64_t t, int64_t oa, int64_t ob, int64_t m, int64_t n, int64_t k) {
        const int64_t *pa = va.data() + oa * m * k,
                      *pb = vb.data() + ob * k * n;
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < n; ++j) {
            uint64_t acc = 0;
            for (int64_t p = 0; p < k; ++p)
              acc += uint64_t(pa[i * k + p] * pb[p * n + j]);
            out[t * m * n + i * n + j] = int64_t(int32_t(uint32_t(acc)));
          }
      });
  return y;
}

Tensor transpose2D(const Tensor &x) {
  int64_t r = x.getShape()[0], c = x.getShape()[1];
  Tensor t = Tensor::zeros(x.getType(), {c, r});
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < c; ++j)
      t.fMutable()[j * r + i] = x.f()[i * c + j];
  return t;
}

Tensor gemm(Type type, qc::nn::GemmOp op, const Tensor &a0, const Tensor &b0,
            const Tensor *c) {
  Tensor a = op.getTransA() ? transpose2D(a0) : a0;
  Tensor b = op.getTransB() ? transpose2D(b0) : b0;
  int64_t m = a.getShape()[0], k = a.getShape()[1], n = b.getShape()[1];
  Tensor prod = Tensor::zeros(type, {m, n});
  gemmRows(a.f(), k, b.f(), n, prod.fMutable(), n, m, n, k);
  float alpha = op.getAlpha().convertToFloat(),
        beta = op.getBeta().convertToFloat();
  Tensor y = Tensor::zeros(type, {m, n});
  if (!c) {
    for (int64_t i = 0; i < m * n; ++i)
      y.fMutable()[i] = alpha * prod.f()[i];
    return y;
  }
  forEachBroadcast<2>({m, n}, {Shape{m, n}, c->getShape()},
                      [&](int64_t i, const std::array<int64_t, 2> &o) {
                        y.fMutable()[i] =
                            alpha * prod.f()[o[0]] + beta * c->f()[o[1]];
                      });
  return y;
}

Tensor conv(Type type, qc::nn::ConvOp op, const Tensor &x, const Tensor &w,
            const Tensor *bias) {
  Shape xs = x.getShape(), ws = w.getShape();
  Shape ys = shapeOf(type);
  int64_t nB = xs[0], c = xs[1], h = xs[2], wd = xs[3];
  int64_t m = ws[0], kh = ws[2], kw = ws[3];
  int64_t g = op.getGroup(), cg = c / g, mg = m / g;
  int64_t oh = ys[2], ow = ys[3];
  auto s = op.getStrides(), p = op.getPads(), d = op.getDilations();
  Tensor y = Tensor::zeros(type, ys);
  int64_t colRows = cg * kh * kw, colCols = oh * ow;
  parallelFor(nB * g, 1, [&](int64_t b0, int64_t b1) {
    std::vector<float> cols(static_cast<size_t>(colRows * colCols));
    for (int64_t t = b0; t < b1; ++t) {
      int64_t n = t / g, gi = t % g;
      // im2col for this image and group.
      for (int64_t ci = 0; ci < cg; ++ci)
        for (int64_t u = 0; u < kh; ++u)
          for (int64_t v = 0; v < kw; ++v) {
            float *row = cols.data() + ((ci * kh + u) * kw + v) * colCols;
            const float *img = x.f() + (n * c + gi * cg + ci) * h * wd;
            for (int64_t i = 0; i < oh; ++i) {
              int64_t yy = i * s[0] - p[0] + u * d[0];
              for (int64_t j = 0; j < ow; ++j) {
                int64_t xx = j * s[1] - p[1] + v * d[1];
                row[i * ow + j] = (yy >= 0 && yy < h && xx >= 0 && xx < wd)
                                      ? img[yy * wd + xx]
                                      : 0.0f;
              }
            }
          }
      float *out = y.fMutable() + (n * m + gi * mg) * colCols;
      gemmRows(w.f() + gi * mg * colRows, colRows, cols.data(), colCols, out,
               colCols, mg, colCols, colRows, /*parallel=*/false);
      if (bias)
        for (int64_t mi = 0; mi < mg; ++mi)
          for (int64_t q = 0; q < colCols; ++q)
            out[mi * colCols + q] += bias->f()[gi * mg + mi];
    }
  });
  return y;
}

/// The codes of a quantized tensor (held as int64) as the numerics
/// library's uint32 codes.
std::vector<uint32_t> codesOf(const Tensor &t) {
  std::vector<uint32_t> codes(size_t(t.size()));
  for (size_t i = 0; i < codes.size(); ++i)
    codes[i] = uint32_t(t.i()[i]);
  return codes;
}

/// nn.conv_integer: sum of (x - zx) (w - zw[m]) over the window, exact in
/// int64 and wrapped to i32; positions outside the input add 0.
Tensor convInteger(Type type, qc::nn::ConvIntegerOp op, const Tensor &x,
                   const Tensor &w, const Tensor *zx, const Tensor *zw) {
  Shape xs = x.getShape(), ws = w.getShape();
  Shape ys = shapeOf(type);
  int64_t c = xs[1], h = xs[2], wd = xs[3];
  int64_t m = ws[0], kh = ws[2], kw = ws[3];
  int64_t g = op.getGroup(), cg = c / g, mg = m / g;
  int64_t oh = ys[2], ow = ys[3];
  auto s = op.getStrides(), p = op.getPads(), d = op.getDilations();
  int64_t x0 = zx ? zx->i()[0] : 0;
  Tensor y = Tensor::zeros(type, ys);
  int64_t *out = y.iMutable();
  parallelFor(ys[0] * m, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      int64_t n = t / m, mi = t % m, gi = mi / mg;
      int64_t w0 = !zw ? 0 : zw->size() == 1 ? zw->i()[0] : zw->i()[mi];
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          uint64_t acc = 0;
          for (int64_t ci = 0; ci < cg; ++ci)
            for (int64_t u = 0; u < kh; ++u) {
              int64_t yy = i * s[0] - p[0] + u * d[0];
              if (yy < 0 || yy >= h)
                continue;
              for (int64_t v = 0; v < kw; ++v) {
                int64_t xx = j * s[1] - p[1] + v * d[1];
                if (xx < 0 || xx >= wd)
                  continue;
                int64_t xv =
                    x.i()[((n * c + gi * cg + ci) * h + yy) * wd + xx] - x0;
                int64_t wv = w.i()[((mi * cg + ci) * kh + u) * kw + v] - w0;
                acc += uint64_t(xv * wv);
              }
            }
          out[(t * oh + i) * ow + j] = int64_t(int32_t(uint32_t(acc)));
        }
    }
  });
  return y;
}

//===----------------------------------------------------------------------===//
// Normalizations, softmax, reductions, pooling
//===----------------------------------------------------------------------===//

/// Expands a parameter broadcast over the trailing `norm` dims.
std::vector<float> expandParam(const Tensor *p, const Shape &norm) {
  int64_t n = product(norm);
  std::vector<float> out(static_cast<size_t>(n), 1.0f);
  if (!p)
    return out;
  forEachBroadcast<1>(norm, {p->getShape()},
                      [&](int64_t i, const std::array<int64_t, 1> &o) {
                        out[size_t(i)] = p->f()[o[0]];
                      });
  return out;
}

Tensor normalize(Type type, const Tensor &x, int64_t axis, float eps,
                 const Tensor *scale, const Tensor *bias, bool rms) {
  Shape s = x.getShape();
  int64_t a = *qc::nn::normalizeAxis(axis, int64_t(s.size()));
  Shape norm(s.begin() + a, s.end());
  int64_t inner = product(norm), outer = x.size() / inner;
  std::vector<float> g = expandParam(scale, norm);
  std::vector<float> bvec;
  if (bias)
    bvec = expandParam(bias, norm);
  Tensor y = Tensor::zeros(type, s);
  parallelFor(outer, 16, [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o) {
      const float *in = x.f() + o * inner;
      float *out = y.fMutable() + o * inner;
      float mean = 0.0f;
      if (!rms) {
        for (int64_t i = 0; i < inner; ++i)
          mean += in[i];
        mean /= float(inner);
      }
      float var = 0.0f;
      for (int64_t i = 0; i < inner; ++i)
        var += (in[i] - mean) * (in[i] - mean);
      var /= float(inner);
      float inv = 1.0f / std::sqrt(var + eps);
      for (int64_t i = 0; i < inner; ++i) {
        out[i] = (in[i] - mean) * inv * g[size_t(i)];
        if (bias)
          out[i] += bvec[size_t(i)];
      }
    }
  });
  return y;
}

/// `v` rounded to nearest even in the float element type `elem` when that is
/// float16 or bfloat16 (held in float32 storage); `v` otherwise.
double roundToElement(double v, Type elem) {
  if (!elem.isF16() && !elem.isBF16())
    return v;
  qc::num::FloatFormat f = elem.isF16() ? qc::num::FloatFormat::fp16()
                                        : qc::num::FloatFormat::bf16();
  return qc::num::decodeFloat(qc::num::encodeFloat(v, f), f);
}

/// IEEE 754-2019 maximum, as arith.maximumf (and NumPy's max): NaN when
/// either operand is NaN, and +0 above -0. nn.reduce_max and nn.max_pool
/// use it, so that the interpreter and the compiled code agree.
template <typename T> T ieeeMaximum(T a, T b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<T>::quiet_NaN();
  if (a == b)
    return std::signbit(a) ? b : a;
  return a > b ? a : b;
}

/// IEEE 754-2019 minimum, as arith.minimumf: NaN when either operand is NaN,
/// and -0 below +0.
template <typename T> T ieeeMinimum(T a, T b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<T>::quiet_NaN();
  if (a == b)
    return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

Tensor softmax(Type type, const Tensor &x, int64_t axis, bool log) {
  Shape s = x.getShape();
  int64_t a = *qc::nn::normalizeAxis(axis, int64_t(s.size()));
  qc::num::AxisView v = qc::num::AxisView::of(s, int(a));
  Tensor y = Tensor::zeros(type, s);
  parallelFor(v.outer * v.inner, 64, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      int64_t o = t / v.inner, i = t % v.inner;
      const float *in = x.f() + o * v.dim * v.inner + i;
      float *out = y.fMutable() + o * v.dim * v.inner + i;
      float mx = -std::numeric_limits<float>::infinity();
      for (int64_t d = 0; d < v.dim; ++d)
        mx = std::max(mx, in[d * v.inner]);
      float sum = 0.0f;
      for (int64_t d = 0; d < v.dim; ++d)
        sum += std::exp(in[d * v.inner] - mx);
      for (int64_t d = 0; d < v.dim; ++d)
        out[d * v.inner] = log ? in[d * v.inner] - mx - std::log(sum)
                               : std::exp(in[d * v.inner] - mx) / sum;
    }
  });
  return y;
}

enum class Reduce { Sum, Mean, Max, Prod };

Tensor reduce(Type type, const Tensor &x, ArrayRef<int64_t> axesAttr,
              Reduce kind) {
  Shape s = x.getShape();
  auto axes = *qc::nn::reductionAxes(axesAttr, int64_t(s.size()));
  Shape keep(s.size());
  for (size_t i = 0; i < s.size(); ++i)
    keep[i] = llvm::is_contained(axes, int64_t(i)) ? 1 : s[i];
  Tensor y = Tensor::zeros(type, shapeOf(type));
  int64_t n = y.size(), count = x.size() / std::max<int64_t>(1, n);
  bool isFloat = x.isFloat();
  std::vector<double> accF(static_cast<size_t>(n),
                           kind == Reduce::Max
                               ? -std::numeric_limits<double>::infinity()
                           : kind == Reduce::Prod ? 1.0
                                                  : 0.0);
  std::vector<int64_t> accI(static_cast<size_t>(n),
                            kind == Reduce::Max
                                ? std::numeric_limits<int64_t>::min()
                            : kind == Reduce::Prod ? 1
                                                   : 0);
  // Map each input element to its output with the broadcast machinery run
  // backwards: the output is the input broadcast over reduced dims.
  forEachBroadcast<1>(
      s, {keep}, [&](int64_t i, const std::array<int64_t, 1> &o) {
        if (isFloat) {
          double v = x.f()[i];
          double &acc = accF[size_t(o[0])];
          acc = kind == Reduce::Max    ? ieeeMaximum(acc, v)
                : kind == Reduce::Prod ? acc * v
                                       : acc + v;
        } else {
          int64_t v = x.i()[i];
          int64_t &acc = accI[size_t(o[0])];
          acc = kind == Reduce::Max ? std::max(acc, v)
                : kind == Reduce::Prod
                    ? int64_t(uint64_t(acc) * uint64_t(v)) // wraps
                    : acc + v;
        }
      });
  for (int64_t j = 0; j < n; ++j) {
    if (isFloat)
      y.fMutable()[j] =
          float(kind == Reduce::Mean ? accF[size_t(j)] / double(count)
                                     : accF[size_t(j)]);
    else
      y.iMutable()[j] =
          kind == Reduce::Mean ? accI[size_t(j)] / count : accI[size_t(j)];
  }
  return y;
}

template <typename PoolOp>
Tensor pool(Type type, PoolOp op, const Tensor &x, bool isMax) {
  Shape xs = x.getShape(), ys = shapeOf(type);
  auto k = op.getKernelShape(), s = op.getStrides(), p = op.getPads(),
       d = op.getDilations();
  bool includePad = op.getCountIncludePad();
  Tensor y = Tensor::zeros(type, ys);
  int64_t h = xs[2], w = xs[3], oh = ys[2], ow = ys[3];
  parallelFor(xs[0] * xs[1], 1, [&](int64_t b, int64_t e) {
    for (int64_t nc = b; nc < e; ++nc) {
      const float *img = x.f() + nc * h * w;
      float *out = y.fMutable() + nc * oh * ow;
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          float acc = isMax ? -std::numeric_limits<float>::infinity() : 0.0f;
          int64_t cnt = 0, padCnt = 0;
          for (int64_t u = 0; u < k[0]; ++u)
            for (int64_t v = 0; v < k[1]; ++v) {
              int64_t yy = i * s[0] - p[0] + u * d[0];
              int64_t xx = j * s[1] - p[1] + v * d[1];
              bool inside = yy >= 0 && yy < h && xx >= 0 && xx < w;
              // Positions in the explicit padding count for
              // count_include_pad; positions beyond it (ceil mode) never.
              if (yy >= -p[0] && yy < h + p[2] && xx >= -p[1] && xx < w + p[3])
                ++padCnt;
              if (!inside)
                continue;
              float val = img[yy * w + xx];
              acc = isMax ? ieeeMaximum(acc, val) : acc + val;
              ++cnt;
            }
          out[i * ow + j] =
              isMax ? acc : acc / float(includePad ? padCnt : cnt);
        }
    }
  });
  return y;
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

/// Copies element `from` of x into element `to` of y (float or int).
inline void copyElem(const Tensor &x, int64_t from, Tensor &y, int64_t to) {
  if (x.isFloat())
    y.fMutable()[to] = x.f()[from];
  else
    y.iMutable()[to] = x.i()[from];
}

Tensor transposeT(Type type, const Tensor &x, ArrayRef<int64_t> perm) {
  Shape xs = x.getShape(), ys = shapeOf(type), xst = stridesOf(xs);
  Shape st(ys.size());
  for (size_t i = 0; i < ys.size(); ++i)
    st[i] = xst[size_t(perm[i])];
  Tensor y = Tensor::zeros(type, ys);
  Shape idx(ys.size(), 0);
  int64_t off = 0;
  for (int64_t i = 0, n = y.size(); i < n; ++i) {
    copyElem(x, off, y, i);
    for (int64_t d = int64_t(ys.size()) - 1; d >= 0; --d) {
      size_t u = size_t(d);
      ++idx[u];
      off += st[u];
      if (idx[u] < ys[u])
        break;
      off -= st[u] * ys[u];
      idx[u] = 0;
    }
  }
  return y;
}

Tensor expandT(Type type, const Tensor &x) {
  Tensor y = Tensor::zeros(type, shapeOf(type));
  forEachBroadcast<1>(y.getShape(), {x.getShape()},
                      [&](int64_t i, const std::array<int64_t, 1> &o) {
                        copyElem(x, o[0], y, i);
                      });
  return y;
}

Tensor sliceT(Type type, qc::nn::SliceOp op, const Tensor &x) {
  Shape xs = x.getShape(), ys = shapeOf(type), xst = stridesOf(xs);
  auto starts = op.getStarts(), steps = op.getSteps();
  Tensor y = Tensor::zeros(type, ys);
  Shape idx(ys.size(), 0);
  for (int64_t i = 0, n = y.size(); i < n; ++i) {
    int64_t off = 0;
    for (size_t d = 0; d < ys.size(); ++d)
      off += (starts[d] + idx[d] * steps[d]) * xst[d];
    copyElem(x, off, y, i);
    for (int64_t d = int64_t(ys.size()) - 1; d >= 0; --d)
      if (++idx[size_t(d)] < ys[size_t(d)])
        break;
      else
        idx[size_t(d)] = 0;
  }
  return y;
}

/// An index along a dimension of `dim` elements, negative ones counting
/// from the end; fails (naming the op) when out of range.
FailureOr<int64_t> indexAlong(const Ctx &ctx, StringRef what, int64_t ix,
                              int64_t dim) {
  int64_t at = ix < 0 ? ix + dim : ix;
  if (at < 0 || at >= dim) {
    (void)ctx.fail(what + " index " + Twine(ix) + " out of range [" +
                   Twine(-dim) + ", " + Twine(dim) + ")");
    return failure();
  }
  return at;
}

/// The flat offset in a tensor of shape `xs` of element `e` of a tensor of
/// shape `is` (the same rank), its coordinate `axis` replaced by `ix`.
int64_t offsetAlongAxis(const Shape &xs, const Shape &is, int64_t e,
                        int64_t axis, int64_t ix) {
  int64_t rank = int64_t(xs.size());
  Shape at(size_t(rank), 0);
  for (int64_t d = rank - 1, r = e; d >= 0; --d) {
    at[size_t(d)] = r % is[size_t(d)];
    r /= is[size_t(d)];
  }
  at[size_t(axis)] = ix;
  int64_t off = 0;
  for (int64_t d = 0; d < rank; ++d)
    off = off * xs[size_t(d)] + at[size_t(d)];
  return off;
}

FailureOr<Tensor> gatherT(const Ctx &ctx, Type type, int64_t axisAttr,
                          const Tensor &x, const Tensor &indices) {
  Shape xs = x.getShape();
  int64_t axis = *qc::nn::normalizeAxis(axisAttr, int64_t(xs.size()));
  int64_t outer = product(xs, 0, size_t(axis)), dim = xs[size_t(axis)],
          inner = product(xs, size_t(axis) + 1);
  Tensor y = Tensor::zeros(type, shapeOf(type));
  int64_t ni = indices.size();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < ni; ++j) {
      auto ix = indexAlong(ctx, "gather", indices.i()[j], dim);
      if (failed(ix))
        return failure();
      for (int64_t i = 0; i < inner; ++i)
        copyElem(x, (o * dim + *ix) * inner + i, y, (o * ni + j) * inner + i);
    }
  return y;
}

FailureOr<Tensor> gatherElementsT(const Ctx &ctx, Type type, int64_t axisAttr,
                                  const Tensor &x, const Tensor &indices) {
  Shape xs = x.getShape(), is = indices.getShape();
  int64_t rank = int64_t(xs.size());
  int64_t axis = *qc::nn::normalizeAxis(axisAttr, rank);
  Tensor y = Tensor::zeros(type, is);
  for (int64_t e = 0; e < y.size(); ++e) {
    auto ix =
        indexAlong(ctx, "gather_elements", indices.i()[e], xs[size_t(axis)]);
    if (failed(ix))
      return failure();
    copyElem(x, offsetAlongAxis(xs, is, e, axis, *ix), y, e);
  }
  return y;
}

/// A copy of x's data (tensors share their storage when copied).
Tensor copyT(const Tensor &x) {
  Tensor y = Tensor::zeros(x.getType(), x.getShape());
  if (x.isFloat())
    std::copy(x.f(), x.f() + x.size(), y.fMutable());
  else
    std::copy(x.i(), x.i() + x.size(), y.iMutable());
  return y;
}

/// y[to] = u[from] combined with y[to] by a scatter reduction ("none":
/// replaced). Floats: f32 arithmetic, IEEE 754-2019 maximum / minimum (as
/// the lowering's arith.maximumf / minimumf); integers wrap (at the width,
/// after the op), max / min unsigned for unsigned tensors.
void scatterCombine(StringRef reduction, bool isUnsigned, const Tensor &u,
                    int64_t from, Tensor &y, int64_t to) {
  if (reduction == "none")
    return copyElem(u, from, y, to);
  if (y.isFloat()) {
    float a = y.f()[to], b = u.f()[from];
    y.fMutable()[to] = reduction == "add"   ? a + b
                       : reduction == "mul" ? a * b
                       : reduction == "max" ? ieeeMaximum(a, b)
                                            : ieeeMinimum(a, b);
    return;
  }
  int64_t a = y.i()[to], b = u.i()[from];
  bool less = isUnsigned ? uint64_t(a) < uint64_t(b) : a < b;
  y.iMutable()[to] = reduction == "add"   ? int64_t(uint64_t(a) + uint64_t(b))
                     : reduction == "mul" ? int64_t(uint64_t(a) * uint64_t(b))
                     : reduction == "max" ? (less ? b : a)
                                          : (less ? a : b);
}

FailureOr<Tensor> scatterElementsT(const Ctx &ctx, qc::nn::ScatterElementsOp op,
                                   const Tensor &x, const Tensor &indices,
                                   const Tensor &updates) {
  Shape xs = x.getShape(), is = indices.getShape();
  int64_t axis = *qc::nn::normalizeAxis(op.getAxis(), int64_t(xs.size()));
  bool isUnsigned = unsignedOperand(op);
  Tensor y = copyT(x);
  for (int64_t e = 0; e < indices.size(); ++e) {
    auto ix =
        indexAlong(ctx, "scatter_elements", indices.i()[e], xs[size_t(axis)]);
    if (failed(ix))
      return failure();
    scatterCombine(op.getReduction(), isUnsigned, updates, e, y,
                   offsetAlongAxis(xs, is, e, axis, *ix));
  }
  return y;
}

FailureOr<Tensor> scatterNDT(const Ctx &ctx, qc::nn::ScatterNDOp op,
                             const Tensor &x, const Tensor &indices,
                             const Tensor &updates) {
  Shape xs = x.getShape(), is = indices.getShape();
  int64_t k = is.back(), tuples = indices.size() / k;
  int64_t slice = product(xs, size_t(k));
  bool isUnsigned = unsignedOperand(op);
  Tensor y = copyT(x);
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t off = 0;
    for (int64_t j = 0; j < k; ++j) {
      auto ix =
          indexAlong(ctx, "scatter_nd", indices.i()[t * k + j], xs[size_t(j)]);
      if (failed(ix))
        return failure();
      off = off * xs[size_t(j)] + *ix;
    }
    for (int64_t e = 0; e < slice; ++e)
      scatterCombine(op.getReduction(), isUnsigned, updates, t * slice + e, y,
                     off * slice + e);
  }
  return y;
}

//===----------------------------------------------------------------------===//
// qc ops
//===----------------------------------------------------------------------===//

std::vector<float> effectiveScales(qc::QTensorType qt, const Tensor &scales,
                                   const Tensor *global) {
  if (scales.isFloat())
    return std::vector<float>(scales.f(), scales.f() + scales.size());
  std::vector<uint32_t> codes(static_cast<size_t>(scales.size()));
  for (int64_t i = 0; i < scales.size(); ++i)
    codes[size_t(i)] = uint32_t(scales.i()[i]) & 0xFFFFu;
  float g = global ? global->f()[0] : 1.0f;
  return qc::num::decodeScales(codes.data(), codes.size(),
                               qt.getScheme().getScaleFormat().getFloatFormat(),
                               g);
}

std::vector<int32_t> zeroPoints(const Tensor *zp) {
  std::vector<int32_t> out;
  if (zp)
    for (int64_t i = 0; i < zp->size(); ++i)
      out.push_back(int32_t(zp->i()[i]));
  return out;
}

Tensor quantizeT(qc::QTensorType qt, const Tensor &x, const Tensor &scales,
                 const Tensor *zp, const Tensor *global, qc::RoundingMode mode,
                 uint64_t seed) {
  std::vector<float> s = effectiveScales(qt, scales, global);
  std::vector<int32_t> z = zeroPoints(zp);
  std::vector<uint32_t> codes(static_cast<size_t>(x.size()));
  qc::num::quantize(x.f(), x.getShape(), qt.getScheme().getNumericScheme(),
                    s.data(), z.empty() ? nullptr : z.data(),
                    qt.getNumericFormat(), qc::toNumeric(mode), seed,
                    codes.data());
  Tensor q = Tensor::zeros(qt, x.getShape());
  for (size_t i = 0; i < codes.size(); ++i)
    q.iMutable()[i] = int64_t(codes[i]);
  return q;
}

Tensor dequantizeT(Type type, qc::QTensorType qt, const Tensor &q,
                   const Tensor &scales, const Tensor *zp,
                   const Tensor *global) {
  std::vector<float> s = effectiveScales(qt, scales, global);
  std::vector<int32_t> z = zeroPoints(zp);
  std::vector<uint32_t> codes(static_cast<size_t>(q.size()));
  for (size_t i = 0; i < codes.size(); ++i)
    codes[i] = uint32_t(q.i()[i]);
  Tensor y = Tensor::zeros(type, q.getShape());
  qc::num::dequantize(
      codes.data(), q.getShape(), qt.getScheme().getNumericScheme(), s.data(),
      z.empty() ? nullptr : z.data(), qt.getNumericFormat(), y.fMutable());
  return y;
}

Tensor rotateT(Type type, const Tensor &x, int64_t axis,
               qc::RotationAttrInterface r) {
  qc::num::AxisView v = qc::num::AxisView::of(x.getShape(), int(axis));
  Tensor y = Tensor::zeros(type, x.getShape());
  parallelFor(v.outer, 1, [&](int64_t b, int64_t e) {
    std::vector<double> buf(static_cast<size_t>(v.dim * v.inner));
    for (int64_t o = b; o < e; ++o) {
      const float *in = x.f() + o * v.dim * v.inner;
      for (int64_t d = 0; d < v.dim; ++d)
        for (int64_t i = 0; i < v.inner; ++i)
          buf[size_t(i * v.dim + d)] = in[d * v.inner + i];
      r.applyToRows(buf.data(), v.inner, false);
      float *out = y.fMutable() + o * v.dim * v.inner;
      for (int64_t d = 0; d < v.dim; ++d)
        for (int64_t i = 0; i < v.inner; ++i)
          out[d * v.inner + i] = float(buf[size_t(i * v.dim + d)]);
    }
  });
  return y;
}

} // namespace

//===----------------------------------------------------------------------===//
// Dispatch
//===----------------------------------------------------------------------===//

namespace qc::interp {
/// evaluate() before integer results wrap at their width.
static FailureOr<std::vector<Tensor>>
evaluateOp(Operation *op, ArrayRef<Tensor> in, bool emitErrors) {
  Ctx ctx{op, emitErrors};
  Type t0 = op->getNumResults() ? op->getResult(0).getType() : Type();
  auto one = [](FailureOr<Tensor> t) -> FailureOr<std::vector<Tensor>> {
    if (failed(t))
      return failure();
    return std::vector<Tensor>{*t};
  };
  auto opt = [&](Value v, size_t idx) -> const Tensor * {
    return v ? &in[idx] : nullptr;
  };
  using namespace qc::nn;
  return llvm::TypeSwitch<Operation *, FailureOr<std::vector<Tensor>>>(op)
      .Case([&](arith::ConstantOp c) {
        return one(fromAttribute(llvm::cast<ElementsAttr>(c.getValue()), t0));
      })
      .Case([&](qc::ConstantOp c) {
        return one(fromAttribute(c.getValue(), t0));
      })
      .Case([&](qc::CodesOp o) {
        // Raw code bits -> the integers they stand for.
        Tensor y = Tensor::zeros(t0, shapeOf(t0));
        unsigned bits = o.getInput().getType().getNumericFormat().bits();
        bool isSigned = o.getInput().getType().getNumericFormat().isSigned();
        for (int64_t j = 0; j < y.size(); ++j) {
          int64_t v = in[0].i()[j];
          if (isSigned && bits < 64)
            v = int64_t(uint64_t(v) << (64 - bits)) >> (64 - bits);
          y.iMutable()[j] = v;
        }
        return one(y);
      })
      .Case([&](qc::UnpackOp o) {
        Tensor y = Tensor::zeros(t0, shapeOf(t0));
        const int64_t *bytes = in[0].i();
        int64_t *codes = y.iMutable();
        for (int64_t j = 0; j < in[0].size(); ++j) {
          auto b = uint64_t(bytes[j]) & 0xFF;
          codes[2 * j] = int64_t(b & 0xF);
          codes[2 * j + 1] = int64_t(b >> 4);
        }
        return one(y);
      })
      // Elementwise.
      .Case([&](NegOp) {
        return one(unaryAny(
            t0, in[0], [](float x) { return -x; },
            [](int64_t x) { return -x; }));
      })
      .Case([&](AbsOp) {
        return one(unaryAny(
            t0, in[0], [](float x) { return std::fabs(x); },
            [](int64_t x) { return x < 0 ? -x : x; }));
      })
      .Case([&](ReluOp) {
        return one(unaryAny(
            t0, in[0], [](float x) { return x > 0.0f ? x : 0.0f; },
            [](int64_t x) { return x > 0 ? x : 0; }));
      })
      .Case([&](ExpOp) {
        return one(unaryFloat(t0, in[0], [](float x) { return std::exp(x); }));
      })
      .Case([&](LogOp) {
        return one(unaryFloat(t0, in[0], [](float x) { return std::log(x); }));
      })
      .Case([&](SqrtOp) {
        return one(unaryFloat(t0, in[0], [](float x) { return std::sqrt(x); }));
      })
      .Case([&](ReciprocalOp) {
        return one(unaryFloat(t0, in[0], [](float x) { return 1.0f / x; }));
      })
      .Case([&](TanhOp) {
        return one(unaryFloat(t0, in[0], [](float x) { return std::tanh(x); }));
      })
      .Case([&](SigmoidOp) {
        return one(unaryFloat(t0, in[0], [](float x) {
          return x >= 0 ? 1.0f / (1.0f + std::exp(-x))
                        : std::exp(x) / (1.0f + std::exp(x));
        }));
      })
      .Case([&](ErfOp) {
        return one(unaryFloat(t0, in[0], [](float x) { return std::erf(x); }));
      })
      .Case([&](CosOp) {
        return one(unaryFloat(t0, in[0], [](float x) { return std::cos(x); }));
      })
      .Case([&](SinOp) {
        return one(unaryFloat(t0, in[0], [](float x) { return std::sin(x); }));
      })
      .Case([&](TanOp) {
        return one(unaryFloat(t0, in[0], [](float x) { return std::tan(x); }));
      })
      .Case([&](AsinOp) {
        return one(unaryFloat(t0, in[0], [](float x) { return std::asin(x); }));
      })
      .Case([&](AcosOp) {
        return one(unaryFloat(t0, in[0], [](float x) { return std::acos(x); }));
      })
      .Case([&](AtanOp) {
        return one(unaryFloat(t0, in[0], [](float x) { return std::atan(x); }));
      })
      .Case([&](SinhOp) {
        return one(unaryFloat(t0, in[0], [](float x) { return std::sinh(x); }));
      })
      .Case([&](CoshOp) {
        return one(unaryFloat(t0, in[0], [](float x) { return std::cosh(x); }));
      })
      .Case([&](AsinhOp) {
        return one(
            unaryFloat(t0, in[0], [](float x) { return std::asinh(x); }));
      })
      .Case([&](AcoshOp) {
        return one(
            unaryFloat(t0, in[0], [](float x) { return std::acosh(x); }));
      })
      .Case([&](AtanhOp) {
        return one(
            unaryFloat(t0, in[0], [](float x) { return std::atanh(x); }));
      })
      .Case([&](FloorOp) {
        return one(
            unaryFloat(t0, in[0], [](float x) { return std::floor(x); }));
      })
      .Case([&](CeilOp) {
        return one(unaryFloat(t0, in[0], [](float x) { return std::ceil(x); }));
      })
      .Case([&](RoundOp) {
        // Ties to even (the default rounding mode).
        return one(unaryFloat(t0, in[0], [](float x) { return std::rint(x); }));
      })
      .Case([&](SignOp) {
        bool isUnsigned = unsignedOperand(op);
        return one(unaryAny(
            t0, in[0],
            [](float x) {
              return x > 0 ? 1.0f : x < 0 ? -1.0f : x == 0 ? 0.0f : x;
            },
            [&](int64_t x) -> int64_t {
              if (isUnsigned)
                return x != 0;
              return x > 0 ? 1 : x < 0 ? -1 : 0;
            }));
      })
      .Case([&](LeakyReluOp o) {
        float a = o.getAlpha().convertToFloat();
        return one(
            unaryFloat(t0, in[0], [a](float x) { return x >= 0 ? x : a * x; }));
      })
      .Case([&](ClipOp o) {
        float lo = o.getMin() ? o.getMin()->convertToFloat()
                              : -std::numeric_limits<float>::infinity();
        float hi = o.getMax() ? o.getMax()->convertToFloat()
                              : std::numeric_limits<float>::infinity();
        return one(unaryFloat(t0, in[0], [lo, hi](float x) {
          return std::isnan(x) ? x : std::min(std::max(x, lo), hi);
        }));
      })
      .Case([&](GeluOp o) {
        bool tanhApprox = o.getApproximate() == "tanh";
        return one(unaryFloat(t0, in[0], [tanhApprox](float x) {
          if (tanhApprox)
            return 0.5f * x *
                   (1.0f + std::tanh(0.7978845608028654f *
                                     (x + 0.044715f * x * x * x)));
          return 0.5f * x * (1.0f + std::erf(x * 0.7071067811865476f));
        }));
      })
      .Case([&](CastOp) {
        Tensor y = Tensor::zeros(t0, in[0].getShape());
        Type elem = getElementTypeOrSelf(t0);
        bool fromUnsigned = unsignedOperand(op);
        for (int64_t i = 0; i < y.size(); ++i) {
          if (!in[0].isFloat()) {
            int64_t q = in[0].i()[i];
            if (elem.isF32()) {
              // One rounding from the 64-bit integer, as uitofp / sitofp
              // (through a double, 2^53 + 2^29 + 1 would round twice).
              y.fMutable()[i] = fromUnsigned ? float(uint64_t(q)) : float(q);
              continue;
            }
            if (!y.isFloat() && !elem.isInteger(1)) {
              y.iMutable()[i] = q; // wrapped at the width below
              continue;
            }
          }
          double v = in[0].isFloat() ? double(in[0].f()[i])
                     : fromUnsigned  ? double(uint64_t(in[0].i()[i]))
                                     : double(in[0].i()[i]);
          if (y.isFloat()) {
            // Round to the destination format once, from the double
            // (float16 / bfloat16 values are held in float32 storage).
            y.fMutable()[i] = float(roundToElement(v, elem));
          } else if (elem.isInteger(1)) {
            y.iMutable()[i] = v != 0.0;
          } else {
            // Saturating: [-2^(w-1), 2^(w-1) - 1], unsigned [0, 2^w - 1];
            // hi - 1 is not a double for w = 64, so compare against hi.
            unsigned w = elem.getIntOrFloatBitWidth();
            bool isUnsigned = elem.isUnsignedInteger();
            double hi = std::ldexp(1.0, isUnsigned ? int(w) : int(w) - 1);
            double lo = isUnsigned ? 0.0 : -hi;
            double tv = std::trunc(v);
            uint64_t top = isUnsigned ? ~uint64_t(0) >> (64 - w)
                                      : ~uint64_t(0) >> (65 - w);
            y.iMutable()[i] = std::isnan(tv) ? 0
                              : tv >= hi     ? int64_t(top)
                              : tv <= lo     ? int64_t(lo)
                              : tv >= 0x1p63 ? int64_t(uint64_t(tv))
                                             : int64_t(tv);
          }
        }
        return one(y);
      })
      // Integer arithmetic wraps (in 64 bits here, then at the type's width
      // below), as the compiled code's; signed overflow is not undefined.
      .Case([&](AddOp) {
        return one(binary(t0, in[0], in[1], std::plus<float>(),
                          [](int64_t a, int64_t b) {
                            return int64_t(uint64_t(a) + uint64_t(b));
                          }));
      })
      .Case([&](SubOp) {
        return one(binary(t0, in[0], in[1], std::minus<float>(),
                          [](int64_t a, int64_t b) {
                            return int64_t(uint64_t(a) - uint64_t(b));
                          }));
      })
      .Case([&](MulOp) {
        return one(binary(t0, in[0], in[1], std::multiplies<float>(),
                          [](int64_t a, int64_t b) {
                            return int64_t(uint64_t(a) * uint64_t(b));
                          }));
      })
      .Case([&](DivOp) -> FailureOr<std::vector<Tensor>> {
        bool zero = false, isUnsigned = unsignedOperand(op);
        Tensor y = binary(t0, in[0], in[1], std::divides<float>(),
                          [&](int64_t a, int64_t b) {
                            if (b == 0) {
                              zero = true;
                              return int64_t(0);
                            }
                            if (isUnsigned)
                              return int64_t(uint64_t(a) / uint64_t(b));
                            if (b == -1) // MIN / -1 wraps to MIN
                              return int64_t(0 - uint64_t(a));
                            return a / b;
                          });
        if (zero) {
          (void)ctx.fail("integer division by zero");
          return failure();
        }
        return std::vector<Tensor>{y};
      })
      .Case([&](FModOp) {
        // Exact in any precision: float16 operands give a float16 value.
        return one(binary(
            t0, in[0], in[1], [](float a, float b) { return std::fmod(a, b); },
            [](int64_t a, int64_t) { return a; }));
      })
      .Case([&](PowOp) -> FailureOr<std::vector<Tensor>> {
        bool zeroToNegative = false;
        Tensor y = binary(
            t0, in[0], in[1], [](float a, float b) { return std::pow(a, b); },
            [&](int64_t a, int64_t b) {
              // math.ipowi: repeated squaring, wrapping; a negative
              // exponent gives 0 except for the bases 1 and -1.
              if (b < 0) {
                zeroToNegative |= a == 0;
                return int64_t(a == 1 ? 1 : a == -1 ? (b & 1 ? -1 : 1) : 0);
              }
              uint64_t r = 1, base = uint64_t(a);
              for (uint64_t e = uint64_t(b); e; e >>= 1) {
                if (e & 1)
                  r *= base;
                base *= base;
              }
              return int64_t(r);
            });
        if (zeroToNegative) {
          (void)ctx.fail("integer zero raised to a negative power");
          return failure();
        }
        return std::vector<Tensor>{y};
      })
      .Case([&](AndOp) {
        return one(binary(t0, in[0], in[1], std::multiplies<float>(),
                          [](int64_t a, int64_t b) { return a & b; }));
      })
      .Case([&](OrOp) {
        return one(binary(t0, in[0], in[1], std::plus<float>(),
                          [](int64_t a, int64_t b) { return a | b; }));
      })
      .Case([&](XorOp) {
        return one(binary(t0, in[0], in[1], std::minus<float>(),
                          [](int64_t a, int64_t b) { return a ^ b; }));
      })
      .Case([&](NotOp) {
        bool boolean = getElementTypeOrSelf(t0).isInteger(1);
        return one(unaryAny(
            t0, in[0], [](float x) { return x; },
            [&](int64_t x) { return boolean ? int64_t(x == 0) : ~x; }));
      })
      .Case([&](BitShiftOp o) {
        // On the low w bits, zeros in; amounts of w or more give 0 (the
        // result wraps to the type's width after the op).
        unsigned w = getElementTypeOrSelf(t0).getIntOrFloatBitWidth();
        uint64_t mask = w >= 64 ? ~uint64_t(0) : (uint64_t(1) << w) - 1;
        bool left = o.getDirection() == "left";
        return one(binary(
            t0, in[0], in[1], [](float x, float) { return x; },
            [&](int64_t x, int64_t s) {
              uint64_t a = uint64_t(x) & mask, n = uint64_t(s) & mask;
              if (n >= w)
                return int64_t(0);
              return int64_t(left ? a << n : a >> n);
            }));
      })
      .Case([&](MaxOp) {
        bool isUnsigned = unsignedOperand(op);
        return one(binary(
            t0, in[0], in[1], ieeeMaximum<float>, [&](int64_t a, int64_t b) {
              return (isUnsigned ? uint64_t(a) > uint64_t(b) : a > b) ? a : b;
            }));
      })
      .Case([&](MinOp) {
        bool isUnsigned = unsignedOperand(op);
        return one(binary(
            t0, in[0], in[1], ieeeMinimum<float>, [&](int64_t a, int64_t b) {
              return (isUnsigned ? uint64_t(a) < uint64_t(b) : a < b) ? a : b;
            }));
      })
      .Case([&](EqualOp) {
        return one(binary(t0, in[0], in[1], std::equal_to<float>(),
                          std::equal_to<int64_t>()));
      })
      .Case([&](LessOp) {
        bool isUnsigned = unsignedOperand(op);
        return one(binary(
            t0, in[0], in[1], std::less<float>(), [&](int64_t a, int64_t b) {
              return isUnsigned ? uint64_t(a) < uint64_t(b) : a < b;
            }));
      })
      .Case([&](GreaterOp) {
        bool isUnsigned = unsignedOperand(op);
        return one(binary(
            t0, in[0], in[1], std::greater<float>(), [&](int64_t a, int64_t b) {
              return isUnsigned ? uint64_t(a) > uint64_t(b) : a > b;
            }));
      })
      .Case([&](WhereOp) {
        Tensor y = Tensor::zeros(t0, shapeOf(t0));
        forEachBroadcast<3>(
            y.getShape(),
            {in[0].getShape(), in[1].getShape(), in[2].getShape()},
            [&](int64_t i, const std::array<int64_t, 3> &o) {
              copyElem(in[0].i()[o[0]] ? in[1] : in[2],
                       in[0].i()[o[0]] ? o[1] : o[2], y, i);
            });
        return one(y);
      })
      // Linear layers.
      .Case([&](MatMulOp) { return one(matmul(ctx, t0, in[0], in[1])); })
      .Case([&](MatMulIntegerOp o) {
        size_t zbIndex = o.getAZeroPoint() ? 3 : 2;
        return one(matmulInteger(t0, in[0], in[1], opt(o.getAZeroPoint(), 2),
                                 opt(o.getBZeroPoint(), zbIndex)));
      })
      .Case([&](GemmOp o) {
        return one(gemm(t0, o, in[0], in[1], opt(o.getC(), 2)));
      })
      .Case([&](ConvIntegerOp o) {
        size_t zwIndex = o.getXZeroPoint() ? 3 : 2;
        return one(convInteger(t0, o, in[0], in[1], opt(o.getXZeroPoint(), 2),
                               opt(o.getWZeroPoint(), zwIndex)));
      })
      .Case([&](qc::nn::ConvOp o) {
        return one(conv(t0, o, in[0], in[1], opt(o.getBias(), 2)));
      })
      // Normalizations.
      .Case([&](LayerNormOp o) {
        return one(normalize(t0, in[0], o.getAxis(),
                             o.getEpsilon().convertToFloat(), &in[1],
                             opt(o.getBias(), 2), false));
      })
      .Case([&](RMSNormOp o) {
        return one(normalize(t0, in[0], o.getAxis(),
                             o.getEpsilon().convertToFloat(), &in[1], nullptr,
                             true));
      })
      .Case([&](BatchNormOp o) {
        Tensor y = Tensor::zeros(t0, in[0].getShape());
        Shape s = in[0].getShape();
        int64_t c = s[1], inner = product(s, 2);
        float eps = o.getEpsilon().convertToFloat();
        for (int64_t i = 0; i < y.size(); ++i) {
          int64_t ch = (i / inner) % c;
          y.fMutable()[i] = (in[0].f()[i] - in[3].f()[ch]) /
                                std::sqrt(in[4].f()[ch] + eps) * in[1].f()[ch] +
                            in[2].f()[ch];
        }
        return one(y);
      })
      .Case([&](SoftmaxOp o) {
        return one(softmax(t0, in[0], o.getAxis(), false));
      })
      .Case([&](LogSoftmaxOp o) {
        return one(softmax(t0, in[0], o.getAxis(), true));
      })
      .Case([&](ReduceMeanOp o) {
        return one(reduce(t0, in[0], o.getAxes(), Reduce::Mean));
      })
      .Case([&](ReduceSumOp o) {
        return one(reduce(t0, in[0], o.getAxes(), Reduce::Sum));
      })
      .Case([&](ReduceProdOp o) {
        return one(reduce(t0, in[0], o.getAxes(), Reduce::Prod));
      })
      .Case([&](ArgMaxOp o) {
        Shape s = in[0].getShape();
        int64_t r = int64_t(s.size()), axis = o.getAxis();
        if (axis < 0)
          axis += r;
        int64_t outer = 1, inner = 1, len = s[size_t(axis)];
        for (int64_t d = 0; d < axis; ++d)
          outer *= s[size_t(d)];
        for (int64_t d = axis + 1; d < r; ++d)
          inner *= s[size_t(d)];
        bool last = o.getSelectLastIndex(), isFloat = in[0].isFloat();
        bool isUnsigned = unsignedOperand(op);
        Tensor y = Tensor::zeros(t0, shapeOf(t0));
        for (int64_t a = 0; a < outer; ++a)
          for (int64_t c = 0; c < inner; ++c) {
            int64_t best = 0;
            for (int64_t k = 1; k < len; ++k) {
              int64_t at = (a * len + k) * inner + c,
                      cur = (a * len + best) * inner + c;
              bool take;
              if (isFloat) {
                float v = in[0].f()[at], m = in[0].f()[cur];
                take = std::isnan(v)   ? (last || !std::isnan(m))
                       : std::isnan(m) ? false
                       : last          ? v >= m
                                       : v > m;
              } else {
                int64_t v = in[0].i()[at], m = in[0].i()[cur];
                bool greater = isUnsigned ? uint64_t(v) > uint64_t(m) : v > m;
                take = greater || (last && v == m);
              }
              if (take)
                best = k;
            }
            y.iMutable()[a * inner + c] = best;
          }
        return one(y);
      })
      .Case([&](ReduceMaxOp o) {
        return one(reduce(t0, in[0], o.getAxes(), Reduce::Max));
      })
      .Case([&](MaxPoolOp o) { return one(pool(t0, o, in[0], true)); })
      .Case([&](AveragePoolOp o) { return one(pool(t0, o, in[0], false)); })
      .Case([&](GlobalAveragePoolOp) {
        Shape s = in[0].getShape();
        Tensor y = Tensor::zeros(t0, shapeOf(t0));
        int64_t inner = product(s, 2);
        for (int64_t nc = 0; nc < y.size(); ++nc) {
          float acc = 0.0f;
          for (int64_t i = 0; i < inner; ++i)
            acc += in[0].f()[nc * inner + i];
          y.fMutable()[nc] = acc / float(inner);
        }
        return one(y);
      })
      // Data movement.
      .Case([&](ReshapeOp) { return one(in[0].reshaped(t0, shapeOf(t0))); })
      .Case([&](TransposeOp o) {
        return one(transposeT(t0, in[0], o.getPerm()));
      })
      .Case([&](ExpandOp) { return one(expandT(t0, in[0])); })
      .Case([&](ConcatOp o) {
        Tensor y = Tensor::zeros(t0, shapeOf(t0));
        Shape ys = y.getShape();
        int64_t axis = *normalizeAxis(o.getAxis(), int64_t(ys.size()));
        int64_t outer = product(ys, 0, size_t(axis)),
                inner = product(ys, size_t(axis) + 1);
        int64_t offset = 0;
        for (const Tensor &x : in) {
          int64_t d = x.getShape()[size_t(axis)];
          for (int64_t oo = 0; oo < outer; ++oo)
            for (int64_t k = 0; k < d * inner; ++k)
              copyElem(x, oo * d * inner + k, y,
                       (oo * ys[size_t(axis)] + offset) * inner + k);
          offset += d;
        }
        return one(y);
      })
      .Case([&](SplitOp o) {
        std::vector<Tensor> outs;
        Shape xs = in[0].getShape();
        int64_t axis = *normalizeAxis(o.getAxis(), int64_t(xs.size()));
        int64_t outer = product(xs, 0, size_t(axis)),
                inner = product(xs, size_t(axis) + 1);
        int64_t offset = 0;
        for (Value r : o.getResults()) {
          Tensor y = Tensor::zeros(r.getType(), shapeOf(r.getType()));
          int64_t d = y.getShape()[size_t(axis)];
          for (int64_t oo = 0; oo < outer; ++oo)
            for (int64_t k = 0; k < d * inner; ++k)
              copyElem(in[0], (oo * xs[size_t(axis)] + offset) * inner + k, y,
                       oo * d * inner + k);
          offset += d;
          outs.push_back(y);
        }
        return FailureOr<std::vector<Tensor>>(outs);
      })
      .Case([&](SliceOp o) { return one(sliceT(t0, o, in[0])); })
      .Case([&](GatherOp o) {
        return one(gatherT(ctx, t0, o.getAxis(), in[0], in[1]));
      })
      .Case([&](TopKOp o) -> FailureOr<std::vector<Tensor>> {
        Shape s = in[0].getShape();
        int64_t axis = *qc::nn::normalizeAxis(o.getAxis(), int64_t(s.size()));
        qc::num::AxisView v = qc::num::AxisView::of(s, int(axis));
        int64_t k = o.getK();
        bool largest = o.getLargest(), isFloat = in[0].isFloat();
        bool isUnsigned = unsignedOperand(op);
        Type it = op->getResult(1).getType();
        Tensor values = Tensor::zeros(t0, shapeOf(t0));
        Tensor indices = Tensor::zeros(it, shapeOf(it));
        // Greater, with NaN above every number (and equal to NaN).
        auto greater = [&](int64_t a, int64_t b) {
          if (isFloat) {
            float x = in[0].f()[a], y = in[0].f()[b];
            return (std::isnan(x) && !std::isnan(y)) || x > y;
          }
          int64_t x = in[0].i()[a], y = in[0].i()[b];
          return isUnsigned ? uint64_t(x) > uint64_t(y) : x > y;
        };
        std::vector<int64_t> order(size_t(v.dim));
        for (int64_t t = 0; t < v.outer * v.inner; ++t) {
          int64_t base = (t / v.inner) * v.dim * v.inner + t % v.inner;
          int64_t outBase = (t / v.inner) * k * v.inner + t % v.inner;
          for (int64_t d = 0; d < v.dim; ++d)
            order[size_t(d)] = d;
          // Equal elements keep the lower index first.
          std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
            int64_t pa = base + a * v.inner, pb = base + b * v.inner;
            if (largest ? greater(pa, pb) : greater(pb, pa))
              return true;
            if (largest ? greater(pb, pa) : greater(pa, pb))
              return false;
            return a < b;
          });
          for (int64_t j = 0; j < k; ++j) {
            copyElem(in[0], base + order[size_t(j)] * v.inner, values,
                     outBase + j * v.inner);
            indices.iMutable()[outBase + j * v.inner] = order[size_t(j)];
          }
        }
        return std::vector<Tensor>{values, indices};
      })
      .Case([&](GatherElementsOp o) {
        return one(gatherElementsT(ctx, t0, o.getAxis(), in[0], in[1]));
      })
      .Case([&](ScatterElementsOp o) {
        return one(scatterElementsT(ctx, o, in[0], in[1], in[2]));
      })
      .Case([&](ScatterNDOp o) {
        return one(scatterNDT(ctx, o, in[0], in[1], in[2]));
      })
      .Case([&](CumSumOp o) {
        Shape s = in[0].getShape();
        int64_t a = *qc::nn::normalizeAxis(o.getAxis(), int64_t(s.size()));
        qc::num::AxisView v = qc::num::AxisView::of(s, int(a));
        Tensor y = Tensor::zeros(t0, s);
        Type elem = getElementTypeOrSelf(t0);
        bool exclusive = o.getExclusive(), reverse = o.getReverse();
        // In order along the axis, rounding (floats: each sum exact in
        // double, then rounded once) or wrapping (integers) after each
        // addition; float sums start from -0, the identity of addition.
        for (int64_t t = 0; t < v.outer * v.inner; ++t) {
          int64_t base = (t / v.inner) * v.dim * v.inner + t % v.inner;
          float fsum = -0.0f;
          uint64_t isum = 0;
          for (int64_t d = 0; d < v.dim; ++d) {
            int64_t at = base + (reverse ? v.dim - 1 - d : d) * v.inner;
            if (y.isFloat()) {
              float next = float(
                  roundToElement(double(fsum) + double(in[0].f()[at]), elem));
              y.fMutable()[at] = exclusive ? fsum : next;
              fsum = next;
            } else {
              uint64_t next = isum + uint64_t(in[0].i()[at]);
              y.iMutable()[at] = int64_t(exclusive ? isum : next);
              isum = next;
            }
          }
        }
        return one(y);
      })
      .Case([&](TriluOp o) {
        Tensor y = Tensor::zeros(t0, in[0].getShape());
        Shape s = in[0].getShape();
        int64_t r = s[s.size() - 2], c = s.back(), k = o.getK();
        for (int64_t i = 0; i < y.size(); ++i) {
          int64_t row = (i / c) % r, col = i % c;
          bool keep = o.getUpper() ? col - row >= k : col - row <= k;
          if (keep)
            copyElem(in[0], i, y, i);
        }
        return one(y);
      })
      // qc ops.
      .Case([&](qc::QuantizeOp o) {
        return one(quantizeT(o.getType(), in[0], in[1],
                             opt(o.getZeroPoints(), 2),
                             opt(o.getGlobalScale(), o.getZeroPoints() ? 3 : 2),
                             o.getRounding(), uint64_t(o.getSeed())));
      })
      .Case([&](qc::DequantizeOp o) {
        return one(dequantizeT(
            t0, o.getInput().getType(), in[0], in[1], opt(o.getZeroPoints(), 2),
            opt(o.getGlobalScale(), o.getZeroPoints() ? 3 : 2)));
      })
      .Case([&](qc::FakeQuantOp o) {
        auto qt = llvm::cast<qc::QTensorType>(o.getQuantType());
        const Tensor *zp = opt(o.getZeroPoints(), 2);
        const Tensor *g = opt(o.getGlobalScale(), zp ? 3 : 2);
        Tensor q = quantizeT(qt, in[0], in[1], zp, g, o.getRounding(),
                             uint64_t(o.getSeed()));
        return one(dequantizeT(t0, qt, q, in[1], zp, g));
      })
      .Case([&](qc::ComputeScalesOp o) -> FailureOr<std::vector<Tensor>> {
        auto qt = llvm::cast<qc::QTensorType>(o.getQuantType());
        auto c = qc::computeScales(qt, in[0].f(), o.getClipRatio());
        if (!c) {
          (void)ctx.fail("cannot compute these scales");
          return failure();
        }
        std::vector<Tensor> outs;
        Tensor s = Tensor::zeros(o.getScales().getType(),
                                 shapeOf(o.getScales().getType()));
        unsigned width = getElementTypeOrSelf(o.getScales().getType())
                             .getIntOrFloatBitWidth();
        for (int64_t i = 0; i < s.size(); ++i) {
          if (s.isFloat())
            s.fMutable()[i] = c->scales[size_t(i)];
          else // Signless iN codes, read as signed like constants.
            s.iMutable()[i] =
                int64_t(uint64_t(c->scaleCodes[size_t(i)]) << (64 - width)) >>
                (64 - width);
        }
        outs.push_back(s);
        if (o.getZeroPoints()) {
          Tensor z = Tensor::zeros(o.getZeroPoints().getType(),
                                   shapeOf(o.getZeroPoints().getType()));
          for (int64_t i = 0; i < z.size(); ++i)
            z.iMutable()[i] = c->zeroPoints[size_t(i)];
          outs.push_back(z);
        }
        if (o.getGlobalScale()) {
          Tensor g = Tensor::zeros(o.getGlobalScale().getType(), {});
          g.fMutable()[0] = *c->globalScale;
          outs.push_back(g);
        }
        return outs;
      })
      .Case([&](qc::RequantizeOp o) {
        const Tensor *zin = opt(o.getInputZeroPoints(), 2);
        size_t outScale = zin ? 3 : 2;
        const Tensor *zout = opt(o.getOutputZeroPoints(), outScale + 1);
        Type f32 = Float32Type::get(o.getContext());
        Tensor mid =
            dequantizeT(o.getInput().getType().getExpressedType(f32),
                        o.getInput().getType(), in[0], in[1], zin, nullptr);
        return one(quantizeT(o.getType(), mid, in[outScale], zout, nullptr,
                             o.getRounding(), 0));
      })
      .Case([&](qc::RescaleOp o) {
        auto qin = llvm::dyn_cast<QTensorType>(o.getInput().getType());
        std::optional<num::Format> inFormat;
        if (qin)
          inFormat = qin.getNumericFormat();
        const Tensor *zin = opt(o.getInputZeroPoint(), 3);
        const Tensor *zout = opt(o.getOutputZeroPoint(), zin ? 4 : 3);
        num::Format f = o.getType().getNumericFormat();
        std::vector<int64_t> shape = in[0].getShape();
        num::AxisView v =
            num::AxisView::of(shape, o.getAxis() ? int(*o.getAxis()) : 0);
        Tensor y = Tensor::zeros(t0, shapeOf(t0));
        for (int64_t i = 0; i < in[0].size(); ++i) {
          int64_t x = in[0].i()[i];
          if (inFormat)
            x = inFormat->codeToInt(uint32_t(x));
          int64_t c = o.getAxis() ? (i / v.inner) % v.dim : 0;
          int64_t q = qc::rescaleValue(
              x, zin ? zin->i()[0] : 0, int32_t(in[1].i()[c]), in[2].i()[c],
              zout ? zout->i()[0] : 0, f.minInt(), f.maxInt());
          y.iMutable()[i] = int64_t(f.intToCode(q));
        }
        return one(y);
      })
      .Case([&](qc::LinearOp o) {
        auto w = o.getWeight().getType();
        int64_t n = w.getShape()[0], k = w.getShape()[1];
        int64_t m = in[0].size() / k;
        std::vector<uint32_t> xc = codesOf(in[0]), wc = codesOf(in[1]);
        const Tensor *bias = opt(o.getBias(), 2);
        const Tensor *zp = opt(o.getInputZeroPoint(), bias ? 3 : 2);
        Tensor y = Tensor::zeros(t0, shapeOf(t0));
        qc::linearAccumulate(o.getInput().getType().getNumericFormat(),
                             w.getNumericFormat(), xc.data(), wc.data(), m, n,
                             k, zp ? zp->i()[0] : 0, bias ? bias->i() : nullptr,
                             o.getType().getElementTypeBitWidth(),
                             y.iMutable());
        return one(y);
      })
      .Case([&](qc::ConvOp o) {
        auto w = o.getWeight().getType();
        std::vector<uint32_t> xc = codesOf(in[0]), wc = codesOf(in[1]);
        const Tensor *bias = opt(o.getBias(), 2);
        const Tensor *zp = opt(o.getInputZeroPoint(), bias ? 3 : 2);
        Shape ys = shapeOf(t0);
        Tensor y = Tensor::zeros(t0, ys);
        qc::convAccumulate(
            o.getInput().getType().getNumericFormat(), w.getNumericFormat(),
            xc.data(), wc.data(), in[0].getShape(), w.getShape(),
            {ys[2], ys[3]}, o.getStrides(), o.getPads(), o.getDilations(),
            o.getGroup(), zp ? zp->i()[0] : 0, bias ? bias->i() : nullptr,
            o.getType().getElementTypeBitWidth(), y.iMutable());
        return one(y);
      })
      .Case([&](qc::RotateOp o) {
        return one(rotateT(t0, in[0], o.getAxis(), o.getRotation()));
      })
      .Default([&](Operation *) -> FailureOr<std::vector<Tensor>> {
        (void)ctx.fail("unsupported op");
        return failure();
      });
}
} // namespace qc::interp

FailureOr<std::vector<Tensor>>
qc::interp::evaluate(Operation *op, ArrayRef<Tensor> in, bool emitErrors) {
  auto results = evaluateOp(op, in, emitErrors);
  if (failed(results))
    return failure();
  // float16 / bfloat16 tensors are held in float32: an op computes in f32
  // and its result is rounded once to the narrow type, to nearest even (the
  // meaning of a narrow-float nn op; see --qc-nn-promote-half).
  for (auto [v, t] : llvm::zip(op->getResults(), *results)) {
    Type elem = getElementTypeOrSelf(v.getType());
    if (!t.isFloat() || !(elem.isF16() || elem.isBF16()))
      continue;
    float *x = t.fMutable();
    for (int64_t i = 0, n = t.size(); i < n; ++i)
      x[i] = float(roundToElement(x[i], elem));
  }
  // Integer tensors wrap at their width, as ONNX integer arithmetic (the
  // ops compute in 64 bits): unsigned ones are reduced modulo 2^w, signed
  // and signless ones sign-extended from bit w - 1.
  for (auto [v, t] : llvm::zip(op->getResults(), *results)) {
    auto rt = llvm::dyn_cast<RankedTensorType>(v.getType());
    auto it =
        rt ? llvm::dyn_cast<IntegerType>(rt.getElementType()) : IntegerType();
    if (!it || it.getWidth() == 1 || it.getWidth() >= 64 || t.isFloat())
      continue;
    unsigned shift = 64 - it.getWidth();
    int64_t *x = t.iMutable();
    for (int64_t i = 0, n = t.size(); i < n; ++i)
      x[i] = it.isUnsigned() ? int64_t((uint64_t(x[i]) << shift) >> shift)
                             : int64_t(uint64_t(x[i]) << shift) >> shift;
  }
  return results;
}

FailureOr<std::vector<Tensor>> qc::interp::run(func::FuncOp func,
                                               ArrayRef<Tensor> inputs,
                                               Observer observe,
                                               const Replacements *replace) {
  if (func.getNumArguments() != inputs.size())
    return func.emitError("expected ")
           << func.getNumArguments() << " inputs, got " << inputs.size();
  llvm::DenseMap<Value, Tensor> env;
  for (auto [arg, t] : llvm::zip(func.getArguments(), inputs)) {
    if (shapeOf(arg.getType()) != t.getShape())
      return func.emitError("input ")
             << arg.getArgNumber() << " has the wrong shape";
    env[arg] = t;
  }
  for (Operation &op : func.getBody().front()) {
    std::vector<Tensor> operands;
    for (Value v : op.getOperands())
      operands.push_back(env.lookup(v));
    if (auto ret = llvm::dyn_cast<func::ReturnOp>(op))
      return operands;
    if (observe && failed(observe(&op, operands)))
      return failure();
    if (replace && op.getNumResults() == 1) {
      auto it = replace->find(op.getResult(0));
      if (it != replace->end()) {
        env[op.getResult(0)] = it->second;
        continue;
      }
    }
    auto results = evaluate(&op, operands, /*emitErrors=*/true);
    if (failed(results))
      return failure();
    for (auto [v, t] : llvm::zip(op.getResults(), *results))
      env[v] = t;
    // Release values whose last use was this op.
    for (Value v : op.getOperands())
      if (llvm::all_of(v.getUsers(), [&](Operation *u) {
            return u->getBlock() == op.getBlock() &&
                   (u == &op || u->isBeforeInBlock(&op));
          }))
        env.erase(v);
  }
  return func.emitError("function has no return");
}
