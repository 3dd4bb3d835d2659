// Reads an ONNX model's I/O signature straight from the protobuf wire format, without onnxruntime and
// without holding the file in memory: uploads are untrusted and can be gigabytes, so the file is read
// with small positional reads and every large payload (weights, raw data) is skipped by its length
// prefix. Anything that is not well-formed protobuf of the expected shape is rejected with a 422.
// Field numbers follow onnx/onnx.proto.
import { open, type FileHandle } from 'node:fs/promises';
import { AppError } from '../errors.js';

export type ValueKind = 'tensor' | 'sparse_tensor' | 'sequence' | 'map' | 'optional' | 'unknown';

export interface TensorSignature {
  name: string;
  /** 'float32', 'float16', 'int64', 'double', ...; 'unknown(N)' for an unlisted enum value; for kinds other
   *  than tensor/sparse_tensor the kind itself ('sequence', 'map', 'optional', 'unknown'). */
  elementType: string;
  /** number = fixed dim, string = symbolic dim (dim_param), null = unknown dim. */
  shape: (number | string | null)[];
  /** false when the model gives no shape at all (rank unknown); `shape` is then []. */
  rankKnown: boolean;
  kind: ValueKind;
}

export interface ModelSignature {
  irVersion: number | null;
  /** The default domain ('' in the file) is reported as 'ai.onnx'. */
  opsets: { domain: string; version: number }[];
  producerName: string | null;
  producerVersion: string | null;
  graphName: string | null;
  /** Graph inputs that must be fed; inputs that are also initializers (weights, IR < 4 style) are left out. */
  inputs: TensorSignature[];
  outputs: TensorSignature[];
  initializerCount: number;
  nodeCount: number;
  /** Some tensor keeps its data in a separate file, which an uploaded .onnx alone cannot provide. */
  usesExternalData: boolean;
  /** The `location` of every external-data reference, as written in the file (relative to the model's folder). */
  externalDataLocations: string[];
  /** Elements held by the main graph's initializers, per element type: what the weights' precision is
   *  (int8 for a QDQ-quantized model whose inputs are still float32). */
  weightElements: Record<string, number>;
}

export const INVALID_ONNX_CODE = 'model.invalid_onnx';

const MAX_INPUTS = 10_000;
/** Memory guard for repeated entries we must keep (initializer names, declared inputs and outputs). */
const MAX_KEPT_ENTRIES = 1_000_000;
const MAX_DIM_VALUE = 2 ** 40;
const MAX_RANK = 64;
/** Subgraphs (If/Loop bodies) nest; a hostile file could nest them until the stack overflows. */
const MAX_SUBGRAPH_DEPTH = 32;
const CHUNK_BYTES = 64 * 1024;
const MAX_STRING_BYTES = CHUNK_BYTES;
const MAX_VARINT_BYTES = 10;

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

const WIRE_TYPE_NAMES: Readonly<Record<number, string>> = { 0: 'varint', 1: '64-bit', 2: 'length-delimited', 5: '32-bit' };

const DATA_LOCATION_EXTERNAL = 1;

// TensorProto.DataType, onnx.proto (ONNX 1.19).
const ELEMENT_TYPES: readonly string[] = [
  'undefined', 'float32', 'uint8', 'int8', 'uint16', 'int16', 'int32', 'int64', 'string', 'bool',
  'float16', 'double', 'uint32', 'uint64', 'complex64', 'complex128', 'bfloat16', 'float8e4m3fn',
  'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz', 'uint4', 'int4', 'float4e2m1', 'float8e8m0', 'uint2', 'int2',
];

function invalid(message: string, offset?: number): AppError {
  const where = offset === undefined ? '' : ` (at byte ${offset})`;
  return new AppError(INVALID_ONNX_CODE, `Not a valid ONNX model: ${message}${where}`, offset === undefined ? undefined : { offset });
}

/** Buffered reader over a file that reads only the window it needs, at the offset it needs. */
class PositionalReader {
  pos = 0;
  private readonly buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private bufferStart = 0;
  private bufferLength = 0;

  constructor(
    private readonly file: FileHandle,
    readonly size: number,
  ) {}

  /** True when bytes [pos, pos + n) are already buffered, so callers can skip an await. */
  has(n: number): boolean {
    return this.pos >= this.bufferStart && this.pos + n <= this.bufferStart + this.bufferLength;
  }

