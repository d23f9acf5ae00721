import { auditType } from '../audit.js';
import { type Connection, type IdpCertificate, spEndpoints, validCertificates } from '../connections.js';
import { asciiLower } from '../directory.js';
import { newSessionToken } from '../sessions.js';
import { checkXmlShape, decodeSamlResponse, ns, parseStrict, preflightResponse } from './document.js';
import { LoginRefused } from './refusal.js';
import { type ServiceProviderOptions, serviceProviderFor } from './serviceProvider.js';
import { readSignedLogin } from './signedAssertion.js';
import { findSigningCertificate } from './signingCertificate.js';

export interface AcsDeps extends ServiceProviderOptions {
  /** SAML_MAX_ASSERTION_AGE_MS: how long after its IssueInstant an assertion is accepted. */
  maxAssertionAgeMs: number;
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

/**
 * Maps node-saml's error messages (its only signal) to our reason codes. When a response answers a
 * request, node-saml reports a subject confirmation outside its time window as "no valid subject
 * confirmation"; which side of the window it missed is read from the response itself.
 */
function refusalFromNodeSaml(error: unknown, root: Element, now: Date): LoginRefused {
  const message = error instanceof Error ? error.message : String(error);
  if (/No valid subject confirmation/i.test(message)) {
    const notBefore = Array.from(root.getElementsByTagNameNS(ns.assertion, 'SubjectConfirmationData'))
      .map((data) => Date.parse(data.getAttribute('NotBefore') ?? ''))
      .filter((at) => Number.isFinite(at));
    const early = notBefore.length > 0 && notBefore.every((at) => at > now.getTime());
    return new LoginRefused(early ? 'assertion_not_yet_valid' : 'assertion_expired', message.slice(0, 200));
  }
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
  const doc = parseStrict(xml);
  const root = preflightResponse(doc);
  const now = deps.now();
  const certificates = validCertificates(connection, now);
  if (certificates.length === 0) throw new LoginRefused('no_valid_certificate');
  // node-saml would verify the whole document once per certificate; with more than one on file it gets
  // the one that signed, if any. With one, node-saml's single verification is all there is to do.
  let signer = certificates[0] as IdpCertificate;
  if (certificates.length > 1) {
    const found = findSigningCertificate(doc, root, certificates);
    if (!found) throw new LoginRefused('invalid_signature', 'no certificate on file made this signature');
    signer = found;
  }

  const sp = serviceProviderFor(connection, deps, [signer.pem]);
  try {
    await sp.validatePostResponseAsync({ SAMLResponse: body.SAMLResponse as string });
  } catch (error) {
    throw refusalFromNodeSaml(error, root, now);
  }

  const { acsUrl } = spEndpoints(deps.publicBaseUrl, connection.id);
  const login = readSignedLogin(root, {
    acsUrl,
    idpEntityId: connection.idpEntityId,
    emailAttribute: connection.emailAttribute,
    now,
    clockSkewMs: deps.clockSkewMs,
    maxAssertionAgeMs: deps.maxAssertionAgeMs,
  });

  // The replay record must outlive every moment the assertion could still be accepted.
  const keepUntil = new Date(Math.max(login.notOnOrAfter?.getTime() ?? 0, now.getTime() + 24 * 60 * 60_000) + deps.clockSkewMs);
  const session = newSessionToken({ now, notOnOrAfter: login.sessionNotOnOrAfter });
  const nowText = now.toISOString();
  // One statement, so one round trip and one commit, and atomic like a transaction:
  // - the user is found as findUserByEmail finds one (the lower(email) index narrows, an ASCII-only
  //   case fold decides, so a Kelvin sign never matches a k);
  // - the SP-initiated request it answers (node-saml found it pending) is deleted only for a user whose
  //   SSO runs through this connection, and its row lock decides concurrent answers: one deletes it;
  // - the consumed assertion is inserted only for such a user, only if it answers no request or the one
  //   this statement deleted, and its primary key decides concurrent posts of one response;
  // - the session, the login.succeeded audit event (the fields recordLoginAttempt writes) and a pilot
  //   user's first login are written only from that row, so a replay or a refusal writes nothing.
  // postgres.js prepares it once per connection. drizzle's driver bypasses postgres.js serializers:
  // dates go as ISO text with ::timestamptz and come back as text.
  const [row] = await deps.db.$client<LoginRow[]>`
    with u as (
      select sid, email, sso_state::text as sso_state, connection_id from users
      where lower(email) = lower(${login.email})
        and translate(email, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') = ${asciiLower(login.email)}
    ), request as (
      delete from saml_requests
      where id = ${login.inResponseTo}::text and connection_id = ${connection.id}
        and exists (select from u where u.sso_state <> 'none' and u.connection_id = ${connection.id})
      returning id
    ), consumed as (
      insert into consumed_assertions (connection_id, assertion_id, created_at, expires_at)
      select ${connection.id}, ${login.assertionId}, ${nowText}::timestamptz, ${keepUntil.toISOString()}::timestamptz
      from u where u.sso_state <> 'none' and u.connection_id = ${connection.id}
        and (${login.inResponseTo}::text is null or exists (select from request))
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
      select clock_timestamp(), ${auditType('login.succeeded')}, 'ok', ${context.traceId}, u.sid, ${connection.id},
        jsonb_strip_nulls(jsonb_build_object('method', 'sso', 'email', u.email, 'ip', ${context.ip ?? null}::text,
          'detail', ${login.assertionId}::text))
      from u, session
      returning id
    ), pilot as (
      update pilot_users set first_login_at = ${nowText}::timestamptz
      where user_sid = (select user_sid from session) and first_login_at is null
        -- Only the onboarding whose connection this login came through: a pilot elsewhere is not proven by it.
        and onboarding_id = ${connection.onboardingId ?? ''}
      returning onboarding_id
    )
    select u.sid, u.email, u.sso_state, u.connection_id,
      (select count(*) from request)::int as request_answered,
      (select count(*) from consumed)::int as consumed,
      array(select onboarding_id from pilot) as pilot_onboarding_ids
    from (select) as one left join u on true`;
  if (!row?.sid) throw new LoginRefused('user_not_found', login.email);
  if (row.sso_state === 'none') throw new LoginRefused('sso_not_enabled', row.sid);
  if (row.connection_id !== connection.id) throw new LoginRefused('wrong_connection', row.sid);
  // Answered meanwhile by another response (node-saml saw the request pending moments ago).
  if (login.inResponseTo !== null && row.request_answered === 0) throw new LoginRefused('unknown_in_response_to', login.inResponseTo);
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
  request_answered: number;
  consumed: number;
  pilot_onboarding_ids: string[];
}
