// The API as production runs it: its own process (and, with API_WORKERS > 1, its node:cluster
// workers), started from api/main.ts, so the benchmark measures the real entry point, not an
// in-process app sharing the load generator's event loop and core. The process itself is started,
// watched and killed by test/support/processes.ts, as the fault, fuzz and soak tests start theirs.
import { freePort } from '../../lib/ports.js';
import { startApiProcess } from '../../test/support/processes.js';
import { runOnce, untilDone } from './cleanup.js';
import { childNodeProcesses } from './procStat.js';

export interface ApiOptions {
  databaseUrl: string;
  workers: number;
  /** Extra node flags for the API process, e.g. ['--cpu-prof', '--cpu-prof-dir=.scratch/prof']. */
  nodeArgs?: string[];
  /** The entry point, relative to the repository; another one lets an experiment reuse this harness. */
  entry?: string;
  /** 'node' runs a compiled entry (dist/api/main.js) with plain node; tsx unless told. */
  loader?: 'tsx' | 'node';
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

export async function startApi(port: number, options: ApiOptions): Promise<ApiProcess> {
  const api = await startApiProcess(
    port,
    {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATABASE_URL: options.databaseUrl,
      API_WORKERS: String(options.workers),
      SUPPORT_API_TOKEN: 'bench-support-token-0123456789',
      APPROVAL_LINK_SECRET: 'bench-approval-link-secret-0123456789abcdef',
      // Nothing listens here: logins never wait on Temporal, and the bench's users are no pilots.
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    },
    {
      baseEnv: process.env,
      entry: options.entry,
      loader: options.loader,
      nodeArgs: options.nodeArgs,
      // The cluster primary stops its workers itself; SIGKILL sweeps the group afterwards.
      terminate: 'leader',
      timeoutMs: 30_000,
      // With cluster, one worker answering is not enough: a worker that listens later gets no share
      // of the keep-alive connections the load generator has already opened.
      ready: (child) => options.workers === 1 || childNodeProcesses(child.pid).length >= options.workers,
    },
  );
  let done = () => {};
  const stop = runOnce(async () => {
    done();
    await api.stop();
  });
  done = untilDone(stop);
  return { baseUrl: api.baseUrl, pid: api.pid, stop };
}
