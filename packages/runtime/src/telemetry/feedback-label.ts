/**
 * The class a feedback label names, as predictions are recorded: with the schema's `labels`, the
 * label itself, given as the label (`'malignant'`) or as its index (`1` or `'1'`); without labels,
 * the index as a string. A label that is neither stays as given (and never counts as correct).
 *
 * @example
 * feedbackLabel(1, ['benign', 'malignant']); // 'malignant'
 */
export function feedbackLabel(label: number | string, labels: readonly string[] | undefined): string {
  if (!labels) return String(label);
  if (typeof label === 'string' && labels.includes(label)) return label;
  const index = typeof label === 'number' ? label : /^\d+$/.test(label) ? Number(label) : Number.NaN;
  return (Number.isInteger(index) ? labels[index] : undefined) ?? String(label);
}
