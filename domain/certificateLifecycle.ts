// The certificate lifecycle of a live connection, one round at a time (workflows/certificateLifecycle.ts
// runs the rounds): the IdP metadata read again for new and vanished signing certificates, and reminders
// before the last certificate expires. Every change commits with its audit event and its mails (queued in
// the outbox in the same transaction, delivered after), so a retried activity neither loses nor repeats one.
import { createHash } from 'node:crypto';
import { and, eq, inArray, like, sql } from 'drizzle-orm';
import type { Problem } from '../contract/onboarding.js';
import type { Db } from '../db/client.js';
import {
  certificateAbsences,
  certificateReminders,
  connectionCertificates,
  mailOutbox,
  metadataRefreshes,
  onboardings,
  ssoConnections,
} from '../db/schema.js';
import { type AuditEventType, recordAuditEvent } from './audit.js';
import { maxCertificatesPerConnection, parseCertificate } from './connections.js';
import { checkCertificate } from './idpConfig/index.js';
import { defaultMaxMetadataBytes, readMetadata } from './idpConfig/metadata.js';
import { fetchMetadataDocument, type MetadataFetchOptions } from './idpConfig/metadataFetch.js';
import { idpVendorOf } from './liveConnections.js';
import { type MailMessage, renderMail } from './mail/templates.js';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export const metadataRefreshActor = 'system:metadata-refresh';
export const certificateReminderActor = 'system:certificate-reminders';
const dayMs = 86_400_000;

export interface RefreshSettings {
  now: Date;
  retireGraceMs: number;
  supportEmail: string;
  fetch: MetadataFetchOptions;
}

export type RefreshResult =
  | { outcome: 'gone' }
  | { outcome: 'skipped'; why: 'not_active' | 'no_metadata_url' }
  | { outcome: 'failed'; code: string; message: string }
  | { outcome: 'refreshed'; added: number; promoted: number; retired: number };

/** Mails of one connection's lifecycle share this key prefix, so a retry finds those not delivered yet. */
const mailKeyPrefix = (connectionId: string) => `certificate:${connectionId}:`;

/** Queued in the caller's transaction: the mail exists exactly when the change it reports does. */
async function queueMail(tx: Tx, key: string, onboardingId: string | null, recipient: string, message: MailMessage, now: Date) {
  const rendered = renderMail(message);
  await tx
    .insert(mailOutbox)
    .values({
      idempotencyKey: key,
      onboardingId,
      kind: message.kind,
      recipient,
      subject: rendered.subject,
      textBody: rendered.text,
      htmlBody: rendered.html,
      createdAt: now,
    })
    .onConflictDoNothing({ target: mailOutbox.idempotencyKey });
}

/** The outbox IDs of this connection's lifecycle mails not delivered yet (the caller delivers them). */
export async function undeliveredLifecycleMails(db: Db, connectionId: string): Promise<number[]> {
  const rows = await db
    .select({ id: mailOutbox.id })
    .from(mailOutbox)
    .where(and(like(mailOutbox.idempotencyKey, `${mailKeyPrefix(connectionId)}%`), eq(mailOutbox.status, 'pending')));
  return rows.map((r) => r.id);
}

async function audit(
  tx: Tx,
  type: AuditEventType,
  connection: { id: string; onboardingId: string | null },
  actor: string,
  now: Date,
  detail: Record<string, unknown>,
) {
  await recordAuditEvent(tx, {
    type,
    actor,
    connectionId: connection.id,
    onboardingId: connection.onboardingId ?? undefined,
    detail,
    at: now,
  });
}

interface MetadataCertificates {
  /** Every certificate the metadata lists that parses, usable or not: one still listed is not gone. */
  listed: Set<string>;
  /** Those that may verify logins (in date, strong enough key), in the metadata's order. */
  usable: { pem: string; fingerprintSha256: string; notBefore: Date; notAfter: Date }[];
}

