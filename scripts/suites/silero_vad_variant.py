#!/usr/bin/python3
"""Writes a weight variant of Silero VAD v5 (the npubench-edge@2 voice-activity reference) for tests.

Silero's ONNX export keeps its weights as Constant nodes inside the If branches of the graph (one
branch per sample rate); this rewrites the float weights of the 16 kHz branch (the `then` branch of
the top-level If on sr == 16000):

  --fake-int8            every weight of rank >= 2 rounded to per-output-channel symmetric int8 and back
                         (scale = max|w| / 127), the loss a weight-only INT8 quantization brings
  --scale NAME=FACTOR    multiplies the weight whose name ends in NAME by FACTOR after that, e.g.
                         encoder.1.reparam_conv.weight=0.25: the bug of a quantizer writing one layer's
                         scale wrong, the variant a quality rule must FAIL

  /usr/bin/python3 scripts/suites/silero_vad_variant.py IN.onnx OUT.onnx --fake-int8
  /usr/bin/python3 scripts/suites/silero_vad_variant.py IN.onnx OUT.onnx --fake-int8 --scale encoder.1.reparam_conv.weight=0.25

Needs Debian's python3-onnx and python3-numpy; run with /usr/bin/python3.
"""
import argparse
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def branch_16k(model):
    top_if = next(n for n in model.graph.node if n.op_type == "If")
    return next(a.g for a in top_if.attribute if a.name == "then_branch")


def weights(graph):
    """(name, tensor attribute) of every float Constant of rank >= 1 in the branch itself."""
    for node in graph.node:
        if node.op_type != "Constant":
            continue
        for attr in node.attribute:
            if attr.name == "value" and attr.t.data_type == onnx.TensorProto.FLOAT and len(attr.t.dims) >= 1:
                yield node.output[0], attr


def fake_int8(w):
    axes = tuple(range(1, w.ndim))
    scale = np.max(np.abs(w), axis=axes, keepdims=True) / 127
    scale[scale == 0] = 1
    return (np.clip(np.round(w / scale), -127, 127) * scale).astype(np.float32)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--fake-int8", action="store_true")
    parser.add_argument("--scale", action="append", default=[], metavar="NAME=FACTOR")
    args = parser.parse_args(argv)
    scales = {}
    for item in args.scale:
        name, factor = item.split("=", 1)
        scales[name] = float(factor)
    model = onnx.load(args.input)
    found = set()
    for name, attr in weights(branch_16k(model)):
        w = numpy_helper.to_array(attr.t).astype(np.float32)
        if args.fake_int8 and w.ndim >= 2:
            w = fake_int8(w)
        for suffix, factor in scales.items():
            if name.endswith(suffix):
                w = (w * factor).astype(np.float32)
                found.add(suffix)
        attr.t.CopyFrom(numpy_helper.from_array(w, attr.t.name))
    missing = set(scales) - found
    if missing:
        sys.exit(f"no weight named *{', *'.join(sorted(missing))} in the 16 kHz branch")
    model.producer_name = "npubench scripts/suites/silero_vad_variant.py"
    onnx.save(model, args.output)


if __name__ == "__main__":
    main(sys.argv[1:])
