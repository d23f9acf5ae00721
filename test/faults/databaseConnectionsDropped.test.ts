// PostgreSQL terminates the API's backends (a failover, an operator's pg_terminate_backend, a proxy
// restart). The API process (api/main.ts) is not restarted: its pool must replace the dead connections.
// Its sessions carry a name of their own (application_name in its DATABASE_URL), so only its backends are
// terminated. Each test starts its own API process, so one that brings the API down spoils no other.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createUser } from '../../domain/directory.js';
import { freePort } from '../../lib/ports.js';
import { approvalSecret, supportToken, testDatabase } from '../support/deps.js';
import { pollUntil } from '../support/poll.js';
import { type ServiceProcess, startApiProcess, stopAllServiceProcesses } from '../support/processes.js';

const database = testDatabase();
const apiAppName = `sso-onboarding-api-${randomBytes(4).toString('hex')}`;
const email = `pw.${randomBytes(3).toString('hex')}@dropped.test`;
const password = 'a long enough password';
let api: ServiceProcess & { baseUrl: string };

beforeAll(async () => {
  await createUser(database.db, { email, password });
});
afterEach(async () => {
  await stopAllServiceProcesses();
});
afterAll(async () => {
  await database.close();
});

async function startApi() {
  const url = new URL(inject('databaseUrl'));
  url.searchParams.set('application_name', apiAppName);
  api = await startApiProcess(await freePort(), {
    DATABASE_URL: url.toString(),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    SUPPORT_API_TOKEN: supportToken,
    APPROVAL_LINK_SECRET: approvalSecret,
    LOG_LEVEL: 'warn',
  });
}

/** Terminates every backend of the API; returns the PIDs it terminated. */
async function terminateApiBackends(): Promise<number[]> {
  // In the select list, not the WHERE clause: PostgreSQL may evaluate WHERE conditions in any order, and a
  // pg_terminate_backend there can run for rows the name filter would have dropped (every backend).
  const rows = await database.sql<{ pid: number; terminated: boolean }[]>`
    select pid, pg_terminate_backend(pid) as terminated from pg_stat_activity
    where application_name = ${apiAppName} and datname = current_database() and pid <> pg_backend_pid()`;
  return rows.filter((r) => r.terminated).map((r) => r.pid);
}

async function apiBackends(): Promise<number[]> {
  const rows = await database.sql<{ pid: number }[]>`
    select pid from pg_stat_activity where application_name = ${apiAppName} and datname = current_database()`;
  return rows.map((r) => r.pid);
}

interface Readiness {
  status: number;
  body: { status: string; checks: { database: { ok: boolean }; temporal: { ok: boolean } } };
}

async function readyz(): Promise<Readiness> {
  const res = await fetch(`${api.baseUrl}/readyz`);
  return { status: res.status, body: (await res.json()) as Readiness['body'] };
}

async function login(signal?: AbortSignal): Promise<Response> {
  return await fetch(`${api.baseUrl}/login`, {
    signal,
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ email, password }),
  });
}

interface Outcome {
  name: string;
  status: number | string;
}

type Request = { name: string; run: (signal: AbortSignal) => Promise<Response> };

/**
 * Three clients send cheap requests that each need the database and a fourth logs in with a password (a
 * 128 MiB scrypt each, so it runs alone) while, every `pauseMs`, every backend of the API is terminated.
 * Runs until `done` says so, the API exits, or 45 s have passed.
 */
