import type { ModelSchema } from './model-schema.ts';
import type { Profile } from './profile.ts';
import { summarizeClasses } from './summarize-classes.ts';
import { summarizeColumns } from './summarize-columns.ts';
import { summarizeEmbedding } from './summarize-embedding.ts';
import { summarizeImage } from './summarize-image.ts';
import { summarizeTensor } from './summarize-tensor.ts';
import type { TensorLike } from './tensor.ts';

/**
 * Records one inference's tensors the way `schema` says: a named input by its kind
 * (`summarizeColumns`, `summarizeEmbedding`, `summarizeImage`), a named output by
 * `summarizeClasses` (with `truth[name]` when given), and every tensor the schema does not name
 * by `summarizeTensor`. The one code path for the device and for reference profiles.
 *
 * @example
 * summarizeWithSchema(profile, schema, { x: input, probs: output });
 */
export function summarizeWithSchema(
  profile: Profile,
  schema: ModelSchema,
  tensors: Record<string, TensorLike>,
  truth?: Record<string, ArrayLike<number | string>>,
): void {
  for (const [name, t] of Object.entries(tensors)) {
    const input = Object.hasOwn(schema.inputs, name) ? schema.inputs[name] : undefined;
    const output = Object.hasOwn(schema.outputs, name) ? schema.outputs[name] : undefined;
    if (input?.kind === 'columns') summarizeColumns(profile, name, t, input);
    else if (input?.kind === 'embedding') summarizeEmbedding(profile, name, t, input);
    else if (input?.kind === 'image') summarizeImage(profile, name, t, input);
    else if (output) {
      const labels = truth?.[name];
      summarizeClasses(profile, name, t, output, labels ? { truth: labels } : {});
    } else summarizeTensor(profile, name, t);
  }
}
