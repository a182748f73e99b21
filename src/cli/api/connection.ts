/** Where the Firebreak API is and which token to send: options first, then the environment, then the dev token. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CliError, defaultDataDir, type CliDeps } from '../context.js';
import { ApiClient } from './client.js';
import { SIGN_IN_HINT } from './errors.js';
import { EXIT } from './exit-codes.js';

/** The address `firebreak dev` serves the API on by default. */
export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** The options every API command accepts. */
export interface ApiOptions {
  url?: string;
  tokenFile?: string;
}

/** A client for the API chosen by `--url`/`FIREBREAK_URL`, signed in with the resolved token. */
export function apiClient(deps: CliDeps, options: ApiOptions, tuning: { timeoutMs?: number } = {}): ApiClient {
  return new ApiClient({ baseUrl: resolveBaseUrl(deps, options), token: resolveToken(deps, options), ...tuning });
}

/** `--url`, else `FIREBREAK_URL`, else the dev default; refuses anything that is not an http(s) URL. */
export function resolveBaseUrl(deps: CliDeps, options: ApiOptions): string {
  const raw = options.url ?? (deps.env.FIREBREAK_URL || DEFAULT_URL);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`invalid Firebreak URL \`${raw}\`: expected something like ${DEFAULT_URL}`, EXIT.invalid);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`invalid Firebreak URL \`${raw}\`: only http and https are supported`, EXIT.invalid);
  }
  return raw.replace(/\/+$/, '');
}

/**
 * `--token-file`, else `FIREBREAK_TOKEN`, else the dev token file that `firebreak dev` writes
 * (`<FIREBREAK_DATA_DIR>/admin.token`, or `.firebreak/admin.token` in the working directory).
 */
export function resolveToken(deps: CliDeps, options: ApiOptions): string {
  if (options.tokenFile !== undefined) {
    const file = path.resolve(deps.cwd, options.tokenFile);
    const token = readToken(file);
    if (token === undefined) throw new CliError(`cannot read a token from ${options.tokenFile}`, EXIT.auth);
    return token;
  }
  const fromEnv = deps.env.FIREBREAK_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  const dataDir = defaultDataDir(deps);
  const devFile = path.resolve(deps.cwd, dataDir, 'admin.token');
  const token = readToken(devFile);
  if (token === undefined) {
    throw new CliError(`no token: ${SIGN_IN_HINT} (looked for ${path.join(dataDir, 'admin.token')})`, EXIT.auth);
  }
  return token;
}

function readToken(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
