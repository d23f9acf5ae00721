import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { type CertificateState, type ConnectionStatus, mintId } from '../contract/vocabulary.js';
import type { Db } from '../db/client.js';
import { connectionCertificates, ssoConnections, users } from '../db/schema.js';
import { AppError } from '../lib/errors.js';
import { recordAuditEvent } from './audit.js';
import { claimDomainsForConnection, connectionIdForDomain } from './domainClaims.js';

export const emailAddressFormat = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

/**
 * Signing certificates one connection may hold: enough for an IdP publishing its current keys and the
 * next during a rotation (e.g. 4 current + next). Every certificate on file may be tried against each
 * posted signature, so without a cap a connection with hundreds made each junk post cost seconds.
 */
export const maxCertificatesPerConnection = 5;

export interface ConnectionInput {
  /** Chosen by the caller when the SP endpoints must be known before the connection is stored. */
  id?: string;
  onboardingId?: string;
  customerName: string;
  idpEntityId: string;
  ssoUrl: string;
  ssoBinding: 'redirect' | 'post';
  logoutRedirectUrl?: string | null;
  /** Absent: the NameID (format emailAddress) carries the email. */
  emailAttribute?: string | null;
  emailDomains: string[];
  certificates: string[];
  /** Where the IdP publishes its metadata, when it was given by URL. */
  idpMetadataUrl?: string | null;
  status?: ConnectionStatus;
}

export interface IdpCertificate {
  pem: string;
  fingerprintSha256: string;
  notBefore: Date;
  notAfter: Date;
  /** Absent for a certificate not stored yet (it is `current` once saved). */
  state?: CertificateState;
}

export interface Connection {
  id: string;
  onboardingId: string | null;
  customerName: string;
  idpEntityId: string;
  ssoUrl: string;
  ssoBinding: 'redirect' | 'post';
  logoutRedirectUrl: string | null;
  emailAttribute: string | null;
  emailDomains: string[];
  idpMetadataUrl: string | null;
  status: ConnectionStatus;
  certificates: IdpCertificate[];
}

export const newConnectionId = () => mintId('connection', randomBytes(12).toString('hex'));

/** The SP endpoints each connection publishes; one function so metadata, AuthnRequests and checks agree. */
export function spEndpoints(publicBaseUrl: string, connectionId: string) {
  const base = `${publicBaseUrl}/saml/${encodeURIComponent(connectionId)}`;
  return { entityId: `${base}/metadata`, acsUrl: `${base}/acs`, metadataUrl: `${base}/metadata`, loginUrl: `${base}/login` };
}

/** Normalises a PEM or bare base64 DER certificate; throws naming the problem when it does not parse. */
export function parseCertificate(input: string): IdpCertificate {
  const body = input.replace(/-----BEGIN CERTIFICATE-----|-----END CERTIFICATE-----/g, '').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) throw new AppError('invalid_certificate', 422, 'certificate is not PEM or base64 DER');
  const pem = `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)?.join('\n')}\n-----END CERTIFICATE-----\n`;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    throw new AppError('invalid_certificate', 422, 'certificate does not parse as X.509');
  }
  return {
    pem,
    fingerprintSha256: createHash('sha256').update(cert.raw).digest('hex'),
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
  };
}

