// The production entry points (api/main.ts, worker/main.ts) as real child processes, so fault tests can
// SIGKILL them. Each runs detached, as the leader of its own process group, and is killed with its group.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const outputLimit = 64 * 1024;

export interface ServiceProcess {
  name: string;
  pid: number;
  /** The last 64 KB of what it wrote to stdout and stderr. */
  output(): string;
  running(): boolean;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the output once it matches; rejects when the process exits first or time runs out. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void>;
  /** Sends the signal to the whole process group. */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves once the leader has exited. */
  stop(graceMs?: number): Promise<void>;
}

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

/** Runs `node --import tsx <entry>` from the project root, as the Dockerfile and npm scripts do. */
export function startServiceProcess(name: string, entry: string, env: NodeJS.ProcessEnv): ServiceProcess {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: projectRoot,
    env,
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
    signal,
    async stop(graceMs = 10_000) {
      if (status) return;
      signal('SIGTERM');
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

/** worker/main.ts with the given settings; resolves once it has connected and registered its task queue. */
export async function startWorkerProcess(settings: Record<string, string>, timeoutMs = 90_000): Promise<ServiceProcess> {
  const worker = startServiceProcess('worker', 'worker/main.ts', serviceEnv(settings));
  try {
    await worker.waitForOutput(/"msg":"worker started"/, timeoutMs);
  } catch (error) {
    await worker.stop();
    throw error;
  }
  return worker;
}

/** api/main.ts on `port` (PUBLIC_BASE_URL defaults to it) with the given settings; resolves once /healthz answers. */
export async function startApiProcess(
  port: number,
  settings: Record<string, string>,
  timeoutMs = 60_000,
): Promise<ServiceProcess & { baseUrl: string }> {
  const baseUrl = `http://127.0.0.1:${port}`;
  const api = startServiceProcess('api', 'api/main.ts', serviceEnv({ PUBLIC_BASE_URL: baseUrl, ...settings, PORT: String(port) }));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!api.running()) throw new Error(`api exited before answering /healthz:\n${api.output().slice(-4000)}`);
    const healthy = await fetch(`${baseUrl}/healthz`).then(
      (res) => res.ok,
      () => false,
    );
    if (healthy) return Object.assign(api, { baseUrl });
    if (Date.now() > deadline) {
      await api.stop();
      throw new Error(`api did not answer /healthz within ${timeoutMs} ms:\n${api.output().slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
