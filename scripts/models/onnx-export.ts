import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import type { onnx } from 'onnx-proto';
import { OnnxExportError } from './errors.ts';

// onnx-proto is CommonJS whose `onnx` export Node's ESM loader cannot see; require it instead.
const proto: typeof onnx = (createRequire(import.meta.url)('onnx-proto') as { onnx: typeof onnx }).onnx;

/** Opset the exported graphs use (every op here is stable since opset 13). */
export const ONNX_OPSET = 13;
/** Name of the graph input, float32 `[N, 784]`. */
export const INPUT_NAME = 'input';
export { OnnxExportError };

/** Name of the graph output, float32 `[N, 10]`. */
export const OUTPUT_NAME = 'probs';

type Layout = 'flat' | 'nchw';

interface GraphBuilder {
  nodes: onnx.INodeProto[];
  initializers: onnx.ITensorProto[];
  /** Adds a node with one output, named from `name`, and returns that output's name. */
  node(opType: string, inputs: string[], name: string, attribute?: onnx.IAttributeProto[]): string;
  floats(name: string, dims: number[], values: Float32Array): string;
  int64s(name: string, values: number[]): string;
}

function createGraphBuilder(): GraphBuilder {
  const nodes: onnx.INodeProto[] = [];
  const initializers: onnx.ITensorProto[] = [];
  return {
    nodes,
    initializers,
    node(opType, input, name, attribute = []) {
      const output = `${name}_out`;
      nodes.push({ opType, input, output: [output], name, attribute });
      return output;
    },
    floats(name, dims, values) {
      const rawData = new Uint8Array(
        values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength),
      );
      initializers.push({ name, dims, dataType: proto.TensorProto.DataType.FLOAT, rawData });
      return name;
    },
    int64s(name, values) {
      const rawData = new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer);
      initializers.push({ name, dims: [values.length], dataType: proto.TensorProto.DataType.INT64, rawData });
      return name;
    },
  };
}

const ints = (name: string, values: number[]): onnx.IAttributeProto => ({
  name,
  type: proto.AttributeProto.AttributeType.INTS,
  ints: values,
});
const int = (name: string, value: number): onnx.IAttributeProto => ({
  name,
  type: proto.AttributeProto.AttributeType.INT,
  i: value,
});
const str = (name: string, value: string): onnx.IAttributeProto => ({
  name,
  type: proto.AttributeProto.AttributeType.STRING,
  s: new TextEncoder().encode(value),
});

function weightData(layer: tf.layers.Layer, index: number): { shape: number[]; data: Float32Array } {
  const weight = layer.getWeights()[index];
  if (!weight) throw new OnnxExportError(`layer ${layer.name} has no weight #${index}`);
  return { shape: weight.shape, data: weight.dataSync() as Float32Array };
}

function activation(g: GraphBuilder, layer: tf.layers.Layer, x: string): string {
  const name = (layer.getConfig().activation as string | undefined) ?? 'linear';
  if (name === 'linear') return x;
  if (name === 'relu') return g.node('Relu', [x], `${layer.name}_relu`);
  if (name === 'softmax') return g.node('Softmax', [x], `${layer.name}_softmax`, [int('axis', -1)]);
  throw new OnnxExportError(`activation "${name}" of layer ${layer.name} has no ONNX translation here`);
}

function padAttributes(layer: tf.layers.Layer): onnx.IAttributeProto[] {
  const padding = layer.getConfig().padding as string;
  if (padding === 'valid') return [ints('pads', [0, 0, 0, 0])];
  if (padding === 'same') return [str('auto_pad', 'SAME_UPPER')];
  throw new OnnxExportError(`padding "${padding}" of layer ${layer.name} is not supported`);
}

function pair(value: unknown): number[] {
  return Array.isArray(value) ? (value as number[]) : [value as number, value as number];
}

/**
 * Translates a trained tfjs Sequential model (Dense, Reshape, Conv2D, MaxPooling2D, Flatten) into
 * an ONNX graph with the same weights: input `input` `[N, 784]`, output `probs` `[N, 10]` (other
 * widths and names as the model and `inputName` / `outputName` say).
 * TF works in NHWC and ONNX in NCHW: images are transposed to NCHW after the Reshape, conv
 * kernels go from `[kh, kw, in, out]` to `[out, in, kh, kw]`, and a Transpose back to NHWC before
 * Flatten keeps the dense weights' row order.
 */
