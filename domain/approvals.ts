import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, eq, isNull, lt, sql } from 'drizzle-orm';
import { type ApprovalStep, isId } from '../contract/onboarding.js';
import type { Db } from '../db/client.js';
import { approvalExclusions, approvalTokens, serviceSecrets } from '../db/schema.js';

/**
 * The approval-link secret: APPROVAL_LINK_SECRET when set (recommended: then a copy of the database
 * alone cannot forge or recover links), else one made once and kept in the database, so API and worker
 * instances agree without extra configuration.
 */
export async function approvalLinkSecret(db: Db, fromEnv: string | undefined): Promise<string> {
  if (fromEnv) return fromEnv;
  await db
    .insert(serviceSecrets)
    .values({ name: 'approval_links', value: randomBytes(32).toString('base64url') })
    .onConflictDoNothing();
  const [row] = await db.select().from(serviceSecrets).where(eq(serviceSecrets.name, 'approval_links'));
  if (!row) throw new Error('approval link secret missing after insert');
  return row.value;
}

/**
 * A link token is `<tokenId>.<mac>`, the mac an HMAC of the ID under a server secret. The database keeps
 * only the token's hash, so a copy of it approves nothing, yet the service can show a pending link
 * again (support's view, a retried mail) without ever storing it.
 */
function macFor(secret: string, tokenId: string): string {
  return createHmac('sha256', secret).update(`approval:${tokenId}`).digest('base64url');
}
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export const approvalUrl = (publicBaseUrl: string, secret: string, tokenId: string) =>
  `${publicBaseUrl}/approvals/${tokenId}.${macFor(secret, tokenId)}`;

export interface IssuedApproval {
  tokenId: string;
  url: string;
  expiresAt: Date;
}

/**
 * Issues the link with this ID for one step of one onboarding, for one approver. The workflow picks the
 * ID before asking, so it awaits that link even if the approver answers before this call returns.
 * Idempotent on the ID; a new ID supersedes the step's older links.
 */
export async function issueApproval(
  db: Db,
  input: {
    tokenId: string;
    onboardingId: string;
    step: ApprovalStep;
    approverEmail: string;
    subjectVersion: number;
    expiresAt: Date;
    secret: string;
    publicBaseUrl: string;
    now: Date;
  },
): Promise<IssuedApproval> {
  if (!isId('approvalToken', input.tokenId)) throw new Error(`malformed approval token ID ${input.tokenId}`);
  return await db.transaction(async (tx) => {
    const [existing] = await tx.select().from(approvalTokens).where(eq(approvalTokens.id, input.tokenId));
    if (existing)
      return { tokenId: existing.id, url: approvalUrl(input.publicBaseUrl, input.secret, existing.id), expiresAt: existing.expiresAt };
    await tx
      .update(approvalTokens)
      .set({ supersededAt: input.now })
      .where(
        and(
          eq(approvalTokens.onboardingId, input.onboardingId),
          eq(approvalTokens.step, input.step),
          isNull(approvalTokens.usedAt),
          isNull(approvalTokens.supersededAt),
        ),
      );
    const token = `${input.tokenId}.${macFor(input.secret, input.tokenId)}`;
    await tx.insert(approvalTokens).values({
      id: input.tokenId,
      tokenHash: hashToken(token),
      onboardingId: input.onboardingId,
      step: input.step,
      approverEmail: input.approverEmail,
      subjectVersion: input.subjectVersion,
      expiresAt: input.expiresAt,
      createdAt: input.now,
    });
    return { tokenId: input.tokenId, url: approvalUrl(input.publicBaseUrl, input.secret, input.tokenId), expiresAt: input.expiresAt };
  });
}

export type ApprovalLinkState = 'valid' | 'used' | 'expired' | 'superseded';

export interface ApprovalLink {
  tokenId: string;
  onboardingId: string;
  step: ApprovalStep;
  approverEmail: string;
  subjectVersion: number | null;
  expiresAt: Date;
  usedAt: Date | null;
  decision: string | null;
  state: ApprovalLinkState;
}

