// The project's entry points (api/main.ts, worker/main.ts, scripts/dev.ts, or compiled dist/ ones) as real child
// processes: for the fault tests that SIGKILL them, the fuzz and soak runs that measure them, and the benchmark.
// Each runs detached, as the leader of its own process group, and is killed with its group.
// Nothing here imports vitest: the benchmark (bench/support/apiProcess.ts) uses it too.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const outputLimit = 64 * 1024;

export interface ServiceOptions {
  /** What messages call it. */
  name: string;
  /** The entry point, relative to the project root: 'api/main.ts', or a compiled 'dist/api/main.js' with loader 'node'. */
  entry: string;
  /** The whole environment the child sees; serviceEnv() makes a clean one. */
  env: NodeJS.ProcessEnv;
  /**
   * 'tsx' (the default): `node --import tsx <entry>`, as the npm scripts and the Dockerfile run it.
   * 'node': `node <entry>`, for compiled JavaScript.
   */
  loader?: 'tsx' | 'node';
  /** Node flags, before the entry: ['--max-old-space-size=96'], ['--cpu-prof', '--cpu-prof-dir=.scratch/prof']. */
  nodeArgs?: string[];
  /**
   * Where stop()'s SIGTERM goes: to the whole group (the default), or to the leader alone, for a leader that
   * stops its own children (the API's node:cluster primary stops its workers); SIGKILL always goes to the group.
   */
  terminate?: 'group' | 'leader';
}

export interface ServiceProcess {
  name: string;
  pid: number;
  /** The last 64 KB of what it wrote to stdout and stderr. */
  output(): string;
  running(): boolean;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the output once it matches; rejects when the process exits first or time runs out. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void>;
  /** Resident memory of the leader, from /proc (KiB). */
  rssKiB(): number;
  /** Sends the signal to the whole process group. */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM (see ServiceOptions.terminate), SIGKILL to the group after `graceMs`; resolves once the leader has exited. */
  stop(graceMs?: number): Promise<void>;
}

export type ApiProcess = ServiceProcess & { baseUrl: string };

const live = new Set<ServiceProcess>();
const others = new Set<ChildProcess>();

// A test process that dies without running afterAll must not leave workers polling behind it.
process.once('exit', () => {
  for (const service of live) {
    try {
      process.kill(-service.pid, 'SIGKILL');
    } catch {}
  }
  for (const child of others) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Kills `child` (started elsewhere, e.g. a Temporal dev server) should this process exit while it runs. */
export function killOnExit(child: ChildProcess): void {
  others.add(child);
  child.once('exit', () => others.delete(child));
}

/** A clean environment: the child sees the settings the test gives it and nothing from the runner. */
export function serviceEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { NODE_ENV: 'test', LOG_LEVEL: 'info' };
  for (const name of ['PATH', 'HOME', 'LANG', 'TMPDIR', 'TZ']) if (process.env[name]) env[name] = process.env[name];
  return { ...env, ...settings };
}

/** Runs the entry from the project root (see ServiceOptions.loader), collecting what it writes. */
export function startServiceProcess(options: ServiceOptions): ServiceProcess {
  const { name, entry } = options;
  const loader = options.loader === 'node' ? [] : ['--import', 'tsx'];
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), ...loader, entry], {
    cwd: projectRoot,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start ${name} (${entry})`);
  const pid = child.pid;
  let output = '';
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-outputLimit);
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let status: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      status = { code, signal };
      live.delete(service);
      for (const listener of listeners) listener();
      resolve(status);
    });
  });

  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch (error) {
      // ESRCH: the group is already gone.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  };

  const service: ServiceProcess = {
    name,
    pid,
    output: () => output,
    running: () => status === undefined,
    exited,
    waitForOutput(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(output)) finish();
          else if (status)
            finish(new Error(`${name} exited (${JSON.stringify(status)}) before printing ${pattern}:\n${output.slice(-4000)}`));
        };
        const timer = setTimeout(
          () => finish(new Error(`${name} did not print ${pattern} within ${timeoutMs} ms:\n${output.slice(-4000)}`)),
          timeoutMs,
        );
        const finish = (error?: Error) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (error) reject(error);
          else resolve();
        };
        listeners.add(check);
        check();
      });
    },
    rssKiB() {
      const proc = readFileSync(`/proc/${pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(proc)?.[1] ?? 0);
    },
    signal,
    async stop(graceMs = 10_000) {
      if (status) return;
      if (options.terminate === 'leader') child.kill('SIGTERM');
      else signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      // The leader is gone; anything it left in its group goes too.
      signal('SIGKILL');
    },
  };
  live.add(service);
  return service;
}

/** For afterAll: stops every service process this test file started that is still running. */
export async function stopAllServiceProcesses(): Promise<void> {
  await Promise.all([...live].map((service) => service.stop()));
}

type EntryOptions = Partial<Pick<ServiceOptions, 'entry' | 'loader' | 'nodeArgs'>>;

/** worker/main.ts with the given settings; resolves once it has connected and registered its task queue. */
export async function startWorkerProcess(
  settings: Record<string, string>,
  options: EntryOptions & { timeoutMs?: number } = {},
): Promise<ServiceProcess> {
  const { entry = 'worker/main.ts', loader, nodeArgs } = options;
  const worker = startServiceProcess({ name: 'worker', entry, loader, nodeArgs, env: serviceEnv(settings) });
  try {
    await worker.waitForOutput(/"msg":"worker started"/, options.timeoutMs ?? 90_000);
  } catch (error) {
    await worker.stop();
    throw error;
  }
  return worker;
}

export interface ApiProcessOptions extends EntryOptions, Pick<ServiceOptions, 'terminate'> {
  /** What the settings go on top of: a clean environment (serviceEnv) unless told. */
  baseEnv?: NodeJS.ProcessEnv;
  /** How long /healthz (and `ready`) may take; 60 s unless told. */
  timeoutMs?: number;
  /** More to wait for once /healthz answers 200, e.g. that every node:cluster worker is up. */
  ready?: (api: ServiceProcess) => boolean;
}

/**
 * api/main.ts (or options.entry) on `port` with the given settings (PUBLIC_BASE_URL defaults to the port);
 * resolves once /healthz answers 200 and `ready` holds.
 */
export async function startApiProcess(
  port: number,
  settings: Record<string, string>,
  options: ApiProcessOptions = {},
): Promise<ApiProcess> {
  const baseUrl = `http://127.0.0.1:${port}`;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const { entry = 'api/main.ts', loader, nodeArgs, terminate } = options;
  const api = startServiceProcess({
    name: 'api',
    entry,
    loader,
    nodeArgs,
    terminate,
    env: { ...(options.baseEnv ?? serviceEnv({})), PUBLIC_BASE_URL: baseUrl, ...settings, PORT: String(port) },
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!api.running()) throw new Error(`api exited before answering /healthz:\n${api.output().slice(-4000)}`);
    const status = await httpStatus(`${baseUrl}/healthz`).catch(() => 0);
    if (status === 200 && (options.ready?.(api) ?? true)) return Object.assign(api, { baseUrl });
    if (Date.now() > deadline) {
      await api.stop();
      throw new Error(`api did not answer /healthz within ${timeoutMs} ms:\n${api.output().slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A GET on a connection of its own (nothing kept alive to the child), given up after a second. */
function httpStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.setTimeout(1000, () => req.destroy(new Error('timeout')));
  });
}
