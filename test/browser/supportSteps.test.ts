// The onboarding page's step forms, each refusal in place: what was typed kept, the problem on its
// field, a 4xx; a step its stage does not allow is a 409 naming the stage. The onboardings are set up
// through the API (the whole walk through the console alone is supportWholeOnboarding.test.ts).
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { screenshot, useBrowser, watchedPage } from '../support/browser.js';
import { supportToken } from '../support/deps.js';
import { useOnboardingEnv } from '../support/onboarding-env.js';
import { approvalLinkFromMail, createDomainUsers, onboardingAtPilotByFields, postApproval } from '../support/onboarding-http.js';

const { database, env } = useOnboardingEnv();
const domain = `steps-${randomBytes(4).toString('hex')}.test`;
const user = (n: number) => `user${String(n).padStart(6, '0')}@${domain}`;
const browser = useBrowser();
let page: Page;
let errors: string[];
let id: string;
let adminEmail: string;

const shot = (name: string) => screenshot(page, 'support-steps', name);
const fieldError = (formId: string, name: string) => page.locator(`#${formId}-${name}-error`).textContent();
const onboardingPage = () => `${env.baseUrl}/support/onboardings/${id}`;
const ssoStateOf = async (email: string) =>
  (await database.sql<{ sso_state: string }[]>`select sso_state::text from users where email = ${email}`)[0]?.sso_state;
const auditOf = (type: string) =>
  database.sql<{ actor: string; detail: Record<string, unknown> }[]>`
    select actor, detail from audit_events where onboarding_id = ${id} and type = ${type}`;

/** Posts one of the page's forms; the page it ends on (after a redirect: the onboarding's page again). */
async function submit(formId: string, button: string | RegExp) {
  const [response] = await Promise.all([
    page.waitForNavigation(),
    page.locator(`#${formId}`).getByRole('button', { name: button }).click(),
  ]);
  if (!response) throw new Error(`the ${formId} form loaded no page`);
  return response;
}

