// Enabling then enforcing 100,000 users through the real onboarding workflow (in-memory Temporal dev
// server, a Worker in this process with the production activities, the workflow driven with the
// shared updates and queries), against one `UPDATE` to 'enabled' and one to 'enforced' of an
// identical second set of 100,000 users in the same database. Also reports the workflow history's
// event count and size, which must stay under 2,000 events and 2 MB however long the list.
import { generateSelfSignedCertificate } from '../test/support/idp/self-signed.js';
import { createBenchDatabase } from './support/database.js';
import { approve, driveToListReview, stageIs, startBenchOnboarding, waitForState } from './support/onboardingDriver.js';
import { analyzeUsers, insertPlainUsers } from './support/population.js';
import type { Result } from './support/result.js';
import { startBenchTemporal } from './support/temporal.js';

export const name = 'rollout';

const settings = {
  users: 100_000,
  /** As the 100,000-user onboarding test runs it; the API's default is 500. */
  batchSize: Number(process.env.BENCH_ROLLOUT_BATCH_SIZE ?? 2000),
  maxEvents: 2000,
  maxHistoryBytes: 2 * 1024 * 1024,
};
const progress = (message: string) => console.error(`[rollout] ${message}`);

export async function run(): Promise<Result> {
  progress('creating and migrating a bench database');
  const bench = await createBenchDatabase();
  const { database } = bench;
  const sql = database.sql;
  try {
    const domain = 'rollout.bench.test';
    const baselineDomain = 'baseline.bench.test';
    await insertPlainUsers(database, domain, settings.users);
    await insertPlainUsers(database, baselineDomain, settings.users);
    await analyzeUsers(database);
    progress(`${settings.users} users in ${domain} and ${settings.users} in ${baselineDomain}`);

    const temporal = await startBenchTemporal(database, progress);
    let workflow: { enableMs: number; enforceMs: number; events: number; historyBytes: number; connectionId: string };
    try {
      const { handle } = await startBenchOnboarding(database, temporal.client, temporal.config.temporal.taskQueue, {
        customerName: 'Rollout Bench',
        domain,
        batchSize: settings.batchSize,
      });
      const key = await generateSelfSignedCertificate({ commonName: 'bench-idp' });
      const list = await driveToListReview(handle, { certificatePem: key.certificatePem, pilotEmail: `person1@${domain}`, domain });
      if (list.total !== settings.users) throw new Error(`the migration list has ${list.total} users, expected ${settings.users}`);
      progress(`list ${list.listId} of ${list.total} users awaits approval; measuring enabling`);

      let started = performance.now();
      await approve(handle, 'migration_list');
      const enabled = await waitForState(
        handle,
        (s) => s.stage === 'awaiting_go_ahead' && s.pending.some((p) => p.step === 'go_ahead'),
        'awaiting go-ahead',
      );
      const enableMs = performance.now() - started;
      progress(`enabled in ${enableMs.toFixed(0)} ms; measuring enforcing`);

      started = performance.now();
      await approve(handle, 'go_ahead');
      const summary = await handle.result();
      const enforceMs = performance.now() - started;
      if (summary.stage !== 'completed' || summary.counts.enforced !== settings.users) {
        throw new Error(`the onboarding ended ${summary.stage} with ${JSON.stringify(summary.counts)}`);
      }
      await waitForState(handle, stageIs('completed'), 'stage completed').catch(() => undefined);
      const events = (await handle.fetchHistory()).events?.length ?? 0;
      const historyBytes = Number((await handle.describe()).raw.workflowExecutionInfo?.historySizeBytes ?? 0);
      workflow = { enableMs, enforceMs, events, historyBytes, connectionId: enabled.connection?.id as string };
    } finally {
      progress('stopping the worker and the Temporal dev server');
      await temporal.stop();
    }

    const [check] = await sql<{ enforced: number; audits: number }[]>`
      select (select count(*)::int from users where lower(split_part(email, '@', 2)) = ${domain} and sso_state = 'enforced') as enforced,
             (select count(*)::int from audit_events where type = 'user.sso_enforced') as audits`;
    if (check?.enforced !== settings.users || check.audits !== settings.users) {
      throw new Error(`after the workflow: ${check?.enforced} users enforced, ${check?.audits} enforcement audit events`);
    }

    progress('measuring the baseline UPDATEs');
    let started = performance.now();
    const enabledRows = await sql`update users set sso_state = 'enabled', connection_id = ${workflow.connectionId}, updated_at = now()
                                  where lower(split_part(email, '@', 2)) = ${baselineDomain}`;
    const baseEnableMs = performance.now() - started;
    started = performance.now();
    const enforcedRows = await sql`update users set sso_state = 'enforced', updated_at = now()
                                   where lower(split_part(email, '@', 2)) = ${baselineDomain}`;
    const baseEnforceMs = performance.now() - started;
    if (enabledRows.count !== settings.users || enforcedRows.count !== settings.users) {
      throw new Error(`the baseline updated ${enabledRows.count} and ${enforcedRows.count} rows, expected ${settings.users}`);
    }

    const workflowMs = workflow.enableMs + workflow.enforceMs;
    const baselineMs = baseEnableMs + baseEnforceMs;
    const ratio = workflowMs / baselineMs;
    const batches = Math.ceil(settings.users / settings.batchSize);
    return {
      name: 'Rollout of 100,000 users: enable, then enforce',
      figures: [
        {
          label: 'workflow: enable',
          value: workflow.enableMs,
          unit: 'ms',
          detail: `list approval → awaiting go-ahead; ${batches} batches of ${settings.batchSize} in one heartbeating activity`,
        },
        { label: 'workflow: enforce', value: workflow.enforceMs, unit: 'ms', detail: 'go-ahead → workflow completed' },
        {
          label: 'workflow: enable + enforce',
          value: workflowMs,
          unit: 'ms',
          detail: `${(settings.users / (workflowMs / 1000)).toFixed(0)} users/s per action pair`,
        },
        { label: 'baseline: one UPDATE to enabled', value: baseEnableMs, unit: 'ms', detail: `${settings.users} rows, by email domain` },
        { label: 'baseline: one UPDATE to enforced', value: baseEnforceMs, unit: 'ms', detail: `${settings.users} rows, by email domain` },
        { label: 'baseline: both UPDATEs', value: baselineMs, unit: 'ms' },
        {
          label: 'workflow history events',
          value: workflow.events,
          unit: 'events',
          detail: `limit ${settings.maxEvents}; whole onboarding`,
        },
        {
          label: 'workflow history size',
          value: workflow.historyBytes / 1024,
          unit: 'KiB',
          detail: `${workflow.historyBytes} bytes (historySizeBytes); limit 2 MB`,
        },
      ],
      targets: [
        {
          label: `workflow at most 5× the two UPDATEs (is ${ratio.toFixed(2)}×)`,
          ratio: baselineMs / workflowMs,
          atLeast: 0.2,
          formula: 'UPDATE ms ÷ workflow ms',
        },
        {
          label: `history events under ${settings.maxEvents} (${workflow.events})`,
          ratio: settings.maxEvents / workflow.events,
          atLeast: 1,
          formula: 'limit ÷ events',
        },
        {
          label: `history size under 2 MB (${(workflow.historyBytes / 1024).toFixed(0)} KiB)`,
          ratio: settings.maxHistoryBytes / workflow.historyBytes,
          atLeast: 1,
          formula: 'limit ÷ historySizeBytes',
        },
      ],
      notes: [
        `checked afterwards: ${settings.users} users enforced, ${settings.users} user.sso_enforced audit events (one per user)`,
        'the workflow also marks each list entry and writes one audit event per changed user; the baseline UPDATEs do neither',
      ],
    };
  } finally {
    progress('dropping the bench database');
    await bench.drop();
  }
}
