// The API as production runs it: its own process (and, with API_WORKERS > 1, its node:cluster
// workers), started from api/main.ts, so the benchmark measures the real entry point, not an
// in-process app sharing the load generator's event loop and core.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../lib/ports.js';
import { runOnce, untilDone } from './cleanup.js';
import { childNodeProcesses } from './procStat.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface ApiOptions {
  databaseUrl: string;
  workers: number;
  /** Extra node flags for the API process, e.g. ['--cpu-prof', '--cpu-prof-dir=.scratch/prof']. */
  nodeArgs?: string[];
  /** The entry point, relative to the repository; another one lets an experiment reuse this harness. */
  entry?: string;
}

export interface ApiProcess {
  baseUrl: string;
  pid: number;
  stop(): Promise<void>;
}

/** A port is needed before start, because PUBLIC_BASE_URL (hence the ACS URL responses name) contains it. */
export async function reserveApiPort(): Promise<{ port: number; baseUrl: string }> {
  const port = await freePort();
  return { port, baseUrl: `http://127.0.0.1:${port}` };
}

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.setTimeout(1000, () => req.destroy(new Error('timeout')));
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
  // Negative pid: the process group spawn({ detached: true }) created, i.e. the API and its workers only.
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the whole group has already exited.
  }
}

export async function startApi(port: number, options: ApiOptions): Promise<ApiProcess> {
  const baseUrl = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', options.entry ?? 'api/main.ts'], {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      PORT: String(port),
      PUBLIC_BASE_URL: baseUrl,
      DATABASE_URL: options.databaseUrl,
      API_WORKERS: String(options.workers),
      SUPPORT_API_TOKEN: 'bench-support-token-0123456789',
      APPROVAL_LINK_SECRET: 'bench-approval-link-secret-0123456789abcdef',
      // Nothing listens here: logins never wait on Temporal, and the bench's users are no pilots.
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    },
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const sweep = () => killGroup(child, 'SIGKILL');
  process.on('exit', sweep);
  let exited = false;
  const exit = once(child, 'exit').then(() => {
    exited = true;
  });

  let done = () => {};
  const stop = runOnce(async () => {
    done();
    if (!exited) {
      child.kill('SIGTERM');
      await Promise.race([exit, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    }
    sweep();
    process.off('exit', sweep);
  });
  done = untilDone(stop);

  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exited) throw new Error(`the API exited during start:\n${output}`);
      if (Date.now() > deadline) throw new Error(`the API did not answer /healthz within 30 s:\n${output}`);
      const status = await get(`${baseUrl}/healthz`).catch(() => 0);
      // With cluster, one worker answering is not enough: a worker that listens later gets no share
      // of the keep-alive connections the load generator has already opened.
      const workersUp = options.workers === 1 || (child.pid !== undefined && childNodeProcesses(child.pid).length >= options.workers);
      if (status === 200 && workersUp) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, pid: child.pid as number, stop };
}
