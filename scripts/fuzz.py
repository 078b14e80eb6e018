#!/usr/bin/env python3
"""Mutation and differential fuzzing of QuantC's tools (not part of CI's
random runs; a fixed-seed smoke run is, in python/tests/test_fuzz_smoke.py).

Modes:
  import     structural mutations of the generated models (bad inputs and
             outputs, attributes, initializer shapes / types / data, op
             types, opsets, node order, byte flips) -> quant-opt must exit
             0, or 1 with an "error" diagnostic and no output file; never
             crash, abort or hang.
  targets    attribute, value, input-size and float16 mutations of the ONNX backend
             node tests that QuantC supports -> the interpreter and the CPU target
             (quant-run --target=interp|cpu) must agree bit for bit (NaNs
             equal), or both fail with a diagnostic, or the CPU reject the
             model with one.
  ops        one node of a random supported operator (quant-run
             --list-onnx-ops, every domain) with random input counts,
             element types, ranks and sizes (some inputs constants), empty
             input names, extra outputs and attributes from a pool of the
             usual names -> quant-opt must exit 0, or 1 with an "error"
             diagnostic and no output file; never crash, abort or hang.
  rotations  a random op (Relu, Neg, Abs, Sigmoid, Mul / Add by a vector,
             Mul by a scalar, a permutation Gather, Transpose) inserted on
             random edges of the generated decoder / encoder ->
             --qc-ptq-pipeline="w=float a=float rotate=..." must keep the
             outputs within 1e-4 relative L2 (same NaN / inf positions) or
             decline; rotation folding must never change what it cannot
             prove equivalent.

Usage: scripts/fuzz.py MODE [--seed S] [--iterations N] [--keep DIR]
Prints one line per finding and a summary; exits 1 if anything was found.
Findings' inputs are copied to --keep (default /tmp/quantc-fuzz).
"""

import argparse
import copy
import os
import pathlib
import random
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
from quantc import models as qm  # noqa: E402

BIN = pathlib.Path(os.environ.get("QUANTC_BUILD_DIR", ROOT / "build")) / "bin"


def run(cmd, timeout=180):
    """(returncode or "timeout", stderr)."""
    try:
        r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                           errors="replace", timeout=timeout)
        return r.returncode, r.stderr
    except subprocess.TimeoutExpired:
        return "timeout", ""


def crashed(rc, err):
    """A crash, an abort, a hang or a failure without a diagnostic."""
    return (rc == "timeout" or rc < 0 or rc >= 128 or "Stack dump" in err
            or "LLVM ERROR" in err or (rc != 0 and "error" not in err))


def import_finding(data, work, dst, what, timeout):
    """Imports the model bytes `data` with quant-opt: 1 (the model kept at
    `dst`, a line printed) if it crashed, hung, failed without a diagnostic
    or left an output file behind on failure, else 0."""
    path, out = work / "m.onnx", work / "m.mlir"
    path.write_bytes(data)
    out.unlink(missing_ok=True)
    rc, err = run([BIN / "quant-opt", path, "-o", out], timeout=timeout)
    if not (crashed(rc, err) or (rc != 0 and out.exists())):
        return 0
    dst.write_bytes(data)
    print(f"FOUND {what}: rc {rc}, {err.strip()[-200:]} ({dst})", flush=True)
    return 1


# --------------------------------------------------------------------------
# import: structural mutations
# --------------------------------------------------------------------------