async function loadUnderTerminations(pauseMs: number, done: (outcomes: Outcome[], terminations: number) => boolean) {
  const session = ((await login()).headers.get('set-cookie') ?? '').split(';')[0] as string;
  const readiness: Request = { name: 'GET /readyz', run: (signal) => fetch(`${api.baseUrl}/readyz`, { signal }) };
  const me: Request = { name: 'GET /api/me', run: (signal) => fetch(`${api.baseUrl}/api/me`, { headers: { cookie: session }, signal }) };
  const listing: Request = {
    name: 'GET /api/onboardings',
    run: (signal) => fetch(`${api.baseUrl}/api/onboardings`, { headers: { authorization: `Bearer ${supportToken}` }, signal }),
  };
  const passwordLogin: Request = { name: 'POST /login', run: (signal) => login(signal) };
  const outcomes: Outcome[] = [];
  let terminations = 0;
  const deadline = Date.now() + 45_000;
  const finished = () => done(outcomes, terminations) || !api.running() || Date.now() > deadline;
  const client = async (requests: Request[]) => {
    for (let i = 0; !finished(); i++) {
      const request = requests[i % requests.length] as Request;
      // A request that hangs is a fault too; it must not hang the test.
      const status = await request.run(AbortSignal.timeout(10_000)).then(
        async (res) => {
          await res.arrayBuffer();
          return res.status;
        },
        (error: unknown) => `no answer (${error instanceof Error ? error.name : String(error)})`,
      );
      outcomes.push({ name: request.name, status });
    }
  };
  const terminator = async () => {
    while (!finished()) {
      if ((await terminateApiBackends()).length > 0) terminations += 1;
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  };
  await Promise.all([
    client([readiness, me, listing]),
    client([me, listing, readiness]),
    client([listing, readiness, me]),
    client([passwordLogin]),
    terminator(),
  ]);
  return { outcomes, terminations, summary: `${terminations} terminations; outcomes ${JSON.stringify(tally(outcomes))}` };
}

/** How many times each request got each answer, e.g. { 'GET /api/me → 500': 3 }. */
function tally(outcomes: Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[`${o.name} → ${o.status}`] = (counts[`${o.name} → ${o.status}`] ?? 0) + 1;
  return counts;
}

const apiExit = () => `the API exited:\n${api.output().slice(-3000)}`;

describe("the API's database connections terminated", () => {
  it('keeps answering, reports ready again within seconds and logs users in again, without a restart', async () => {
    await startApi();
    expect((await readyz()).status).toBe(200);
    expect((await login()).status).toBe(303);

    const terminated = await terminateApiBackends();
    expect(terminated.length).toBeGreaterThan(0);

    // The very next probe may already run on a fresh connection; whatever it says, only the database may be
    // the reason it is not ready, and it is ready again soon.
    const seen: Readiness[] = [];
    const ready = await pollUntil(
      'readiness after the connections were terminated',
      async () => {
        const answer = await readyz();
        seen.push(answer);
        return answer.status === 200 ? answer : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    expect(ready.body.checks.database.ok).toBe(true);
    for (const answer of seen.filter((a) => a.status !== 200)) {
      expect(answer).toMatchObject({ status: 503, body: { checks: { database: { ok: false }, temporal: { ok: true } } } });
    }

    expect((await login()).status).toBe(303);
    expect(api.running(), apiExit()).toBe(true);
    const now = await apiBackends();
    expect(now.length).toBeGreaterThan(0);
    expect(now.filter((pid) => terminated.includes(pid))).toEqual([]);
  });

  it('stays up while its connections are terminated again and again, some while they are still starting', async () => {
    await startApi();
    // Terminating every 10 ms under load catches connections the pool has just opened.
    const run = await loadUnderTerminations(10, (_, terminations) => terminations >= 50);
    expect(api.running(), `${run.summary}\n${apiExit()}`).toBe(true);
    expect(run.terminations).toBeGreaterThanOrEqual(50);
  }, 90_000);

  // A request whose query loses its connection gets 503 database_unavailable (worth repeating); never a 500.
  it('answers no 5xx other than 503 while its connections are terminated every 200 ms', async () => {
    await startApi();
    const run = await loadUnderTerminations(
      200,
      (outcomes, terminations) =>
        outcomes.length >= 100 && terminations >= 10 && outcomes.filter((o) => o.name === 'POST /login').length >= 3,
    );
    const faults = run.outcomes.filter((o) => typeof o.status !== 'number' || (o.status >= 500 && o.status !== 503));
    expect(api.running(), `${run.summary}\n${apiExit()}`).toBe(true);
    expect(tally(faults), run.summary).toEqual({});
    expect(run.terminations).toBeGreaterThanOrEqual(10);
  }, 90_000);
});
