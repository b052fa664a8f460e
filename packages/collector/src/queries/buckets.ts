import { badRequest } from '../errors.ts';

/** Plot bucket widths in minutes, by the `bucket` query value. */
export const BUCKETS = { minute: 1, hour: 60, day: 1_440 } as const;
export type BucketName = keyof typeof BUCKETS;

/** The bucket named by a query (`fallback` when absent) and its width in minutes; `bad_request` otherwise. */
export function bucketOf(
  name: string | undefined,
  fallback: BucketName,
): { name: BucketName; width: (typeof BUCKETS)[BucketName] } {
  const bucket = name ?? fallback;
  if (!Object.hasOwn(BUCKETS, bucket)) throw badRequest('bucket must be minute, hour or day.');
  return { name: bucket as BucketName, width: BUCKETS[bucket as BucketName] };
}
