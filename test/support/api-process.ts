import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../lib/ports.js';
import { approvalSecret, supportToken } from './deps.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface ApiProcess {
  baseUrl: string;
  pid: number;
  /** Resident memory of the API process, from /proc (KiB). */
  rssKiB(): number;
  stop(): Promise<void>;
}

/** The production API entry point (`api/main.ts`) as a child process, answering on a loopback port. */
export async function startApiProcess(env: NodeJS.ProcessEnv, listenPort?: number, nodeArgs: string[] = []): Promise<ApiProcess> {
  const port = listenPort ?? (await freePort());
  const baseUrl = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'api/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      SUPPORT_API_TOKEN: supportToken,
      APPROVAL_LINK_SECRET: approvalSecret,
      ...env,
      PORT: String(port),
      PUBLIC_BASE_URL: baseUrl,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`api exited with ${child.exitCode}: ${stderr}`);
    const up = await fetch(`${baseUrl}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) throw new Error(`api did not answer within 30 s: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    baseUrl,
    pid: child.pid as number,
    rssKiB() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
