// 1,000 onboardings in flight on one worker: each started (listing row + workflow, as the API
// starts them) and brought to config_intake, waiting for the customer's IdP configuration. Reports
// the resident memory of this process, which hosts the worker, before and after, and the latency of
// an Update that runs an activity (submitIdpConfig with fields that fail validation: validator,
// activity, answer), p50 and p99 over sequential updates spread across the waiting onboardings.
// A query of the same workflows (no history written, no activity) is the baseline of the same run.
import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { confirmPilot, getOnboardingState, type IdpConfigSubmission, submitIdpConfig } from '../contract/onboarding.js';
import { createBenchDatabase } from './support/database.js';
import { startBenchOnboarding } from './support/onboardingDriver.js';
import { median, percentile } from './support/population.js';
import type { Result } from './support/result.js';
import { startBenchTemporal } from './support/temporal.js';

export const name = 'inflight';

const settings = { onboardings: 1000, startConcurrency: 16, updates: 200, warmup: 20, queries: 200 };
const progress = (message: string) => console.error(`[inflight] ${message}`);
const mib = (bytes: number) => bytes / 1024 / 1024;

/** Refused by validation inside the activity, before any network: not a URL, not a certificate. */
const invalidSubmission: IdpConfigSubmission = {
  kind: 'fields',
  entityId: 'https://idp.bench.test/metadata',
  ssoUrl: 'not a url',
  ssoBinding: 'redirect',
  certificates: ['not a certificate'],
};

async function inParallel<T>(items: T[], concurrency: number, each: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: concurrency }, async () => {
    while (next < items.length) await each(items[next++] as T);
  });
  await Promise.all(lanes);
}

