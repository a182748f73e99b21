/**
 * Secret references as runbooks and config write them (`env:NAME`, `file:PATH`), resolved only inside
 * activities at the moment of use. Errors name the reference, never a value.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import { own } from '../domain/own.js';

/** Resolves one secret reference (`env:NAME`, `file:PATH`) to its value. */
export interface SecretResolver {
  resolve(reference: string): Promise<string>;
}

/** Where the default resolver looks: an environment object (not `process.env` directly) and a base dir. */
export interface SecretResolverOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** Relative `file:` paths are read against this directory. */
  baseDir: string;
  /** Refuse secret files larger than this; a secret is a key, not a document. Default 64 KiB. */
  maxFileBytes?: number;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DEFAULT_MAX_FILE_BYTES = 64 * 1024;

function unavailable(reference: string, why: string): FirebreakError {
  return new FirebreakError(ErrorCode.SecretUnavailable, `secret ${reference} is unavailable: ${why}`);
}

/** Creates the resolver for the `env:` and `file:` schemes. */
export function createSecretResolver(options: SecretResolverOptions): SecretResolver {
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  return {
    async resolve(reference) {
      const colon = reference.indexOf(':');
      const scheme = colon < 0 ? '' : reference.slice(0, colon);
      const rest = reference.slice(colon + 1);
      if (scheme === 'env') return fromEnv(reference, rest, options.env);
      if (scheme === 'file') return fromFile(reference, path.resolve(options.baseDir, rest), maxFileBytes);
      throw unavailable(reference, 'unknown scheme (expected env:NAME or file:PATH)');
    },
  };
}

function fromEnv(reference: string, name: string, env: SecretResolverOptions['env']): string {
  if (!ENV_NAME.test(name)) throw unavailable(reference, 'not a valid environment variable name');
  const value = own(env, name);
  // An empty variable is almost always a deployment mistake; sending an empty credential hides it.
  if (value === undefined || value === '') throw unavailable(reference, `environment variable ${name} is not set`);
  return value;
}

async function fromFile(reference: string, file: string, maxBytes: number): Promise<string> {
  if (reference === 'file:') throw unavailable(reference, 'no path given');
  let content: Buffer;
  try {
    content = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'read error';
    throw unavailable(reference, `cannot read ${file} (${code})`);
  }
  if (content.length > maxBytes) throw unavailable(reference, `${file} is larger than ${maxBytes} bytes`);
  // Files written by editors and `echo` end with a newline that is not part of the secret.
  const value = content.toString('utf8').replace(/(\r?\n)+$/, '');
  if (value === '') throw unavailable(reference, `${file} is empty`);
  return value;
}
