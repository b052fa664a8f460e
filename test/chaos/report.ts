import { loadavg } from 'node:os';
import type { FleetReport } from './device-simulator.ts';
import type { FaultRecord } from './fault-driver.ts';

/** One scenario's figures as printed by the suite (and pasted into docs/reliability.md). */
export function formatReport(
  name: string,
  devices: number,
  fleet: FleetReport,
  faults: FaultRecord[],
): string {
  const seconds = fleet.durationMs / 1000;
  const failures = Object.entries(fleet.failures)
    .map(([reason, n]) => `${reason} ×${n}`)
    .join(', ');
  return [
    `chaos: ${name}`,
    `  ${devices} devices, ${seconds.toFixed(1)} s: ${fleet.batches} batches (${fleet.inferences} inferences), ` +
      `${Math.round(fleet.batches / seconds)} batches/s held`,
    `  acks ${fleet.batches} (duplicate ${fleet.duplicates}), attempts ${fleet.attempts}, retries ${fleet.retries}`,
    `  failed attempts: ${failures || 'none'}`,
    `  faults ${faults.length} (at ms after start: serving again / all devices acked again, ms after the fault):`,
    ...faults.map((f) => `    ${f.name} at ${f.atMs}: ${f.repairMs} / ${f.recoveredMs}`),
    `  longest recovery (a device's first failed attempt to its next ack): ${Math.round(fleet.longestRecoveryMs)} ms`,
    `  load average during the run: ${loadavg()[0]!.toFixed(1)}`,
  ].join('\n');
}