def mutate_structure(m, rng, ops):
    g = m.graph
    k = rng.randrange(14)
    big = [0, 1, -1, 2, 3, -2, 7, 1 << 31, -(1 << 40), 1 << 62, 100, 5]
    if k == 0 and g.node:
        n = rng.choice(g.node)
        if n.input:
            i = rng.randrange(len(n.input))
            n.input[i] = rng.choice(["", "nosuch", n.input[i]])
        return f"input of {n.name}"
    if k == 1:
        cands = [(n, a) for n in g.node for a in n.attribute]
        if not cands:
            return "none"
        n, a = rng.choice(cands)
        if a.type == onnx.AttributeProto.INT:
            a.i = rng.choice(big)
        elif a.type == onnx.AttributeProto.INTS:
            if a.ints and rng.random() < 0.5:
                a.ints[rng.randrange(len(a.ints))] = rng.choice(big)
            else:
                a.ints.append(rng.choice(big))
        elif a.type == onnx.AttributeProto.FLOAT:
            a.f = rng.choice([0.0, -1.0, float("nan"), float("inf"), 1e30])
        elif a.type == onnx.AttributeProto.STRING:
            a.s = b"bogus"
        else:
            a.type = onnx.AttributeProto.INT
            a.i = rng.choice(big)
        return f"attribute {n.name}.{a.name}"
    if k == 2 and g.initializer:
        t = rng.choice(g.initializer)
        if t.dims and rng.random() < 0.7:
            t.dims[rng.randrange(len(t.dims))] = rng.choice([0, 1, 3, -1, 1 << 33])
        else:
            t.dims.append(rng.choice([1, 2]))
        return f"dims of {t.name}"
    if k == 3 and g.initializer:
        t = rng.choice(g.initializer)
        t.data_type = rng.choice([1, 2, 3, 6, 7, 9, 10, 11, 16, 17, 19, 21, 22, 8, 14, 0, 99])
        return f"type of {t.name}"
    if k == 4 and g.initializer:
        i = rng.randrange(len(g.initializer))
        name = g.initializer[i].name
        del g.initializer[i]
        return f"dropped {name}"
    if k == 5 and g.input:
        v = rng.choice(g.input)
        dims = v.type.tensor_type.shape.dim
        if dims and rng.random() < 0.7:
            dims[rng.randrange(len(dims))].dim_value = rng.choice([0, 1, 3, 7, 1 << 40])
        elif dims and rng.random() < 0.5:
            del dims[rng.randrange(len(dims))]
        else:
            dims.add().dim_value = 2
        return f"shape of {v.name}"
    if k == 6 and g.node:
        n = rng.choice(g.node)
        old = n.op_type
        n.op_type = rng.choice(ops)
        return f"op {n.name} {old} -> {n.op_type}"
    if k == 7:
        m.opset_import[0].version = rng.choice([1, 7, 11, 12, 13, 17, 21, 24, 25, 99])
        return "opset"
    if k == 8 and len(g.node) > 2:
        i, j = rng.sample(range(len(g.node)), 2)
        a, b = copy.deepcopy(g.node[i]), copy.deepcopy(g.node[j])
        g.node[i].CopyFrom(b)
        g.node[j].CopyFrom(a)
        return "swapped nodes"
    if k == 9 and g.initializer:
        t = rng.choice(g.initializer)
        if t.raw_data:
            t.raw_data = t.raw_data[: rng.randrange(len(t.raw_data) + 1)]
        else:
            del t.float_data[:]
        return f"truncated {t.name}"
    if k == 10 and g.node:
        n = rng.choice(g.node)
        if n.input:
            del n.input[-1]
        else:
            n.input.append("x")
        return f"arity of {n.name}"
    if k == 11 and g.node:
        n = rng.choice(g.node)
        n.output.append(rng.choice(["dup", n.output[0] if n.output else "q"]))
        return f"outputs of {n.name}"
    if k == 12 and g.input:
        v = rng.choice(g.input)
        v.type.tensor_type.elem_type = rng.choice([2, 3, 6, 7, 9, 10, 11, 16, 0])
        return f"type of input {v.name}"
    if k == 13 and g.output:
        v = rng.choice(g.output)
        v.name = rng.choice(["nosuch", g.input[0].name if g.input else "x"])
        return "output name"
    return "none"


