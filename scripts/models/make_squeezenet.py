#!/usr/bin/python3
"""Writes SqueezeNet 1.1 (Iandola et al., the torchvision/ONNX model zoo topology) with seeded weights.

    /usr/bin/python3 scripts/models/make_squeezenet.py OUT.onnx      (Debian python3-onnx + numpy)

The trained weights cannot be fetched offline, so the graph is the standard architecture with He-normal
weights from a fixed seed: the same bytes on every machine (test/helpers/generated-models.ts checks the
sha256), 1,235,496 parameters, input "data" float32 [1, 3, 224, 224], output "squeezenet0_flatten0_reshape0"
[1, 1000] as in the model zoo's squeezenet1.1-7.onnx. It measures what a device does with a real
SqueezeNet's shapes and operators (latency, protocol overhead, fidelity to FP32), not what it recognises.
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SEED = 20261204
OPSET = 17
IR_VERSION = 8


def main(out_path):
    rng = np.random.default_rng(SEED)
    inits, nodes = [], []

    def conv(name, x, cin, cout, k, stride=1, pad=0):
        # He-normal: keeps the activations' scale through the ReLUs, so the logits are neither 0 nor inf.
        w = (rng.standard_normal((cout, cin, k, k)) * np.sqrt(2.0 / (cin * k * k))).astype(np.float32)
        b = (rng.standard_normal((cout,)) * 0.01).astype(np.float32)
        inits.extend([numpy_helper.from_array(w, f"{name}.weight"), numpy_helper.from_array(b, f"{name}.bias")])
        nodes.append(helper.make_node("Conv", [x, f"{name}.weight", f"{name}.bias"], [f"{name}.conv"], name=name, kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4))
        nodes.append(helper.make_node("Relu", [f"{name}.conv"], [f"{name}.relu"], name=f"{name}.relu"))
        return f"{name}.relu"

    def fire(name, x, cin, squeeze, expand):
        s = conv(f"{name}.squeeze", x, cin, squeeze, 1)
        e1 = conv(f"{name}.expand1x1", s, squeeze, expand, 1)
        e3 = conv(f"{name}.expand3x3", s, squeeze, expand, 3, pad=1)
        nodes.append(helper.make_node("Concat", [e1, e3], [f"{name}.concat"], name=f"{name}.concat", axis=1))
        return f"{name}.concat"

    def maxpool(name, x):
        # ceil_mode as torchvision's SqueezeNet: 111 -> 55 -> 27 -> 13.
        nodes.append(helper.make_node("MaxPool", [x], [name], name=name, kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1))
        return name

    x = conv("conv1", "data", 3, 64, 3, stride=2)
    x = maxpool("pool1", x)
    x = fire("fire2", x, 64, 16, 64)
    x = fire("fire3", x, 128, 16, 64)
    x = maxpool("pool3", x)
    x = fire("fire4", x, 128, 32, 128)
    x = fire("fire5", x, 256, 32, 128)
    x = maxpool("pool5", x)
    x = fire("fire6", x, 256, 48, 192)
    x = fire("fire7", x, 384, 48, 192)
    x = fire("fire8", x, 384, 64, 256)
    x = fire("fire9", x, 512, 64, 256)
    x = conv("conv10", x, 512, 1000, 1)
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["pool10"], name="pool10"))
    nodes.append(helper.make_node("Flatten", ["pool10"], ["squeezenet0_flatten0_reshape0"], name="flatten", axis=1))

    graph = helper.make_graph(
        nodes,
        "squeezenet1.1_seeded",
        [helper.make_tensor_value_info("data", TensorProto.FLOAT, [1, 3, 224, 224])],
        [helper.make_tensor_value_info("squeezenet0_flatten0_reshape0", TensorProto.FLOAT, [1, 1000])],
        inits,
    )
    model = helper.make_model(graph, producer_name="npubench-squeezenet", producer_version="1", opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, out_path)
    params = sum(int(np.prod(t.dims)) for t in inits)
    print(f"{out_path}: {params} parameters")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
