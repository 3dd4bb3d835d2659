#!/usr/bin/python3
"""Writes SqueezeNet 1.1 (Iandola et al., the torchvision/ONNX model zoo topology) with seeded weights.

    /usr/bin/python3 scripts/models/make_squeezenet.py OUT.onnx               (Debian python3-onnx + numpy)
    /usr/bin/python3 scripts/models/make_squeezenet.py --centred OUT.onnx     (the npubench-edge@3 reference)

The trained weights cannot be fetched offline, so the graph is the standard architecture with He-normal
weights from a fixed seed: the same bytes on every machine (test/helpers/generated-models.ts checks the
sha256), 1,235,496 parameters, input "data" float32 [1, 3, 224, 224], output "squeezenet0_flatten0_reshape0"
[1, 1000] as in the model zoo's squeezenet1.1-7.onnx. It measures what a device does with a real
SqueezeNet's shapes and operators (latency, protocol overhead, fidelity to FP32), not what it recognises.

--centred writes the suite's reference: the same seeded weights, then every convolution rescaled so its
output channels have mean 0 and variance 1 over a calibration batch (the statistics a trained network's
BatchNorm folds into its weights and biases; LSUV-style data-dependent initialisation), layer by layer
in graph order, computed here with a numpy forward pass. Without it a random ReLU network maps every
image to nearly the same logits (a shared input-independent component dominates: on the suite's scenes
two classes take all 128 top-1s and an INT8 build has cosine 0.9999 yet flips 10 of them), so top-1
agreement and cosine would not tell a faithful device from a broken one. The calibration images are
drawn here (seeded gradients and discs), not taken from the suite's dataset.
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SEED = 20261204
OPSET = 17
IR_VERSION = 8


CALIBRATION_IMAGES = 16


def calibration_batch():
    """Seeded [N, 3, 224, 224] images in [-1, 1]: a linear gradient and three discs each."""
    rng = np.random.default_rng(SEED + 1)
    yy, xx = np.mgrid[0:224, 0:224].astype(np.float64)
    batch = np.empty((CALIBRATION_IMAGES, 3, 224, 224), np.float64)
    for n in range(CALIBRATION_IMAGES):
        a, b = rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 3)
        angle = rng.uniform(0, 2 * np.pi)
        t = np.clip(0.5 + ((xx - 112) * np.cos(angle) + (yy - 112) * np.sin(angle)) / 224, 0, 1)
        img = a[:, None, None] + (b - a)[:, None, None] * t
        for _ in range(3):
            cx, cy, r = rng.uniform(0, 224), rng.uniform(0, 224), rng.uniform(16, 80)
            img[:, (xx - cx) ** 2 + (yy - cy) ** 2 < r * r] = rng.uniform(-1, 1, 3)[:, None]
        batch[n] = img
    return batch


def conv_forward(x, w, b, stride, pad):
    """NCHW convolution by im2col, float64."""
    n, cin, h, wd = x.shape
    cout, _, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = (h + 2 * pad - k) // stride + 1, (wd + 2 * pad - k) // stride + 1
    cols = np.empty((n, cin, k, k, oh, ow), x.dtype)
    for dy in range(k):
        for dx in range(k):
            cols[:, :, dy, dx] = xp[:, :, dy : dy + stride * oh : stride, dx : dx + stride * ow : stride]
    out = np.einsum("nckyhw,ocky->nohw", cols, w.astype(np.float64), optimize=True)
    return out + b.astype(np.float64)[None, :, None, None]


def maxpool_forward(x):
    """3x3 stride 2, ceil_mode: the window past the edge is padded with -inf."""
    n, c, h, w = x.shape
    oh, ow = -(-(h - 3) // 2) + 1, -(-(w - 3) // 2) + 1
    xp = np.full((n, c, (oh - 1) * 2 + 3, (ow - 1) * 2 + 3), -np.inf)
    xp[:, :, :h, :w] = x
    return np.max([xp[:, :, dy : dy + 2 * oh : 2, dx : dx + 2 * ow : 2] for dy in range(3) for dx in range(3)], axis=0)


def main(out_path, centred=False):
    rng = np.random.default_rng(SEED)
    inits, nodes = [], []
    # The calibration batch's activations follow the graph as it is built (only with --centred).
    acts = {"data": calibration_batch()} if centred else None

    def conv(name, x, cin, cout, k, stride=1, pad=0):
        # He-normal: keeps the activations' scale through the ReLUs, so the logits are neither 0 nor inf.
        w = (rng.standard_normal((cout, cin, k, k)) * np.sqrt(2.0 / (cin * k * k))).astype(np.float32)
        b = (rng.standard_normal((cout,)) * 0.01).astype(np.float32)
        if acts is not None:
            z = conv_forward(acts[x], w, b, stride, pad)
            # Rounded to 4 significant digits, so a BLAS that sums in another order writes the same bytes.
            sig4 = np.vectorize(lambda v: float(f"{v:.4g}"))
            mean, std = sig4(z.mean(axis=(0, 2, 3))), sig4(z.std(axis=(0, 2, 3)) + 1e-6)
            w = (w / std[:, None, None, None]).astype(np.float32)
            b = ((b - mean) / std).astype(np.float32)
            acts[f"{name}.relu"] = np.maximum(conv_forward(acts[x], w, b, stride, pad), 0)
        inits.extend([numpy_helper.from_array(w, f"{name}.weight"), numpy_helper.from_array(b, f"{name}.bias")])
        nodes.append(helper.make_node("Conv", [x, f"{name}.weight", f"{name}.bias"], [f"{name}.conv"], name=name, kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4))
        nodes.append(helper.make_node("Relu", [f"{name}.conv"], [f"{name}.relu"], name=f"{name}.relu"))
        return f"{name}.relu"

    def fire(name, x, cin, squeeze, expand):
        s = conv(f"{name}.squeeze", x, cin, squeeze, 1)
        e1 = conv(f"{name}.expand1x1", s, squeeze, expand, 1)
        e3 = conv(f"{name}.expand3x3", s, squeeze, expand, 3, pad=1)
        nodes.append(helper.make_node("Concat", [e1, e3], [f"{name}.concat"], name=f"{name}.concat", axis=1))
        if acts is not None:
            acts[f"{name}.concat"] = np.concatenate([acts[e1], acts[e3]], axis=1)
        return f"{name}.concat"

    def maxpool(name, x):
        # ceil_mode as torchvision's SqueezeNet: 111 -> 55 -> 27 -> 13.
        nodes.append(helper.make_node("MaxPool", [x], [name], name=name, kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1))
        if acts is not None:
            acts[name] = maxpool_forward(acts[x])
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
        "squeezenet1.1_seeded_centred" if centred else "squeezenet1.1_seeded",
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
    args = sys.argv[1:]
    centred = args[:1] == ["--centred"]
    if centred:
        args = args[1:]
    if len(args) != 1:
        sys.exit(__doc__)
    main(args[0], centred)