/** Every onboarding has run its first workflow task and its config_intake stage activity. */
async function waitUntilSettled(handles: WorkflowHandle[], timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let unsettled = handles;
  while (unsettled.length > 0) {
    if (Date.now() > deadline) throw new Error(`${unsettled.length} onboardings did not settle in config_intake`);
    const still: WorkflowHandle[] = [];
    await inParallel(unsettled, settings.startConcurrency, async (handle) => {
      const raw = (await handle.describe()).raw;
      const busy = (raw.pendingActivities?.length ?? 0) > 0 || raw.pendingWorkflowTask != null;
      if (busy) still.push(handle);
    });
    unsettled = still;
    if (unsettled.length > 0) await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function run(): Promise<Result> {
  progress('creating and migrating a bench database');
  const bench = await createBenchDatabase();
  try {
    const temporal = await startBenchTemporal(bench.database, progress);
    try {
      // Before: worker running, workflow bundle loaded, nothing in flight yet (one onboarding run
      // first so the workflow isolate and the connections are warm, not counted among the 1,000).
      const { handle: warm } = await startBenchOnboarding(bench.database, temporal.client, temporal.config.temporal.taskQueue, {
        customerName: 'Inflight Warm-up',
        domain: 'warm.bench.test',
        batchSize: 500,
      });
      await waitUntilSettled([warm]);
      await warm.executeUpdate(submitIdpConfig, { args: [invalidSubmission] });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const before = process.memoryUsage();

      progress(`starting ${settings.onboardings} onboardings`);
      const handles: WorkflowHandle[] = [];
      const started = performance.now();
      await inParallel(
        Array.from({ length: settings.onboardings }, (_, i) => i),
        settings.startConcurrency,
        async (i) => {
          const { handle } = await startBenchOnboarding(bench.database, temporal.client, temporal.config.temporal.taskQueue, {
            customerName: `Inflight ${i}`,
            domain: `c${i}.inflight.bench.test`,
            batchSize: 500,
          });
          handles.push(handle);
        },
      );
      await waitUntilSettled(handles);
      const startSeconds = (performance.now() - started) / 1000;
      progress(`${handles.length} onboardings waiting in config_intake after ${startSeconds.toFixed(1)} s`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const after = process.memoryUsage();

      progress(`${settings.updates} sequential submitIdpConfig updates refused by validation`);
      const updateMs: number[] = [];
      for (let i = 0; i < settings.warmup + settings.updates; i++) {
        const handle = handles[(i * 7) % handles.length] as WorkflowHandle;
        const t0 = performance.now();
        const result = await handle.executeUpdate(submitIdpConfig, { args: [invalidSubmission] });
        const elapsed = performance.now() - t0;
        if (result.ok) throw new Error('an invalid IdP configuration was accepted');
        if (i >= settings.warmup) updateMs.push(elapsed);
      }
      // An Update its validator refuses (confirmPilot in config_intake: wrong_stage): no activity, no
      // history; the round trip through the server to the workflow and back.
      const refusedMs: number[] = [];
      for (let i = 0; i < settings.updates; i++) {
        const handle = handles[(i * 7 + 5) % handles.length] as WorkflowHandle;
        const t0 = performance.now();
        const refused = await handle.executeUpdate(confirmPilot).then(
          () => false,
          (error: unknown) => error instanceof WorkflowUpdateFailedError,
        );
        refusedMs.push(performance.now() - t0);
        if (!refused) throw new Error('confirmPilot was not refused in config_intake');
      }
      const queryMs: number[] = [];
      for (let i = 0; i < settings.queries; i++) {
        const handle = handles[(i * 7 + 3) % handles.length] as WorkflowHandle;
        const t0 = performance.now();
        const state = await handle.query(getOnboardingState);
        queryMs.push(performance.now() - t0);
        if (state.stage !== 'config_intake') throw new Error(`an onboarding left config_intake: ${state.stage}`);
      }
      const afterUpdates = process.memoryUsage();

      const updateP50 = percentile(updateMs, 50);
      const updateP99 = percentile(updateMs, 99);
      const queryP50 = percentile(queryMs, 50);
      return {
        name: `${settings.onboardings} onboardings in flight on one worker`,
        figures: [
          {
            label: 'RSS before',
            value: mib(before.rss),
            unit: 'MiB',
            detail: `heap used ${mib(before.heapUsed).toFixed(1)} MiB; worker running, one warm-up onboarding`,
          },
          {
            label: `RSS with ${settings.onboardings} in flight`,
            value: mib(after.rss),
            unit: 'MiB',
            detail: `heap used ${mib(after.heapUsed).toFixed(1)} MiB; all waiting in config_intake`,
          },
          {
            label: 'RSS growth per onboarding in flight',
            value: (after.rss - before.rss) / settings.onboardings / 1024,
            unit: 'KiB',
            detail: `(${mib(after.rss).toFixed(0)} − ${mib(before.rss).toFixed(0)} MiB) ÷ ${settings.onboardings}`,
          },
          {
            label: `RSS after the updates`,
            value: mib(afterUpdates.rss),
            unit: 'MiB',
            detail: `heap used ${mib(afterUpdates.heapUsed).toFixed(1)} MiB`,
          },
          {
            label: 'start + settle rate',
            value: settings.onboardings / startSeconds,
            unit: 'onboardings/s',
            detail: `${startSeconds.toFixed(1)} s, ${settings.startConcurrency} concurrent starts`,
          },
          {
            label: 'Update latency p50 (submitIdpConfig, refused)',
            value: updateP50,
            unit: 'ms',
            detail: `${settings.updates} sequential updates after ${settings.warmup} warm-up, across ${Math.min(handles.length, settings.warmup + settings.updates)} workflows; validator + validateIdpConfig activity`,
          },
          {
            label: 'Update latency p99',
            value: updateP99,
            unit: 'ms',
            detail: `max ${Math.max(...updateMs).toFixed(1)} ms, mean ${(updateMs.reduce((a, b) => a + b, 0) / updateMs.length).toFixed(1)} ms`,
          },
          {
            label: 'validator-refused Update p50 (confirmPilot, wrong_stage)',
            value: percentile(refusedMs, 50),
            unit: 'ms',
            detail: `${settings.updates} sequential; p99 ${percentile(refusedMs, 99).toFixed(1)} ms; no activity, nothing written to history`,
          },
          {
            label: 'baseline: query latency p50 (getOnboardingState)',
            value: queryP50,
            unit: 'ms',
            detail: `${settings.queries} sequential queries; p99 ${percentile(queryMs, 99).toFixed(1)} ms`,
          },
          {
            label: 'Update p50 ÷ query p50',
            value: updateP50 / queryP50,
            unit: '×',
            detail: `median update ${median(updateMs).toFixed(1)} ms`,
          },
        ],
        targets: [],
        notes: [
          'RSS is the whole bench process: the Worker (workflow isolate, Core SDK), the Temporal client, the PostgreSQL pool and the harness; the Temporal dev server is a separate process',
          'the issue sets no target for this benchmark; figures only',
        ],
      };
    } finally {
      progress('stopping the worker and the Temporal dev server');
      await temporal.stop();
    }
  } finally {
    progress('dropping the bench database');
    await bench.drop();
  }
}