export function exportOnnx(
  model: tf.LayersModel,
  opts: { version: string; docString?: string; inputName?: string; outputName?: string },
): onnx.ModelProto {
  const inputName = opts.inputName ?? INPUT_NAME;
  const outputName = opts.outputName ?? OUTPUT_NAME;
  const g = createGraphBuilder();
  let x = inputName;
  let layout: Layout = 'flat';
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const config = layer.getConfig();
    if (cls === 'Dense') {
      if (layout !== 'flat') throw new OnnxExportError(`Dense layer ${layer.name} needs a Flatten before it`);
      const w = weightData(layer, 0);
      const b = weightData(layer, 1);
      const weights = [
        g.floats(`${layer.name}_W`, w.shape, w.data),
        g.floats(`${layer.name}_B`, b.shape, b.data),
      ];
      x = activation(g, layer, g.node('Gemm', [x, ...weights], `${layer.name}_gemm`));
    } else if (cls === 'Reshape') {
      const target = config.targetShape as number[];
      if (layout !== 'flat' || target.length !== 3) {
        throw new OnnxExportError(`Reshape layer ${layer.name} must turn flat input into an [H, W, C] image`);
      }
      const nhwc = g.node('Reshape', [x, g.int64s(`${layer.name}_shape`, [-1, ...target])], layer.name);
      x = g.node('Transpose', [nhwc], `${layer.name}_to_nchw`, [ints('perm', [0, 3, 1, 2])]);
      layout = 'nchw';
    } else if (cls === 'Conv2D') {
      if (config.dataFormat !== 'channelsLast')
        throw new OnnxExportError(`Conv2D ${layer.name} must be NHWC`);
      const k = weightData(layer, 0);
      const kernel = tf.tidy(() => tf.transpose(tf.tensor(k.data, k.shape), [3, 2, 0, 1]));
      const b = weightData(layer, 1);
      const weights = [
        g.floats(`${layer.name}_W`, kernel.shape, kernel.dataSync() as Float32Array),
        g.floats(`${layer.name}_B`, b.shape, b.data),
      ];
      kernel.dispose();
      const conv = g.node('Conv', [x, ...weights], layer.name, [
        ints('kernel_shape', pair(config.kernelSize)),
        ints('strides', pair(config.strides)),
        ints('dilations', pair(config.dilationRate)),
        ...padAttributes(layer),
      ]);
      x = activation(g, layer, conv);
    } else if (cls === 'MaxPooling2D') {
      x = g.node('MaxPool', [x], layer.name, [
        ints('kernel_shape', pair(config.poolSize)),
        ints('strides', pair(config.strides ?? config.poolSize)),
        ...padAttributes(layer),
      ]);
    } else if (cls === 'Flatten') {
      if (layout === 'nchw')
        x = g.node('Transpose', [x], `${layer.name}_to_nhwc`, [ints('perm', [0, 2, 3, 1])]);
      x = g.node('Flatten', [x], layer.name, [int('axis', 1)]);
      layout = 'flat';
    } else {
      throw new OnnxExportError(`layer ${layer.name} (${cls}) has no ONNX translation in this exporter`);
    }
  }
  const last = g.nodes.at(-1);
  if (!last || x === inputName) throw new OnnxExportError('model has no layers to export');
  last.output = [outputName];

  const outputUnits = model.outputs[0]!.shape.at(-1) as number;
  const tensorValue = (name: string, width: number): onnx.IValueInfoProto => ({
    name,
    type: {
      tensorType: {
        elemType: proto.TensorProto.DataType.FLOAT,
        shape: { dim: [{ dimParam: 'N' }, { dimValue: width }] },
      },
    },
  });
  const inputUnits = model.inputs[0]!.shape.at(-1) as number;
  return proto.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'driftline pnpm models',
    producerVersion: opts.version,
    docString: opts.docString ?? '',
    graph: {
      name: model.name,
      node: g.nodes,
      initializer: g.initializers,
      input: [tensorValue(inputName, inputUnits)],
      output: [tensorValue(outputName, outputUnits)],
    },
  });
}

/** Serialises a model to the bytes of a `.onnx` file. */
export function encodeOnnx(model: onnx.ModelProto): Uint8Array {
  return proto.ModelProto.encode(model).finish();
}

/** Parses the bytes of a `.onnx` file. */
export function decodeOnnx(bytes: Uint8Array): onnx.ModelProto {
  return proto.ModelProto.decode(bytes);
}