  /** Buffers bytes [pos, pos + n); n <= CHUNK_BYTES and pos + n <= size are the caller's to check. */
  async fill(n: number): Promise<void> {
    const want = Math.min(CHUNK_BYTES, this.size - this.pos);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await this.file.read(this.buffer, got, want - got, this.pos + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    this.bufferStart = this.pos;
    this.bufferLength = got;
    if (got < n) throw invalid('the file is shorter than its size said (was it changed while being read?)', this.pos + got);
  }

  nextByte(): number {
    return this.buffer.readUInt8(this.pos++ - this.bufferStart);
  }

  /** Decodes a base-128 varint as a signed 64-bit value; values past 2^53 lose precision, which every
   *  caller tolerates because they reject anything that large. */
  async readVarint(end: number): Promise<number> {
    const start = this.pos;
    const available = Math.min(MAX_VARINT_BYTES, end - start);
    if (available <= 0) throw invalid('a value is cut off by the end of its message', start);
    if (!this.has(available)) await this.fill(available);
    let result = 0;
    for (let i = 0; i < available; i++) {
      const byte = this.nextByte();
      if (i < 7) {
        result += (byte & 0x7f) * 2 ** (7 * i);
        if (byte < 0x80) return result;
      } else if (byte < 0x80) {
        return this.decodeLongVarint(start, i + 1);
      }
    }
    if (available < MAX_VARINT_BYTES) throw invalid('a varint is cut off by the end of its message', start);
    throw invalid('a varint is longer than 10 bytes', start);
  }

  // 8 to 10 byte varints only occur for huge or negative int64 values; BigInt keeps them exact.
  private decodeLongVarint(start: number, byteCount: number): number {
    let value = 0n;
    for (let i = byteCount - 1; i >= 0; i--) {
      value = (value << 7n) | BigInt(this.buffer.readUInt8(start - this.bufferStart + i) & 0x7f);
    }
    if (byteCount === MAX_VARINT_BYTES && this.buffer.readUInt8(start - this.bufferStart + 9) > 1) {
      throw invalid('a varint overflows 64 bits', start);
    }
    return Number(BigInt.asIntN(64, value));
  }

  async readUtf8(length: number): Promise<string> {
    if (!this.has(length)) await this.fill(length);
    const offset = this.pos - this.bufferStart;
    this.pos += length;
    try {
      return utf8.decode(this.buffer.subarray(offset, offset + length));
    } catch {
      throw invalid('a string field is not valid UTF-8', this.pos - length);
    }
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

interface Field {
  number: number;
  wireType: number;
  /** Where the field's payload starts. */
  start: number;
  /** First byte after the field. */
  end: number;
  /** The decoded value for varint fields. */
  varint: number;
}

/** Walks the fields of the message occupying [reader.pos, end), leaving the reader at end. The visitor
 *  may read part of a field or none of it: the walk always resumes right after the field. */
async function forEachField(reader: PositionalReader, end: number, message: string, visit: (field: Field) => Promise<void> | void): Promise<void> {
  while (reader.pos < end) {
    const tagOffset = reader.pos;
    const tag = await reader.readVarint(end);
    const number = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (number < 1 || number > 0x1fffffff) throw invalid(`${message} has a field with invalid number ${number}`, tagOffset);
    const field: Field = { number, wireType, start: reader.pos, end: reader.pos, varint: 0 };
    switch (wireType) {
      case WIRE_VARINT:
        field.varint = await reader.readVarint(end);
        field.end = reader.pos;
        break;
      case WIRE_I64:
      case WIRE_I32:
        field.end = reader.pos + (wireType === WIRE_I64 ? 8 : 4);
        break;
      case WIRE_LEN: {
        const length = await reader.readVarint(end);
        field.start = reader.pos;
        field.end = reader.pos + length;
        if (length < 0) throw invalid(`${message} field ${number} has a negative length`, tagOffset);
        break;
      }
      default:
        throw invalid(`${message} field ${number} uses wire type ${wireType}, which ONNX files never contain`, tagOffset);
    }
    if (field.end > end) {
      const what = end === reader.size ? 'the file (truncated?)' : 'its enclosing message';
      throw invalid(`${message} field ${number} runs past the end of ${what}`, tagOffset);
    }
    await visit(field);
    if (reader.pos > field.end) throw invalid(`${message} field ${number} overruns its declared length`, tagOffset);
    reader.pos = field.end;
  }
}

function expectWireType(field: Field, wireType: number, name: string): void {
  if (field.wireType !== wireType) {
    throw invalid(`${name} is encoded as ${WIRE_TYPE_NAMES[field.wireType] ?? field.wireType}, expected ${WIRE_TYPE_NAMES[wireType]}`, field.start);
  }
}

async function readString(reader: PositionalReader, field: Field, name: string): Promise<string> {
  expectWireType(field, WIRE_LEN, name);
  const length = field.end - field.start;
  if (length > MAX_STRING_BYTES) throw invalid(`${name} is ${length} bytes long; at most ${MAX_STRING_BYTES} are accepted`, field.start);
  return reader.readUtf8(length);
}

function readVarintField(field: Field, name: string): number {
  expectWireType(field, WIRE_VARINT, name);
  return field.varint;
}

function elementTypeName(code: number): string {
  return ELEMENT_TYPES[code] ?? `unknown(${code})`;
}

/** State gathered while walking the model; graph fields may repeat, which protobuf defines as a merge. */
interface GraphCollector {
  graphName: string | null;
  declaredInputs: TensorSignature[];
  outputs: TensorSignature[];
  initializerNames: Set<string>;
  initializerCount: number;
  nodeCount: number;
  usesExternalData: boolean;
  externalDataLocations: Set<string>;
  weightElements: Map<string, number>;
}

export async function readOnnxSignature(path: string): Promise<ModelSignature> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    return await readModel(new PositionalReader(file, size));
  } finally {
    await file.close();
  }
}

async function readModel(reader: PositionalReader): Promise<ModelSignature> {
  const model = {
    irVersion: null as number | null,
    producerName: null as string | null,
    producerVersion: null as string | null,
    opsets: [] as ModelSignature['opsets'],
    sawGraph: false,
  };
  const graph: GraphCollector = {
    graphName: null,
    declaredInputs: [],
    outputs: [],
    initializerNames: new Set(),
    initializerCount: 0,
    nodeCount: 0,
    usesExternalData: false,
    externalDataLocations: new Set(),
    weightElements: new Map(),
  };

  await forEachField(reader, reader.size, 'ModelProto', async (field) => {
    switch (field.number) {
      case 1:
        model.irVersion = readVarintField(field, 'ModelProto.ir_version');
        break;
      case 2:
        model.producerName = await readString(reader, field, 'ModelProto.producer_name');
        break;
      case 3:
        model.producerVersion = await readString(reader, field, 'ModelProto.producer_version');
        break;
      case 7:
        expectWireType(field, WIRE_LEN, 'ModelProto.graph');
        model.sawGraph = true;
        await readMainGraph(reader, field.end, graph);
        break;
      case 8:
        expectWireType(field, WIRE_LEN, 'ModelProto.opset_import');
        model.opsets.push(await readOpset(reader, field.end));
        break;
    }
  });

  if (!model.sawGraph) throw invalid('the file has no graph (is it an ONNX model?)');
  // The ONNX checker demands opset_import from IR version 3 on; its absence usually means truncation.
  if (model.opsets.length === 0 && (model.irVersion ?? 0) >= 3) throw invalid('the model declares no opset_import');
  const inputs = graph.declaredInputs.filter((input) => !graph.initializerNames.has(input.name));
  if (inputs.length === 0) throw invalid('the graph has no inputs that are not initializers');
  if (inputs.length > MAX_INPUTS) throw invalid(`the graph has ${inputs.length} inputs; at most ${MAX_INPUTS} are accepted`);
  if (graph.outputs.length === 0) throw invalid('the graph has no outputs');

  return {
    irVersion: model.irVersion,
    opsets: model.opsets,
    producerName: model.producerName,
    producerVersion: model.producerVersion,
    graphName: graph.graphName,
    inputs,
    outputs: graph.outputs,
    initializerCount: graph.initializerCount,
    nodeCount: graph.nodeCount,
    usesExternalData: graph.usesExternalData,
    externalDataLocations: [...graph.externalDataLocations],
    weightElements: Object.fromEntries([...graph.weightElements].sort(([a], [b]) => a.localeCompare(b))),
  };
}

async function readOpset(reader: PositionalReader, end: number): Promise<{ domain: string; version: number }> {
  let domain = '';
  let version = 0;
  await forEachField(reader, end, 'OperatorSetIdProto', async (field) => {
    if (field.number === 1) domain = await readString(reader, field, 'OperatorSetIdProto.domain');
    else if (field.number === 2) version = readVarintField(field, 'OperatorSetIdProto.version');
  });
  if (version < 1) throw invalid(`opset_import for domain '${domain}' has version ${version}`);
  return { domain: domain === '' ? 'ai.onnx' : domain, version };
}

function keep<T>(list: T[], entry: T, what: string): void {
  if (list.length >= MAX_KEPT_ENTRIES) throw invalid(`the graph has more than ${MAX_KEPT_ENTRIES} ${what}`);
  list.push(entry);
}

async function readMainGraph(reader: PositionalReader, end: number, graph: GraphCollector): Promise<void> {
  await forEachField(reader, end, 'GraphProto', async (field) => {
    switch (field.number) {
      case 1:
        expectWireType(field, WIRE_LEN, 'GraphProto.node');
        graph.nodeCount++;
        if (await nodeUsesExternalData(reader, field.end, 1, graph.externalDataLocations, (t) => countWeight(graph, t))) graph.usesExternalData = true;
        break;
      case 2:
        graph.graphName = await readString(reader, field, 'GraphProto.name');
        break;
      case 5:
        expectWireType(field, WIRE_LEN, 'GraphProto.initializer');
        addInitializer(graph, await readTensorHeader(reader, field.end, graph.externalDataLocations));
        break;
      case 15:
        expectWireType(field, WIRE_LEN, 'GraphProto.sparse_initializer');
        addInitializer(graph, await readSparseTensorHeader(reader, field.end, graph.externalDataLocations));
        break;
      case 11:
        expectWireType(field, WIRE_LEN, 'GraphProto.input');
        keep(graph.declaredInputs, await readValueInfo(reader, field.end), 'inputs');
        break;
      case 12:
        expectWireType(field, WIRE_LEN, 'GraphProto.output');
        keep(graph.outputs, await readValueInfo(reader, field.end), 'outputs');
        break;
    }
  });
}

interface TensorHeader {
  name: string;
  external: boolean;
  elementType: string;
  /** Product of the dims (1 for a scalar). */
  elements: number;
}

function addInitializer(graph: GraphCollector, tensor: TensorHeader): void {
  if (graph.initializerCount >= MAX_KEPT_ENTRIES) throw invalid(`the graph has more than ${MAX_KEPT_ENTRIES} initializers`);
  graph.initializerCount++;
  graph.initializerNames.add(tensor.name);
  graph.usesExternalData ||= tensor.external;
  countWeight(graph, tensor);
}

/** Weights are initializers and tensors in node attributes (PP-OCR's exports keep theirs in Constant nodes). */
function countWeight(graph: GraphCollector, tensor: TensorHeader): void {
  graph.weightElements.set(tensor.elementType, (graph.weightElements.get(tensor.elementType) ?? 0) + tensor.elements);
}

/** TensorProto.dims: repeated int64, packed (one length-delimited field) or one varint per dim. */
async function readTensorDims(reader: PositionalReader, field: Field, dims: number[]): Promise<void> {
  const push = (value: number) => {
    if (dims.length >= MAX_RANK) throw invalid(`a tensor has more than ${MAX_RANK} dimensions`, field.start);
    if (value < 0 || value > MAX_DIM_VALUE) throw invalid(`a tensor dimension is ${value}`, field.start);
    dims.push(value);
  };
  if (field.wireType === WIRE_VARINT) return push(field.varint);
  expectWireType(field, WIRE_LEN, 'TensorProto.dims');
  while (reader.pos < field.end) push(await reader.readVarint(field.end));
}

/** Reads a TensorProto's name and data location (adding external-data locations to `locations`); the
 *  data itself is skipped by its length prefix. */
async function readTensorHeader(reader: PositionalReader, end: number, locations: Set<string>): Promise<TensorHeader> {
  const header: TensorHeader = { name: '', external: false, elementType: elementTypeName(0), elements: 1 };
  const dims: number[] = [];
  await forEachField(reader, end, 'TensorProto', async (field) => {
    switch (field.number) {
      case 1:
        await readTensorDims(reader, field, dims);
        break;
      case 2:
        header.elementType = elementTypeName(readVarintField(field, 'TensorProto.data_type'));
        break;
      case 8:
        header.name = await readString(reader, field, 'TensorProto.name');
        break;
      case 13: {
        expectWireType(field, WIRE_LEN, 'TensorProto.external_data');
        header.external = true;
        const entry = await readStringEntry(reader, field.end);
        if (entry.key === 'location') {
          if (locations.size >= MAX_KEPT_ENTRIES) throw invalid(`the model has more than ${MAX_KEPT_ENTRIES} external data locations`);
          locations.add(entry.value);
        }
        break;
      }
      case 14:
        if (readVarintField(field, 'TensorProto.data_location') === DATA_LOCATION_EXTERNAL) header.external = true;
        break;
    }
  });
  header.elements = dims.reduce((product, dim) => product * dim, 1);
  return header;
}

/** StringStringEntryProto (external_data entries): key = 1, value = 2. */
async function readStringEntry(reader: PositionalReader, end: number): Promise<{ key: string; value: string }> {
  const entry = { key: '', value: '' };
  await forEachField(reader, end, 'StringStringEntryProto', async (field) => {
    if (field.number === 1) entry.key = await readString(reader, field, 'StringStringEntryProto.key');
    else if (field.number === 2) entry.value = await readString(reader, field, 'StringStringEntryProto.value');
  });
  return entry;
}

/** SparseTensorProto: the name lives on `values`; either part may be stored externally. */
async function readSparseTensorHeader(reader: PositionalReader, end: number, locations: Set<string>): Promise<TensorHeader> {
  // The stored elements of a sparse weight are its values (dims [NNZ]).
  const header: TensorHeader = { name: '', external: false, elementType: elementTypeName(0), elements: 0 };
  await forEachField(reader, end, 'SparseTensorProto', async (field) => {
    if (field.number !== 1 && field.number !== 2) return;
    expectWireType(field, WIRE_LEN, field.number === 1 ? 'SparseTensorProto.values' : 'SparseTensorProto.indices');
    const part = await readTensorHeader(reader, field.end, locations);
    if (field.number === 1) Object.assign(header, { name: part.name, elementType: part.elementType, elements: part.elements });
    header.external ||= part.external;
  });
  return header;
}

// Weights can also sit in node attributes (Constant nodes, If/Loop subgraphs): PaddlePaddle exports keep
// every weight there, and onnx's external-data converter moves those too.
// Every reference is visited (no early exit), so each external-data location is seen and can be checked.
type WeightSink = (tensor: TensorHeader) => void;

async function nodeUsesExternalData(reader: PositionalReader, end: number, depth: number, locations: Set<string>, weights: WeightSink): Promise<boolean> {
  let external = false;
  await forEachField(reader, end, 'NodeProto', async (field) => {
    if (field.number !== 5) return;
    expectWireType(field, WIRE_LEN, 'NodeProto.attribute');
    if (await attributeUsesExternalData(reader, field.end, depth, locations, weights)) external = true;
  });
  return external;
}

async function attributeUsesExternalData(reader: PositionalReader, end: number, depth: number, locations: Set<string>, weights: WeightSink): Promise<boolean> {
  let external = false;
  const read = (tensor: TensorHeader) => {
    weights(tensor);
    if (tensor.external) external = true;
  };
  await forEachField(reader, end, 'AttributeProto', async (field) => {
    switch (field.number) {
      case 5: // t
      case 10: // tensors
        expectWireType(field, WIRE_LEN, 'AttributeProto tensor');
        read(await readTensorHeader(reader, field.end, locations));
        break;
      case 22: // sparse_tensor
      case 23: // sparse_tensors
        expectWireType(field, WIRE_LEN, 'AttributeProto sparse tensor');
        read(await readSparseTensorHeader(reader, field.end, locations));
        break;
      case 6: // g
      case 11: // graphs
        expectWireType(field, WIRE_LEN, 'AttributeProto graph');
        if (await subgraphUsesExternalData(reader, field.end, depth + 1, locations, weights)) external = true;
        break;
    }
  });
  return external;
}

async function subgraphUsesExternalData(reader: PositionalReader, end: number, depth: number, locations: Set<string>, weights: WeightSink): Promise<boolean> {
  if (depth > MAX_SUBGRAPH_DEPTH) throw invalid(`subgraphs are nested more than ${MAX_SUBGRAPH_DEPTH} deep`, reader.pos);
  let external = false;
  const weighed = (tensor: TensorHeader) => {
    weights(tensor);
    return tensor.external;
  };
  await forEachField(reader, end, 'GraphProto', async (field) => {
    let uses = false;
    switch (field.number) {
      case 1:
        expectWireType(field, WIRE_LEN, 'GraphProto.node');
        uses = await nodeUsesExternalData(reader, field.end, depth, locations, weights);
        break;
      case 5:
        expectWireType(field, WIRE_LEN, 'GraphProto.initializer');
        uses = weighed(await readTensorHeader(reader, field.end, locations));
        break;
      case 15:
        expectWireType(field, WIRE_LEN, 'GraphProto.sparse_initializer');
        uses = weighed(await readSparseTensorHeader(reader, field.end, locations));
        break;
    }
    if (uses) external = true;
  });
  return external;
}

async function readValueInfo(reader: PositionalReader, end: number): Promise<TensorSignature> {
  let name = '';
  let signature: Omit<TensorSignature, 'name'> = { elementType: 'unknown', shape: [], rankKnown: false, kind: 'unknown' };
  await forEachField(reader, end, 'ValueInfoProto', async (field) => {
    if (field.number === 1) {
      name = await readString(reader, field, 'ValueInfoProto.name');
    } else if (field.number === 2) {
      expectWireType(field, WIRE_LEN, 'ValueInfoProto.type');
      signature = await readType(reader, field.end);
    }
  });
  if (name === '') throw invalid('a graph input or output has no name');
  return { name, ...signature };
}

const NON_TENSOR_KINDS: Readonly<Record<number, ValueKind>> = { 4: 'sequence', 5: 'map', 9: 'optional' };

async function readType(reader: PositionalReader, end: number): Promise<Omit<TensorSignature, 'name'>> {
  let type: Omit<TensorSignature, 'name'> = { elementType: 'unknown', shape: [], rankKnown: false, kind: 'unknown' };
  await forEachField(reader, end, 'TypeProto', async (field) => {
    if (field.number === 1 || field.number === 8) {
      expectWireType(field, WIRE_LEN, 'TypeProto.tensor_type');
      type = { ...(await readTensorType(reader, field.end)), kind: field.number === 1 ? 'tensor' : 'sparse_tensor' };
      return;
    }
    const kind = NON_TENSOR_KINDS[field.number];
    if (kind !== undefined) type = { elementType: kind, shape: [], rankKnown: false, kind };
  });
  return type;
}

async function readTensorType(reader: PositionalReader, end: number): Promise<Omit<TensorSignature, 'name' | 'kind'>> {
  let elementType = elementTypeName(0);
  let shape: TensorSignature['shape'] = [];
  let rankKnown = false;
  await forEachField(reader, end, 'TypeProto.Tensor', async (field) => {
    if (field.number === 1) {
      elementType = elementTypeName(readVarintField(field, 'TypeProto.Tensor.elem_type'));
    } else if (field.number === 2) {
      expectWireType(field, WIRE_LEN, 'TypeProto.Tensor.shape');
      shape = await readShape(reader, field.end);
      rankKnown = true;
    }
  });
  return { elementType, shape, rankKnown };
}

async function readShape(reader: PositionalReader, end: number): Promise<TensorSignature['shape']> {
  const dims: TensorSignature['shape'] = [];
  await forEachField(reader, end, 'TensorShapeProto', async (field) => {
    if (field.number !== 1) return;
    expectWireType(field, WIRE_LEN, 'TensorShapeProto.dim');
    if (dims.length >= MAX_RANK) throw invalid(`a shape has more than ${MAX_RANK} dimensions`, field.start);
    dims.push(await readDimension(reader, field.end));
  });
  return dims;
}

async function readDimension(reader: PositionalReader, end: number): Promise<number | string | null> {
  let dim: number | string | null = null;
  // dim_value and dim_param form a oneof: the last one present wins.
  await forEachField(reader, end, 'TensorShapeProto.Dimension', async (field) => {
    if (field.number === 1) {
      const value = readVarintField(field, 'Dimension.dim_value');
      if (value > MAX_DIM_VALUE) throw invalid(`a dimension is ${value}, larger than 2^40`, field.start);
      // Some exporters write -1 for "unknown"; onnxruntime reads it the same way.
      dim = value < 0 ? null : value;
    } else if (field.number === 2) {
      const param = await readString(reader, field, 'Dimension.dim_param');
      dim = param === '' ? null : param;
    }
  });
  return dim;
}
