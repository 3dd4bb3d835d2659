#!/usr/bin/python3
"""Writes a weight variant of an ONNX model for tests: one initializer multiplied by a factor, the bug of a
quantizer writing one block's scale wrong (issue #17's attack: one weight block of the LM scaled x3).

  /usr/bin/python3 scripts/accuracy/lm_weight_variant.py IN.onnx OUT.onnx layer1.fc2.weight=3

Needs Debian's python3-onnx and python3-numpy; run with /usr/bin/python3.
"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def main(argv):
    if len(argv) != 3 or "=" not in argv[2]:
        sys.exit(__doc__)
    source, target, change = argv
    name, factor = change.rsplit("=", 1)
    model = onnx.load(source)
    found = [t for t in model.graph.initializer if t.name == name]
    if len(found) != 1:
        sys.exit(f"{source} has no initializer {name!r}")
    tensor = found[0]
    scaled = (numpy_helper.to_array(tensor) * np.float32(float(factor))).astype(np.float32)
    tensor.CopyFrom(numpy_helper.from_array(scaled, name))
    onnx.save(model, target)


if __name__ == "__main__":
    main(sys.argv[1:])
