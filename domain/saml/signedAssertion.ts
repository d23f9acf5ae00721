import { emailAddressFormat } from '../connections.js';
import { childElements, onlyChild, textOf } from '../xml.js';
import { ns } from './document.js';
import { LoginRefused } from './refusal.js';

const success = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const bearer = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const emailShape =
  /^[^\s@<>()[\]\\,;:"]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** Whether a value is an email address as the policy accepts one (its shape and at most 254 characters). */
export function isEmailAddress(value: string): boolean {
  return value.length <= 254 && emailShape.test(value);
}

export interface VerifiedLogin {
  assertionId: string;
  /** The SP-initiated request this answers (node-saml has checked it is pending); null when IdP-initiated. */
  inResponseTo: string | null;
  email: string;
  /** When the assertion stops being usable: the replay record must outlive it. */
  notOnOrAfter: Date | undefined;
  sessionNotOnOrAfter: Date | undefined;
}

export interface Expectations {
  acsUrl: string;
  idpEntityId: string;
  emailAttribute: string | null;
  now: Date;
  clockSkewMs: number;
  /** How long after its IssueInstant an assertion is still accepted (SAML_MAX_ASSERTION_AGE_MS), plus the skew. */
  maxAssertionAgeMs: number;
}

function date(value: string | null | undefined): Date | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function earliest(...dates: (Date | undefined)[]): Date | undefined {
  const present = dates.filter((d): d is Date => d !== undefined);
  return present.length ? new Date(Math.min(...present.map((d) => d.getTime()))) : undefined;
}

function readEmail(assertion: Element, subject: Element, emailAttribute: string | null): string {
  let value: string | undefined;
  if (emailAttribute === null) {
    const nameIds = childElements(subject, ns.assertion, 'NameID');
    if (nameIds.length === 0) throw new LoginRefused('email_missing', 'no NameID');
    if (nameIds.length > 1) throw new LoginRefused('email_ambiguous', 'several NameIDs');
    const nameId = nameIds[0] as Element;
    if (nameId.getAttribute('Format') !== emailAddressFormat) {
      throw new LoginRefused('nameid_format_unsupported', nameId.getAttribute('Format') ?? '(none)');
    }
    value = textOf(nameId);
  } else {
    // Compared by name on the DOM: attribute names never become object keys, so `__proto__` is just a string.
    const matches = childElements(assertion, ns.assertion, 'AttributeStatement').flatMap((statement) =>
      childElements(statement, ns.assertion, 'Attribute').filter((a) => a.getAttribute('Name') === emailAttribute),
    );
    const values = matches.flatMap((a) => childElements(a, ns.assertion, 'AttributeValue'));
    if (values.length === 0) throw new LoginRefused('email_missing', `no ${emailAttribute} attribute`);
    if (values.length > 1) throw new LoginRefused('email_ambiguous', `${values.length} values of ${emailAttribute}`);
    value = textOf(values[0]);
  }
  if (!value) throw new LoginRefused('email_missing');
  if (value.length > 254 || !emailShape.test(value)) throw new LoginRefused('email_invalid');
  return value;
}

/**
 * Reads what node-saml leaves to us from the Response element that its signature covers. node-saml has
 * already verified that the root's own enveloped signature references the root (by a unique ID), so
 * every element read here, through direct-child steps from the root, is inside the signed content.
 */
export function readSignedLogin(root: Element, expect: Expectations): VerifiedLogin {
  const signature = onlyChild(root, ns.dsig, 'Signature');
  const reference = signature && onlyChild(onlyChild(signature, ns.dsig, 'SignedInfo') ?? signature, ns.dsig, 'Reference');
  const rootId = root.getAttribute('ID');
  if (!rootId || reference?.getAttribute('URI') !== `#${rootId}`)
    throw new LoginRefused('invalid_signature', 'signature does not cover the Response');

  if (root.getAttribute('Destination') !== expect.acsUrl) {
    throw new LoginRefused('destination_mismatch', root.getAttribute('Destination') ?? '(none)');
  }
  const responseIssuer = textOf(onlyChild(root, ns.assertion, 'Issuer'));
  if (responseIssuer !== expect.idpEntityId) throw new LoginRefused('issuer_mismatch', `Response Issuer ${responseIssuer ?? '(none)'}`);
  const status = onlyChild(root, ns.protocol, 'Status');
  const statusCode = status && onlyChild(status, ns.protocol, 'StatusCode');
  if (statusCode?.getAttribute('Value') !== success) {
    throw new LoginRefused('status_not_success', statusCode?.getAttribute('Value') ?? '(none)');
  }

  const assertion = onlyChild(root, ns.assertion, 'Assertion');
  if (!assertion) throw new LoginRefused('assertion_misplaced');
  const assertionIssuer = textOf(onlyChild(assertion, ns.assertion, 'Issuer'));
  if (assertionIssuer !== expect.idpEntityId) throw new LoginRefused('issuer_mismatch', `Assertion Issuer ${assertionIssuer ?? '(none)'}`);
  const assertionId = assertion.getAttribute('ID');
  if (!assertionId) throw new LoginRefused('invalid_response', 'assertion has no ID');
  // However long its conditions allow, an assertion is usable only shortly after it was issued, so a
  // captured response cannot be kept for later. node-saml's own check (maxAssertionAgeMs) would report
  // it as merely expired.
  const issuedAt = date(assertion.getAttribute('IssueInstant'));
  if (!issuedAt) throw new LoginRefused('invalid_response', 'assertion has no valid IssueInstant');
  const age = expect.now.getTime() - issuedAt.getTime();
  if (age > expect.maxAssertionAgeMs + expect.clockSkewMs) {
    throw new LoginRefused('assertion_too_old', `issued ${Math.round(age / 1000)} s ago at ${issuedAt.toISOString()}`);
  }

  const subject = onlyChild(assertion, ns.assertion, 'Subject');
  if (!subject) throw new LoginRefused('email_missing', 'no Subject');
  const confirmations = childElements(subject, ns.assertion, 'SubjectConfirmation');
  const bearerConfirmations = confirmations.filter((c) => c.getAttribute('Method') === bearer);
  if (bearerConfirmations.length !== 1 || confirmations.length !== 1) throw new LoginRefused('not_bearer');
  const data = onlyChild(bearerConfirmations[0] as Element, ns.assertion, 'SubjectConfirmationData');
  if (data?.getAttribute('Recipient') !== expect.acsUrl) {
    throw new LoginRefused('recipient_mismatch', data?.getAttribute('Recipient') ?? '(none)');
  }
  const confirmationExpiry = date(data.getAttribute('NotOnOrAfter'));
  // The Web SSO profile requires it on bearer confirmations; without it an assertion would never expire
  // while its replay record eventually would.
  if (!confirmationExpiry) throw new LoginRefused('assertion_expired', 'bearer SubjectConfirmationData has no NotOnOrAfter');
  if (confirmationExpiry.getTime() + expect.clockSkewMs <= expect.now.getTime()) {
    throw new LoginRefused('assertion_expired', 'SubjectConfirmationData NotOnOrAfter has passed');
  }

  const conditions = onlyChild(assertion, ns.assertion, 'Conditions');
  const authn = childElements(assertion, ns.assertion, 'AuthnStatement');
  const sessionNotOnOrAfter = earliest(...authn.map((a) => date(a.getAttribute('SessionNotOnOrAfter'))));

  return {
    assertionId,
    inResponseTo: root.getAttribute('InResponseTo') || null,
    email: readEmail(assertion, subject, expect.emailAttribute),
    notOnOrAfter: earliest(confirmationExpiry, date(conditions?.getAttribute('NotOnOrAfter'))),
    sessionNotOnOrAfter,
  };
}
