import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { consumedAssertions } from '../../db/schema.js';
import { type Connection, currentCertificates, spEndpoints } from '../connections.js';
import { findUserByEmail } from '../directory.js';
import { createSession } from '../sessions.js';
import { checkXmlShape, decodeSamlResponse, parseStrict, preflightResponse } from './document.js';
import { LoginRefused } from './refusal.js';
import { serviceProviderFor } from './serviceProvider.js';
import { readSignedLogin } from './signedAssertion.js';

export interface AcsDeps {
  db: Db;
  publicBaseUrl: string;
  clockSkewMs: number;
  now: () => Date;
}

export interface SsoLogin {
  userSid: string;
  email: string;
  sessionToken: string;
  sessionExpiresAt: Date;
}

/** Maps node-saml's error messages (its only signal) to our reason codes. */
function refusalFromNodeSaml(error: unknown): LoginRefused {
  const message = error instanceof Error ? error.message : String(error);
  const rules: [RegExp, ConstructorParameters<typeof LoginRefused>[0]][] = [
    [/InResponseTo/i, 'unknown_in_response_to'],
    [/audience/i, 'audience_mismatch'],
    [/expired|NotOnOrAfter/i, 'assertion_expired'],
    [/not yet valid|NotBefore/i, 'assertion_not_yet_valid'],
    [/multiple assertions/i, 'multiple_assertions'],
    [/signature|reference|digest|transform|ID cannot refer/i, 'invalid_signature'],
  ];
  for (const [pattern, code] of rules) if (pattern.test(message)) return new LoginRefused(code, message.slice(0, 200));
  return new LoginRefused('invalid_response', message.slice(0, 200));
}

/**
 * The Assertion Consumer Service policy: cheap structural refusals first, then node-saml's signature,
 * audience, time and InResponseTo checks, then what node-saml leaves to us, read from the signed
 * Response, then the user on file and the one-time use of the assertion ID.
 */
export async function consumeSamlResponse(
  deps: AcsDeps,
  connection: Connection,
  body: { SAMLResponse?: unknown },
): Promise<SsoLogin & { assertionId: string }> {
  if (connection.status === 'disabled') throw new LoginRefused('connection_disabled');
  const xml = decodeSamlResponse(body.SAMLResponse);
  checkXmlShape(xml);
  const root = preflightResponse(parseStrict(xml));
  const now = deps.now();
  if (currentCertificates(connection, now).length === 0) throw new LoginRefused('no_valid_certificate');

  const sp = serviceProviderFor(connection, deps);
  try {
    await sp.validatePostResponseAsync({ SAMLResponse: body.SAMLResponse as string });
  } catch (error) {
    throw refusalFromNodeSaml(error);
  }

  const { acsUrl } = spEndpoints(deps.publicBaseUrl, connection.id);
  const login = readSignedLogin(root, {
    acsUrl,
    idpEntityId: connection.idpEntityId,
    emailAttribute: connection.emailAttribute,
    now,
    clockSkewMs: deps.clockSkewMs,
  });

  const user = await findUserByEmail(deps.db, login.email);
  if (!user) throw new LoginRefused('user_not_found', login.email);
  if (user.ssoState === 'none') throw new LoginRefused('sso_not_enabled', user.sid);
  if (user.connectionId !== connection.id) throw new LoginRefused('wrong_connection', user.sid);

  // The replay record must outlive every moment the assertion could still be accepted.
  const keepUntil = new Date(Math.max(login.notOnOrAfter?.getTime() ?? 0, now.getTime() + 24 * 60 * 60_000) + deps.clockSkewMs);
  return await deps.db.transaction(async (tx) => {
    // The primary key makes this atomic: of concurrent posts of one response, exactly one inserts.
    const consumed = await tx
      .insert(consumedAssertions)
      .values({ connectionId: connection.id, assertionId: login.assertionId, consumedAt: now, expiresAt: keepUntil })
      .onConflictDoNothing()
      .returning({ id: consumedAssertions.assertionId });
    if (consumed.length === 0) throw new LoginRefused('assertion_replayed', login.assertionId);
    const session = await createSession(tx, {
      userSid: user.sid,
      authMethod: 'sso',
      connectionId: connection.id,
      now,
      notOnOrAfter: login.sessionNotOnOrAfter,
    });
    return {
      userSid: user.sid,
      email: user.email,
      sessionToken: session.token,
      sessionExpiresAt: session.expiresAt,
      assertionId: login.assertionId,
    };
  });
}

export async function purgeConsumedAssertions(db: Db, now: Date): Promise<void> {
  await db.delete(consumedAssertions).where(sql`${consumedAssertions.expiresAt} < ${now}`);
}
