import { createHmac } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { domainClaims, onboardings, ssoConnections } from '../db/schema.js';
import { AppError } from '../lib/errors.js';
import { recordAuditEvent } from './audit.js';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * An email domain is served by at most one onboarding and its connection (the claim's primary key), so
 * no customer can point another customer's users at its own IdP, and discovery by domain has exactly
 * one answer. A claim is made when the onboarding starts and must be verified (a DNS TXT record with
 * the onboarding's own value, or support's audited override) before the connection goes active,
 * pilot users are enabled or a migration list is built.
 */
export interface DomainHolder {
  domain: string;
  onboardingId: string | null;
  connectionId: string | null;
  customerName: string | null;
}

export function domainTaken(holders: DomainHolder[]): AppError {
  const names = holders.map((h) => `${h.domain} (${h.customerName ?? 'another customer'}, ${h.onboardingId ?? h.connectionId})`);
  return new AppError(
    'domain_taken',
    409,
    `${holders.length === 1 ? 'this email domain is' : 'these email domains are'} already served by another onboarding: ${names.join(', ')}`,
    holders,
  );
}

async function holdersOf(tx: Pick<Db, 'select'>, domains: string[]): Promise<DomainHolder[]> {
  if (domains.length === 0) return [];
  return await tx
    .select({
      domain: domainClaims.domain,
      onboardingId: domainClaims.onboardingId,
      connectionId: domainClaims.connectionId,
      customerName: onboardings.customerName,
    })
    .from(domainClaims)
    .leftJoin(onboardings, eq(onboardings.id, domainClaims.onboardingId))
    .where(inArray(domainClaims.domain, domains))
    .orderBy(asc(domainClaims.domain));
}

/** Claims every domain for a new onboarding in the caller's transaction; any one already held refuses them all. */
export async function claimDomainsForOnboarding(tx: Tx, onboardingId: string, domains: string[]): Promise<void> {
  const wanted = [...new Set(domains.map((d) => d.toLowerCase()))];
  // A cancelled onboarding whose connection signs nobody in holds its domains no longer, so the
  // customer can start again; one that left users on SSO (revertTo keep) still serves them.
  const freed = await tx.execute<{ domain: string; onboarding_id: string }>(sql`
    delete from domain_claims c using onboardings o
    where c.onboarding_id = o.id and o.stage = 'cancelled' and c.domain in (${sql.join(
      wanted.map((d) => sql`${d}`),
      sql`, `,
    )})
      and not exists (select 1 from users u where c.connection_id is not null and u.connection_id = c.connection_id)
    returning c.domain, c.onboarding_id`);
  for (const row of freed)
    await recordAuditEvent(tx, {
      type: 'domain.released',
      actor: 'onboarding',
      onboardingId: row.onboarding_id,
      detail: { domain: row.domain, to: onboardingId },
    });
  const inserted = await tx
    .insert(domainClaims)
    .values(wanted.map((domain) => ({ domain, onboardingId })))
    .onConflictDoNothing()
    .returning({ domain: domainClaims.domain });
  if (inserted.length === wanted.length) return;
  const mine = new Set(inserted.map((r) => r.domain));
  throw domainTaken((await holdersOf(tx, wanted)).filter((h) => !mine.has(h.domain)));
}

/**
 * Ties an onboarding's claims to its connection, or claims a connection's domains for it when it has
 * no onboarding (connections set up directly count as verified: only operators do that).
 */
export async function claimDomainsForConnection(
  tx: Tx,
  input: { connectionId: string; onboardingId: string | null; domains: string[]; now: Date },
): Promise<void> {
  const wanted = [...new Set(input.domains.map((d) => d.toLowerCase()))];
  if (wanted.length === 0) return;
  if (input.onboardingId) {
    // Claimed when the onboarding started; claimed now for an onboarding from before claims existed.
    await tx
      .insert(domainClaims)
      .values(wanted.map((domain) => ({ domain, onboardingId: input.onboardingId })))
      .onConflictDoNothing();
    await tx
      .update(domainClaims)
      .set({ connectionId: input.connectionId })
      .where(and(eq(domainClaims.onboardingId, input.onboardingId), inArray(domainClaims.domain, wanted)));
  } else {
    await tx
      .insert(domainClaims)
      .values(
        wanted.map((domain) => ({
          domain,
          connectionId: input.connectionId,
          verifiedAt: input.now,
          verificationMethod: 'direct' as const,
          verifiedBy: 'operator',
        })),
      )
      .onConflictDoNothing();
  }
  const holders = await holdersOf(tx, wanted);
  const foreign = holders.filter((h) => h.connectionId !== input.connectionId);
  if (foreign.length > 0) throw domainTaken(foreign);
}

/** The TXT record that proves an onboarding's customer controls a domain: a value only this service can compute. */
export function verificationRecord(secret: string, onboardingId: string, domain: string) {
  const value = createHmac('sha256', secret).update(`domain-verification:${onboardingId}`).digest('base64url').slice(0, 32);
  return { name: `_sso-onboarding.${domain}`, type: 'TXT' as const, value: `sso-onboarding-verification=${value}` };
}

export interface DomainStatus {
  domain: string;
  verified: boolean;
  method: (typeof domainClaims.$inferSelect)['verificationMethod'];
  verifiedAt: string | null;
  record: { name: string; type: 'TXT'; value: string };
}

export async function domainStatuses(db: Db, secret: string, onboardingId: string): Promise<DomainStatus[]> {
  const rows = await db.select().from(domainClaims).where(eq(domainClaims.onboardingId, onboardingId)).orderBy(asc(domainClaims.domain));
  return rows.map((r) => ({
    domain: r.domain,
    verified: r.verifiedAt !== null,
    method: r.verificationMethod,
    verifiedAt: r.verifiedAt?.toISOString() ?? null,
    record: verificationRecord(secret, onboardingId, r.domain),
  }));
}

/** The onboarding's domains that are not verified yet (a domain it names but does not hold counts as unverified). */
export async function unverifiedDomains(db: Pick<Db, 'select'>, onboardingId: string): Promise<string[]> {
  const [row] = await db.select({ domains: onboardings.emailDomains }).from(onboardings).where(eq(onboardings.id, onboardingId));
  if (!row) return [];
  const verified = new Set(
    (
      await db
        .select({ domain: domainClaims.domain, verifiedAt: domainClaims.verifiedAt })
        .from(domainClaims)
        .where(eq(domainClaims.onboardingId, onboardingId))
    )
      .filter((c) => c.verifiedAt !== null)
      .map((c) => c.domain),
  );
  return row.domains.map((d) => d.toLowerCase()).filter((d) => !verified.has(d));
}

export const domainUnverified = (domains: string[]) =>
  new AppError(
    'domain_unverified',
    409,
    `the ownership of ${domains.join(', ')} is not verified yet: publish the TXT record shown for each domain and ask to verify, or have support override with a reason`,
    domains,
  );

/** Pilot users and migration lists move real users: only once the customer has shown it owns every domain. */
export async function requireVerifiedDomains(db: Pick<Db, 'select'>, onboardingId: string): Promise<void> {
  const unverified = await unverifiedDomains(db, onboardingId);
  if (unverified.length > 0) throw domainUnverified(unverified);
}

/** Once every domain is verified, the onboarding's connection goes from draft to active. */
async function activateWhenVerified(db: Db, onboardingId: string): Promise<void> {
  if ((await unverifiedDomains(db, onboardingId)).length > 0) return;
  // The ACS's connection cache (domain/connections.ts) needs no word of it: it treats draft as active.
  await db
    .update(ssoConnections)
    .set({ status: 'active', updatedAt: new Date() })
    .where(and(eq(ssoConnections.onboardingId, onboardingId), eq(ssoConnections.status, 'draft')));
}

/** Whether an onboarding's connection may go active as soon as it is saved. */
export async function connectionStatusFor(db: Pick<Db, 'select'>, onboardingId: string): Promise<'active' | 'draft'> {
  return (await unverifiedDomains(db, onboardingId)).length === 0 ? 'active' : 'draft';
}

export type TxtLookup = (name: string) => Promise<string[][]>;

/** TXT lookups through the configured DNS server (host or host:port), or the system's resolvers. */
export function dnsTxtLookup(server: string | undefined, timeoutMs = 3000): TxtLookup {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 2 });
  if (server) resolver.setServers([server]);
  return (name) => resolver.resolveTxt(name);
}

