/**
 * Why a login was refused: a stable snake_case code (in logs, audit events, pages and tests alike),
 * the HTTP status, and words an end user can act on.
 */
export const loginRefusals = {
  unknown_connection: [404, 'This sign-in link does not match any single sign-on connection.'],
  connection_disabled: [403, 'Single sign-on is switched off for your company.'],
  missing_saml_response: [400, 'The sign-in request did not carry a SAML response.'],
  response_too_large: [413, 'The SAML response is larger than this service accepts.'],
  malformed_base64: [400, 'The SAML response is not valid base64.'],
  unsupported_encoding: [415, 'The sign-in form was posted compressed or in a character set this service does not read.'],
  doctype_forbidden: [400, 'The SAML response contains a document type declaration, which is not allowed.'],
  malformed_xml: [400, 'The SAML response is not well-formed XML.'],
  xml_too_complex: [400, 'The SAML response nests more deeply or holds more elements than a SAML response does.'],
  not_a_response: [400, 'The document posted is not a SAML Response.'],
  no_assertion: [403, 'The SAML response carries no assertion.'],
  multiple_assertions: [403, 'The SAML response carries more than one assertion.'],
  encrypted_assertion_unsupported: [403, 'The SAML response carries an encrypted assertion, which this connection does not accept.'],
  assertion_misplaced: [403, 'The assertion is not where a SAML response puts it.'],
  response_not_signed: [403, 'The SAML response is not signed. Your identity provider must sign the whole response.'],
  weak_algorithm: [
    403,
    'The SAML response is signed with an algorithm this service does not accept (such as SHA-1). Your identity provider must use RSA or ECDSA with SHA-256 or better.',
  ],
  invalid_signature: [403, 'The SAML response signature does not verify with the certificates on file.'],
  no_valid_certificate: [403, 'None of the identity provider certificates on file is currently valid.'],
  unknown_in_response_to: [403, 'The SAML response answers a sign-in request this service did not make, or one that has expired.'],
  audience_mismatch: [403, 'The SAML response is meant for another service.'],
  destination_mismatch: [403, 'The SAML response was sent to a different address.'],
  recipient_mismatch: [403, 'The SAML assertion names a different recipient.'],
  issuer_mismatch: [403, 'The SAML response comes from an identity provider other than the one configured.'],
  status_not_success: [403, 'Your identity provider reported that the sign-in did not succeed.'],
  not_bearer: [403, 'The SAML assertion does not use bearer subject confirmation.'],
  assertion_expired: [403, 'The SAML assertion has expired. Please sign in again.'],
  assertion_not_yet_valid: [403, 'The SAML assertion is not valid yet. A clock may be wrong.'],
  assertion_too_old: [403, 'The SAML assertion was issued too long ago to be accepted. Please sign in again.'],
  assertion_replayed: [403, 'This SAML response has already been used. Please sign in again.'],
  nameid_format_unsupported: [403, 'The SAML response does not carry the email in the NameID format this connection expects.'],
  email_missing: [403, 'The SAML response does not carry an email address.'],
  email_ambiguous: [403, 'The SAML response carries more than one email address.'],
  email_invalid: [403, 'The email address in the SAML response is not valid.'],
  user_not_found: [403, 'There is no console user with this email address.'],
  sso_not_enabled: [403, 'Single sign-on is not enabled for this user yet.'],
  wrong_connection: [403, 'This user signs in through a different single sign-on connection.'],
  invalid_response: [403, 'The SAML response could not be validated.'],
} as const satisfies Record<string, readonly [number, string]>;

export type LoginRefusalCode = keyof typeof loginRefusals;

export class LoginRefused extends Error {
  readonly httpStatus: number;
  readonly code: LoginRefusalCode;
  readonly detail?: string;
  constructor(code: LoginRefusalCode, detail?: string) {
    // A refusal is an answer, not a fault: its stack is never logged, and capturing one for every junk
    // post cost more than the rest of refusing it (bench/RESULTS.md).
    const [, message] = loginRefusals[code];
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(message);
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    this.name = 'LoginRefused';
    this.code = code;
    this.detail = detail;
    this.httpStatus = loginRefusals[code][0];
  }
}
