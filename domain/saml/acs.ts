import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { consumedAssertions } from '../../db/schema.js';
import { type Connection, currentCertificates, spEndpoints } from '../connections.js';
import { findUserByEmail } from '../directory.js';
import { newSessionToken } from '../sessions.js';
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

/** The request's identifiers, for the success audit event written with the session. */
export interface AcsContext {
  traceId: string;
  ip?: string;
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
 * Response, then the user on file and the one-time use of the assertion ID. A login's writes (replay
 * record, session, `login.succeeded` audit event) commit together in one statement; the caller counts
 * the metric.
 */
export async function consumeSamlResponse(
  deps: AcsDeps,
  connection: Connection,
  body: { SAMLResponse?: unknown },
  context: AcsContext,
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
  const session = newSessionToken({ now, notOnOrAfter: login.sessionNotOnOrAfter });
  // The same fields recordLoginAttempt writes for a success.
  const auditDetail = JSON.stringify({
    method: 'sso',
    ...(user.email ? { email: user.email } : {}),
    ...(context.ip ? { ip: context.ip } : {}),
    ...(login.assertionId ? { detail: login.assertionId } : {}),
  });
  // One statement, so one round trip and one commit, and atomic like a transaction. The primary key
  // decides: of concurrent posts of one response, exactly one inserts the consumed assertion. The
  // session is inserted only from that row, and the audit event only from the session, so a replay
  // writes nothing. drizzle's postgres.js driver bypasses postgres.js serializers: dates go as ISO
  // text with ::timestamptz, JSON as text with ::jsonb.
  const rows = await deps.db.execute<{ consumed: number }>(sql`
    with consumed as (
      insert into consumed_assertions (connection_id, assertion_id, created_at, expires_at)
      values (${connection.id}, ${login.assertionId}, ${now.toISOString()}::timestamptz, ${keepUntil.toISOString()}::timestamptz)
      on conflict do nothing
      returning assertion_id
    ), session as (
      insert into sessions (token_hash, user_sid, auth_method, connection_id, created_at, expires_at)
      select ${session.tokenHash}, ${user.sid}, 'sso'::auth_method, ${connection.id}, ${now.toISOString()}::timestamptz,
        ${session.expiresAt.toISOString()}::timestamptz
      from consumed
      returning token_hash
    ), audit as (
      insert into audit_events (at, type, reason_code, trace_id, user_sid, connection_id, detail)
      select ${new Date().toISOString()}::timestamptz, 'login.succeeded', 'ok', ${context.traceId}, ${user.sid}, ${connection.id},
        ${auditDetail}::jsonb
      from session
      returning id
    )
    select (select count(*) from consumed)::int as consumed, (select count(*) from audit)::int as audited`);
  if (Number(rows[0]?.consumed ?? 0) === 0) throw new LoginRefused('assertion_replayed', login.assertionId);
  return {
    userSid: user.sid,
    email: user.email,
    sessionToken: session.token,
    sessionExpiresAt: session.expiresAt,
    assertionId: login.assertionId,
  };
}

export async function purgeConsumedAssertions(db: Db, now: Date): Promise<void> {
  await db.delete(consumedAssertions).where(sql`${consumedAssertions.expiresAt} < ${now}`);
}