async function readIdpCertificates(
  url: string,
  entityId: string,
  s: RefreshSettings,
): Promise<{ ok: true; certificates: MetadataCertificates } | { ok: false; code: string; message: string }> {
  const problems: Problem[] = [];
  const report = (field: string, code: string, message: string) => problems.push({ field, code, message });
  const failure = () => ({
    ok: false as const,
    code: problems[0]?.code ?? 'metadata_unreadable',
    message: problems.map((p) => p.message).join('; '),
  });
  const xml = await fetchMetadataDocument(url, s.fetch, report);
  if (xml === undefined || problems.length > 0) return failure();
  const details = readMetadata(xml, s.fetch.maxMetadataBytes ?? defaultMaxMetadataBytes, report);
  if (problems.length > 0) return failure();
  // Certificates from another IdP's metadata must never verify this customer's logins.
  if (details.entityId !== entityId) {
    report('metadataUrl', 'metadata_entity_mismatch', `the metadata describes ${details.entityId}, not the connection's IdP ${entityId}`);
    return failure();
  }
  const listed = new Set<string>();
  const usable: MetadataCertificates['usable'] = [];
  details.certificates.forEach((input, index) => {
    let fingerprintSha256: string;
    try {
      fingerprintSha256 = parseCertificate(input).fingerprintSha256;
    } catch {
      return;
    }
    listed.add(fingerprintSha256);
    const refused: Problem[] = [];
    const pem = checkCertificate(input, index, s.now, refused, []);
    if (pem && refused.length === 0 && !usable.some((c) => c.fingerprintSha256 === fingerprintSha256)) usable.push(parseCertificate(pem));
  });
  if (usable.length === 0) {
    report('certificates', 'no_usable_certificate', 'the metadata lists no signing certificate that is in date and strong enough');
    return failure();
  }
  return { ok: true, certificates: { listed, usable } };
}

async function recordFailure(db: Db, connection: LifecycleConnection, url: string, code: string, message: string, s: RefreshSettings) {
  await db.transaction(async (tx) => {
    const [before] = await tx.select().from(metadataRefreshes).where(eq(metadataRefreshes.connectionId, connection.id)).for('update');
    const values = {
      checkedAt: s.now,
      failureCode: code,
      failureMessage: message.slice(0, 2000),
      failingSince: before?.failingSince ?? s.now,
    };
    await tx
      .insert(metadataRefreshes)
      .values({ connectionId: connection.id, ...values })
      .onConflictDoUpdate({ target: metadataRefreshes.connectionId, set: values });
    // A failure that lasts is mailed once, not at every refresh; a new kind of failure is mailed again.
    if (before?.failureCode === code) return;
    await audit(tx, 'connection.metadata_refresh_failed', connection, metadataRefreshActor, s.now, { metadataUrl: url, code, message });
    await queueMail(
      tx,
      `${mailKeyPrefix(connection.id)}refresh_failed:${code}:${s.now.toISOString()}`,
      connection.onboardingId,
      s.supportEmail,
      {
        kind: 'metadata_refresh_failed',
        customerName: connection.customerName,
        connectionId: connection.id,
        metadataUrl: url,
        code,
        message,
      },
      s.now,
    );
  });
}

interface LifecycleConnection {
  id: string;
  onboardingId: string | null;
  customerName: string;
  status: string;
  /** Null while the connection waits for its IdP side (it is not active then, so nothing is refreshed). */
  idpEntityId: string | null;
  idpMetadataUrl: string | null;
}

async function lifecycleConnection(db: Pick<Db, 'select'>, id: string): Promise<LifecycleConnection | undefined> {
  const [row] = await db
    .select({
      id: ssoConnections.id,
      onboardingId: ssoConnections.onboardingId,
      customerName: ssoConnections.customerName,
      status: ssoConnections.status,
      idpEntityId: ssoConnections.idpEntityId,
      idpMetadataUrl: ssoConnections.idpMetadataUrl,
    })
    .from(ssoConnections)
    .where(eq(ssoConnections.id, id));
  return row;
}

/**
 * Reads the connection's IdP metadata again. A signing certificate new to the connection comes in as
 * `next` (it verifies logins at once, so the IdP may switch whenever it likes); one gone from the
 * metadata for the whole grace period is retired. When that retires every `current` one, the `next`
 * ones still listed become current; with none to promote the last current one stays.
 */
