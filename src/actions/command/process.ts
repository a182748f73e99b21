/**
 * Runs one executable without a shell, in its own process group, with bounded output capture. On timeout
 * or abort the whole group gets SIGTERM, then SIGKILL after a grace period; processes a script leaves
 * behind when it exits are stopped the same way, so nothing outlives the step.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { OutputCapture } from './capture.js';

/** What to run and within which limits. */
export interface ProcessRequest {
  file: string;
  args: readonly string[];
  /** The complete environment of the child. */
  env: Record<string, string>;
  cwd: string;
  stdin?: string;
  timeoutMs: number;
  maxOutputBytes: number;
  /** Time between SIGTERM and SIGKILL. */
  killGraceMs: number;
  signal: AbortSignal;
}

/** How the process ended, with the output kept. */
export interface ProcessOutcome {
  exitCode: number | null;
  /** The signal that ended it, when one did. */
  exitSignal: string | null;
  stdout: OutputCapture;
  stderr: OutputCapture;
  durationMs: number;
  /** Set when we stopped it. */
  stopped?: 'timeout' | 'aborted';
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    // A negative pid addresses the process group the child leads (spawned with `detached: true`).
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** Stops a child's process group: SIGTERM, then SIGKILL after the grace period. */
interface GroupTerminator {
  terminate(): void;
  dispose(): void;
}

function groupTerminator(child: ChildProcessByStdio<Writable, Readable, Readable>, graceMs: number): GroupTerminator {
  const timers: NodeJS.Timeout[] = [];
  let terminating = false;
  return {
    terminate() {
      if (terminating) return;
      terminating = true;
      signalGroup(child.pid, 'SIGTERM');
      const kill = () => {
        signalGroup(child.pid, 'SIGKILL');
        // A process that left the group may still hold our pipes open; stop waiting for it.
        const release = () => {
          child.stdout.destroy();
          child.stderr.destroy();
        };
        timers.push(setTimeout(release, graceMs));
      };
      timers.push(setTimeout(kill, graceMs));
    },
    dispose() {
      for (const timer of timers) clearTimeout(timer);
    },
  };
}

/** Runs the process to completion; rejects only when it cannot be started at all. */
export function runProcess(request: ProcessRequest): Promise<ProcessOutcome> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const stdout = new OutputCapture(request.maxOutputBytes, 'head');
    const stderr = new OutputCapture(request.maxOutputBytes, 'tail');
    const child = spawn(request.file, [...request.args], {
      cwd: request.cwd,
      env: request.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      shell: false,
    });
    const group = groupTerminator(child, request.killGraceMs);
    let stopped: ProcessOutcome['stopped'];
    const stop = (why: 'timeout' | 'aborted') => {
      stopped ??= why;
      group.terminate();
    };
    const onAbort = () => stop('aborted');
    const timer = setTimeout(() => stop('timeout'), request.timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      group.dispose();
      request.signal.removeEventListener('abort', onAbort);
    };
    request.signal.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // EPIPE when the script exits without reading its input is not a failure of the script.
    child.stdin.on('error', () => undefined);
    child.stdin.end(request.stdin);
    child.on('error', (error) => {
      cleanup();
      reject(error);
    });
    // Whatever the script left running in its group is stopped once it exits.
    child.on('exit', () => group.terminate());
    child.on('close', (exitCode, exitSignal) => {
      cleanup();
      const durationMs = Date.now() - started;
      resolve({ exitCode, exitSignal, stdout, stderr, durationMs, ...(stopped ? { stopped } : {}) });
    });
    if (request.signal.aborted) onAbort();
  });
}
