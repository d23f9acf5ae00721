// A live connection, in any stage of its onboarding (completed ones included): what support sees of the
// IdP side, and the changes support makes to it. Each change is one transaction with its audit event,
// which names the actor and the reason.
import { X509Certificate } from 'node:crypto';
import { and, eq, isNull, ne, sql } from 'drizzle-orm';
import type { Problem } from '../contract/onboarding.js';
import type { CertificateState } from '../contract/vocabulary.js';
import type { Db } from '../db/client.js';
import { connectionCertificates, sessions, ssoConnections, users } from '../db/schema.js';
import { AppError, notFound } from '../lib/errors.js';
import { type AuditEventType, recordAuditEvent } from './audit.js';
import { findConnectionRecord, maxCertificatesPerConnection, parseCertificate, spEndpoints } from './connections.js';
import { connectionStatusFor } from './domainClaims.js';
import { type ConnectionEdit, checkCertificate, checkConnectionEdit } from './idpConfig/index.js';
import { invalidIdpConfig } from './onboardings.js';
import { connectionTestReports } from './testSignIns.js';

const dayMs = 86_400_000;

/** Who changes a connection and why; both go into the audit event. */
export interface Change {
  actor: string;
  reason: string;
  now: Date;
}

/** The vendor an IdP's entity ID names, by the forms their consoles publish (see shared/notes/idp-defaults.md). */
export function idpVendorOf(entityId: string): string {
  const patterns: [RegExp, string][] = [
    [/^https:\/\/sts\.windows\.net\//i, 'entra'],
    [/^https?:\/\/www\.okta\.com\//i, 'okta'],
    [/^https:\/\/accounts\.google\.com\/o\/saml2/i, 'google'],
    [/\/adfs\/services\/trust\/?$/i, 'adfs'],
    [/\/realms\/[^/]+\/?$/i, 'keycloak'],
    [/onelogin\.com\//i, 'onelogin'],
    [/jumpcloud\.com/i, 'jumpcloud'],
    [/^urn:[^:]+\.auth0\.com$/i, 'auth0'],
    [/pingone|pingidentity|pingfederate/i, 'ping'],
  ];
  return patterns.find(([pattern]) => pattern.test(entityId))?.[1] ?? 'other';
}

function certificateView(
  cert: { pem: string; fingerprintSha256: string; notBefore: Date; notAfter: Date; state?: CertificateState },
  now: Date,
) {
  let subject = '';
  try {
    subject = new X509Certificate(cert.pem).subject.replace(/\n/g, ', ');
  } catch {
    // Stored certificates were parsed when they came in; a subject that cannot be read is shown empty.
  }
  return {
    fingerprintSha256: cert.fingerprintSha256,
    subject,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    daysLeft: Math.floor((cert.notAfter.getTime() - now.getTime()) / dayMs),
    state: cert.state ?? 'current',
  };
}

/** The connection as `GET /api/connections/:id` shows it; a draft connection is `pending` there. */
export async function connectionView(db: Db, id: string, options: { publicBaseUrl: string; now: Date }) {
  const connection = await findConnectionRecord(db, id);
  if (!connection) throw notFound(`connection ${id}`);
  const sp = spEndpoints(options.publicBaseUrl, id);
  const [last] = await db
    .select({ at: sql<Date | null>`max(${sessions.createdAt})` })
    .from(sessions)
    .where(and(eq(sessions.connectionId, id), eq(sessions.authMethod, 'sso')));
  const order: Record<CertificateState, number> = { current: 0, next: 1, retired: 2 };
  return {
    id,
    onboardingId: connection.onboardingId,
    status: connection.status === 'draft' ? ('pending' as const) : connection.status,
    spEntityId: sp.entityId,
    acsUrl: sp.acsUrl,
    metadataUrl: sp.metadataUrl,
    domains: connection.emailDomains,
    idp: {
      vendor: connection.idpEntityId === null ? null : idpVendorOf(connection.idpEntityId),
      entityId: connection.idpEntityId,
      ssoUrl: connection.ssoUrl,
      ssoBinding: connection.ssoBinding,
      logoutRedirectUrl: connection.logoutRedirectUrl,
      emailAttribute: connection.emailAttribute,
      metadataUrl: connection.idpMetadataUrl,
      certificates: connection.certificates
        .map((c) => certificateView(c, options.now))
        .sort((a, b) => order[a.state] - order[b.state] || a.notAfter.localeCompare(b.notAfter)),
    },
    lastLoginAt: last?.at ? new Date(last.at).toISOString() : null,
    lastTest: (await connectionTestReports(db, id, 1))[0] ?? null,
  };
}

async function requireConnection(db: Pick<Db, 'select'>, id: string) {
  const [row] = await db.select().from(ssoConnections).where(eq(ssoConnections.id, id)).for('update');
  if (!row) throw notFound(`connection ${id}`);
  // Its IdP side comes through the onboarding's intake (or the customer's setup page), with every check of it.
  if (row.idpEntityId === null || row.ssoUrl === null)
    throw new AppError('connection_pending', 409, `connection ${id} has no IdP details yet: give them through its onboarding first`);
  return row;
}

async function audit(
  db: Pick<Db, 'insert'>,
  type: AuditEventType,
  connection: { id: string; onboardingId: string | null },
  change: Change,
  detail: Record<string, unknown> = {},
) {
  await recordAuditEvent(db, {
    type,
    actor: change.actor,
    connectionId: connection.id,
    onboardingId: connection.onboardingId ?? undefined,
    detail: { reason: change.reason, ...detail },
    at: change.now,
  });
}

/** Support edits the IdP side: every problem at once (422 invalid_idp_config), or saved and audited with what changed. */
export async function editConnection(
  db: Db,
  id: string,
  edit: ConnectionEdit,
  change: Change,
  urlGuard: { allowPrivateAddresses: boolean },
): Promise<void> {
  // Found first, so an unknown ID is a 404 before its edit is checked (which may ask DNS).
  const [found] = await db.select({ id: ssoConnections.id }).from(ssoConnections).where(eq(ssoConnections.id, id));
  if (!found) throw notFound(`connection ${id}`);
  const checked = await checkConnectionEdit(edit, urlGuard);
  if (!checked.ok) throw invalidIdpConfig(checked.problems);
  const { ssoUrl, ssoBinding, logoutRedirectUrl, emailAttribute, metadataUrl } = checked.edit;
  await db.transaction(async (tx) => {
    const before = await requireConnection(tx, id);
    const set = {
      ...(ssoUrl !== undefined ? { ssoUrl } : {}),
      ...(ssoBinding !== undefined ? { ssoBinding } : {}),
      ...(logoutRedirectUrl !== undefined ? { logoutRedirectUrl } : {}),
      ...(emailAttribute !== undefined ? { emailAttribute } : {}),
      ...(metadataUrl !== undefined ? { idpMetadataUrl: metadataUrl } : {}),
    };
    const changed = Object.fromEntries(Object.entries(set).filter(([key, value]) => (before as Record<string, unknown>)[key] !== value));
    if (Object.keys(changed).length === 0) return;
    await tx
      .update(ssoConnections)
      .set({ ...changed, updatedAt: change.now })
      .where(eq(ssoConnections.id, id));
    const from = Object.fromEntries(Object.keys(changed).map((key) => [key, (before as Record<string, unknown>)[key] ?? null]));
    await audit(tx, 'connection.updated', before, change, { from, to: changed });
  });
}

/** A signing certificate support adds: checked as at intake, `current` at once (it verifies the next login). */
export async function addCertificate(db: Db, id: string, input: string, change: Change) {
  const problems: Problem[] = [];
  const pem = checkCertificate(input, 0, change.now, problems, []);
  if (!pem || problems.length > 0) throw invalidIdpConfig(problems.map((p) => ({ ...p, field: 'certificate' })));
  const { fingerprintSha256, notBefore, notAfter } = parseCertificate(pem);
  return await db.transaction(async (tx) => {
    const connection = await requireConnection(tx, id);
    const held = await tx.select().from(connectionCertificates).where(eq(connectionCertificates.connectionId, id));
    const existing = held.find((c) => c.fingerprintSha256 === fingerprintSha256);
    if (existing && existing.state !== 'retired')
      throw new AppError('certificate_exists', 409, `the connection already has this certificate (${existing.state})`);
    if (held.filter((c) => c.state !== 'retired').length >= maxCertificatesPerConnection)
      throw new AppError(
        'too_many_certificates',
        422,
        `a connection holds at most ${maxCertificatesPerConnection} certificates that verify logins; remove one first`,
      );
    const values = { pem, notBefore, notAfter, state: 'current' as const, retiredAt: null };
    if (existing)
      await tx
        .update(connectionCertificates)
        .set(values)
        .where(and(eq(connectionCertificates.connectionId, id), eq(connectionCertificates.fingerprintSha256, fingerprintSha256)));
    else await tx.insert(connectionCertificates).values({ connectionId: id, fingerprintSha256, ...values });
    await audit(tx, 'connection.certificate_added', connection, change, { fingerprintSha256, notAfter: values.notAfter.toISOString() });
    return certificateView({ ...values, fingerprintSha256 }, change.now);
  });
}

/** Removes (retires) a certificate; the last current one stays, or logins would have nothing to verify with. */
export async function removeCertificate(db: Db, id: string, fingerprintSha256: string, change: Change) {
  await db.transaction(async (tx) => {
    const connection = await requireConnection(tx, id);
    const held = await tx.select().from(connectionCertificates).where(eq(connectionCertificates.connectionId, id));
    const target = held.find((c) => c.fingerprintSha256 === fingerprintSha256.toLowerCase() && c.state !== 'retired');
    if (!target) throw notFound(`certificate ${fingerprintSha256} of connection ${id}`);
    if (target.state === 'current' && !held.some((c) => c !== target && c.state === 'current'))
      throw new AppError('last_certificate', 409, 'this is the connection’s only current certificate: add its successor first');
    await tx
      .update(connectionCertificates)
      .set({ state: 'retired', retiredAt: change.now })
      .where(and(eq(connectionCertificates.connectionId, id), eq(connectionCertificates.fingerprintSha256, target.fingerprintSha256)));
    await audit(tx, 'connection.certificate_removed', connection, change, { fingerprintSha256: target.fingerprintSha256 });
  });
}

/**
 * Switches a connection off: logins refused (connection_disabled), discovery skips it, and its SSO
 * sessions are ended now (not only refused while it stays off, so enabling it again revives none).
 * Users enforced on it can then sign in neither way: their count is in the answer and the audit event.
 */
export async function disableConnection(db: Db, id: string, change: Change): Promise<{ lockedOut: number }> {
  return await db.transaction(async (tx) => {
    const connection = await requireConnection(tx, id);
    const [enforced] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(users)
      .where(and(eq(users.connectionId, id), eq(users.ssoState, 'enforced')));
    const lockedOut = enforced?.n ?? 0;
    if (connection.status === 'disabled') return { lockedOut };
    await tx.update(ssoConnections).set({ status: 'disabled', updatedAt: change.now }).where(eq(ssoConnections.id, id));
    const ended = await tx
      .update(sessions)
      .set({ endedAt: change.now })
      .where(and(eq(sessions.connectionId, id), isNull(sessions.endedAt)))
      .returning({ tokenHash: sessions.tokenHash });
    await audit(tx, 'connection.disabled', connection, change, { lockedOut, sessionsEnded: ended.length });
    return { lockedOut };
  });
}

/** Switches it on again: active once its domains are verified, pending (draft) until then. */
export async function enableConnection(db: Db, id: string, change: Change): Promise<void> {
  await db.transaction(async (tx) => {
    const connection = await requireConnection(tx, id);
    if (connection.status !== 'disabled') return;
    const status = connection.onboardingId ? await connectionStatusFor(tx, connection.onboardingId) : 'active';
    await tx
      .update(ssoConnections)
      .set({ status, updatedAt: change.now })
      .where(and(eq(ssoConnections.id, id), ne(ssoConnections.status, status)));
    await audit(tx, 'connection.enabled', connection, change, { status });
  });
}