def fuzz_import(args, rng, work, keep):
    bases = {"resnet": qm.resnet(), "bert": qm.bert(), "gpt": qm.gpt(),
             "llama": qm.llama(hidden=32, heads=2, kv_heads=1, intermediate=64, layers=1)}
    ops = sorted({n.op_type for m in bases.values() for n in m.graph.node})
    found = 0
    for it in range(args.iterations):
        name = rng.choice(sorted(bases))
        m = copy.deepcopy(bases[name])
        whats = [mutate_structure(m, rng, ops) for _ in range(rng.choice([1, 1, 2, 3]))]
        data = m.SerializeToString()
        if rng.random() < 0.1:
            b = bytearray(data)
            for _ in range(rng.randrange(1, 5)):
                b[rng.randrange(len(b))] = rng.randrange(256)
            data = bytes(b)
            whats.append("bytes")
        found += import_finding(data, work, keep / f"import-{args.seed}-{it}.onnx",
                                f"import {name} {whats}", timeout=60)
    return found


# --------------------------------------------------------------------------
# ops: one random node of every supported operator
# --------------------------------------------------------------------------

OP_TYPES = [TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.UINT8, TensorProto.INT8,
            TensorProto.INT32, TensorProto.INT64, TensorProto.BOOL]


def random_attributes(rng):
    """A few attributes from the names operators commonly take, with
    plausible and implausible values."""
    ints = lambda k: [rng.randint(-1, 3) for _ in range(k)]  # noqa: E731
    pool = {
        "axis": lambda: rng.randint(-4, 4), "axes": lambda: ints(rng.randint(1, 3)),
        "keepdims": lambda: rng.randint(0, 1), "opset": lambda: rng.choice([11, 13]),
        "num_heads": lambda: rng.randint(0, 3), "group": lambda: rng.randint(0, 3),
        "mode": lambda: rng.choice(["linear", "nearest", "cubic", "constant", "reflect",
                                    "circular", "bogus"]),
        "kernel_shape": lambda: ints(rng.randint(1, 3)),
        "strides": lambda: ints(rng.randint(1, 3)), "pads": lambda: ints(rng.randint(2, 6)),
        "dilations": lambda: ints(rng.randint(1, 3)), "size": lambda: rng.randint(0, 4),
        "block_size": lambda: rng.randint(0, 3), "to": lambda: rng.choice(OP_TYPES),
        "alpha": lambda: rng.choice([0.0, 0.5, -1.0]), "epsilon": lambda: 1e-5,
        "coordinate_transformation_mode": lambda: rng.choice(["half_pixel",
                                                              "tf_crop_and_resize"]),
        "antialias": lambda: rng.randint(0, 1), "unidirectional": lambda: rng.randint(0, 1),
        "transA": lambda: rng.randint(0, 1), "transB": lambda: rng.randint(0, 1),
        "perm": lambda: ints(rng.randint(1, 4)), "k": lambda: rng.randint(-1, 3),
        "kv_num_heads": lambda: rng.randint(0, 3), "do_rotary": lambda: rng.randint(0, 1),
        "local_window_size": lambda: rng.randint(-1, 3), "bits": lambda: rng.choice([2, 4, 8]),
        "smooth_softmax": lambda: rng.randint(0, 1), "interleaved": lambda: rng.randint(0, 1),
    }
    return {k: pool[k]() for k in rng.sample(sorted(pool), rng.randint(0, 4))}


