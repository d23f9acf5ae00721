// How the certificates of live connections stand, for the dashboard's problems and the expiry gauge.
// Both measure the same certificate: the latest-expiring one that still verifies logins (current or
// next), as its expiry is the moment nobody can sign in through the connection any more.
import type postgres from 'postgres';
import type { Problem } from '../contract/onboarding.js';
import { formatUtc } from './mail/templates.js';

const dayMs = 86_400_000;

interface LastCertificateRow {
  connection_id: string;
  onboarding_id: string | null;
  not_after: Date | string;
  failure_code: string | null;
  failure_message: string | null;
}

async function lastCertificates(sql: postgres.Sql, onboardingIds?: string[]) {
  const rows = await sql<LastCertificateRow[]>`
    select c.id as connection_id, c.onboarding_id, max(cc.not_after) as not_after, r.failure_code, r.failure_message
    from sso_connections c
    join connection_certificates cc on cc.connection_id = c.id and cc.state <> 'retired'
    left join metadata_refreshes r on r.connection_id = c.id
    where c.status = 'active' ${onboardingIds ? sql`and c.onboarding_id in ${sql(onboardingIds)}` : sql``}
    group by c.id, c.onboarding_id, r.failure_code, r.failure_message`;
  return rows.map((r) => ({ ...r, not_after: new Date(r.not_after) }));
}

/** Days (fractional) until each active connection's last certificate expires; negative once it has. */
export async function certificateExpiryDays(sql: postgres.Sql, now: Date): Promise<{ connectionId: string; days: number }[]> {
  return (await lastCertificates(sql)).map((r) => ({
    connectionId: r.connection_id,
    days: Math.round(((r.not_after.getTime() - now.getTime()) / dayMs) * 1000) / 1000,
  }));
}

/**
 * The problems the onboarding page and the dashboard show for a connection, by onboarding: its last
 * certificate expiring within `warnWithinMs` (the longest reminder threshold) or expired, and a
 * metadata refresh that keeps failing.
 */
export async function certificateProblems(
  sql: postgres.Sql,
  onboardingIds: string[],
  options: { now: Date; warnWithinMs: number },
): Promise<Map<string, Problem[]>> {
  const problems = new Map<string, Problem[]>();
  if (onboardingIds.length === 0) return problems;
  for (const row of await lastCertificates(sql, onboardingIds)) {
    if (!row.onboarding_id) continue;
    const list: Problem[] = [];
    const remaining = row.not_after.getTime() - options.now.getTime();
    const on = formatUtc(row.not_after.toISOString());
    if (remaining <= 0)
      list.push({
        field: 'connection',
        code: 'certificate_expired',
        message: `the IdP signing certificate expired on ${on}: nobody can sign in through SSO`,
      });
    else if (remaining <= options.warnWithinMs) {
      const days = Math.floor(remaining / dayMs);
      const within = days === 0 ? 'in less than a day' : `in ${days} ${days === 1 ? 'day' : 'days'}`;
      list.push({
        field: 'connection',
        code: 'certificate_expires_soon',
        message: `certificate expires ${within} (${on}): a newer one is needed`,
      });
    }
    if (row.failure_code)
      list.push({
        field: 'connection',
        code: 'metadata_refresh_failed',
        message: `the IdP metadata cannot be read: ${row.failure_message ?? row.failure_code}`,
      });
    if (list.length > 0) problems.set(row.onboarding_id, list);
  }
  return problems;
}

/** The longest default reminder threshold (CERT_REMINDERS): a certificate this close to expiry is a problem. */
export const certificateWarningMs = 60 * dayMs;

/** Adds the certificate problems to the dashboard's (those whose workflow did not answer stay unknown). */
export async function addCertificateProblems(
  sql: postgres.Sql,
  problems: Map<string, Problem[] | undefined>,
  onboardingIds: string[],
  options: { now: Date; warnWithinMs?: number },
): Promise<void> {
  const warnWithinMs = options.warnWithinMs ?? certificateWarningMs;
  for (const [id, found] of await certificateProblems(sql, onboardingIds, { now: options.now, warnWithinMs })) {
    const known = problems.get(id);
    if (known) problems.set(id, [...known, ...found]);
  }
}
