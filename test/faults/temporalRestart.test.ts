// The Temporal server (a file-backed dev server of this file's own, not the run's shared one) stops while
// an onboarding waits for the customer's pilot approval, and starts again on the same port and file.
// The worker runs as its own process (worker/main.ts) and is not restarted: it must reconnect by itself.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { searchAttributeTypes } from '../../contract/onboarding.js';
import { freePort } from '../../lib/ports.js';
import { startTemporalDevServer, type TemporalDevServer } from '../../lib/temporal-dev-server.js';
import { ensureTemporalCli } from '../../scripts/temporal-cli.mjs';
import { approvalSecret, supportToken, testDatabase } from '../support/deps.js';
import { type SimpleSamlIdp, startSimpleSamlIdp } from '../support/idp/simplesamlphp.js';
import {
  approvalLinkFromMail,
  createDomainUsers,
  type OnboardingView,
  onboardingAtPilot,
  postApproval,
  type SupportApi,
  supportApi,
  waitForStage,
} from '../support/onboarding-http.js';
import { pollUntil } from '../support/poll.js';
import { killOnExit, type ServiceProcess, startApiProcess, startWorkerProcess, stopAllServiceProcesses } from '../support/processes.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

const database = testDatabase();
const dir = mkdtempSync(join(tmpdir(), 'sso-temporal-restart-'));
const dbFile = join(dir, 'temporal.db');
let temporalPort: number;
let temporal: TemporalDevServer | undefined;
let smtp: SmtpSink;
let idp: SimpleSamlIdp;
let apiBaseUrl: string;
let api: SupportApi;
let worker: ServiceProcess;

async function startTemporal() {
  temporal = await startTemporalDevServer({
    cliPath: ensureTemporalCli(),
    port: temporalPort,
    searchAttributes: searchAttributeTypes,
    dbFile,
    logFile: join(dir, 'temporal.log'),
  });
  killOnExit(temporal.process);
  return temporal;
}

beforeAll(async () => {
  temporalPort = await freePort();
  [smtp, idp] = await Promise.all([
    startSmtpSink(),
    startSimpleSamlIdp({ sp: [], users: [{ username: 'x', password: 'x', email: 'x@example.test' }] }),
    startTemporal(),
  ]);
  const port = await freePort();
  const settings = {
    DATABASE_URL: inject('databaseUrl'),
    TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
    TEMPORAL_TASK_QUEUE: `fault-restart-${randomBytes(4).toString('hex')}`,
    SUPPORT_API_TOKEN: supportToken,
    APPROVAL_LINK_SECRET: approvalSecret,
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    SMTP_URL: smtp.url,
    ALLOW_PRIVATE_IDP_URLS: 'true',
  };
  const [apiProcess, workerProcess] = await Promise.all([startApiProcess(port, settings), startWorkerProcess(settings)]);
  apiBaseUrl = apiProcess.baseUrl;
  api = supportApi(apiBaseUrl);
  worker = workerProcess;
});
afterAll(async () => {
  await stopAllServiceProcesses();
  await temporal?.stop();
  await smtp?.close();
  await idp?.stop();
  await database.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Temporal server stopped and started again mid-onboarding', () => {
  it('continues from where it was: the stage and pending approval survive and approving the link advances it', async () => {
    const domain = `restart-${randomBytes(3).toString('hex')}.test`;
    await createDomainUsers(database, domain, 3);
    const { id, adminEmail } = await onboardingAtPilot(api, idp.metadataXml, domain, {
      reminderEvery: 'PT1H',
      approvalTimeout: 'P1D',
      notifyUsers: false,
    });
    expect((await api('POST', `/api/onboardings/${id}/pilot-users`, { emails: [`user000001@${domain}`] })).status).toBe(200);
    const link = await approvalLinkFromMail(smtp, adminEmail, /confirm the SSO pilot/);
    const before = await waitForStage(api, id, 'pilot');
    expect(before.pendingApprovals.map((p) => p.step)).toEqual(['pilot']);

    await temporal?.stop();
    const down = await fetch(`${apiBaseUrl}/readyz`);
    expect(down.status).toBe(503);
    expect(((await down.json()) as { checks: { temporal: { ok: boolean } } }).checks.temporal.ok).toBe(false);
    await startTemporal();

    // The state comes from a query, which only a connected worker answers.
    const after = await pollUntil(
      'the onboarding answering again',
      async () => {
        const res = await api<OnboardingView & { events: unknown[] }>('GET', `/api/onboardings/${id}`);
        return res.status === 200 ? res.body : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(after).toEqual(before);

    const answer = await postApproval(link);
    expect(answer.status, answer.body).toBe(200);
    expect((await api('POST', `/api/onboardings/${id}/pilot/confirm`)).status).toBe(200);
    await waitForStage(api, id, 'migration_list', 30_000);
    expect(worker.running()).toBe(true);
  }, 120_000);
});
