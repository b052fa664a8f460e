/** `x` when it is a finite number, else null: JSON has no NaN or Infinity. */
export const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
