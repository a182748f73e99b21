/**
 * Docker health: the container's own healthcheck, polled until it says `healthy` or `unhealthy` (or the
 * wait runs out), or an HTTP GET from the worker. The probe only goes to loopback (127.0.0.1, localhost,
 * [::1]) or to hosts the provider's config allows, and never follows a redirect: a URL from a runbook must
 * not turn the worker into a way to reach the rest of the network (SSRF).
 */
import type Docker from 'dockerode';
import type { ContainerInspectInfo } from 'dockerode';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { deepFreeze } from '../selector.js';
import type { HealthRequest, HealthResult } from '../types.js';
import { inspectPinned } from './inventory.js';

/** How long health waits for a verdict by default, and at most. */
export const DEFAULT_HEALTH_TIMEOUT_MS = 60_000;
const MAX_HEALTH_TIMEOUT_MS = 30 * 60_000;
/** One probe request may take this long. */
export const PROBE_REQUEST_TIMEOUT_MS = 5_000;
const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

/** What health needs besides the request. */
export interface HealthContext {
  docker: Docker;
  /** Hosts a probe may reach besides loopback (`infra.providers.<name>.health.allowHosts`), lowercase. */
  allowHosts: readonly string[];
  /** How long to wait between polls. */
  pollMs?: number;
}

function refuse(message: string): FirebreakError {
  return new FirebreakError(ErrorCode.InvalidInput, `health: ${message}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Checks the request, then waits for the healthcheck's verdict or probes the URL. */
export async function health(context: HealthContext, request: HealthRequest): Promise<HealthResult> {
  const timeoutMs = request.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > MAX_HEALTH_TIMEOUT_MS) {
    throw refuse(`timeoutMs must be a whole number of milliseconds from 0 to ${MAX_HEALTH_TIMEOUT_MS}`);
  }
  const probe = request.probe === undefined ? undefined : checkProbe(request.probe, context.allowHosts);
  const deadline = Date.now() + timeoutMs;
  const pollMs = context.pollMs ?? 500;
  const { target } = request;
  for (;;) {
    const info = await inspectPinned(context.docker, 'health', target);
    const verdict = probe === undefined ? ownVerdict(info) : await probeVerdict(info, probe);
    const result = { targetId: target.id, ...verdict };
    if (verdict.final || Date.now() >= deadline) {
      const detail = verdict.final ? verdict.detail : `${verdict.detail} (no verdict after ${timeoutMs / 1000} s)`;
      return deepFreeze({ targetId: result.targetId, healthy: verdict.healthy && verdict.final, detail });
    }
    await sleep(Math.min(pollMs, Math.max(deadline - Date.now(), 0)));
  }
}

interface Verdict {
  healthy: boolean;
  detail: string;
  /** False while waiting can change it (a healthcheck `starting`, a probe refused while the service starts). */
  final: boolean;
}

function notRunning(info: ContainerInspectInfo): Verdict | undefined {
  const state = info.State;
  if (state.Restarting) return { healthy: false, detail: `restarting (restarted ${info.RestartCount} times)`, final: false };
  if (!state.Running || state.Paused) return { healthy: false, detail: `not running: ${state.Status} (exit code ${state.ExitCode})`, final: true };
  return undefined;
}

function ownVerdict(info: ContainerInspectInfo): Verdict {
  const down = notRunning(info);
  if (down !== undefined) return down;
  const check = (info.State as { Health?: { Status?: string; FailingStreak?: number; Log?: Array<{ ExitCode?: number }> } }).Health;
  if (check?.Status === undefined || check.Status === 'none' || check.Status === '') {
    return { healthy: true, detail: 'running; the container has no healthcheck, so running and not restarting counts as healthy', final: true };
  }
  const last = check.Log?.[check.Log.length - 1];
  // The check's output is not reported: it comes from inside a compromised container and may hold anything.
  const exit = last?.ExitCode === undefined ? '' : `, last check exited ${last.ExitCode}`;
  switch (check.Status) {
    case 'healthy':
      return { healthy: true, detail: `healthcheck: healthy${exit}`, final: true };
    case 'unhealthy':
      return { healthy: false, detail: `healthcheck: unhealthy (failing ${check.FailingStreak ?? 0} times in a row${exit})`, final: true };
    default:
      return { healthy: false, detail: `healthcheck: ${check.Status}${exit}`, final: false };
  }
}

interface Probe {
  url: URL;
  expectStatus?: number;
}

/** Checks a probe: http(s), a loopback or allowed host, no userinfo, a sane expected status. */
export function checkProbe(probe: NonNullable<HealthRequest['probe']>, allowHosts: readonly string[]): Probe {
  if (typeof probe !== 'object' || probe === null || typeof probe.url !== 'string') throw refuse('probe.url must be a URL');
  let url: URL;
  try {
    url = new URL(probe.url);
  } catch {
    throw refuse(`probe.url ${JSON.stringify(probe.url.slice(0, 300))} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refuse(`probe.url must be http or https, not ${url.protocol}`);
  if (url.username !== '' || url.password !== '') throw refuse('probe.url must not hold credentials (user:password@)');
  const host = url.hostname.toLowerCase();
  if (!LOOPBACK_HOSTS.includes(host) && !allowHosts.includes(host)) {
    throw refuse(
      `probe.url host ${host} is not loopback (127.0.0.1, localhost, [::1]) nor in the provider's health.allowHosts ` +
        `(${allowHosts.join(', ') || 'none'}): a probe may only reach hosts the config names`,
    );
  }
  const expect = probe.expectStatus;
  if (expect !== undefined && (!Number.isInteger(expect) || expect < 100 || expect > 599)) {
    throw refuse('probe.expectStatus must be an HTTP status from 100 to 599');
  }
  return { url, ...(expect === undefined ? {} : { expectStatus: expect }) };
}

async function probeVerdict(info: ContainerInspectInfo, probe: Probe): Promise<Verdict> {
  const down = notRunning(info);
  if (down !== undefined) return down;
  const shown = `${probe.url.origin}${probe.url.pathname}`;
  let response: Response;
  try {
    // redirect: manual: a 3xx is the answer, never followed (it could point anywhere).
    response = await fetch(probe.url, { redirect: 'manual', signal: AbortSignal.timeout(PROBE_REQUEST_TIMEOUT_MS) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : 'error');
    return { healthy: false, detail: `GET ${shown}: no answer (${reason})`, final: false };
  }
  await response.body?.cancel();
  const status = response.status;
  const ok = probe.expectStatus === undefined ? status >= 200 && status < 300 : status === probe.expectStatus;
  const expected = probe.expectStatus === undefined ? '2xx' : String(probe.expectStatus);
  if (ok) return { healthy: true, detail: `GET ${shown}: HTTP ${status}`, final: true };
  const redirect = status >= 300 && status < 400 ? `, a redirect (not followed) to ${whereTo(response, probe.url)}` : '';
  return { healthy: false, detail: `GET ${shown}: HTTP ${status}${redirect}, expected ${expected}`, final: false };
}

/** Where a redirect points, without its query (which may carry a token) or userinfo. */
function whereTo(response: Response, base: URL): string {
  const location = response.headers.get('location');
  if (location === null) return 'nowhere';
  try {
    const url = new URL(location, base);
    return `${url.origin}${url.pathname}`.slice(0, 200);
  } catch {
    return 'an invalid location';
  }
}
