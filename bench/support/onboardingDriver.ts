// Drives an onboarding workflow directly with the Temporal client and the shared update/query
// definitions: what the API's routes do, minus HTTP. Approvals are recorded as the approval link
// would record them: the pending tokenId read from the workflow's query, then the recordApproval update.
import type { Client, WorkflowHandle } from '@temporalio/client';
import {
  type ApprovalStep,
  buildMigrationList,
  confirmPilot,
  getOnboardingState,
  type IdpConfigSubmission,
  type MigrationView,
  nominatePilotUsers,
  type OnboardingState,
  recordApproval,
  type Stage,
  submitIdpConfig,
  workflowIdFor,
} from '../../contract/onboarding.js';
import type { Database } from '../../db/client.js';
import { overrideDomainVerification } from '../../domain/domainClaims.js';
import { startOnboarding } from '../../domain/onboardingCommands.js';

export interface DriverOptions {
  customerName: string;
  domain: string;
  batchSize: number;
}

export async function startBenchOnboarding(database: Database, client: Client, taskQueue: string, options: DriverOptions) {
  const { id } = await startOnboarding(
    database.db,
    client,
    taskQueue,
    {
      customerName: options.customerName,
      adminEmail: `admin@${options.domain}`,
      emailDomains: [options.domain],
      // Approvals are answered at once; reminders an hour apart never fire during a run.
      options: { reminderEveryMs: 3_600_000, approvalTimeoutMs: 7 * 86_400_000, notifyUsers: false, batchSize: options.batchSize },
    },
    { secret: 'bench-setup-link-secret', publicBaseUrl: 'http://127.0.0.1', now: new Date() },
  );
  // Ownership is taken as shown, as support's override would: the bench measures the rollout, not DNS.
  await overrideDomainVerification(database.db, {
    onboardingId: id,
    domain: options.domain,
    actor: 'bench',
    reason: 'bench domain',
    now: new Date(),
  });
  return { id, handle: client.workflow.getHandle(workflowIdFor(id)) };
}

export const fieldsSubmission = (certificatePem: string): IdpConfigSubmission => ({
  kind: 'fields',
  entityId: 'https://idp.bench.test/metadata',
  ssoUrl: 'https://127.0.0.1/sso',
  ssoBinding: 'redirect',
  certificates: [certificatePem],
});

/** Polls the workflow's query until `ready` holds; `intervalMs` small enough not to blur a timing. */
export async function waitForState(
  handle: WorkflowHandle,
  ready: (state: OnboardingState) => boolean,
  what: string,
  timeoutMs = 300_000,
  intervalMs = 25,
): Promise<OnboardingState> {
  const deadline = Date.now() + timeoutMs;
  let state: OnboardingState | undefined;
  while (Date.now() < deadline) {
    state = await handle.query(getOnboardingState);
    if (ready(state)) return state;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`${what} not reached within ${timeoutMs} ms; stage ${state?.stage}, problems ${JSON.stringify(state?.problems)}`);
}

export const stageIs = (stage: Stage) => (state: OnboardingState) => state.stage === stage;
const pendingFor = (step: ApprovalStep) => (state: OnboardingState) => state.pending.some((p) => p.step === step);

/** Waits for the step's link to be pending, then approves it as the link's POST would. */
export async function approve(handle: WorkflowHandle, step: ApprovalStep): Promise<void> {
  const state = await waitForState(handle, pendingFor(step), `a pending ${step} approval`);
  const pending = state.pending.find((p) => p.step === step);
  if (!pending) throw new Error(`no pending ${step} approval`);
  await handle.executeUpdate(recordApproval, { args: [{ tokenId: pending.tokenId, step, decision: 'approve' }] });
}

/** From config_intake to a ready migration list awaiting approval (list_review). */
export async function driveToListReview(handle: WorkflowHandle, options: { certificatePem: string; pilotEmail: string; domain: string }) {
  const config = await handle.executeUpdate(submitIdpConfig, { args: [fieldsSubmission(options.certificatePem)] });
  if (!config.ok) throw new Error(`the IdP configuration was refused: ${JSON.stringify(config.problems)}`);
  await waitForState(handle, stageIs('pilot'), 'stage pilot');
  await handle.executeUpdate(nominatePilotUsers, { args: [{ emails: [options.pilotEmail] }] });
  await approve(handle, 'pilot');
  await handle.executeUpdate(confirmPilot);
  await waitForState(handle, stageIs('migration_list'), 'stage migration_list');
  const list: MigrationView = await handle.executeUpdate(buildMigrationList, { args: [{ method: 'domain', domain: options.domain }] });
  await waitForState(handle, stageIs('list_review'), 'stage list_review');
  return list;
}
