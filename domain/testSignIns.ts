// A test sign-in that diagnoses (issue #14, item 4). The customer administrator (from the setup page) or
// support (from the console) starts an SP-initiated sign-in whose request ID marks it as a test; the ACS
// answers the IdP's response to it with a diagnosis (every check of the policy, none stopping the others)
// instead of a session. Each report is stored without the raw response, each failed check with the fix in
// the detected IdP's own words.
import { randomBytes } from 'node:crypto';
import { and, desc, eq, gt } from 'drizzle-orm';
import { type IdpVendor, idpVendorNames } from '../contract/diagnosis.js';
import type { Db } from '../db/client.js';
import { connectionTests, samlRequests } from '../db/schema.js';
import { recordAuditEvent } from './audit.js';
import { type Connection, spEndpoints } from './connections.js';
import { findUserByEmail } from './directory.js';
import { detectVendor, fixFor } from './idpVendors.js';
import { type DiagnosisCheckResult, type DiagnosisFacts, diagnoseSamlResponse } from './saml/diagnosis.js';
import { decodeSamlResponse } from './saml/document.js';
import { type ServiceProviderOptions, serviceProviderFor } from './saml/serviceProvider.js';

/** Request IDs of test sign-ins start so; the ACS routes a response to the diagnosis by this and the table. */
export const testRequestPrefix = '_test_';

export interface TestCheck extends DiagnosisCheckResult {
  /** For a failed check: what to change, in the detected IdP's words. */
  fix?: string;
}

export interface TestReport {
  at: string;
  passed: boolean;
  vendor: IdpVendor;
  vendorName: string;
  checks: TestCheck[];
  signed: DiagnosisFacts['signed'];
  signatureAlgorithms: string[];
  digestAlgorithms: string[];
  issuer: string | null;
  clockOffsetMs: number | null;
  nameId: DiagnosisFacts['nameId'];
  attributes: Record<string, string[]>;
  email: string | null;
  emailMatchesUser: boolean;
}

/**
 * Starts a test sign-in through the connection: the AuthnRequest (redirect URL, or the POST binding's
 * form fields) with a request ID recorded as a test's.
 */
export async function startTestSignIn(options: ServiceProviderOptions, connection: Connection) {
  const id = `${testRequestPrefix}${randomBytes(16).toString('hex')}`;
  const sp = serviceProviderFor(connection, options, undefined, { id });
  const answer =
    connection.ssoBinding === 'post'
      ? { kind: 'post' as const, fields: await sp.getAuthorizeMessageAsync('', undefined, {}) }
      : { kind: 'redirect' as const, url: await sp.getAuthorizeUrlAsync('', undefined, {}) };
  // node-saml stored the request (postgresRequestStore) while building it; it is marked a test's here.
  await options.db.update(samlRequests).set({ purpose: 'test' }).where(eq(samlRequests.id, id));
  return { requestId: id, ...answer };
}

/**
 * The test sign-in this response answers, if any: only a response naming one of our test request IDs for
 * this connection, still pending, is a test. The ID is read from the text before any parsing; the
 * diagnosis reads the document properly.
 */
