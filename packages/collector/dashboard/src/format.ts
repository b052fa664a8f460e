/** Numbers and times as the dashboard prints them. */
export function num(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  if (Number.isInteger(x)) return x.toLocaleString('en-US');
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 1) return x.toFixed(Math.max(0, digits - 1));
  return x.toPrecision(digits);
}

export const ms = (x: number | null | undefined): string =>
  x === null || x === undefined ? '–' : `${num(x)} ms`;
export const pct = (x: number | null | undefined): string =>
  x === null || x === undefined || !Number.isFinite(x) ? '–' : `${(x * 100).toFixed(x < 0.01 ? 2 : 1)}%`;

/** A time as HH:MM:SS (today) or a short date and time. */
export function time(t: number | string | null | undefined): string {
  if (t === null || t === undefined) return '–';
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return '–';
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay
    ? d.toLocaleTimeString('en-GB', { hour12: false })
    : d.toLocaleString('en-GB', { hour12: false, dateStyle: 'short', timeStyle: 'short' });
}

/** Compact JSON for a table cell. */
export function brief(v: unknown, max = 160): string {
  if (v === null || v === undefined) return '–';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
