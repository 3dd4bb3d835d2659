#!/usr/bin/python3
"""QDQ INT8 weight quantization of an ONNX model, in the format onnxruntime reads.

Each Conv, Gemm and MatMul whose weight is a float32 initializer gets per-channel symmetric int8
weights (scale = max|w| / 127 per output channel, zero point 0, values clipped to [-127, 127]) and a
DequantizeLinear node (axis = the output-channel axis) that feeds the original consumer under the
weight's old name. Activations stay float32 (weight-only QDQ, "W8A32"); biases stay float32.

The output is a pure function of the input bytes and the flags: same model in, same bytes out
(round half to even, no timestamps, nodes in source order, initializers sorted by name).

  /usr/bin/python3 scripts/quantize/qdq.py IN.onnx OUT.onnx
  /usr/bin/python3 scripts/quantize/qdq.py IN.onnx OUT.onnx --break-scale conv2=0.25

--break-scale NODE=FACTOR writes a deliberately broken variant: NODE's stored scales are multiplied by
FACTOR after the int8 values were computed, the bug of a quantizer that writes the wrong scale for one
layer. Tests use it as the variant that must fail a quality rule.

Needs Debian's python3-onnx (1.12) and python3-numpy; run with /usr/bin/python3.
"""
import argparse
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

PRODUCER = "npubench scripts/quantize/qdq.py"
QMAX = 127


def weight_axis(node):
    """The output-channel axis of the node's weight (input 1), or None when it is not quantized."""
    if node.op_type == "Conv":
        return 0
    if node.op_type == "Gemm":
        trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
        return 0 if trans_b else 1
    if node.op_type == "MatMul":
        return -1
    return None


def quantize_per_channel(w, axis):
    axis = axis % w.ndim
    reduce_axes = tuple(i for i in range(w.ndim) if i != axis)
    amax = np.max(np.abs(w), axis=reduce_axes).astype(np.float32)
    # An all-zero channel would give scale 0 (and NaN on division); any positive scale stores it exactly.
    scale = np.where(amax > 0, amax / np.float32(QMAX), np.float32(1)).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = w.shape[axis]
    q = np.clip(np.rint(w / scale.reshape(shape)), -QMAX, QMAX).astype(np.int8)
    return q, scale, axis


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--break-scale", metavar="NODE=FACTOR", help="write a broken variant (tests only)")
    args = parser.parse_args(argv)

    broken_node, broken_factor = None, None
    if args.break_scale:
        broken_node, _, factor = args.break_scale.partition("=")
        broken_factor = np.float32(float(factor))

    model = onnx.load(args.input)
    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    consumers = {}
    for node in graph.node:
        for name in node.input:
            consumers[name] = consumers.get(name, 0) + 1

    new_inits = {name: t for name, t in inits.items()}
    new_nodes = []
    quantized = []
    for node in graph.node:
        axis = weight_axis(node)
        wname = node.input[1] if len(node.input) > 1 else None
        w_init = inits.get(wname) if wname else None
        if axis is None or w_init is None or w_init.data_type != TensorProto.FLOAT or len(w_init.dims) < 2:
            new_nodes.append(node)
            continue
        if consumers.get(wname, 0) != 1 or wname in quantized:
            raise SystemExit(f"weight {wname} is shared by several nodes; not supported")
        w = numpy_helper.to_array(w_init).astype(np.float32)
        q, scale, axis = quantize_per_channel(w, axis)
        if node.name == broken_node:
            scale = (scale * broken_factor).astype(np.float32)
        del new_inits[wname]
        new_inits[wname + "_quantized"] = numpy_helper.from_array(q, wname + "_quantized")
        new_inits[wname + "_scale"] = numpy_helper.from_array(scale, wname + "_scale")
        new_inits[wname + "_zero_point"] = numpy_helper.from_array(np.zeros(scale.shape, np.int8), wname + "_zero_point")
        new_nodes.append(
            helper.make_node(
                "DequantizeLinear",
                [wname + "_quantized", wname + "_scale", wname + "_zero_point"],
                [wname],
                name=wname + "_DequantizeLinear",
                axis=axis,
            )
        )
        new_nodes.append(node)
        quantized.append(wname)

    if broken_node is not None and broken_node not in [n.name for n in graph.node if n.input[1:2] and n.input[1] in quantized]:
        raise SystemExit(f"--break-scale: no quantized node named {broken_node}")
    if not quantized:
        raise SystemExit("no Conv/Gemm/MatMul with a float32 initializer weight to quantize")

    out_graph = helper.make_graph(
        new_nodes,
        graph.name,
        list(graph.input),
        list(graph.output),
        [new_inits[name] for name in sorted(new_inits)],
        value_info=list(graph.value_info),
    )
    out = helper.make_model(out_graph, producer_name=PRODUCER, opset_imports=list(model.opset_import))
    out.ir_version = model.ir_version
    out.doc_string = (
        "INT8 per-channel symmetric weight QDQ of " + ", ".join(quantized)
        + (f"; BROKEN: {broken_node} scales x{float(broken_factor)}" if broken_node else "")
    )
    onnx.checker.check_model(out, full_check=True)
    with open(args.output, "wb") as f:
        f.write(out.SerializeToString())
    print(f"{args.output}: quantized {', '.join(quantized)}" + (f" (broken {broken_node})" if broken_node else ""))


if __name__ == "__main__":
    main(sys.argv[1:])
