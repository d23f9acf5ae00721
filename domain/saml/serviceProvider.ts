import { type CacheProvider, SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { and, eq, gt } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { samlRequests } from '../../db/schema.js';
import { type Connection, currentCertificates, emailAddressFormat, spEndpoints } from '../connections.js';
// node-saml verifies with xml-crypto's SignedXml, which this extends with ECDSA and RSA-SHA384.
import './signatureAlgorithms.js';

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
    // node-saml removes the request ID while it validates, on failure too, so a forged or broken response
    // posted first would burn the user's real login. The ACS deletes it in the login's own statement instead,
    // only when that login succeeds (and only once, whatever is posted at the same time).
    async removeAsync() {
      return null;
    },
  };
}

export interface ServiceProviderOptions {
  db: Db;
  publicBaseUrl: string;
  clockSkewMs: number;
  now: () => Date;
}

/**
 * node-saml configured strictly for one connection (see shared/notes/node-saml.md for each choice).
 * `certificates` (PEM) narrows the connection's current ones to those the ACS found signed the response.
 */
export function serviceProviderFor(
  connection: Connection,
  options: ServiceProviderOptions,
  certificates = currentCertificates(connection, options.now()),
  /** A test sign-in names its own request ID (domain/testSignIns.ts). */
  request: { id?: string } = {},
): SAML {
  const { entityId, acsUrl } = spEndpoints(options.publicBaseUrl, connection.id);
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
    ...(request.id ? { generateUniqueId: () => request.id as string } : {}),
  });
}
