// Writes a valid ONNX model of (about) any size without holding it in memory: Y = X + W, where W is a
// float32 initializer of `elements` values stored as raw_data. The protobuf is encoded by hand (field
// numbers from onnx/onnx.proto) so the bytes can be streamed: header, the weights in 1 MiB chunks, then
// the rest of the graph. onnxruntime loads the result; protobuf caps a model at 2 GiB.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

const LEN = 2;
const VARINT = 0;

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let v = value;
  while (v >= 0x80) {
    bytes.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

const tag = (field: number, wire: number) => varint(field * 8 + wire);
const varintField = (field: number, value: number) => Buffer.concat([tag(field, VARINT), varint(value)]);
const lenField = (field: number, body: Buffer) => Buffer.concat([tag(field, LEN), varint(body.length), body]);
const stringField = (field: number, text: string) => lenField(field, Buffer.from(text, 'utf8'));

const FLOAT = 1;

/** ValueInfoProto of a float tensor with one fixed dimension. */
function floatVector(name: string, length: number): Buffer {
  const dim = lenField(1, varintField(1, length)); // Dimension.dim_value
  const shape = lenField(2, dim); // TypeProto.Tensor.shape
  const tensorType = lenField(1, Buffer.concat([varintField(1, FLOAT), shape])); // TypeProto.tensor_type
  return Buffer.concat([stringField(1, name), lenField(2, tensorType)]);
}

/** Writes the model to `path`; returns its size in bytes. */
export async function writeLargeOnnxModel(path: string, elements: number): Promise<number> {
  const dataBytes = elements * 4;
  // TensorProto W: dims, data_type, name, then raw_data (field 9) whose payload is streamed.
  const tensorHead = Buffer.concat([varintField(1, elements), varintField(2, FLOAT), stringField(8, 'W'), tag(9, LEN), varint(dataBytes)]);
  const tensorLength = tensorHead.length + dataBytes;
  const node = lenField(1, Buffer.concat([stringField(1, 'X'), stringField(1, 'W'), stringField(2, 'Y'), stringField(3, 'add'), stringField(4, 'Add')]));
  const graphTail = Buffer.concat([stringField(2, 'large-add'), lenField(11, floatVector('X', elements)), lenField(12, floatVector('Y', elements))]);
  const initializerHead = Buffer.concat([tag(5, LEN), varint(tensorLength)]);
  const graphLength = node.length + initializerHead.length + tensorLength + graphTail.length;
  const modelHead = Buffer.concat([
    varintField(1, 8), // ir_version
    stringField(2, 'npubench-bench'),
    lenField(8, Buffer.concat([stringField(1, ''), varintField(2, 17)])), // opset_import: ai.onnx 17
    tag(7, LEN),
    varint(graphLength),
    node,
    initializerHead,
    tensorHead,
  ]);

  const out = createWriteStream(path);
  const write = async (chunk: Buffer) => {
    if (!out.write(chunk)) await once(out, 'drain');
  };
  await write(modelHead);
  // Not all zeros, so nothing on the way (filesystem, transport) can shortcut the bytes.
  const chunk = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < chunk.length; i += 4) chunk.writeFloatLE((i % 4093) / 4093, i);
  for (let left = dataBytes; left > 0; left -= chunk.length) await write(left >= chunk.length ? chunk : chunk.subarray(0, left));
  await write(graphTail);
  out.end();
  await once(out, 'finish');
  return modelHead.length + dataBytes + graphTail.length;
}
