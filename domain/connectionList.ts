// Every connection at a glance for support: whose it is, whether it is on, and when its first certificate
// runs out (the date a rotation has to be done by), without loading each one's certificates.
import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { connectionCertificates, ssoConnections } from '../db/schema.js';

const dayMs = 86_400_000;

/** A certificate this close to its end is shown as a warning, on the list and on the connection's page. */
export const certificateExpiringSoonDays = 30;

export interface ConnectionListItem {
  id: string;
  customerName: string;
  onboardingId: string | null;
  status: 'pending' | 'active' | 'disabled';
  domains: string[];
  /** The earliest end of validity among the certificates that still verify logins (current and next). */
  earliestExpiry: string | null;
  earliestExpiryDaysLeft: number | null;
}

export async function listConnections(db: Db, now: Date): Promise<ConnectionListItem[]> {
  const rows = await db
    .select({
      id: ssoConnections.id,
      customerName: ssoConnections.customerName,
      onboardingId: ssoConnections.onboardingId,
      status: ssoConnections.status,
      domains: ssoConnections.emailDomains,
      earliest: sql<
        string | Date | null
      >`min(${connectionCertificates.notAfter}) filter (where ${connectionCertificates.state} <> 'retired')`,
    })
    .from(ssoConnections)
    .leftJoin(connectionCertificates, eq(connectionCertificates.connectionId, ssoConnections.id))
    .groupBy(ssoConnections.id)
    .orderBy(asc(ssoConnections.customerName), asc(ssoConnections.createdAt));
  return rows.map((row) => {
    const earliest = row.earliest === null ? null : new Date(row.earliest);
    return {
      id: row.id,
      customerName: row.customerName,
      onboardingId: row.onboardingId,
      status: row.status === 'draft' ? 'pending' : row.status,
      domains: row.domains,
      earliestExpiry: earliest?.toISOString() ?? null,
      earliestExpiryDaysLeft: earliest ? Math.floor((earliest.getTime() - now.getTime()) / dayMs) : null,
    };
  });
}

/** The customer a connection belongs to, for the heading of its page; undefined when there is no such connection. */
export async function connectionCustomerName(db: Db, id: string): Promise<string | undefined> {
  const [row] = await db.select({ name: ssoConnections.customerName }).from(ssoConnections).where(eq(ssoConnections.id, id));
  return row?.name;
}
