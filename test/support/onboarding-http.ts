// Drives an onboarding over HTTP only, as support and the customer's admin would, against an API at any
// base URL (a child process or an in-process server).
import { expect } from 'vitest';
import type { Database } from '../../db/client.js';
import { supportToken } from './deps.js';
import { generateSelfSignedCertificate } from './idp/self-signed.js';
import { pollUntil } from './poll.js';
import { extractLinks, type SmtpSink } from './smtp.js';

export type SupportApi = <T = Record<string, unknown>>(
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<{ status: number; body: T }>;

/** Support's API calls with the bearer token; a string body is sent as SAML metadata, an answer that is not JSON as `{ text }`. */
export function supportApi(baseUrl: string): SupportApi {
  return async <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const isText = typeof body === 'string';
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${supportToken}`,
        'content-type': isText ? 'application/samlmetadata+xml' : 'application/json',
        ...headers,
      },
      body: body === undefined ? undefined : isText ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = {};
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { text };
    }
    return { status: res.status, body: parsed as T };
  };
}

export interface OnboardingView {
  stage: string;
  problems: { code: string }[];
  progress: { enabled: number; enforced: number; total: number };
  pendingApprovals: { step: string; url: string; expiresAt: string }[];
  pilot: { customerConfirmed: boolean; supportConfirmed: boolean };
  summary: { counts: Record<string, number> } | null;
}

export async function waitForStage(api: SupportApi, id: string, stage: string, timeoutMs = 30_000): Promise<OnboardingView> {
  let last: unknown;
  return await pollUntil(
    `onboarding ${id} reaching ${stage}`,
    async () => {
      const res = await api<OnboardingView>('GET', `/api/onboardings/${id}`);
      last = res.body;
      if (res.status === 200 && res.body.stage === stage) return res.body;
      throw new Error(`HTTP ${res.status}: ${JSON.stringify(last).slice(0, 500)}`);
    },
    { timeoutMs, intervalMs: 100 },
  );
}

/** `count` users user000001@domain … with stable SIDs, in one statement. */
export async function createDomainUsers(database: Database, domain: string, count: number): Promise<void> {
  await database.sql`
    insert into users (sid, email)
    select 'US' || md5(${domain} || g::text), 'user' || lpad(g::text, 6, '0') || '@' || ${domain}
    from generate_series(1, ${count}) g`;
}

/**
 * Marks every domain of the onboarding verified by support's audited override, as support does once it
 * has checked ownership another way (test/api/domainClaims.test.ts verifies by a real DNS server instead).
 */
export async function overrideDomains(api: SupportApi, id: string): Promise<void> {
  const onboarding = await api<{ domains: { domain: string; verified: boolean }[] }>('GET', `/api/onboardings/${id}`);
  expect(onboarding.status).toBe(200);
  for (const { domain } of onboarding.body.domains.filter((d) => !d.verified)) {
    const overridden = await api('POST', `/api/onboardings/${id}/domains/${encodeURIComponent(domain)}/override`, {
      reason: 'test: ownership checked out of band',
    });
    expect(overridden.status, JSON.stringify(overridden.body)).toBe(200);
  }
}

/** Starts an onboarding for `domain`, submits the IdP's metadata and waits for the pilot stage. */
export async function onboardingAtPilot(api: SupportApi, idpMetadataXml: string, domain: string, options: Record<string, unknown>) {
  const adminEmail = `admin@${domain}`;
  const started = await api<{ id: string }>('POST', '/api/onboardings', {
    customerName: `Customer ${domain}`,
    adminEmail,
    emailDomains: [domain],
    options,
  });
  expect(started.status).toBe(201);
  const id = started.body.id;
  await overrideDomains(api, id);
  const submitted = await api('POST', `/api/onboardings/${id}/idp-config`, idpMetadataXml);
  expect(submitted.status).toBe(200);
  await waitForStage(api, id, 'pilot');
  return { id, adminEmail };
}

/** The approval link in the first mail to `to` whose subject matches. */
export async function approvalLinkFromMail(smtp: SmtpSink, to: string, subject: RegExp, timeoutMs = 30_000): Promise<string> {
  const mail = await smtp.waitFor((m) => m.to.includes(to) && subject.test(m.subject), timeoutMs);
  const link = extractLinks(mail).find((l) => l.includes('/approvals/'));
  if (!link) throw new Error(`no approval link in "${mail.subject}"`);
  return link;
}

/** Posts the approval form as the admin's browser would; returns the status and body. */
export async function postApproval(link: string, fields: Record<string, string> = { decision: 'approve' }) {
  const res = await fetch(link, { method: 'POST', body: new URLSearchParams(fields), headers: { accept: 'application/json' } });
  return { status: res.status, body: await res.text() };
}

export async function approveByMail(smtp: SmtpSink, to: string, subject: RegExp): Promise<void> {
  const answer = await postApproval(await approvalLinkFromMail(smtp, to, subject));
  expect(answer.status, answer.body).toBe(200);
}

/**
 * An onboarding for `domain` brought to the migration list stage with nothing but the API and the
 * mailed pilot link: its domain overridden, the IdP given by fields (no IdP needs to run), user000001
 * as the pilot, approved by the customer and confirmed by support.
 */
export async function onboardingAtMigrationList(
  env: OnboardingHttpEnv,
  domain: string,
  options: Record<string, unknown>,
): Promise<{ id: string; adminEmail: string }> {
  const { id, adminEmail } = await onboardingAtPilotByFields(env, domain, options);
  expect((await env.api('POST', `/api/onboardings/${id}/pilot-users`, { emails: [`user000001@${domain}`] })).status).toBe(200);
  expect((await postApproval(await approvalLinkFromMail(env.smtp, adminEmail, /pilot/i))).status).toBe(200);
  expect((await env.api('POST', `/api/onboardings/${id}/pilot/confirm`)).status).toBe(200);
  await env.waitForStage(id, 'migration_list');
  return { id, adminEmail };
}

type OnboardingHttpEnv = {
  api: SupportApi;
  smtp: SmtpSink;
  waitForStage(id: string, stage: string, timeoutMs?: number): Promise<unknown>;
};

/** An onboarding for `domain` at the pilot stage: its domain overridden, the IdP given by fields (no IdP runs). */
export async function onboardingAtPilotByFields(
  env: OnboardingHttpEnv,
  domain: string,
  options: Record<string, unknown>,
): Promise<{ id: string; adminEmail: string }> {
  const adminEmail = `admin@${domain}`;
  const started = await env.api<{ id: string }>('POST', '/api/onboardings', {
    customerName: `Customer ${domain}`,
    adminEmail,
    emailDomains: [domain],
    options,
  });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  const { id } = started.body;
  await overrideDomains(env.api, id);
  const { certificatePem } = await generateSelfSignedCertificate({ commonName: `idp.${domain}` });
  const configured = await env.api('POST', `/api/onboardings/${id}/idp-config`, {
    entityId: `https://idp.${domain}/metadata`,
    // An address, so the intake's check that the host resolves does not depend on the machine's DNS.
    ssoUrl: 'https://127.0.0.1/sso',
    ssoBinding: 'redirect',
    certificates: [certificatePem],
  });
  expect(configured.status, JSON.stringify(configured.body)).toBe(200);
  await env.waitForStage(id, 'pilot');
  return { id, adminEmail };
}