export async function refreshCertificatesFromMetadata(db: Db, connectionId: string, s: RefreshSettings): Promise<RefreshResult> {
  const connection = await lifecycleConnection(db, connectionId);
  if (!connection) return { outcome: 'gone' };
  if (connection.status !== 'active') return { outcome: 'skipped', why: 'not_active' };
  const url = connection.idpMetadataUrl;
  if (!url || !connection.idpEntityId) return { outcome: 'skipped', why: 'no_metadata_url' };
  const read = await readIdpCertificates(url, connection.idpEntityId, s);
  if (!read.ok) {
    await recordFailure(db, connection, url, read.code, read.message, s);
    return { outcome: 'failed', code: read.code, message: read.message };
  }
  const { listed, usable } = read.certificates;
  const changes = await db.transaction(async (tx) => {
    await tx.select({ id: ssoConnections.id }).from(ssoConnections).where(eq(ssoConnections.id, connectionId)).for('update');
    const held = await tx.select().from(connectionCertificates).where(eq(connectionCertificates.connectionId, connectionId));
    const live = held.filter((c) => c.state !== 'retired');
    const known = new Set(held.map((c) => c.fingerprintSha256));
    // A certificate support retired stays retired, even while the IdP still lists it.
    const room = Math.max(0, maxCertificatesPerConnection - live.length);
    const added = usable.filter((c) => !known.has(c.fingerprintSha256)).slice(0, room);
    if (added.length > 0)
      await tx.insert(connectionCertificates).values(added.map((c) => ({ connectionId, ...c, state: 'next' as const, retiredAt: null })));

    const listedLive = live.filter((c) => listed.has(c.fingerprintSha256)).map((c) => c.fingerprintSha256);
    if (listedLive.length > 0)
      await tx
        .delete(certificateAbsences)
        .where(and(eq(certificateAbsences.connectionId, connectionId), inArray(certificateAbsences.fingerprintSha256, listedLive)));
    const missing = live.filter((c) => !listed.has(c.fingerprintSha256));
    if (missing.length > 0)
      await tx
        .insert(certificateAbsences)
        .values(missing.map((c) => ({ connectionId, fingerprintSha256: c.fingerprintSha256, missingSince: s.now })))
        .onConflictDoNothing();
    const absences = await tx.select().from(certificateAbsences).where(eq(certificateAbsences.connectionId, connectionId));
    const overdue = new Set(
      absences.filter((a) => a.missingSince.getTime() + s.retireGraceMs <= s.now.getTime()).map((a) => a.fingerprintSha256),
    );
    let retiring = missing.filter((c) => overdue.has(c.fingerprintSha256));
    let promoting: typeof live = [];
    if (retiring.length > 0 && !live.some((c) => c.state === 'current' && !retiring.includes(c))) {
      const inDate = (c: { notBefore: Date; notAfter: Date }) => c.notBefore <= s.now && s.now <= c.notAfter;
      promoting = [
        ...live.filter((c) => c.state === 'next' && listed.has(c.fingerprintSha256)),
        ...added.map((c) => ({ ...c, state: 'next' as const })),
      ]
        .filter(inDate)
        .map((c) => ({ ...(c as (typeof live)[number]) }));
      if (promoting.length === 0) {
        const keep = retiring.filter((c) => c.state === 'current').sort((a, b) => b.notAfter.getTime() - a.notAfter.getTime())[0];
        retiring = retiring.filter((c) => c !== keep);
      }
    }
    const fingerprints = (list: { fingerprintSha256: string }[]) => list.map((c) => c.fingerprintSha256);
    if (retiring.length > 0) {
      await tx
        .update(connectionCertificates)
        .set({ state: 'retired', retiredAt: s.now })
        .where(
          and(
            eq(connectionCertificates.connectionId, connectionId),
            inArray(connectionCertificates.fingerprintSha256, fingerprints(retiring)),
          ),
        );
      await tx
        .delete(certificateAbsences)
        .where(
          and(eq(certificateAbsences.connectionId, connectionId), inArray(certificateAbsences.fingerprintSha256, fingerprints(retiring))),
        );
    }
    if (promoting.length > 0)
      await tx
        .update(connectionCertificates)
        .set({ state: 'current' })
        .where(
          and(
            eq(connectionCertificates.connectionId, connectionId),
            inArray(connectionCertificates.fingerprintSha256, fingerprints(promoting)),
          ),
        );

    const reason = 'read from the IdP metadata';
    const summary = (c: { fingerprintSha256: string; notAfter: Date }) => ({
      fingerprintSha256: c.fingerprintSha256,
      notAfter: c.notAfter.toISOString(),
    });
    for (const c of added)
      await audit(tx, 'connection.certificate_discovered', connection, metadataRefreshActor, s.now, {
        reason,
        metadataUrl: url,
        ...summary(c),
        state: 'next',
      });
    for (const c of promoting)
      await audit(tx, 'connection.certificate_promoted', connection, metadataRefreshActor, s.now, {
        reason: 'every current certificate was retired',
        ...summary(c),
      });
    for (const c of retiring)
      await audit(tx, 'connection.certificate_retired', connection, metadataRefreshActor, s.now, {
        reason: `gone from the IdP metadata for ${Math.round(s.retireGraceMs / 1000)} s`,
        ...summary(c),
      });
    if (added.length + promoting.length + retiring.length > 0) {
      const message = {
        kind: 'certificate_changes' as const,
        customerName: connection.customerName,
        connectionId,
        metadataUrl: url,
        added: added.map(summary),
        promoted: promoting.map(summary),
        retired: retiring.map(summary),
      };
      const digest = createHash('sha256')
        .update(JSON.stringify([message.added, message.promoted, message.retired]))
        .digest('hex')
        .slice(0, 24);
      await queueMail(tx, `${mailKeyPrefix(connectionId)}changes:${digest}`, connection.onboardingId, s.supportEmail, message, s.now);
    }
    const refreshed = { checkedAt: s.now, failureCode: null, failureMessage: null, failingSince: null };
    await tx
      .insert(metadataRefreshes)
      .values({ connectionId, ...refreshed })
      .onConflictDoUpdate({ target: metadataRefreshes.connectionId, set: refreshed });
    return { added: added.length, promoted: promoting.length, retired: retiring.length };
  });
  return { outcome: 'refreshed', ...changes };
}