/** Creates the onboarding's connection, or replaces its IdP details and certificates when it exists. */
export async function upsertConnection(db: Db, input: ConnectionInput): Promise<Connection> {
  const certificates = [...new Map(input.certificates.map(parseCertificate).map((c) => [c.fingerprintSha256, c])).values()];
  // validateIdpConfig refuses more already; this guards every other way a connection is saved.
  if (certificates.length > maxCertificatesPerConnection) {
    throw new AppError(
      'too_many_certificates',
      422,
      `${certificates.length} signing certificates; a connection holds at most ${maxCertificatesPerConnection}`,
    );
  }
  const emailDomains = [...new Set(input.emailDomains.map((d) => d.toLowerCase()))];
  const saved = await db.transaction(async (tx) => {
    const existing = input.onboardingId
      ? (await tx.select({ id: ssoConnections.id }).from(ssoConnections).where(eq(ssoConnections.onboardingId, input.onboardingId)))[0]
      : undefined;
    const id = existing?.id ?? input.id ?? newConnectionId();
    const values = {
      customerName: input.customerName,
      idpEntityId: input.idpEntityId,
      ssoUrl: input.ssoUrl,
      ssoBinding: input.ssoBinding,
      logoutRedirectUrl: input.logoutRedirectUrl ?? null,
      emailAttribute: input.emailAttribute ?? null,
      emailDomains,
      idpMetadataUrl: input.idpMetadataUrl ?? null,
      status: input.status ?? 'active',
      updatedAt: new Date(),
    };
    if (existing) await tx.update(ssoConnections).set(values).where(eq(ssoConnections.id, id));
    else await tx.insert(ssoConnections).values({ id, onboardingId: input.onboardingId ?? null, ...values });
    // In the same transaction: a connection never serves a domain another one holds.
    await claimDomainsForConnection(tx, {
      connectionId: id,
      onboardingId: input.onboardingId ?? null,
      domains: emailDomains,
      now: new Date(),
    });
    await tx.delete(connectionCertificates).where(eq(connectionCertificates.connectionId, id));
    if (certificates.length > 0) await tx.insert(connectionCertificates).values(certificates.map((c) => ({ connectionId: id, ...c })));
    return { id, onboardingId: input.onboardingId ?? null, ...values, certificates };
  });
  return saved;
}

/** A connection as stored: its IdP side (entity ID, SSO URL) is null from the onboarding's start until intake. */
export type ConnectionRecord = Omit<Connection, 'idpEntityId' | 'ssoUrl'> & { idpEntityId: string | null; ssoUrl: string | null };

/** Any connection on file, with or without its IdP side yet (its SP metadata and its page exist from the start). */
export async function findConnectionRecord(db: Db, id: string): Promise<ConnectionRecord | undefined> {
  const [row] = await db.select().from(ssoConnections).where(eq(ssoConnections.id, id));
  if (!row) return undefined;
  const certs = await db.select().from(connectionCertificates).where(eq(connectionCertificates.connectionId, id));
  return {
    id: row.id,
    onboardingId: row.onboardingId,
    customerName: row.customerName,
    idpEntityId: row.idpEntityId,
    ssoUrl: row.ssoUrl,
    ssoBinding: row.ssoBinding,
    logoutRedirectUrl: row.logoutRedirectUrl,
    emailAttribute: row.emailAttribute,
    emailDomains: row.emailDomains,
    idpMetadataUrl: row.idpMetadataUrl,
    status: row.status,
    certificates: certs.map((c) => ({
      pem: c.pem,
      fingerprintSha256: c.fingerprintSha256,
      notBefore: c.notBefore,
      notAfter: c.notAfter,
      state: c.state,
    })),
  };
}

/** Whether the stored connection has its IdP side, so a login can use it. */
export const hasIdpSide = (c: ConnectionRecord): c is Connection => c.idpEntityId !== null && c.ssoUrl !== null;

/**
 * The connection with its IdP side, for logins. One still waiting for its IdP side is not one a login can
 * use: undefined, as for no connection (`findConnectionRecord` finds it).
 */
export async function findConnection(db: Db, id: string): Promise<Connection | undefined> {
  const record = await findConnectionRecord(db, id);
  return record && hasIdpSide(record) ? record : undefined;
}

/** Discovery: the active connection holding this email's domain. */
export async function findConnectionForEmail(db: Db, email: string): Promise<Connection | undefined> {
  const domain = email.split('@').pop()?.toLowerCase();
  if (!domain || !email.includes('@')) return undefined;
  // The domain's one claim decides (domain/domainClaims.ts), so the answer never depends on row order.
  const id = await connectionIdForDomain(db, domain);
  return id ? findConnection(db, id) : undefined;
}

