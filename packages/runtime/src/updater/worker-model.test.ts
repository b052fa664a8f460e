import type { Manifest } from '@driftline/protocol';
import { describe, expect, it } from 'vitest';
import { workerModel } from './worker-model.ts';

const file = (path: string, hex: string) => ({
  path,
  url: `/v1/artifacts/${hex.repeat(64)}`,
  sha256: hex.repeat(64),
  size: 10,
});
const base: Manifest = {
  v: 1,
  model: 'digits',
  version: '1.0.0',
  format: 'tfjs',
  files: [file('model.json', 'a'), file('group1-shard1of1.bin', 'b')],
  inputs: [{ name: 'input' }],
  outputs: [{ name: 'probs' }],
  etag: '"e"',
  issuedAt: 1,
};

describe('workerModel', () => {
  it('gives the worker every file of a TF.js version with absolute URLs, and the published tensor names', () => {
    expect(workerModel('http://c:8787/base/', base)).toEqual({
      url: `http://c:8787/v1/artifacts/${'a'.repeat(64)}`,
      format: 'tfjs',
      name: 'digits',
      version: '1.0.0',
      files: base.files.map((f) => ({ ...f, url: `http://c:8787${f.url}` })),
      inputNames: ['input'],
      outputNames: ['probs'],
    });
  });

  it('keeps an ONNX version to its .onnx file, its hash, and the model’s own tensor names', () => {
    const onnx = {
      ...base,
      format: 'onnx' as const,
      files: [file('notes.txt', 'c'), file('model.onnx', 'd')],
    };
    const model = workerModel('http://c:8787', onnx);
    expect(model).toMatchObject({
      sha256: 'd'.repeat(64),
      url: `http://c:8787/v1/artifacts/${'d'.repeat(64)}`,
    });
    expect(model.files?.map((f) => f.path)).toEqual(['model.onnx']);
    expect(model).not.toHaveProperty('outputNames');
  });

  it('refuses a TF.js version without model.json with MODEL_LOAD', () => {
    expect(() => workerModel('http://c', { ...base, files: [file('group1-shard1of1.bin', 'b')] })).toThrow(
      expect.objectContaining({ code: 'MODEL_LOAD' }),
    );
  });

  it('carries the version’s schema from the manifest, and none when it was published without', () => {
    const schema = {
      inputs: { input: { kind: 'columns' as const, columns: [{ name: 'a' }] } },
      outputs: { probs: { kind: 'classes' as const, labels: ['x', 'y'] } },
    };
    expect(workerModel('http://c', { ...base, schema }).schema).toEqual(schema);
    expect(workerModel('http://c', base)).not.toHaveProperty('schema');
  });
});
