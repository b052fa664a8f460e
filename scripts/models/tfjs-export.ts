import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

/** File name of the single weight shard written next to `model.json`. */
export const TFJS_SHARD = 'group1-shard1of1.bin';

/**
 * Serialises a tfjs layers model to the files of a TF.js layers model: `model.json` (topology and
 * weights manifest) and one weight shard, returned by file name for the caller to write.
 */
export async function exportTfjs(model: tf.LayersModel): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? []));
      const modelJson: tf.io.ModelJSON = {
        format: 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: 'driftline pnpm models',
        modelTopology: artifacts.modelTopology ?? {},
        weightsManifest: [{ paths: [TFJS_SHARD], weights: artifacts.weightSpecs ?? [] }],
      };
      files.set('model.json', new TextEncoder().encode(`${JSON.stringify(modelJson)}\n`));
      files.set(TFJS_SHARD, weights);
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }),
  );
  return files;
}

/**
 * A load handler that reads a TF.js layers model from disk (`model.json` and the shards it names),
 * for Node where tfjs's own `file://` handler needs tfjs-node.
 */
export function fileModelHandler(modelJsonPath: string): tf.io.IOHandler {
  return {
    async load() {
      const json = JSON.parse(await readFile(modelJsonPath, 'utf8')) as tf.io.ModelJSON;
      const dir = dirname(modelJsonPath);
      const buffers: ArrayBuffer[] = [];
      const specs: tf.io.WeightsManifestEntry[] = [];
      for (const group of json.weightsManifest) {
        for (const path of group.paths) {
          const bytes = await readFile(join(dir, path));
          buffers.push(
            bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
          );
        }
        specs.push(...group.weights);
      }
      return {
        modelTopology: json.modelTopology,
        weightSpecs: specs,
        weightData: tf.io.concatenateArrayBuffers(buffers),
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
      };
    },
  };
}
