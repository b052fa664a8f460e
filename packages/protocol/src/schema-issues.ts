import type * as v from 'valibot';

/** Describes valibot issues in one line: `windows.0.end: window start must not be after its end`. */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues
    .slice(0, 5)
    .map((i) => {
      const path = i.path?.map((p) => String(p.key)).join('.') ?? '';
      return path ? `${path}: ${i.message}` : i.message;
    })
    .join('; ');
}
