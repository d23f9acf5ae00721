import { type CacheProvider, SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { and, eq, gt, lt } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { samlRequests } from '../../db/schema.js';
import { type Connection, currentCertificates, emailAddressFormat, spEndpoints } from '../connections.js';

/** How long an AuthnRequest we issued may be answered. */
export const requestLifetimeMs = 10 * 60_000;

/**
 * node-saml's request-ID cache, in PostgreSQL, so any API instance can finish a login another started.
 * Scoped to one connection: a response to connection A's request is not valid at connection B's ACS.
 */
export function postgresRequestStore(db: Db, connectionId: string, now: () => Date): CacheProvider {
  return {
    async saveAsync(key, value) {
      const createdAt = now();
      await db
        .insert(samlRequests)
        .values({ id: key, connectionId, createdAt, expiresAt: new Date(createdAt.getTime() + requestLifetimeMs) })
        .onConflictDoNothing();
      return { value, createdAt: createdAt.getTime() };
    },
    async getAsync(key) {
      const [row] = await db
        .select({ createdAt: samlRequests.createdAt })
        .from(samlRequests)
        .where(and(eq(samlRequests.id, key), eq(samlRequests.connectionId, connectionId), gt(samlRequests.expiresAt, now())));
      return row ? row.createdAt.toISOString() : null;
    },
    async removeAsync(key) {
      if (key === null) return null;
      const removed = await db
        .delete(samlRequests)
        .where(and(eq(samlRequests.id, key), eq(samlRequests.connectionId, connectionId)))
        .returning({ id: samlRequests.id });
      return removed[0]?.id ?? null;
    },
  };
}

export async function purgeExpiredRequests(db: Db, now: Date): Promise<void> {
  await db.delete(samlRequests).where(lt(samlRequests.expiresAt, now));
}

export interface ServiceProviderOptions {
  db: Db;
  publicBaseUrl: string;
  clockSkewMs: number;
  now: () => Date;
}

/** node-saml configured strictly for one connection (see shared/notes/node-saml.md for each choice). */
export function serviceProviderFor(connection: Connection, options: ServiceProviderOptions): SAML {
  const { entityId, acsUrl } = spEndpoints(options.publicBaseUrl, connection.id);
  const certificates = currentCertificates(connection, options.now());
  return new SAML({
    issuer: entityId,
    callbackUrl: acsUrl,
    audience: entityId,
    entryPoint: connection.ssoUrl,
    authnRequestBinding: connection.ssoBinding === 'post' ? 'HTTP-POST' : 'HTTP-Redirect',
    // The HTTP-POST binding carries the request base64 but not deflated; node-saml deflates unless told not to.
    skipRequestCompression: connection.ssoBinding === 'post',
    // An empty list would make node-saml throw at construction; the ACS refuses earlier with its own code.
    idpCert: certificates.length > 0 ? certificates : ['-'],
    identifierFormat: emailAddressFormat,
    wantAuthnResponseSigned: true,
    // Defaults to true, which would refuse the unsigned assertions the policy allows inside a signed Response.
    wantAssertionsSigned: false,
    acceptedClockSkewMs: options.clockSkewMs,
    // SP-initiated responses must answer a request we issued; IdP-initiated ones carry no InResponseTo.
    validateInResponseTo: ValidateInResponseTo.ifPresent,
    requestIdExpirationPeriodMs: requestLifetimeMs,
    cacheProvider: postgresRequestStore(options.db, connection.id, options.now),
    disableRequestedAuthnContext: true,
    signatureAlgorithm: 'sha256',
    digestAlgorithm: 'sha256',
  });
}
