// One byte must not wedge an onboarding. The API refuses control characters at the edge; here a NUL
// reaches the workflow anyway (an Update sent with the Temporal client, as a bug or an old client
// might), so an activity meets PostgreSQL's refusal (SQLSTATE 22021). That is not retried, the
// onboarding names the failed step as a problem, and cancel still answers at once.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { getOnboardingState, recordApproval, workflowIdFor } from '../../contract/onboarding.js';
import { recordHistory } from '../support/histories.js';
import { useOnboardingEnv } from '../support/onboarding-env.js';
import { approvalLinkFromMail, createDomainUsers, onboardingAtMigrationList, postApproval } from '../support/onboarding-http.js';
import { pollUntil } from '../support/poll.js';

const { database, env } = useOnboardingEnv();

interface View {
  stage: string;
  problems: { field: string; code: string; message: string }[];
}

async function atListReview() {
  const domain = `stuck-${randomBytes(3).toString('hex')}.test`;
  await createDomainUsers(database, domain, 3);
  const { id, adminEmail } = await onboardingAtMigrationList(env, domain, {
    reminderEvery: 'PT1H',
    approvalTimeout: 'P1D',
    notifyUsers: false,
  });
  expect((await env.api('POST', `/api/onboardings/${id}/migration-list`, { method: 'domain', domain })).status).toBe(202);
  await env.waitForStage(id, 'list_review');
  return { id, adminEmail };
}

describe('an activity that PostgreSQL refuses for its data', () => {
  it('is not retried: the onboarding names the failed step, and cancel answers at once', async () => {
    const { id, adminEmail } = await atListReview();
    // The edge refuses it: the approval form says which field.
    const link = await approvalLinkFromMail(env.smtp, adminEmail, /migration list/i);
    const refused = await postApproval(link, { decision: 'reject', reason: 'wrong\u0000list' });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('control character');
    // Past the edge, straight to the workflow.
    const handle = (await env.client()).workflow.getHandle(workflowIdFor(id));
    const [pending] = (await handle.query(getOnboardingState)).pending;
    await handle.executeUpdate(recordApproval, {
      args: [{ tokenId: pending?.tokenId as string, step: 'migration_list', decision: 'reject', reason: 'wrong\u0000list' }],
    });

    const stuck = await pollUntil(
      'the failed step as a problem',
      async () => {
        const view = (await env.api<View>('GET', `/api/onboardings/${id}`)).body;
        return view.problems.some((p) => p.code === 'step_failed') ? view : undefined;
      },
      { timeoutMs: 20_000 },
    );
    expect(stuck.problems.find((p) => p.code === 'step_failed')).toMatchObject({
      field: 'recording the list decision',
      message: expect.stringContaining('SQLSTATE 22021'),
    });

    const cancelled = await env.api<{ stage: string }>('POST', `/api/onboardings/${id}/cancel`, {
      reason: 'the list decision could not be recorded',
    });

    expect(cancelled.status).toBe(200);
    expect(cancelled.body.stage).toBe('cancelled');
    expect(await handle.result()).toMatchObject({ stage: 'cancelled' });
    await recordHistory(workflowIdFor(id), 'step-failed-then-cancelled');
  }, 120_000);
});
