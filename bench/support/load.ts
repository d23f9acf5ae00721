// A closed-loop load generator: `concurrency` lanes over keep-alive connections, each posting its
// next pre-built body as soon as the previous answer arrived. Bodies are built before the clock
// starts, so the generator's own cost per request is HTTP framing only.
import http from 'node:http';

export interface LoadOptions {
  url: string;
  concurrency: number;
  /** Stop starting requests after this long (ms), or earlier when `body` runs out. */
  durationMs: number;
  /** The i-th request's urlencoded form body; undefined ends the run (a pool of one-time logins is used up). */
  body(i: number): Buffer | undefined;
}

export interface LoadResult {
  completed: number;
  elapsedSeconds: number;
  perSecond: number;
  statuses: Map<number, number>;
  transportErrors: number;
  p50Ms: number;
  p99Ms: number;
}

function post(agent: http.Agent, url: URL, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': body.length,
          // A browser posting the IdP's auto-submitting form; refusals are rendered as HTML pages.
          accept: 'text/html,application/xhtml+xml',
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const url = new URL(options.url);
  const statuses = new Map<number, number>();
  const latencies: number[] = [];
  let transportErrors = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;
  let finished = started;

  async function lane() {
    while (performance.now() < deadline) {
      const body = options.body(next++);
      if (!body) return;
      const sent = performance.now();
      try {
        const status = await post(agent, url, body);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      } catch {
        transportErrors++;
      }
      finished = performance.now();
      latencies.push(finished - sent);
    }
  }

  try {
    await Promise.all(Array.from({ length: options.concurrency }, lane));
  } finally {
    agent.destroy();
  }
  const completed = [...statuses.values()].reduce((a, b) => a + b, 0);
  const elapsedSeconds = (finished - started) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  return {
    completed,
    elapsedSeconds,
    perSecond: elapsedSeconds > 0 ? completed / elapsedSeconds : 0,
    statuses,
    transportErrors,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
  };
}

/** `{303: 4210}` style, for notes. */
export const describeStatuses = (statuses: Map<number, number>) =>
  [...statuses].map(([status, count]) => `${status}: ${count}`).join(', ') || 'none';

function reasonCodeOf(text: string): string | undefined {
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One request, for checking an answer before load: the status and, for refusals, the reason code.
 * It asks for JSON, the contract's error shape, which does not change when the HTML pages are redesigned.
 */
export async function probe(
  url: string,
  body: Buffer,
): Promise<{ status: number; reasonCode: string | undefined; setsCookie: boolean; excerpt: string }> {
  return await new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': body.length, accept: 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            reasonCode: reasonCodeOf(text),
            setsCookie: (res.headers['set-cookie'] ?? []).length > 0,
            excerpt: text.slice(0, 400),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
