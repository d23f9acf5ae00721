// `npm run dev` on embedded defaults (issue #11, item 8): a real PostgreSQL server from the npm registry
// in the data folder, which keeps 8 concurrent clients × 100 mixed requests free of 5xx (PGlite failed
// 44% of them); a second `npm run dev` in the same folder says so and exits; Ctrl-C stops everything
// and a second start keeps the data.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../lib/ports.js';
import { demoPassword, demoUsers } from '../../scripts/demo-data.js';
import { type ServiceProcess, serviceEnv, startServiceProcess } from '../support/processes.js';

const dataDir = mkdtempSync(join(tmpdir(), 'sso-dev-'));
// As a checkout is: the server's OS user (as root, `postgres`) must be able to reach its data folder.
chmodSync(dataDir, 0o755);
const started: ServiceProcess[] = [];

afterAll(async () => {
  for (const dev of started) await dev.stop(20_000);
  rmSync(dataDir, { recursive: true, force: true });
});

async function startDev(port: number): Promise<{ dev: ServiceProcess; token: string; baseUrl: string }> {
  const dev = startServiceProcess({
    name: 'npm run dev',
    entry: 'scripts/dev.ts',
    env: serviceEnv({ DEV_DATA_DIR: dataDir, PORT: String(port) }),
  });
  started.push(dev);
  await dev.waitForOutput(/Support token\s+(sup_[0-9a-f]+)/, 120_000);
  const token = /Support token\s+(sup_[0-9a-f]+)/.exec(dev.output())?.[1] as string;
  const baseUrl = `http://localhost:${port}`;
  await dev.waitForOutput(/api listening/, 60_000);
  return { dev, token, baseUrl };
}

describe('npm run dev on embedded defaults', () => {
  let baseUrl: string;
  let token: string;
  let first: ServiceProcess;

  it('starts on a real PostgreSQL server kept in the data folder', async () => {
    ({ dev: first, token, baseUrl } = await startDev(await freePort()));
    expect(first.output()).toContain(`embedded PostgreSQL in .data/postgres`);
    const ready = await fetch(`${baseUrl}/readyz`);
    expect(ready.status, await ready.text()).toBe(200);
  });

  it('answers 8 concurrent clients × 100 mixed requests without a single 5xx', async () => {
    // A support session for the dashboard pages.
    const session = await fetch(`${baseUrl}/support/session`, {
      method: 'POST',
      body: new URLSearchParams({ token, next: '/support' }),
      headers: { origin: baseUrl },
      redirect: 'manual',
    });
    expect(session.status).toBe(303);
    const cookie = (session.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const requests: (() => Promise<Response>)[] = [
      () => fetch(`${baseUrl}/support`, { headers: { cookie } }),
      () => fetch(`${baseUrl}/api/onboardings`, { headers: { authorization: `Bearer ${token}` } }),
      () => fetch(`${baseUrl}/readyz`),
      () =>
        fetch(`${baseUrl}/login`, {
          method: 'POST',
          body: new URLSearchParams({ email: demoUsers[0] as string, password: demoPassword }),
          headers: { origin: baseUrl },
          redirect: 'manual',
        }),
      () => fetch(`${baseUrl}/login`),
    ];
    const statuses = new Map<number, number>();
    await Promise.all(
      Array.from({ length: 8 }, async (_, client) => {
        for (let i = 0; i < 100; i += 1) {
          const res = await (requests[(client + i) % requests.length] as () => Promise<Response>)();
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        }
      }),
    );
    const counts = Object.fromEntries(statuses);
    expect(
      [...statuses.keys()].filter((s) => s >= 500),
      JSON.stringify(counts),
    ).toEqual([]);
    // Every kind of request was answered as it should be: pages and reads 200, sign-ins 303.
    expect(counts[303]).toBe(160);
    expect(counts[200]).toBe(640);
  });

  it('refuses a second npm run dev in the same folder, saying so, while the first keeps running', async () => {
    const second = startServiceProcess({
      name: 'second npm run dev',
      entry: 'scripts/dev.ts',
      env: serviceEnv({ DEV_DATA_DIR: dataDir, PORT: String(await freePort()) }),
    });
    const { code } = await second.exited;
    expect(code).toBe(1);
    expect(second.output()).toContain('npm run dev is already running in this folder');
    expect(first.running()).toBe(true);
    expect((await fetch(`${baseUrl}/readyz`)).status).toBe(200);
  });

  it('stops everything on Ctrl-C and keeps the data for the next start', async () => {
    first.signal('SIGINT');
    const { code } = await first.exited;
    expect(first.output(), first.output().slice(-3000)).toContain('stopping...');
    expect(code).toBe(0);
    const again = await startDev(await freePort());
    expect(again.dev.output()).toContain('(kept from an earlier start)');
    expect(again.token).toBe(token);
    expect((await fetch(`${again.baseUrl}/readyz`)).status).toBe(200);
  });
});
