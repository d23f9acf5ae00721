// The customer administrator's setup link (issue #14, item 3): a capability like the approval links. The
// token is `<id>.<mac>`, the mac an HMAC of the ID under the approval-link secret with its own label, so a
// setup token never opens an approval page or the other way round. Only its hash is stored; the service
// can build the URL again (a resent mail, support's view) without keeping it.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, desc, eq, isNull } from 'drizzle-orm';
import { isId, mintId } from '../contract/vocabulary.js';
import type { Db } from '../db/client.js';
import { setupLinks, ssoConnections } from '../db/schema.js';
import { AppError } from '../lib/errors.js';
import { recordAuditEvent } from './audit.js';

/** How long a setup link works unless the connection goes active first or support revokes it. */
export const setupLinkLifetimeMs = 30 * 24 * 60 * 60_000;

const macFor = (secret: string, id: string) => createHmac('sha256', secret).update(`setup:${id}`).digest('base64url');
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export const setupUrl = (publicBaseUrl: string, secret: string, linkId: string) =>
  `${publicBaseUrl}/setup/${linkId}.${macFor(secret, linkId)}`;

export const newSetupLinkId = () => mintId('setupLink', randomBytes(16).toString('hex'));

type Tx = Pick<Db, 'insert' | 'update' | 'select'>;

/** Issues a new setup link for the onboarding's connection; older ones stop working. */
export async function issueSetupLink(
  db: Tx,
  input: { onboardingId: string; connectionId: string; secret: string; publicBaseUrl: string; now: Date; id?: string },
): Promise<{ id: string; url: string; expiresAt: Date }> {
  const id = input.id ?? newSetupLinkId();
  const expiresAt = new Date(input.now.getTime() + setupLinkLifetimeMs);
  await db
    .update(setupLinks)
    .set({ revokedAt: input.now })
    .where(and(eq(setupLinks.onboardingId, input.onboardingId), isNull(setupLinks.revokedAt)));
  await db.insert(setupLinks).values({
    id,
    tokenHash: hashToken(`${id}.${macFor(input.secret, id)}`),
    onboardingId: input.onboardingId,
    connectionId: input.connectionId,
    expiresAt,
    createdAt: input.now,
  });
  return { id, url: setupUrl(input.publicBaseUrl, input.secret, id), expiresAt };
}

export interface SetupLinkGrant {
  linkId: string;
  onboardingId: string;
  connectionId: string;
  expiresAt: Date;
}

/** Why a setup link does not open: each is a page of its own for the administrator. */
export type SetupLinkRefusal = 'setup_link_invalid' | 'setup_link_expired' | 'setup_link_revoked' | 'setup_complete';

const refusals: Record<SetupLinkRefusal, { status: number; message: string }> = {
  setup_link_invalid: {
    status: 404,
    message: 'This setup link is not valid. Use the link in the most recent email, or ask support for a new one.',
  },
  setup_link_expired: { status: 410, message: 'This setup link has expired. Ask support for a new one.' },
  setup_link_revoked: { status: 410, message: 'This setup link was replaced by a newer one. Use the link in the most recent email.' },
  setup_complete: {
    status: 410,
    message: 'Single sign-on is set up and active for your organisation: this link is no longer needed. Changes now go through support.',
  },
};

export const setupLinkRefusal = (code: SetupLinkRefusal) => new AppError(code, refusals[code].status, refusals[code].message);

/** The grant a setup token carries, or the refusal naming why it does not open (never a 5xx for junk). */
export async function verifySetupToken(db: Db, token: string, secret: string, now: Date): Promise<SetupLinkGrant> {
  const [id, mac, ...rest] = token.split('.');
  if (!id || !mac || rest.length > 0 || !isId('setupLink', id) || mac.length > 64) throw setupLinkRefusal('setup_link_invalid');
  const expected = Buffer.from(macFor(secret, id));
  const given = Buffer.from(mac);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw setupLinkRefusal('setup_link_invalid');
  const [row] = await db
    .select({
      id: setupLinks.id,
      tokenHash: setupLinks.tokenHash,
      onboardingId: setupLinks.onboardingId,
      connectionId: setupLinks.connectionId,
      expiresAt: setupLinks.expiresAt,
      revokedAt: setupLinks.revokedAt,
      status: ssoConnections.status,
    })
    .from(setupLinks)
    .innerJoin(ssoConnections, eq(ssoConnections.id, setupLinks.connectionId))
    .where(eq(setupLinks.id, id));
  if (!row || row.tokenHash !== hashToken(token)) throw setupLinkRefusal('setup_link_invalid');
  if (row.revokedAt) throw setupLinkRefusal('setup_link_revoked');
  if (row.status === 'active') throw setupLinkRefusal('setup_complete');
  if (row.expiresAt <= now) throw setupLinkRefusal('setup_link_expired');
  return { linkId: row.id, onboardingId: row.onboardingId, connectionId: row.connectionId, expiresAt: row.expiresAt };
}

/** The onboarding's working setup link (for support's view and `setupUrl`), or null once none works. */
export async function currentSetupLink(
  db: Db,
  onboardingId: string,
  options: { secret: string; publicBaseUrl: string; now: Date },
): Promise<{ id: string; url: string; expiresAt: Date } | null> {
  const [row] = await db
    .select({ id: setupLinks.id, expiresAt: setupLinks.expiresAt, status: ssoConnections.status })
    .from(setupLinks)
    .innerJoin(ssoConnections, eq(ssoConnections.id, setupLinks.connectionId))
    .where(and(eq(setupLinks.onboardingId, onboardingId), isNull(setupLinks.revokedAt)))
    .orderBy(desc(setupLinks.createdAt))
    .limit(1);
  if (!row || row.status === 'active' || row.expiresAt <= options.now) return null;
  return { id: row.id, url: setupUrl(options.publicBaseUrl, options.secret, row.id), expiresAt: row.expiresAt };
}

/** Support revokes the onboarding's setup links (a link sent to the wrong person); returns how many. */
export async function revokeSetupLinks(db: Db, onboardingId: string, now: Date): Promise<number> {
  const revoked = await db
    .update(setupLinks)
    .set({ revokedAt: now })
    .where(and(eq(setupLinks.onboardingId, onboardingId), isNull(setupLinks.revokedAt)))
    .returning({ id: setupLinks.id });
  return revoked.length;
}

/**
 * Support issues a new setup link (the old one was lost, or went to the wrong person): older links stop
 * working at once. Refused once the connection is active (setup is over); audited with support's reason.
 */
export async function reissueSetupLink(
  db: Db,
  onboardingId: string,
  input: { reason: string; secret: string; publicBaseUrl: string; now: Date },
): Promise<{ setupUrl: string; expiresAt: string }> {
  return await db.transaction(async (tx) => {
    const [connection] = await tx
      .select({ id: ssoConnections.id, status: ssoConnections.status })
      .from(ssoConnections)
      .where(eq(ssoConnections.onboardingId, onboardingId))
      .for('update');
    if (!connection)
      throw new AppError(
        'no_setup_link',
        409,
        'this onboarding was started before setup links existed; give its IdP details through support',
      );
    if (connection.status === 'active') throw setupLinkRefusal('setup_complete');
    const issued = await issueSetupLink(tx, { onboardingId, connectionId: connection.id, ...input });
    await recordAuditEvent(tx, {
      type: 'onboarding.setup_link_issued',
      actor: 'support',
      onboardingId,
      connectionId: connection.id,
      detail: { reason: input.reason, expiresAt: issued.expiresAt.toISOString() },
    });
    return { setupUrl: issued.url, expiresAt: issued.expiresAt.toISOString() };
  });
}
