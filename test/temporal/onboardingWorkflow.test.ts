import { readFileSync } from 'node:fs';
import proto from '@temporalio/proto';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { auditEvents, onboardings } from '../../db/schema.js';
import { cancelOnboardingById, getOnboarding, startOnboarding } from '../../domain/onboardings.js';
import { createLogger } from '../../lib/logger.js';
import { connectTemporal, ensureSearchAttributes, type TemporalClient } from '../../lib/temporal.js';
import { createOnboardingWorker } from '../../worker/createWorker.js';
import { cancelOnboarding, getOnboardingState, workflowIdFor } from '../../workflows/shared.js';
import { testConfig, testDatabase } from '../support/deps.js';

const EventType = proto.temporal.api.enums.v1.EventType;
const config = testConfig();
const database = testDatabase();
let temporal: TemporalClient;
let nativeConnection: NativeConnection;
let worker: Worker;
let running: Promise<void>;

const options = { reminderEveryMs: 60_000, approvalTimeoutMs: 600_000, notifyUsers: false, batchSize: 100 };
const customerId = `acme-${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  temporal = await connectTemporal(config.temporal);
  await ensureSearchAttributes(temporal.connection, config.temporal.namespace);
  nativeConnection = await NativeConnection.connect({ address: config.temporal.address });
  worker = await createOnboardingWorker({
    connection: nativeConnection,
    config,
    activities: createActivities({ database, clock: { now: () => new Date() }, config, logger: createLogger(config, 'test') }),
    workflowBundle: { code: readFileSync(inject('workflowBundlePath'), 'utf8') },
  });
  running = worker.run();
});

afterAll(async () => {
  worker.shutdown();
  await running;
  await nativeConnection.close();
  await temporal.close();
  await database.close();
});

async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('the onboarding workflow on a real worker and dev server', () => {
  let id: string;

  it('starts with its listing row written and answers queries', async () => {
    ({ id } = await startOnboarding(database.db, temporal.client, config.temporal.taskQueue, {
      customerName: 'Acme Corp',
      customerId,
      adminEmail: 'it@acme.test',
      emailDomains: ['acme.test'],
      options,
    }));
    const state = await temporal.client.workflow.getHandle(workflowIdFor(id)).query(getOnboardingState);
    expect(state.stage).toBe('config_intake');
    const detail = await getOnboarding(database.db, temporal.client, id);
    expect(detail).toMatchObject({ id, customerName: 'Acme Corp', stage: 'config_intake' });
    expect(detail.events.map((e) => e.type)).toContain('started');
    const audit = await database.db.select().from(auditEvents).where(eq(auditEvents.onboardingId, id));
    expect(audit.map((r) => r.type)).toEqual(['onboarding.started']);
  });

  it('is visible in Temporal by CustomerId and OnboardingStage', async () => {
    const query = `CustomerId = '${customerId}' AND OnboardingStage = 'config_intake'`;
    const found = await eventually(
      async () => {
        const ids: string[] = [];
        for await (const execution of temporal.client.workflow.list({ query })) ids.push(execution.workflowId);
        return ids;
      },
      (ids) => ids.length > 0,
    );
    expect(found).toEqual([workflowIdFor(id)]);
  });

  it('cancels through an Update, records the stage through an activity and completes with a summary', async () => {
    const cancelled = await cancelOnboardingById(database.db, temporal.client, id, 'customer changed plans');
    expect(cancelled).toMatchObject({ stage: 'cancelled', cancelReason: 'customer changed plans' });
    const result = await temporal.client.workflow.getHandle(workflowIdFor(id)).result();
    expect(result).toEqual({ onboardingId: id, stage: 'cancelled', cancelReason: 'customer changed plans' });
    const [row] = await database.db.select().from(onboardings).where(eq(onboardings.id, id));
    expect(row?.stage).toBe('cancelled');
    const audit = await database.db.select().from(auditEvents).where(eq(auditEvents.onboardingId, id));
    expect(audit.filter((r) => r.type === 'onboarding.stage').map((r) => r.detail)).toEqual([{ stage: 'cancelled' }]);
  });

  it('refuses to cancel an onboarding that has already ended, naming its stage', async () => {
    await expect(cancelOnboardingById(database.db, temporal.client, id, 'again')).rejects.toMatchObject({
      httpStatus: 409,
      code: 'wrong_stage',
      message: expect.stringContaining('cancelled'),
    });
  });

  it('refuses an invalid Update in its validator, so it never reaches the history', async () => {
    const other = await startOnboarding(database.db, temporal.client, config.temporal.taskQueue, {
      customerName: 'Other Co',
      adminEmail: 'it@other.test',
      emailDomains: ['other.test'],
      options,
    });
    const handle = temporal.client.workflow.getHandle(workflowIdFor(other.id));
    // Wait until the workflow is idle, so any growth of the history would come from the Update.
    const idle = await eventually(
      async () => {
        const description = await handle.describe();
        const events = (await handle.fetchHistory()).events ?? [];
        return { pending: description.raw.pendingActivities?.length ?? 0, last: events.at(-1)?.eventType, count: events.length };
      },
      (s) => s.pending === 0 && s.last === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    );
    const before = idle.count;
    await expect(handle.executeUpdate(cancelOnboarding, { args: [{ reason: '  ', actor: 'support' }] })).rejects.toMatchObject({
      cause: { type: 'reason_required', message: expect.stringMatching(/reason is required/) },
    });
    const after = (await handle.fetchHistory()).events ?? [];
    expect(after.length).toBe(before);
    const updateEvents = Object.entries(EventType)
      .filter(([name]) => name.includes('_UPDATE_'))
      .map(([, value]) => value);
    expect(updateEvents.length).toBeGreaterThan(0);
    expect(after.filter((e) => updateEvents.includes(e.eventType as number))).toEqual([]);
    await cancelOnboardingById(database.db, temporal.client, other.id, 'cleanup');
  });
});