def fuzz_ops(args, rng, work, keep):
    listed = subprocess.run([str(BIN / "quant-run"), "--list-onnx-ops"], capture_output=True,
                            text=True, check=True).stdout.split()
    if args.ops:
        listed = [k for k in listed if re.search(args.ops, k)]
        if not listed:
            sys.exit(f"no supported operator matches --ops {args.ops!r}")
    most = 12 if args.ops else 5
    found = 0
    vi = helper.make_tensor_value_info
    for it in range(args.iterations):
        key = rng.choice(listed)
        domain, op = key.split(":", 1) if ":" in key else ("", key)
        inputs, inits, names = [], [], []
        for i in range(rng.randint(0, most)):
            t = rng.choice(OP_TYPES)
            shape = [rng.choice([0, 1, 2, 3, 5]) for _ in range(rng.randint(0, 4))]
            name = f"i{i}"
            if rng.random() < 0.5:
                data = (np.random.default_rng(it * 8 + i).random(shape) * 4 - 1)
                inits.append(numpy_helper.from_array(
                    data.astype(helper.tensor_dtype_to_np_dtype(t)), name))
            else:
                inputs.append(vi(name, t, shape))
            names.append(name if rng.random() > 0.1 else "")
        outs = ["y"] + (["y2"] if rng.random() < 0.2 else [])
        node = helper.make_node(op, names, outs, name="n", domain=domain,
                                **random_attributes(rng))
        g = helper.make_graph([node], "g", inputs, [vi(o, TensorProto.FLOAT, None) for o in outs],
                              inits)
        opsets = [helper.make_opsetid("", rng.choice([13, 17, 21]))]
        if domain:
            opsets.append(helper.make_opsetid(domain, 1))
        m = helper.make_model(g, opset_imports=opsets)
        m.ir_version = 9
        found += import_finding(m.SerializeToString(), work,
                                keep / f"ops-{args.seed}-{it}.onnx", f"ops {key}", timeout=120)
    return found


# --------------------------------------------------------------------------
# targets: node tests, interpreter vs CPU
# --------------------------------------------------------------------------

SPECIALS = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, 3e38, -1.5, 2.5, 0.5]