beforeAll(async () => {
  await createDomainUsers(database, domain, 4);
  ({ id, adminEmail } = await onboardingAtPilotByFields(env, domain, {
    reminderEvery: 'PT1H',
    approvalTimeout: 'P1D',
    notifyUsers: false,
  }));
  ({ page, errors } = await watchedPage(browser, env.baseUrl));
  await page.goto(onboardingPage());
  await page.getByLabel('Support token').fill(supportToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(onboardingPage());
});

describe('the onboarding page’s step forms', () => {
  it('refuses pilot nominees that are not email addresses, naming each, and keeps what was typed', async () => {
    const typed = `${user(1)}\nnot-an-email`;
    await page.locator('#step-pilot').getByLabel('Email addresses').fill(typed);
    const answer = await submit('step-pilot', 'Nominate');
    expect(answer.status()).toBe(400);
    expect(await fieldError('step-pilot', 'emails')).toContain('“not-an-email” must be an email address');
    expect(await page.locator('#step-pilot').getByLabel('Email addresses').inputValue()).toBe(typed);
    expect((await env.api<{ pilot: { users: unknown[] } }>('GET', `/api/onboardings/${id}`)).body.pilot.users).toEqual([]);
    await shot('01-bad-pilot-email');
  });

  it('nominates pilot users, SSO enabled for them, and names a nominee with no account as a problem', async () => {
    await page
      .locator('#step-pilot')
      .getByLabel('Email addresses')
      .fill(`${user(1)}, ${user(2)}, nobody@${domain}`);
    expect((await submit('step-pilot', 'Nominate')).status()).toBe(200);
    expect(page.url()).toContain('done=pilot_nominated');
    expect(
      await page
        .getByRole('table', { name: 'Pilot users' })
        .getByRole('row', { name: new RegExp(user(2)) })
        .count(),
    ).toBe(1);
    expect(await ssoStateOf(user(2))).toBe('enabled');
    expect(await page.locator('#h-problems + .alert [data-problem=pilot_unknown_emails]').textContent()).toContain(`nobody@${domain}`);
  });

  it('asks why before removing a pilot user, then switches them back to their password', async () => {
    await page.getByLabel(user(2), { exact: true }).check();
    const refused = await submit('step-pilotRemove', 'Remove from the pilot');
    expect(refused.status()).toBe(400);
    expect(await fieldError('step-pilotRemove', 'reason')).toBe('must say why');
    expect(await page.getByLabel(user(2), { exact: true }).isChecked()).toBe(true);
    await shot('02-remove-needs-reason');
    await page.locator('#step-pilotRemove').getByLabel('Reason (kept in the audit trail)').fill('left the company');
    expect((await submit('step-pilotRemove', 'Remove from the pilot')).status()).toBe(200);
    expect(page.url()).toContain('done=pilot_removed');
    expect(
      await page
        .getByRole('table', { name: 'Pilot users' })
        .getByRole('row', { name: new RegExp(user(2)) })
        .count(),
    ).toBe(0);
    expect(await ssoStateOf(user(2))).toBe('none');
    expect(await ssoStateOf(user(1))).toBe('enabled');
    const [removed] = await auditOf('onboarding.pilot_users_removed');
    expect(removed).toMatchObject({ actor: 'support', detail: { reason: 'left the company' } });
  });

  it('mails the pending pilot link again, the same link, once support says why', async () => {
    const link = await approvalLinkFromMail(env.smtp, adminEmail, /^Action needed: confirm the SSO pilot/);
    const resend = page.locator('#step-resend');
    await resend.getByLabel('Which link').selectOption('pilot');
    expect((await submit('step-resend', /Mail it again/)).status()).toBe(400);
    expect(await fieldError('step-resend', 'reason')).toBe('must say why');
    await page.locator('#step-resend').getByLabel('Reason (kept in the audit trail)').fill('the first mail went to spam');
    expect((await submit('step-resend', /Mail it again/)).status()).toBe(200);
    expect(page.url()).toContain('done=link_resent');
    const again = await env.smtp.waitFor((m) => m.to.includes(adminEmail) && /^Reminder 1: confirm the SSO pilot/.test(m.subject), 15_000);
    expect(again.text).toContain(link);
    expect(await auditOf('onboarding.approval_link_resent')).toMatchObject([
      { detail: { step: 'pilot', reason: 'the first mail went to spam' } },
    ]);
  });

  it('answers a step the stage does not allow with a 409 page that names the stage', async () => {
    const res = await page.request.post(`${onboardingPage()}/migration-list`, {
      form: { method: 'domain', domain },
      headers: { origin: env.baseUrl },
    });
    expect(res.status()).toBe(409);
    const body = await res.text();
    expect(body).toContain('not possible in stage pilot');
    expect(body).toContain('id="step-list-problems"');
  });

  it('refuses a step form posted from another site, even with the session cookie', async () => {
    const res = await page.request.post(`${onboardingPage()}/cancel`, {
      form: { reason: 'forged', revertTo: 'none' },
      headers: { origin: 'https://attacker.example' },
    });
    expect(res.status()).toBe(403);
    expect((await env.api<{ stage: string }>('GET', `/api/onboardings/${id}`)).body.stage).toBe('pilot');
  });

  it('shows the customer’s rejection and its reason at the top of the page', async () => {
    const link = await approvalLinkFromMail(env.smtp, adminEmail, /^Action needed: confirm the SSO pilot/);
    expect((await postApproval(link, { decision: 'reject', reason: 'Alice reached the wrong tenant' })).status).toBe(200);
    await expect
      .poll(async () => {
        await page.goto(onboardingPage());
        return page
          .locator('#h-problems + .alert [data-problem=customer_rejected]')
          .textContent({ timeout: 1_000 })
          .catch(() => null);
      })
      .toContain('rejected the pilot: “Alice reached the wrong tenant”');
    await shot('03-rejection-problem');
  });

  it('does the same through the support API: a reason required, a SID that is no pilot user refused', async () => {
    const noReason = await env.api('POST', `/api/onboardings/${id}/approvals/pilot/resend`, {});
    expect(noReason.status).toBe(400);
    const resent = await env.api('POST', `/api/onboardings/${id}/approvals/pilot/resend`, { reason: 'asked again by phone' });
    expect(resent).toMatchObject({ status: 200, body: { step: 'pilot' } });
    const wrongStep = await env.api<{ error: { code: string; message: string } }>(
      'POST',
      `/api/onboardings/${id}/approvals/go_ahead/resend`,
      {
        reason: 'too early',
      },
    );
    expect(wrongStep.status).toBe(409);
    expect(wrongStep.body.error).toMatchObject({ code: 'no_pending_link', message: 'no go ahead link is waiting in stage pilot' });
    const stranger = await env.api<{ error: { code: string } }>('POST', `/api/onboardings/${id}/pilot-users/remove`, {
      userSids: [`US${'0'.repeat(32)}`],
      reason: 'not ours',
    });
    expect(stranger.status).toBe(422);
    expect(stranger.body.error.code).toBe('not_a_pilot_user');
  });

  it('asks why before cancelling, then cancels with the revert chosen', async () => {
    const cancel = page.locator('#step-cancel');
    await cancel.getByLabel('What happens to the users').selectOption('none');
    expect((await submit('step-cancel', 'Cancel the onboarding')).status()).toBe(400);
    expect(await fieldError('step-cancel', 'reason')).toBe('must say why');
    expect(await page.locator('#step-cancel').getByLabel('What happens to the users').inputValue()).toBe('none');
    await page.locator('#step-cancel').getByLabel('Why it is cancelled (kept in the audit trail)').fill('customer chose another vendor');
    expect((await submit('step-cancel', 'Cancel the onboarding')).status()).toBe(200);
    expect(await page.locator('[data-stage]').first().getAttribute('data-stage')).toBe('cancelled');
    expect(await ssoStateOf(user(1))).toBe('none');
    await shot('04-cancelled');
    const again = await page.request.post(`${onboardingPage()}/cancel`, {
      form: { reason: 'twice', revertTo: 'keep' },
      headers: { origin: env.baseUrl },
    });
    expect(again.status()).toBe(409);
    expect(await again.text()).toContain('cancelled');
    expect(errors).toEqual([]);
  });
});
