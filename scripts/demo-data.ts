import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { accounts, connectionCertificates, ssoConnections, users } from '../db/schema.js';
import { parseCertificate, upsertConnection } from '../domain/connections.js';
import { createAccount, createUser } from '../domain/directory.js';
import { connectionIdForDomain } from '../domain/domainClaims.js';

export const demoPassword = 'demo-password-1';
/** Password users of Acme Corp: the customer a newcomer onboards in the README's walkthrough. */
export const demoUsers = ['alice@acme.test', 'bob@acme.test', 'carol@acme.test', 'dave@contractor.test'];
/** Initech's users sign in through the demo IdP from the first start: its connection is already live. */
export const demoSsoDomain = 'initech.test';
export const demoSsoUsers = ['peter@initech.test', 'milton@initech.test'];
export const demoSsoCustomer = 'Initech (demo SSO)';

/** Seeds one account and a few users with passwords, once: a database that has accounts is left alone. */
export async function seedDemoData(db: Db): Promise<boolean> {
  const [row] = await db.select({ count: sql<number>`count(*)::int` }).from(accounts);
  if ((row?.count ?? 0) > 0) return false;
  const { sid } = await createAccount(db, { name: 'Acme Corp' });
  for (const email of demoUsers) await createUser(db, { email, password: demoPassword, accountSids: [sid] });
  return true;
}

export interface DemoIdpDetails {
  entityId: string;
  ssoUrl: string;
  certificatePem: string;
}

/**
 * The demo connection: Initech's domain served by the demo IdP, its users SSO-enabled. Made at the first
 * start with a demo IdP; later starts point it at this start's IdP (its port may have moved) and leave
 * everything else as it is.
 */
export async function ensureDemoConnection(db: Db, idp: DemoIdpDetails): Promise<{ connectionId: string; created: boolean }> {
  const existing = await connectionIdForDomain(db, demoSsoDomain);
  if (existing) {
    const certificate = parseCertificate(idp.certificatePem);
    await db.transaction(async (tx) => {
      await tx
        .update(ssoConnections)
        .set({ idpEntityId: idp.entityId, ssoUrl: idp.ssoUrl, updatedAt: new Date() })
        .where(eq(ssoConnections.id, existing));
      const [known] = await tx
        .select({ fingerprint: connectionCertificates.fingerprintSha256 })
        .from(connectionCertificates)
        .where(
          and(
            eq(connectionCertificates.connectionId, existing),
            eq(connectionCertificates.fingerprintSha256, certificate.fingerprintSha256),
          ),
        );
      if (!known) {
        await tx.delete(connectionCertificates).where(eq(connectionCertificates.connectionId, existing));
        await tx.insert(connectionCertificates).values({ connectionId: existing, ...certificate });
      }
    });
    return { connectionId: existing, created: false };
  }
  const connection = await upsertConnection(db, {
    customerName: demoSsoCustomer,
    idpEntityId: idp.entityId,
    ssoUrl: idp.ssoUrl,
    ssoBinding: 'redirect',
    emailDomains: [demoSsoDomain],
    certificates: [idp.certificatePem],
    status: 'active',
  });
  const { sid } = await createAccount(db, { name: demoSsoCustomer });
  for (const email of demoSsoUsers) {
    const user = await createUser(db, { email, password: demoPassword, accountSids: [sid] });
    await db.update(users).set({ ssoState: 'enabled', connectionId: connection.id }).where(eq(users.sid, user.sid));
  }
  return { connectionId: connection.id, created: true };
}