export interface VerificationResult {
  domain: string;
  verified: boolean;
  method: string | null;
  problem?: { code: 'txt_record_missing' | 'txt_record_mismatch' | 'dns_lookup_failed'; message: string };
}

/** Looks up each unverified domain's TXT record; the ones that carry the onboarding's value become verified (audited). */
export async function verifyDomainsByDns(
  db: Db,
  lookup: TxtLookup,
  input: { onboardingId: string; secret: string; actor: string; now: Date },
): Promise<VerificationResult[]> {
  const claims = await db
    .select()
    .from(domainClaims)
    .where(eq(domainClaims.onboardingId, input.onboardingId))
    .orderBy(asc(domainClaims.domain));
  const results: VerificationResult[] = [];
  for (const claim of claims) {
    if (claim.verifiedAt) {
      results.push({ domain: claim.domain, verified: true, method: claim.verificationMethod });
      continue;
    }
    const expected = verificationRecord(input.secret, input.onboardingId, claim.domain);
    let records: string[][] = [];
    let failure: string | undefined;
    try {
      records = await lookup(expected.name);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== 'ENOTFOUND' && code !== 'ENODATA') failure = code ?? 'lookup failed';
    }
    // A TXT record may come split into strings of at most 255 bytes; they are one value joined.
    // Some DNS consoles store the quotes typed around a value as part of it; they are not part of ours.
    const values = records.map((chunks) =>
      chunks
        .join('')
        .trim()
        .replace(/^"(.*)"$/, '$1'),
    );
    if (values.includes(expected.value)) {
      const updated = await db.transaction(async (tx) => {
        const rows = await tx
          .update(domainClaims)
          .set({ verifiedAt: input.now, verificationMethod: 'dns', verifiedBy: input.actor })
          .where(
            and(eq(domainClaims.domain, claim.domain), eq(domainClaims.onboardingId, input.onboardingId), isNull(domainClaims.verifiedAt)),
          )
          .returning({ domain: domainClaims.domain });
        if (rows.length > 0)
          await recordAuditEvent(tx, {
            type: 'domain.verified',
            actor: input.actor,
            onboardingId: input.onboardingId,
            connectionId: claim.connectionId ?? undefined,
            detail: { domain: claim.domain, method: 'dns', record: expected.name },
            at: input.now,
          });
        return rows.length;
      });
      results.push({ domain: claim.domain, verified: true, method: updated > 0 ? 'dns' : claim.verificationMethod });
      continue;
    }
    results.push({
      domain: claim.domain,
      verified: false,
      method: null,
      problem: failure
        ? { code: 'dns_lookup_failed', message: `the DNS lookup of ${expected.name} failed (${failure}); try again later` }
        : values.length === 0
          ? { code: 'txt_record_missing', message: `no TXT record at ${expected.name}; publish ${expected.value}` }
          : { code: 'txt_record_mismatch', message: `the TXT record at ${expected.name} does not hold ${expected.value}` },
    });
  }
  await activateWhenVerified(db, input.onboardingId);
  return results;
}

