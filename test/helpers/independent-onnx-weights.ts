// Weights of an ONNX file counted by the onnx Python package (Debian python3-onnx), independently of
// src/lib/onnx/model-signature.ts: what a model's precision is checked against.
import { execFileSync } from 'node:child_process';

/** Weight elements per element type, counted by the onnx package itself: initializers, sparse
 *  initializers' values and tensors in node attributes, subgraphs included. */
export function onnxWeightElements(file: string): Record<string, number> {
  const script = `
import json, sys, onnx
from onnx import TensorProto
counts = {}
def name(t): return {'FLOAT': 'float32', 'DOUBLE': 'double'}.get(TensorProto.DataType.Name(t.data_type), TensorProto.DataType.Name(t.data_type).lower())
def add(t):
    n = 1
    for d in t.dims: n *= d
    counts[name(t)] = counts.get(name(t), 0) + n
def walk(g):
    for t in g.initializer: add(t)
    for s in g.sparse_initializer: add(s.values)
    for node in g.node:
        for a in node.attribute:
            if a.HasField('t'): add(a.t)
            for t in a.tensors: add(t)
            if a.HasField('sparse_tensor'): add(a.sparse_tensor.values)
            for s in a.sparse_tensors: add(s.values)
            if a.HasField('g'): walk(a.g)
            for sub in a.graphs: walk(sub)
walk(onnx.load(sys.argv[1], load_external_data=False).graph)
print(json.dumps(counts))
`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, file], { encoding: 'utf8' })) as Record<string, number>;
}

/** The element type holding the most weight elements, as the onnx package counts them. */
export function onnxWeightPrecision(file: string): string {
  const counts = Object.entries(onnxWeightElements(file)).sort((a, b) => b[1] - a[1]);
  if (!counts[0]) throw new Error(`${file} has no weights`);
  return counts[0][0];
}
