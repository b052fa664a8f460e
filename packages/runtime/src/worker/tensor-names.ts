import type { TensorShape } from '@driftline/protocol';
import type { NamedTensors } from '../tensor.ts';

/**
 * Renames tensors between the names a page uses and the names a model has. TF.js layers models
 * name tensors after their layers (`dense_Dense2`); `model.outputNames: ['probs']` makes them
 * match the ONNX export, so a page reads the same names on either backend.
 */
export class TensorNames {
  private readonly toModel = new Map<string, string>();
  private readonly fromModel = new Map<string, string>();

  constructor(
    modelInputs: readonly string[],
    modelOutputs: readonly string[],
    inputAliases: readonly string[] = [],
    outputAliases: readonly string[] = [],
  ) {
    inputAliases.forEach((alias, i) => {
      const name = modelInputs[i];
      if (name !== undefined) this.toModel.set(alias, name);
    });
    outputAliases.forEach((alias, i) => {
      const name = modelOutputs[i];
      if (name !== undefined) this.fromModel.set(name, alias);
    });
    this.inputs = modelInputs.map((n, i) => inputAliases[i] ?? n);
    this.outputs = modelOutputs.map((n, i) => outputAliases[i] ?? n);
  }

  /** Names the page sees, in model order. */
  readonly inputs: string[];
  readonly outputs: string[];

  /** A backend's tensors (model order, model names) under the names the page sees, inputs then outputs. */
  shapes(model: { inputs: readonly TensorShape[]; outputs: readonly TensorShape[] }): TensorShape[] {
    return [
      ...model.inputs.map((t, i) => ({ ...t, name: this.inputs[i] ?? t.name })),
      ...model.outputs.map((t, i) => ({ ...t, name: this.outputs[i] ?? t.name })),
    ];
  }

  inbound(tensors: NamedTensors): NamedTensors {
    if (this.toModel.size === 0) return tensors;
    const out: NamedTensors = {};
    for (const [name, t] of Object.entries(tensors)) out[this.toModel.get(name) ?? name] = t;
    return out;
  }

  outbound(tensors: NamedTensors): NamedTensors {
    if (this.fromModel.size === 0) return tensors;
    const out: NamedTensors = {};
    for (const [name, t] of Object.entries(tensors)) out[this.fromModel.get(name) ?? name] = t;
    return out;
  }
}