/** Finds a link by the token in its URL; undefined for anything that is not a token we issued. */
export async function findApproval(db: Db, secret: string, token: string, now: Date): Promise<ApprovalLink | undefined> {
  // `<tokenId>.<mac>`: the ID in its own format, the mac 32 bytes of base64url.
  const [tokenId = '', mac = '', ...rest] = token.split('.');
  if (rest.length > 0 || !isId('approvalToken', tokenId) || !/^[A-Za-z0-9_-]{43}$/.test(mac)) return undefined;
  const expected = Buffer.from(macFor(secret, tokenId));
  if (!timingSafeEqual(Buffer.from(mac), expected)) return undefined;
  const [row] = await db
    .select()
    .from(approvalTokens)
    .where(eq(approvalTokens.tokenHash, hashToken(token)));
  if (!row) return undefined;
  const state: ApprovalLinkState = row.usedAt ? 'used' : row.supersededAt ? 'superseded' : row.expiresAt <= now ? 'expired' : 'valid';
  return {
    tokenId: row.id,
    onboardingId: row.onboardingId,
    step: row.step,
    approverEmail: row.approverEmail,
    subjectVersion: row.subjectVersion,
    expiresAt: row.expiresAt,
    usedAt: row.usedAt,
    decision: row.decision,
    state,
  };
}

/**
 * Claims a link for one decision; of two concurrent posts exactly one wins. The approver's exclusions
 * are stored against the link in the same transaction, so the workflow is sent the link's ID and a
 * count (never the users themselves, which would grow its history with the decision's size), and a
 * claim is never seen without them.
 */
export async function claimApproval(db: Db, tokenId: string, decision: string, now: Date, excludes: string[] = []): Promise<boolean> {
  return await db.transaction(async (tx) => {
    const claimed = await tx
      .update(approvalTokens)
      .set({ usedAt: now, decision })
      .where(and(eq(approvalTokens.id, tokenId), isNull(approvalTokens.usedAt), isNull(approvalTokens.supersededAt)))
      .returning({ id: approvalTokens.id });
    if (claimed.length !== 1) return false;
    // One text parameter split in SQL: a bound array of 20,000 SIDs would be 20,000 parameters in drizzle.
    if (excludes.length > 0)
      await tx.execute(sql`insert into approval_exclusions (token_id, user_sid)
        select ${tokenId}, sid from unnest(string_to_array(${excludes.join(' ')}, ' ')) as s(sid) on conflict do nothing`);
    return true;
  });
}

/** Gives a claimed link back when the step could not be recorded (Temporal unreachable), so it can be used again. */
export async function releaseApproval(db: Db, tokenId: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.delete(approvalExclusions).where(eq(approvalExclusions.tokenId, tokenId));
    await tx.update(approvalTokens).set({ usedAt: null, decision: null }).where(eq(approvalTokens.id, tokenId));
  });
}

export async function supersedeApprovals(db: Db, onboardingId: string, now: Date): Promise<void> {
  await db
    .update(approvalTokens)
    .set({ supersededAt: now })
    .where(and(eq(approvalTokens.onboardingId, onboardingId), isNull(approvalTokens.usedAt), isNull(approvalTokens.supersededAt)));
}

/**
 * A newer list version is out for review: links for older versions are superseded at once, before the
 * build is answered, so an old link never shows (or decides) a version that is no longer the one asked
 * about. A link for this version or a newer one (a later build that finished first) is left alone.
 */
export async function supersedeOlderListReviews(db: Db, onboardingId: string, version: number, now: Date): Promise<void> {
  await db
    .update(approvalTokens)
    .set({ supersededAt: now })
    .where(
      and(
        eq(approvalTokens.onboardingId, onboardingId),
        eq(approvalTokens.step, 'migration_list'),
        lt(approvalTokens.subjectVersion, version),
        isNull(approvalTokens.usedAt),
        isNull(approvalTokens.supersededAt),
      ),
    );
}

export async function pendingApprovals(db: Db, onboardingId: string, secret: string, publicBaseUrl: string, now: Date) {
  const rows = await db
    .select()
    .from(approvalTokens)
    .where(and(eq(approvalTokens.onboardingId, onboardingId), isNull(approvalTokens.usedAt), isNull(approvalTokens.supersededAt)));
  return rows
    .filter((r) => r.expiresAt > now)
    .map((r) => ({
      step: r.step,
      url: approvalUrl(publicBaseUrl, secret, r.id),
      expiresAt: r.expiresAt.toISOString(),
      approverEmail: r.approverEmail,
    }));
}