def fuzz_targets(args, rng, work, keep):
    sys.path.insert(0, str(ROOT / "test" / "onnx-node"))
    import run_node_tests as nt
    listed = subprocess.run([str(BIN / "quant-run"), "--list-onnx-ops"], capture_output=True,
                            text=True).stdout.split()
    ops = set(listed)
    excepted = nt.load_exceptions()
    excepted.update(nt.load_exceptions("exceptions-cpu.txt"))
    tests = []
    for d in nt.node_test_dirs():
        if d.name in excepted or "expanded" in d.name:
            continue
        m = onnx.load(str(d / "model.onnx"), load_external_data=False)
        if nt.graph_ops(m.graph) <= ops:
            tests.append(d)
    nrng = np.random.default_rng(args.seed)
    found = compared = 0
    for it in range(args.iterations):
        d = rng.choice(tests)
        model = onnx.load(str(d / "model.onnx"), load_external_data=False)
        inits = {i.name for i in model.graph.initializer}
        inputs = [i.name for i in model.graph.input if i.name not in inits]
        ds = sorted(d.glob("test_data_set_*"))[0]
        data = {}
        for i, name in enumerate(inputs):
            pb = ds / f"input_{i}.pb"
            if pb.exists():
                data[name] = numpy_helper.to_array(onnx.load_tensor(str(pb)))
        if len(data) != len(inputs):
            continue
        # The interpreter holds float64 in float32 (docs/CPU.md): the two
        # targets are not meant to agree on it.
        if any(v.dtype == np.float64 for v in data.values()) or any(
                o.type.tensor_type.elem_type == TensorProto.DOUBLE for o in model.graph.output):
            continue
        baked = {x for n in model.graph.node for k, x in enumerate(n.input)
                 if x in inputs and (n.op_type, k) in nt.SHAPE_PARAMS}
        for vi in model.graph.input:
            tt = vi.type.tensor_type
            if (vi.name in inputs and tt.elem_type in (6, 7) and tt.HasField("shape")
                    and len(tt.shape.dim) == 0):
                baked.add(vi.name)
        m = copy.deepcopy(model)
        kind = rng.randrange(5)
        sizes = sorted({dim for name, v in data.items() if name not in baked
                        for dim in v.shape})
        if kind == 3 and sizes:
            # Every input dimension of one size becomes another size (a
            # batch or a length change keeps the inputs compatible).
            old_size = rng.choice(sizes)
            new_size = rng.choice([1, old_size + 1, 2 * old_size, 17, 33])
            for name, v in list(data.items()):
                if name in baked or old_size not in v.shape:
                    continue
                shape = tuple(new_size if dim == old_size else dim for dim in v.shape)
                if v.dtype.kind == "f":
                    data[name] = nrng.standard_normal(shape).astype(v.dtype)
                elif v.dtype.kind in "iu":
                    data[name] = nrng.integers(0, max(1, min(old_size, new_size)),
                                               shape).astype(v.dtype)
                else:
                    data[name] = nrng.integers(0, 2, shape).astype(v.dtype)
            for vi in m.graph.input:
                for dim in vi.type.tensor_type.shape.dim:
                    if dim.HasField("dim_value") and dim.dim_value == old_size:
                        dim.dim_value = new_size
            for vi in m.graph.output:  # the importer infers them
                vi.type.tensor_type.ClearField("shape")
            what = f"size {old_size} -> {new_size}"
        attrs = [(n, a) for n in m.graph.node for a in n.attribute
                 if a.type in (onnx.AttributeProto.INT, onnx.AttributeProto.INTS,
                               onnx.AttributeProto.FLOAT)]
        if kind == 3 and sizes:
            pass
        elif kind == 4 and any(v.dtype == np.float32 for v in data.values()):
            # The model in float16, as fp16 exports come.
            m = qm.half(m)
            data = {name: v.astype(np.float16) if v.dtype == np.float32 else v
                    for name, v in data.items()}
            what = "float16"
        elif kind == 0 and attrs:
            n, a = rng.choice(attrs)
            if a.type == onnx.AttributeProto.INT:
                a.i = rng.choice([a.i - 1, a.i + 1, -a.i, 0, 1, -1, 2, -2])
            elif a.type == onnx.AttributeProto.FLOAT:
                a.f = rng.choice([0.0, -a.f, a.f * 1e10, float("nan"), 1e-45])
            elif a.ints:
                j = rng.randrange(len(a.ints))
                a.ints[j] = rng.choice([a.ints[j] - 1, a.ints[j] + 1, -a.ints[j], 0, 1, 2])
            what = f"attribute {n.op_type}.{a.name}"
        else:
            for name, v in data.items():
                if name in baked or not v.size:
                    continue
                v = v.copy()
                flat = v.reshape(-1)
                if kind == 1 and v.dtype.kind == "f":
                    for _ in range(rng.randrange(1, 4)):
                        flat[rng.randrange(flat.size)] = rng.choice(SPECIALS)
                elif kind == 1 and v.dtype.kind in "iu":
                    info = np.iinfo(v.dtype)
                    flat[rng.randrange(flat.size)] = rng.choice(
                        [info.min, info.max, 0, -1 if info.min < 0 else 1])
                elif v.dtype.kind == "f":
                    v = (nrng.standard_normal(v.shape) * rng.choice([1, 100, 1e-3])).astype(v.dtype)
                data[name] = v
            what = "values" if kind == 1 else "fresh data"
        keep_inputs = [i for i in m.graph.input if i.name not in baked]
        del m.graph.input[:]
        m.graph.input.extend(keep_inputs)
        for name in baked:
            m.graph.initializer.append(numpy_helper.from_array(data[name], name))
        path = work / "model.onnx"
        onnx.save(m, str(path))
        cmd_inputs = []
        for i, (name, v) in enumerate(data.items()):
            if name in baked:
                continue
            np.save(work / f"in{i}.npy", v)
            cmd_inputs += ["--input", f"{name}={work / f'in{i}.npy'}"]
            if v.shape:
                cmd_inputs += ["--input-shape", f"{name}=" + "x".join(map(str, v.shape))]
        results = {}
        for target in ("interp", "cpu"):
            out = work / f"out-{target}"
            shutil.rmtree(out, ignore_errors=True)
            rc, err = run([BIN / "quant-run", path, f"--target={target}", "--output-dir", out]
                          + cmd_inputs, timeout=120)
            results[target] = (rc, err, out)
        finding = None
        for target, (rc, err, _) in results.items():
            if crashed(rc, err):
                finding = f"{target} rc {rc}: {err.strip()[-200:]}"
        (ri, _, oi), (rc_, ec, oc) = results["interp"], results["cpu"]
        compared += ri == 0 and rc_ == 0
        if not finding and ri == 0 and rc_ == 0:
            for f in sorted(os.listdir(oi)):
                a, b = np.load(oi / f), np.load(oc / f)
                same = a.shape == b.shape and (np.array_equal(a, b, equal_nan=True)
                                               if a.dtype.kind == "f" else np.array_equal(a, b))
                if not same:
                    finding = f"{f} differs between the interpreter and the CPU"
                    break
        elif not finding and ri == 0 and rc_ != 0 and "qc-lower-to-cpu" not in ec:
            finding = f"the CPU failed where the interpreter ran: {ec.strip()[-200:]}"
        if finding:
            found += 1
            dst = keep / f"targets-{d.name}-{args.seed}-{it}"
            shutil.copytree(work, dst, dirs_exist_ok=True)
            print(f"FOUND targets {d.name} ({what}): {finding} ({dst})", flush=True)
    print(f"targets: {compared} of {len(tests)} node tests' variants ran on both targets")
    return found