export interface ReminderSettings {
  now: Date;
  /** Before notAfter; any order. */
  thresholdsMs: number[];
  supportEmail: string;
}

/** The certificate whose expiry locks everyone out: the latest-expiring one that still verifies logins. */
async function lastCertificate(db: Pick<Db, 'select'>, connectionId: string) {
  const [row] = await db
    .select({ fingerprintSha256: connectionCertificates.fingerprintSha256, notAfter: connectionCertificates.notAfter })
    .from(connectionCertificates)
    .where(and(eq(connectionCertificates.connectionId, connectionId), sql`${connectionCertificates.state} <> 'retired'`))
    .orderBy(sql`${connectionCertificates.notAfter} desc`)
    .limit(1);
  return row;
}

/**
 * Reminds the customer's administrator and support once per threshold crossed before the last
 * certificate expires (a newer certificate on file starts the count again). Thresholds crossed
 * together give one mail, for the nearest. Answers when the next threshold falls due.
 */
export async function remindBeforeExpiry(
  db: Db,
  connectionId: string,
  s: ReminderSettings,
): Promise<{ exists: boolean; nextReminderAt: number | null }> {
  const connection = await lifecycleConnection(db, connectionId);
  if (!connection) return { exists: false, nextReminderAt: null };
  const last = connection.status === 'active' ? await lastCertificate(db, connectionId) : undefined;
  if (!last) return { exists: true, nextReminderAt: null };
  const remaining = last.notAfter.getTime() - s.now.getTime();
  const thresholds = [...new Set(s.thresholdsMs)].sort((a, b) => b - a);
  const ahead = thresholds.filter((t) => remaining > t);
  const nextReminderAt = ahead.length > 0 ? last.notAfter.getTime() - Math.max(...ahead) : null;
  const crossed = thresholds.filter((t) => remaining <= t);
  const nearest = crossed.at(-1);
  if (nearest === undefined) return { exists: true, nextReminderAt };
  const seconds = (t: number) => Math.round(t / 1000);
  await db.transaction(async (tx) => {
    const given = await tx
      .insert(certificateReminders)
      .values(
        crossed.map((t) => ({
          connectionId,
          fingerprintSha256: last.fingerprintSha256,
          thresholdSeconds: seconds(t),
          mailed: t === nearest,
          at: s.now,
        })),
      )
      .onConflictDoNothing()
      .returning({ thresholdSeconds: certificateReminders.thresholdSeconds });
    if (!given.some((r) => r.thresholdSeconds === seconds(nearest))) return;
    const [onboarding] = connection.onboardingId
      ? await tx.select({ adminEmail: onboardings.adminEmail }).from(onboardings).where(eq(onboardings.id, connection.onboardingId))
      : [];
    const vendor = idpVendorOf(connection.idpEntityId ?? '');
    const daysLeft = Math.max(0, Math.floor(remaining / dayMs));
    const message: MailMessage = {
      kind: 'certificate_expiry_reminder',
      customerName: connection.customerName,
      connectionId,
      vendor,
      fingerprintSha256: last.fingerprintSha256,
      notAfter: last.notAfter.toISOString(),
      daysLeft,
    };
    const recipients = [...new Set([onboarding?.adminEmail, s.supportEmail].filter((r): r is string => Boolean(r)))];
    for (const recipient of recipients)
      await queueMail(
        tx,
        `${mailKeyPrefix(connectionId)}reminder:${last.fingerprintSha256}:${seconds(nearest)}:${recipient}`,
        connection.onboardingId,
        recipient,
        message,
        s.now,
      );
    await audit(tx, 'connection.certificate_expiry_reminder', connection, certificateReminderActor, s.now, {
      fingerprintSha256: last.fingerprintSha256,
      notAfter: last.notAfter.toISOString(),
      thresholdSeconds: seconds(nearest),
      daysLeft,
      vendor,
      recipients,
    });
  });
  return { exists: true, nextReminderAt };
}
