const KEY = 'driftline.dashboard.key';
const MODEL = 'driftline.dashboard.model';

/** The key entered once in the page, kept in localStorage (this browser only). */
export const keyStore = {
  get: (): string | null => localStorage.getItem(KEY),
  set: (k: string): void => localStorage.setItem(KEY, k),
  clear: (): void => localStorage.removeItem(KEY),
};

/** The model last looked at. */
export const modelStore = {
  get: (): string | null => localStorage.getItem(MODEL),
  set: (m: string): void => localStorage.setItem(MODEL, m),
};
