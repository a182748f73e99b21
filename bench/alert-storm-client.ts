/**
 * The alert storm's load client, in a process of its own so that it does not share an event loop with
 * the server it measures: a fixed number of requests in flight over keep-alive connections, each a
 * signed generic delivery of one of a few alerts, interleaved (alert i % alerts), unique delivery ids.
 * Takes its job as JSON in ALERT_STORM_JOB and answers with one IPC message.
 */
import { Agent, request } from 'node:http';
import { signDelivery } from '../src/alerts/signature.js';

/** What to send. */
export interface StormJob {
  port: number;
  path: string;
  /** Fingerprints are `<prefix>-<runId>-<alert>`, delivery ids `<prefix>-<runId>-<i>`. */
  prefix: string;
  runId: string;
  secret: string;
  count: number;
  alerts: number;
  concurrency: number;
}

/** What came back: per-request latency and status, the incidents the answers named, the wall time. */
export interface StormResult {
  ms: number;
  latencies: number[];
  statuses: Record<string, number>;
  incidentIds: string[];
}

function post(agent: Agent, job: StormJob, body: string, headers: Record<string, string>) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      { agent, host: '127.0.0.1', port: job.port, path: job.path, method: 'POST', headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends the job's deliveries with at most `concurrency` in flight. */
async function storm(job: StormJob): Promise<StormResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });
  const result: StormResult = { ms: 0, latencies: [], statuses: {}, incidentIds: [] };
  const incidents = new Set<string>();
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < job.count) {
      const i = next++;
      const alert = i % job.alerts;
      const body = JSON.stringify({
        kind: 'storm',
        fingerprint: `${job.prefix}-${job.runId}-${alert}`,
        host: `host-${alert}`,
        title: `Outbound traffic spike on host-${alert}`,
        labels: { team: 'infra', alert: String(alert) },
        // Each delivery is its own event: the same body and timestamp twice would be one delivery, replayed.
        event: i,
      });
      const timestamp = Math.floor(Date.now() / 1000);
      const sentAt = performance.now();
      const answer = await post(agent, job, body, {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'x-firebreak-timestamp': String(timestamp),
        'x-firebreak-signature': signDelivery(job.secret, timestamp, `${job.prefix}-${job.runId}-${i}`, body),
        'x-firebreak-delivery': `${job.prefix}-${job.runId}-${i}`,
      });
      result.latencies.push(performance.now() - sentAt);
      result.statuses[answer.status] = (result.statuses[answer.status] ?? 0) + 1;
      for (const match of answer.body.matchAll(/"incidentId":"([^"]+)"/g)) if (match[1]) incidents.add(match[1]);
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, worker));
  result.ms = performance.now() - started;
  result.incidentIds = [...incidents];
  agent.destroy();
  return result;
}

const job = JSON.parse(process.env.ALERT_STORM_JOB ?? 'null') as StormJob | null;
if (job === null || process.send === undefined) throw new Error('run by bench/alert-storm.ts, with ALERT_STORM_JOB');
process.send(await storm(job), () => process.exit(0));