# --------------------------------------------------------------------------
# rotations: float equivalence of rotation folding on perturbed graphs
# --------------------------------------------------------------------------

def insert_random_op(m, rng, nrng, tag):
    inferred = onnx.shape_inference.infer_shapes(m)
    shapes = {}
    for vi in list(inferred.graph.value_info) + list(inferred.graph.output):
        t = vi.type.tensor_type
        shapes[vi.name] = ([x.dim_value for x in t.shape.dim], t.elem_type)
    g = m.graph
    outputs = {o.name for o in g.output}
    edges = [o for n in g.node for o in n.output
             if o in shapes and shapes[o][1] == TensorProto.FLOAT and shapes[o][0]
             and o not in outputs]
    edge = rng.choice(edges)
    dims = shapes[edge][0]
    kind = rng.choice(["Relu", "Neg", "Abs", "Sigmoid", "MulVec", "AddVec", "MulScalar",
                       "Permute", "Transpose"])
    new, nodes, inits = f"{edge}_{tag}", [], []
    if kind in ("Relu", "Neg", "Abs", "Sigmoid"):
        nodes.append(helper.make_node(kind, [edge], [new], name=f"fuzz_{tag}"))
    elif kind in ("MulVec", "AddVec"):
        v = nrng.standard_normal(dims[-1]).astype(np.float32)
        v = v * 0.5 + 1 if kind == "MulVec" else v
        inits.append(numpy_helper.from_array(v.astype(np.float32), f"c_{tag}"))
        nodes.append(helper.make_node("Mul" if kind == "MulVec" else "Add", [edge, f"c_{tag}"],
                                      [new], name=f"fuzz_{tag}"))
    elif kind == "MulScalar":
        inits.append(numpy_helper.from_array(
            np.array(rng.choice([0.5, 2.0, -1.0, 3.0]), np.float32), f"c_{tag}"))
        nodes.append(helper.make_node("Mul", [edge, f"c_{tag}"], [new], name=f"fuzz_{tag}"))
    elif kind == "Permute":
        inits.append(numpy_helper.from_array(nrng.permutation(dims[-1]).astype(np.int64),
                                             f"c_{tag}"))
        nodes.append(helper.make_node("Gather", [edge, f"c_{tag}"], [new], axis=len(dims) - 1,
                                      name=f"fuzz_{tag}"))
    else:
        if len(dims) < 2 or dims[-1] != dims[-2]:
            return "none"
        perm = list(range(len(dims)))
        perm[-1], perm[-2] = perm[-2], perm[-1]
        nodes.append(helper.make_node("Transpose", [edge], [new], perm=perm, name=f"fuzz_{tag}"))
    for n in g.node:
        for i, x in enumerate(n.input):
            if x == edge:
                n.input[i] = new
    at = [i for i, n in enumerate(g.node) if edge in n.output][0]
    for k, n in enumerate(nodes):
        g.node.insert(at + 1 + k, n)
    g.initializer.extend(inits)
    return f"{kind} after {edge}"