/**
 * Certificates that may verify a signature now: any one currently valid and not retired (current or
 * next), so an IdP can rotate without a gap.
 */
export function validCertificates(connection: Connection, now: Date): IdpCertificate[] {
  return connection.certificates.filter((c) => c.state !== 'retired' && c.notBefore <= now && now <= c.notAfter);
}

/** The PEM of `validCertificates`. */
export function currentCertificates(connection: Connection, now: Date): string[] {
  return validCertificates(connection, now).map((c) => c.pem);
}

/** A cached `findConnection` for the Assertion Consumer Service; one per API app (`buildApiDeps`), never per module. */
export interface ConnectionCache {
  find(db: Db, id: string): Promise<Connection | undefined>;
  /** Drops one connection, after a change made in this process (other processes see it within `ttlMs`). */
  forget(id: string): void;
}

/**
 * In-process cache of `findConnection` for the Assertion Consumer Service only, so a login or a junk
 * post does not cost two round trips for the connection. "Not found" is cached too, so random
 * connection IDs cannot bypass it. Entries live `ttlMs` (5 s), keyed by connection ID, at most
 * `maxEntries` (1,000) of them (the oldest is dropped first).
 *
 * Staleness: nothing tells the cache about a change. Connections are saved by the Temporal worker
 * (`upsertConnection`, `disableConnectionsOfCancelled`), another process, so a disabled connection or
 * a rotated certificate takes effect at the ACS within 5 s. The API itself only activates connections
 * (domain/domainClaims.ts), and the ACS treats a draft connection as an active one.
 */
export function createConnectionCache(options: { ttlMs?: number; maxEntries?: number } = {}): ConnectionCache {
  const ttlMs = options.ttlMs ?? 5_000;
  const maxEntries = options.maxEntries ?? 1_000;
  const entries = new Map<string, { connection: Connection | undefined; expiresAt: number }>();
  return {
    async find(db, id) {
      const hit = entries.get(id);
      if (hit && hit.expiresAt > Date.now()) return hit.connection;
      if (hit) entries.delete(id);
      const connection = await findConnection(db, id);
      entries.delete(id);
      while (entries.size >= maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        entries.delete(oldest.value);
      }
      entries.set(id, { connection, expiresAt: Date.now() + ttlMs });
      return connection;
    },
    forget(id) {
      entries.delete(id);
    },
  };
}

/**
 * A cancelled onboarding's connection is switched off (logins refused with connection_disabled,
 * discovery no longer picks it, its sessions end), unless someone is still enforced on it: that user
 * has no password sign-in, and would be locked out. Idempotent; audited once.
 */
export async function disableConnectionsOfCancelled(db: Db, onboardingId: string, now: Date): Promise<boolean> {
  return await db.transaction(async (tx) => {
    const connections = await tx
      .select({ id: ssoConnections.id, status: ssoConnections.status })
      .from(ssoConnections)
      .where(eq(ssoConnections.onboardingId, onboardingId))
      .for('update');
    let disabled = connections.length > 0;
    for (const connection of connections) {
      if (connection.status === 'disabled') continue;
      const [enforced] = await tx
        .select({ n: sql<number>`count(*)::int` })
        .from(users)
        .where(and(eq(users.connectionId, connection.id), eq(users.ssoState, 'enforced')));
      if ((enforced?.n ?? 0) > 0) {
        disabled = false;
        continue;
      }
      await tx.update(ssoConnections).set({ status: 'disabled', updatedAt: now }).where(eq(ssoConnections.id, connection.id));
      await recordAuditEvent(tx, {
        type: 'connection.disabled',
        actor: 'onboarding',
        onboardingId,
        connectionId: connection.id,
        detail: { reason: 'the onboarding was cancelled' },
        at: now,
      });
    }
    return disabled;
  });
}
