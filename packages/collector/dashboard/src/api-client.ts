/** An answer of the collector other than 2xx: its HTTP status and the body's stable error code. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | undefined>;

/** Calls the collector's API on this origin with the key as `Authorization: Bearer`. */
export class ApiClient {
  constructor(
    private readonly key: string,
    private readonly base = '',
  ) {}

  /** GET a JSON answer; undefined query values are left out. */
  get<T>(path: string, query: Query = {}): Promise<T> {
    const qs = Object.entries(query)
      .filter((e): e is [string, string | number] => e[1] !== undefined)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join('&');
    return this.request<T>('GET', qs ? `${path}?${qs}` : path);
  }

  /** A change (PUT/POST) with a JSON body. */
  send<T>(method: 'PUT' | 'POST', path: string, body: unknown): Promise<T> {
    return this.request<T>(method, path, body);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.key}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch (err) {
      throw new ApiError(0, 'network', `The collector did not answer (${String(err)}); is it running?`);
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: reported below
    }
    if (!res.ok) {
      const e = (json as { error?: { code?: string; message?: string } } | null)?.error;
      throw new ApiError(res.status, e?.code ?? `http_${res.status}`, e?.message ?? (text || res.statusText));
    }
    return json as T;
  }
}