/** Support's override of the DNS check for one domain, with the reason kept in the claim and the audit trail. */
export async function overrideDomainVerification(
  db: Db,
  input: { onboardingId: string; domain: string; actor: string; reason: string; now: Date },
): Promise<void> {
  const domain = input.domain.toLowerCase();
  await db.transaction(async (tx) => {
    const [claim] = await tx
      .select()
      .from(domainClaims)
      .where(and(eq(domainClaims.domain, domain), eq(domainClaims.onboardingId, input.onboardingId)));
    if (!claim) throw new AppError('not_found', 404, `onboarding ${input.onboardingId} does not hold the domain ${domain}`);
    if (claim.verifiedAt) return;
    await tx
      .update(domainClaims)
      .set({ verifiedAt: input.now, verificationMethod: 'support', verifiedBy: input.actor, verificationNote: input.reason })
      .where(eq(domainClaims.domain, domain));
    await recordAuditEvent(tx, {
      type: 'domain.verification_overridden',
      actor: input.actor,
      onboardingId: input.onboardingId,
      connectionId: claim.connectionId ?? undefined,
      detail: { domain, reason: input.reason },
      at: input.now,
    });
  });
  await activateWhenVerified(db, input.onboardingId);
}

/** Discovery: the connection that holds this email's domain, if it is active. */
export async function connectionIdForDomain(db: Pick<Db, 'select'>, domain: string): Promise<string | undefined> {
  const [row] = await db
    .select({ id: ssoConnections.id })
    .from(domainClaims)
    .innerJoin(ssoConnections, eq(ssoConnections.id, domainClaims.connectionId))
    .where(and(eq(domainClaims.domain, domain.toLowerCase()), eq(ssoConnections.status, 'active')));
  return row?.id;
}
