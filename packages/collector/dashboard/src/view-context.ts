import type { ApiClient } from './api-client.ts';
import type { ModelListEntry, Role } from './api-types.ts';

/** What every view gets when it renders (again, on each refresh). */
export interface ViewContext {
  api: ApiClient;
  /** The model chosen in the header. */
  model: string;
  models: ModelListEntry[];
  role: Role;
  /** The time range shown, ms back from `now`. */
  rangeMs: number;
  now: number;
  /** Width (CSS px) a full-width chart should take. */
  width: number;
  /** Choices inside a view that must survive a refresh (reference, version…). */
  state: Map<string, string>;
  /** Renders the current view again now. */
  refresh: () => void;
}

/** A view renders its whole content from the API, off-screen; the shell swaps it in. */
export type View = (ctx: ViewContext) => Promise<HTMLElement>;

/** The bucket the time-series queries use for a range. */
export const bucketFor = (rangeMs: number): 'minute' | 'hour' =>
  rangeMs > 6 * 3_600_000 ? 'hour' : 'minute';

/** Two charts side by side on a wide screen, one per row on a phone. */
export const halfWidth = (width: number): number => (width >= 760 ? Math.floor((width - 16) / 2) : width);
