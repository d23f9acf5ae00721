import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { consumedAssertions } from '../../db/schema.js';
import { type Connection, currentCertificates, spEndpoints } from '../connections.js';
import { asciiLower } from '../directory.js';
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
 * Response, then the user on file and the one-time use of the assertion ID. The user lookup and a
 * login's writes (replay record, session, `login.succeeded` audit event, a pilot user's first login)
 * are one statement; the caller counts the metric and signals the onboardings it returns.
 */
export async function consumeSamlResponse(
  deps: AcsDeps,
  connection: Connection,
  body: { SAMLResponse?: unknown },
  context: AcsContext,
): Promise<SsoLogin & { assertionId: string; at: Date; pilotOnboardingIds: string[] }> {
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

  // The replay record must outlive every moment the assertion could still be accepted.
  const keepUntil = new Date(Math.max(login.notOnOrAfter?.getTime() ?? 0, now.getTime() + 24 * 60 * 60_000) + deps.clockSkewMs);
  const session = newSessionToken({ now, notOnOrAfter: login.sessionNotOnOrAfter });
  const nowText = now.toISOString();
  // One statement, so one round trip and one commit, and atomic like a transaction:
  // - the user is found as findUserByEmail finds one (the lower(email) index narrows, an ASCII-only
  //   case fold decides, so a Kelvin sign never matches a k);
  // - the consumed assertion is inserted only for a user whose SSO runs through this connection, and
  //   its primary key decides concurrent posts of one response: exactly one inserts it;
  // - the session, the login.succeeded audit event (the fields recordLoginAttempt writes) and a pilot
  //   user's first login are written only from that row, so a replay or a refusal writes nothing.
  // postgres.js prepares it once per connection. drizzle's driver bypasses postgres.js serializers:
  // dates go as ISO text with ::timestamptz and come back as text.
  const [row] = await deps.db.$client<LoginRow[]>`
    with u as (
      select sid, email, sso_state::text as sso_state, connection_id from users
      where lower(email) = lower(${login.email})
        and translate(email, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') = ${asciiLower(login.email)}
    ), consumed as (
      insert into consumed_assertions (connection_id, assertion_id, created_at, expires_at)
      select ${connection.id}, ${login.assertionId}, ${nowText}::timestamptz, ${keepUntil.toISOString()}::timestamptz
      from u where u.sso_state <> 'none' and u.connection_id = ${connection.id}
      on conflict do nothing
      returning assertion_id
    ), session as (
      insert into sessions (token_hash, user_sid, auth_method, connection_id, created_at, expires_at)
      select ${session.tokenHash}, u.sid, 'sso'::auth_method, ${connection.id}, ${nowText}::timestamptz,
        ${session.expiresAt.toISOString()}::timestamptz
      from u, consumed
      returning user_sid
    ), audit as (
      insert into audit_events (at, type, reason_code, trace_id, user_sid, connection_id, detail)
      select clock_timestamp(), 'login.succeeded', 'ok', ${context.traceId}, u.sid, ${connection.id},
        jsonb_strip_nulls(jsonb_build_object('method', 'sso', 'email', u.email, 'ip', ${context.ip ?? null}::text,
          'detail', ${login.assertionId}::text))
      from u, session
      returning id
    ), pilot as (
      update pilot_users set first_login_at = ${nowText}::timestamptz
      where user_sid = (select user_sid from session) and first_login_at is null
      returning onboarding_id
    )
    select u.sid, u.email, u.sso_state, u.connection_id,
      (select count(*) from consumed)::int as consumed,
      array(select onboarding_id from pilot) as pilot_onboarding_ids
    from (select) as one left join u on true`;
  if (!row?.sid) throw new LoginRefused('user_not_found', login.email);
  if (row.sso_state === 'none') throw new LoginRefused('sso_not_enabled', row.sid);
  if (row.connection_id !== connection.id) throw new LoginRefused('wrong_connection', row.sid);
  if (row.consumed === 0) throw new LoginRefused('assertion_replayed', login.assertionId);
  return {
    userSid: row.sid,
    email: row.email,
    sessionToken: session.token,
    sessionExpiresAt: session.expiresAt,
    assertionId: login.assertionId,
    at: now,
    pilotOnboardingIds: row.pilot_onboarding_ids,
  };
}

interface LoginRow {
  sid: string | null;
  email: string;
  sso_state: string;
  connection_id: string | null;
  consumed: number;
  pilot_onboarding_ids: string[];
}

export async function purgeConsumedAssertions(db: Db, now: Date): Promise<void> {
  await db.delete(consumedAssertions).where(sql`${consumedAssertions.expiresAt} < ${now}`);
}