export async function pendingTestRequest(db: Db, connectionId: string, samlResponse: unknown, now: Date): Promise<string | undefined> {
  let xml: string;
  try {
    xml = decodeSamlResponse(samlResponse);
  } catch {
    return undefined;
  }
  const match = /InResponseTo\s*=\s*["'](_test_[0-9a-f]{32})["']/.exec(xml.slice(0, 4096));
  if (!match) return undefined;
  const [row] = await db
    .select({ id: samlRequests.id })
    .from(samlRequests)
    .where(
      and(
        eq(samlRequests.id, match[1] as string),
        eq(samlRequests.connectionId, connectionId),
        eq(samlRequests.purpose, 'test'),
        gt(samlRequests.expiresAt, now),
      ),
    );
  return row?.id;
}

/**
 * Diagnoses the response to a test sign-in, stores the report and returns it. The request is used up, so a
 * report is made once per test; no session is made and no user changes.
 */
export async function diagnoseTestResponse(
  options: ServiceProviderOptions & { maxAssertionAgeMs: number },
  connection: Connection,
  input: { samlResponse: unknown; requestId: string; traceId: string },
): Promise<TestReport> {
  const now = options.now();
  await options.db.delete(samlRequests).where(eq(samlRequests.id, input.requestId));
  const facts = diagnoseSamlResponse({
    samlResponse: input.samlResponse,
    connection,
    now,
    clockSkewMs: options.clockSkewMs,
    publicBaseUrl: options.publicBaseUrl,
    expectedInResponseTo: input.requestId,
    maxAssertionAgeMs: options.maxAssertionAgeMs,
  });
  const user = facts.email ? await findUserByEmail(options.db, facts.email) : undefined;
  const domain = facts.email?.split('@').pop()?.toLowerCase();
  const onDomains = domain !== undefined && connection.emailDomains.includes(domain);
  const emailMatchesUser = user !== undefined && onDomains;
  const userCheck: DiagnosisCheckResult = {
    code: 'user_on_file',
    passed: emailMatchesUser,
    detail: !facts.email
      ? 'not checked: no email was found in the response'
      : emailMatchesUser
        ? `${facts.email} is a user of this service`
        : !onDomains
          ? `${facts.email} is not on one of this connection's domains (${connection.emailDomains.join(', ')})`
          : `no user of this service has the email ${facts.email}`,
    observed: facts.email,
  };
  const vendor = detectVendor({ entityId: connection.idpEntityId, ssoUrl: connection.ssoUrl, issuer: facts.issuer });
  const sp = spEndpoints(options.publicBaseUrl, connection.id);
  const checks: TestCheck[] = facts.checks.map((check) => {
    const result = check.code === 'user_on_file' ? userCheck : check;
    return result.passed
      ? result
      : {
          ...result,
          fix: fixFor(vendor, result.code, {
            spEntityId: sp.entityId,
            acsUrl: sp.acsUrl,
            observed: result.observed,
            expected: result.expected,
          }),
        };
  });
  const report: TestReport = {
    at: now.toISOString(),
    passed: checks.every((c) => c.passed),
    vendor,
    vendorName: idpVendorNames[vendor],
    checks,
    signed: facts.signed,
    signatureAlgorithms: facts.signatureAlgorithms,
    digestAlgorithms: facts.digestAlgorithms,
    issuer: facts.issuer,
    clockOffsetMs: facts.clockOffsetMs,
    nameId: facts.nameId,
    attributes: facts.attributes,
    email: facts.email,
    emailMatchesUser,
  };
  await options.db.insert(connectionTests).values({
    connectionId: connection.id,
    onboardingId: connection.onboardingId,
    at: now,
    passed: report.passed,
    vendor,
    email: report.email,
    emailMatchesUser,
    clockOffsetMs: report.clockOffsetMs === null ? null : Math.round(report.clockOffsetMs),
    report,
    traceId: input.traceId,
  });
  await recordAuditEvent(options.db, {
    type: 'connection.test_sign_in',
    reasonCode: report.passed ? 'ok' : checks.find((c) => !c.passed)?.code,
    traceId: input.traceId,
    connectionId: connection.id,
    onboardingId: connection.onboardingId ?? undefined,
    actor: 'test sign-in',
    detail: { passed: report.passed, vendor, failed: checks.filter((c) => !c.passed).map((c) => c.code) },
  });
  return report;
}

/** The connection's test reports, newest first (`GET /api/connections/:id/tests`). */
export async function connectionTestReports(db: Db, connectionId: string, limit = 20): Promise<TestReport[]> {
  const rows = await db
    .select({ report: connectionTests.report })
    .from(connectionTests)
    .where(eq(connectionTests.connectionId, connectionId))
    .orderBy(desc(connectionTests.at), desc(connectionTests.id))
    .limit(limit);
  return rows.map((r) => r.report as TestReport);
}
