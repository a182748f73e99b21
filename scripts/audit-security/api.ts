/**
 * A small client for the Firebreak API of the dev instance under audit: requests as a given token, answers
 * as status and parsed body, and bounded waits. It speaks plain HTTP like any outside caller; nothing here
 * reaches into Firebreak's code.
 */

/** An answer: its status, its body as text, and the body parsed when it is JSON. */
export interface Answer {
  status: number;
  text: string;
  body: unknown;
  headers: Headers;
}

/** A request to the API under audit. */
export interface Call {
  method?: 'GET' | 'POST';
  token?: string;
  /** A JSON value, or a string sent as is (with `content-type: application/json`). */
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** The API of the instance under audit. */
export class AuditApi {
  constructor(readonly baseUrl: string) {}

  /** Sends one request and reads the whole answer; a network failure or a timeout throws. */
  async call(path: string, call: Call = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...call.headers };
    if (call.token !== undefined) headers.authorization = `Bearer ${call.token}`;
    let body: string | undefined;
    if (call.body !== undefined) {
      body = typeof call.body === 'string' ? call.body : JSON.stringify(call.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: call.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(call.timeoutMs ?? 15_000),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, text, body: parsed, headers: response.headers };
  }

  /** GET as `token`. */
  get(path: string, token?: string): Promise<Answer> {
    return this.call(path, { ...(token === undefined ? {} : { token }) });
  }

  /** POST `body` as `token`. */
  post(path: string, token: string, body?: unknown): Promise<Answer> {
    return this.call(path, { method: 'POST', token, ...(body === undefined ? {} : { body }) });
  }
}

/** Reads a dotted path of a parsed body (`error.code`), or undefined. */
export function field(value: unknown, dotted: string): unknown {
  let current = value;
  for (const key of dotted.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** `status code: message` of an error answer, for the report. */
export function describe(answer: Answer): string {
  const code = field(answer.body, 'error.code');
  const message = field(answer.body, 'error.message');
  if (typeof code === 'string') return `${answer.status} ${code}${typeof message === 'string' ? `: ${message}` : ''}`;
  return `${answer.status} ${answer.text.slice(0, 120)}`;
}

/** `status code at <first issue path>` of a refusal with issues, else `describe` cut short: for the report. */
export function brief(answer: Answer): string {
  const code = field(answer.body, 'error.code');
  const at = field(answer.body, 'error.issues.0.path');
  if (typeof code === 'string' && typeof at === 'string') return `${answer.status} ${code} at ${at}`;
  return describe(answer).slice(0, 100);
}

/** Polls `probe` every `intervalMs` until it gives a value other than undefined, or `timeoutMs` passes. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  { timeoutMs, intervalMs = 250 }: { timeoutMs: number; intervalMs?: number },
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() + intervalMs > deadline) return undefined;
    await sleep(intervalMs);
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
