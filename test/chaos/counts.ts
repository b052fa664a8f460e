import type { Sql } from '@driftline/collector';
import { LEVELS } from '../../packages/collector/src/rollups/levels.ts';

/** What the collector answers for a model on `GET /v1/models/:name/summary`. */
export async function summaryOf(
  url: string,
  readKey: string,
  model: string,
): Promise<{ inferences: number; devices: number }> {
  const res = await fetch(`${url}/v1/models/${model}/summary`, {
    headers: { authorization: `Bearer ${readKey}` },
  });
  if (res.status !== 200) throw new Error(`summary answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { inferences: number; devices: number };
  return { inferences: body.inferences, devices: body.devices };
}

/** What storage holds, read straight from its tables. */
export interface StoredCounts {
  /** Rows of `batches`, and distinct batch ids among them. */
  batches: number;
  batchIds: number;
  /** Inferences per device id, from `batches`. */
  perDevice: Map<string, { batches: number; inferences: number }>;
  /**
   * Inferences of the model per rollup level: that level's compacted rows plus the parts not yet
   * compacted, read in one statement (one snapshot). Each must equal what the devices made.
   */
  levels: Record<number, number>;
}

export async function storedCounts(sql: Sql, model: string): Promise<StoredCounts> {
  const [totals] = await sql.query<{ n: number; ids: number }>(
    'SELECT count(*)::integer AS n, count(DISTINCT batch_id)::integer AS ids FROM batches',
  );
  const devices = await sql.query<{ device_id: string; n: number; inferences: number }>(
    `SELECT device_id, count(*)::integer AS n, sum(inferences)::float8 AS inferences
     FROM batches GROUP BY device_id ORDER BY device_id`,
  );
  const rows = await sql.query<{ resolution: number; inferences: number }>(
    `SELECT l.resolution, coalesce(r.inferences, 0) + p.inferences AS inferences
     FROM unnest($2::integer[]) AS l(resolution)
     LEFT JOIN (SELECT resolution, sum(inferences)::float8 AS inferences FROM rollups
                WHERE model = $1 GROUP BY resolution) r ON r.resolution = l.resolution
     CROSS JOIN (SELECT coalesce(sum(inferences), 0)::float8 AS inferences FROM rollup_parts
                 WHERE model = $1) p
     ORDER BY 1`,
    [model, [...LEVELS]],
  );
  return {
    batches: totals!.n,
    batchIds: totals!.ids,
    perDevice: new Map(devices.map((d) => [d.device_id, { batches: d.n, inferences: Number(d.inferences) }])),
    levels: Object.fromEntries(rows.map((r) => [r.resolution, Number(r.inferences)])),
  };
}