def fuzz_rotations(args, rng, work, keep):
    nrng = np.random.default_rng(args.seed)
    bases = {"llama": lambda: qm.llama(hidden=64, layers=2, outliers=rng.random() < 0.5),
             "bert": lambda: qm.bert(layers=2), "gpt": lambda: qm.gpt(layers=2)}
    found = compared = 0
    for it in range(args.iterations):
        name = rng.choice(sorted(bases))
        m = bases[name]()
        whats = [insert_random_op(m, rng, nrng, f"f{it}_{k}")
                 for k in range(rng.choice([1, 1, 2]))]
        try:
            onnx.checker.check_model(m)
        except Exception:  # noqa: BLE001 - an invalid insertion, not a finding
            continue
        path = work / "m.onnx"
        onnx.save(m, str(path))
        inputs = qm.sample_inputs(m, seed=it)
        cmd_inputs = []
        calib = work / "calib" / "0"
        calib.mkdir(parents=True, exist_ok=True)
        for k, v in inputs.items():
            np.save(work / f"{k}.npy", v)
            np.save(calib / f"{k}.npy", v)
            cmd_inputs += ["--input", f"{k}={work / (k + '.npy')}"]
        rotate = rng.choice(["hadamard", "orthogonal", "hadamard block=16",
                             f"mixquant block=16 calib={work / 'calib'}"])
        rotated = work / "r.mlir"
        rc, err = run([BIN / "quant-opt", path,
                       f"--qc-ptq-pipeline=w=float a=float rotate={rotate}", "-o", rotated],
                      timeout=300)
        finding = None
        if crashed(rc, err):
            finding = f"quant-opt rc {rc}: {err.strip()[-200:]}"
        elif rc == 0:
            compared += 1
            outs = []
            for module in (path, rotated):
                out = work / "out"
                shutil.rmtree(out, ignore_errors=True)
                rc2, err2 = run([BIN / "quant-run", module, "--output-dir", out] + cmd_inputs)
                if rc2 != 0:
                    finding = f"quant-run failed on {module.name}: {err2.strip()[-200:]}"
                    break
                outs.append({f: np.load(out / f) for f in sorted(os.listdir(out))})
            for f in (outs[0] if len(outs) == 2 else []):
                a, b = outs[0][f].astype(np.float64), outs[1][f].astype(np.float64)
                fin = np.isfinite(a) & np.isfinite(b)
                special = (np.array_equal(np.isnan(a), np.isnan(b))
                           and np.array_equal(a[np.isinf(a)], b[np.isinf(a)]))
                err_l2 = np.linalg.norm(a[fin] - b[fin]) / max(np.linalg.norm(a[fin]), 1e-30)
                if not (special and err_l2 <= 1e-4):
                    finding = f"{f} moved by {err_l2:.3g} relative L2 (rotate={rotate})"
        if finding:
            found += 1
            dst = keep / f"rotations-{args.seed}-{it}.onnx"
            shutil.copy(path, dst)
            print(f"FOUND rotations {name} {whats}: {finding} ({dst})", flush=True)
    print(f"rotations: {compared} rotated models compared with their originals")
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=["import", "ops", "targets", "rotations"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument("--keep", default=os.path.join(tempfile.gettempdir(), "quantc-fuzz"))
    ap.add_argument("--ops", default=None,
                    help="ops mode: only operators matching this regex, with up to 12 "
                         "inputs instead of 5 (e.g. 'GroupQueryAttention|MatMulNBits')")
    args = ap.parse_args()
    keep = pathlib.Path(args.keep)
    keep.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        fn = {"import": fuzz_import, "ops": fuzz_ops, "targets": fuzz_targets,
              "rotations": fuzz_rotations}
        found = fn[args.mode](args, rng, pathlib.Path(tmp), keep)
    print(f"fuzz {args.mode}: {args.iterations} iterations (seed {args.seed}), {found} findings")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
