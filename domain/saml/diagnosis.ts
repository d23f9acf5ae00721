// A test sign-in that diagnoses (issue #14): every check of the ACS policy (acs.ts, signedAssertion.ts,
// node-saml as serviceProvider.ts configures it) run on a posted SAMLResponse without stopping at the
// first failure, and the facts read from it. Pure: nothing is written, no session is made, no request ID
// or assertion ID is consumed, so an administrator can post the same response as often as they like.
import { SignedXml } from 'xml-crypto';
import { type DiagnosisCheck, diagnosisChecks, type SignedParts } from '../../contract/diagnosis.js';
import {
  type Connection,
  emailAddressFormat,
  type IdpCertificate,
  parseCertificate,
  spEndpoints,
  validCertificates,
} from '../connections.js';
import { childElements, onlyChild, textOf } from '../xml.js';
import { checkXmlShape, decodeSamlResponse, isAllowedAlgorithm, ns, parseStrict } from './document.js';
import { LoginRefused } from './refusal.js';
import { isEmailAddress } from './signedAssertion.js';
import { findSigningCertificate } from './signingCertificate.js';

const success = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const bearer = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
/** Where IdPs commonly put the email when the NameID is not it (shared/notes/idp-defaults.md). */
const commonEmailAttributes = [
  'email',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  'urn:oid:0.9.2342.19200300.100.1.3',
];
/** SAML_MAX_ASSERTION_AGE_MS's default (lib/config.ts). */
const defaultMaxAssertionAgeMs = 600_000;
/** Bounds of what a report carries, so a response at the size limit cannot make a huge report. */
export const diagnosisLimits = { attributes: 50, valuesPerAttribute: 20, valueLength: 256, observedLength: 512 } as const;

export interface DiagnosisInput {
  /** The posted SAMLResponse field (base64), unchecked. */
  samlResponse: unknown;
  /** The connection it was posted to. */
  connection: Connection;
  now: Date;
  clockSkewMs: number;
  /** For spEndpoints(publicBaseUrl, connection.id): the ACS URL and SP entity ID the response must name. */
  publicBaseUrl: string;
  /** The ID of the test AuthnRequest we issued, or null when the test expects an IdP-initiated response. */
  expectedInResponseTo: string | null;
  /** The NameID format the connection asks for; emailAddress by default. */
  nameIdFormat?: string;
  /** SAML_MAX_ASSERTION_AGE_MS; 10 minutes by default, as in lib/config.ts. */
  maxAssertionAgeMs?: number;
}

export interface DiagnosisCheckResult {
  code: DiagnosisCheck;
  passed: boolean;
  detail: string;
  observed?: string | null;
  expected?: string | null;
}

export interface DiagnosisFacts {
  /** Every code of `diagnosisChecks`, in its order (`user_on_file` included, see diagnoseSamlResponse). */
  checks: DiagnosisCheckResult[];
  /** What carries a valid signature by a certificate on file (valid now), covering that element. */
  signed: SignedParts;
  /** The distinct SignatureMethod and DigestMethod algorithms in the document. */
  signatureAlgorithms: string[];
  digestAlgorithms: string[];
  /** The Response Issuer, else the assertion's. */
  issuer: string | null;
  /** IdP clock minus ours, estimated from IssueInstant (the Response's, else the assertion's) against `now`. */
  clockOffsetMs: number | null;
  nameId: { format: string | null; value: string } | null;
  /** Attribute name → values, bounded by `diagnosisLimits`; own properties only, so `__proto__` is just a name. */
  attributes: Record<string, string[]>;
  /** The email the policy would look up: the NameID's, or the connection's email attribute's when it has one. */
  email: string | null;
  assertionId: string | null;
  inResponseTo: string | null;
}

type Outcome = Omit<DiagnosisCheckResult, 'code'>;

const clip = (value: string, length: number = diagnosisLimits.observedLength) =>
  value.length > length ? `${value.slice(0, length)}…` : value;
const quoted = (value: string | null | undefined) => (value === null || value === undefined ? '(none)' : `"${clip(value, 200)}"`);

/** A duration in words, for details such as "passed 10 min ago". */
function span(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}

const notRun = (detail: string): Outcome => ({ passed: false, detail: `not run: ${detail}` });

/** What the caller decides against the database; it replaces this entry (same code, same place). */
const userOnFileUnchecked: Outcome = { passed: false, detail: 'not checked' };

interface ReadResponse {
  xml: string;
  doc: Document;
  root: Element;
  assertion: Element | undefined;
}

/**
 * The policy's structural reading (decodeSamlResponse, checkXmlShape, parseStrict and the shape part of
 * preflightResponse): one Response, at most one assertion and that one a direct child, none encrypted.
 * Signature and algorithm problems are left to their own checks.
 */
function readResponse(field: unknown): ReadResponse {
  const xml = decodeSamlResponse(field);
  checkXmlShape(xml);
  const doc = parseStrict(xml);
  const root = doc.documentElement;
  if (root.localName !== 'Response' || root.namespaceURI !== ns.protocol) throw new LoginRefused('not_a_response');
  if (doc.getElementsByTagNameNS(ns.assertion, 'EncryptedAssertion').length > 0) throw new LoginRefused('encrypted_assertion_unsupported');
  const assertions = doc.getElementsByTagNameNS(ns.assertion, 'Assertion').length;
  if (assertions > 1) throw new LoginRefused('multiple_assertions');
  const assertion = onlyChild(root, ns.assertion, 'Assertion');
  if (assertions === 1 && !assertion) throw new LoginRefused('assertion_misplaced');
  return { xml, doc, root, assertion };
}

function unreadable(error: unknown): DiagnosisFacts {
  const detail =
    error instanceof LoginRefused
      ? `${error.code}: ${error.message}${error.detail ? ` (${clip(error.detail, 200)})` : ''}`
      : 'the response could not be read';
  return {
    checks: diagnosisChecks.map((code) =>
      code === 'response_parsed' ? { code, passed: false, detail } : { code, ...notRun('the response could not be read') },
    ),
    signed: 'none',
    signatureAlgorithms: [],
    digestAlgorithms: [],
    issuer: null,
    clockOffsetMs: null,
    nameId: null,
    attributes: {},
    email: null,
    assertionId: null,
    inResponseTo: null,
  };
}

interface SignatureReport {
  /** The element's own Signature children. */
  count: number;
  /** Its one Reference points at this element by an ID no other element has (xml-crypto's own wrapping rule). */
  covers: boolean;
  reference: string | null;
  /** The certificate on file, valid now, that made the SignatureValue; `verified` when every digest matched too. */
  signer: IdpCertificate | undefined;
  verified: boolean;
  failure: string | undefined;
  /** The certificate KeyInfo carries (unsigned, chosen by whoever posts: only reported, never trusted). */
  keyInfo: IdpCertificate | undefined;
  /** Whether the key of KeyInfo's certificate made the SignatureValue, when it is not a certificate on file. */
  keyInfoSigned: boolean;
}

const unsigned: SignatureReport = {
  count: 0,
  covers: false,
  reference: null,
  signer: undefined,
  verified: false,
  failure: undefined,
  keyInfo: undefined,
  keyInfoSigned: false,
};

function elementsWithId(doc: Document, id: string): number {
  const all = doc.getElementsByTagName('*');
  let count = 0;
  for (let i = 0; i < all.length; i++) {
    const element = all.item(i);
    for (const name of ['ID', 'Id', 'id']) if (element?.getAttribute(name) === id) count += 1;
  }
  return count;
}

function keyInfoCertificate(signature: Element): IdpCertificate | undefined {
  const keyInfo = onlyChild(signature, ns.dsig, 'KeyInfo');
  const data = keyInfo && childElements(keyInfo, ns.dsig, 'X509Data')[0];
  const certificate = data && childElements(data, ns.dsig, 'X509Certificate')[0];
  if (!certificate) return undefined;
  try {
    return parseCertificate(textOf(certificate) ?? '');
  } catch {
    return undefined;
  }
}

/**
 * The element's own signature: whether it covers the element, which certificate on file made it (found
 * as the ACS finds it, by SignedInfo alone), then one full xml-crypto verification (digests included)
 * with that certificate only; KeyInfo's certificate is never used to accept anything.
 */
function inspectSignature(read: ReadResponse, element: Element, onFile: IdpCertificate[]): SignatureReport {
  const signatures = childElements(element, ns.dsig, 'Signature');
  const report: SignatureReport = { ...unsigned, count: signatures.length };
  const signature = signatures.length === 1 ? (signatures[0] as Element) : undefined;
  if (!signature) return report;
  const signedInfo = onlyChild(signature, ns.dsig, 'SignedInfo');
  const references = signedInfo ? childElements(signedInfo, ns.dsig, 'Reference') : [];
  report.reference = references.length === 1 ? (references[0]?.getAttribute('URI') ?? null) : null;
  const id = element.getAttribute('ID');
  report.covers = !!id && report.reference === `#${id}` && elementsWithId(read.doc, id) === 1;
  report.keyInfo = keyInfoCertificate(signature);
  report.signer = findSigningCertificate(read.doc, element, onFile);
  if (report.signer) {
    try {
      const verifier = new SignedXml({ publicCert: report.signer.pem });
      verifier.loadSignature(signature);
      report.verified = verifier.checkSignature(read.xml);
      if (!report.verified) report.failure = 'a digest does not match: the content was changed after it was signed';
    } catch (error) {
      report.failure = clip(error instanceof Error ? error.message : String(error), 200);
    }
  } else if (report.keyInfo && !onFile.some((c) => c.fingerprintSha256 === report.keyInfo?.fingerprintSha256)) {
    report.keyInfoSigned = findSigningCertificate(read.doc, element, [report.keyInfo]) !== undefined;
  }
  return report;
}

const isValid = (report: SignatureReport) => report.covers && report.verified;

function responseSignedOutcome(response: SignatureReport, assertion: SignatureReport): Outcome {
  if (isValid(response)) return { passed: true, detail: 'the Response carries a valid signature by a certificate on file' };
  const assertionOnly = isValid(assertion);
  let detail: string;
  if (response.count === 0) {
    detail = assertionOnly
      ? 'only the assertion is signed; the Response itself must be signed too (ask the IdP to sign the response, or the response and the assertion)'
      : assertion.count > 0
        ? 'the Response is not signed, and the assertion signature does not verify with a certificate on file (see certificate_known)'
        : 'neither the Response nor the assertion is signed';
  } else if (response.count > 1) detail = `the Response carries ${response.count} signatures of its own; it must carry one`;
  else if (!response.covers)
    detail = `the Response signature does not cover the Response: its Reference is ${quoted(response.reference)}, which is not the Response's unique ID`;
  else if (response.signer) detail = `the Response signature does not verify: ${response.failure}`;
  else detail = 'the Response signature was not made by a certificate on file (see certificate_known)';
  return { passed: false, detail, observed: signedPartsOf(response, assertion), expected: 'response or both' };
}

function signedPartsOf(response: SignatureReport, assertion: SignatureReport): SignedParts {
  if (isValid(response)) return isValid(assertion) ? 'both' : 'response';
  return isValid(assertion) ? 'assertion' : 'none';
}

function certificateKnownOutcome(connection: Connection, onFile: IdpCertificate[], reports: SignatureReport[], now: Date): Outcome {
  const expected = onFile.map((c) => c.fingerprintSha256).join(', ') || '(no certificate valid now)';
  const good = reports.find((r) => r.verified);
  if (good?.signer) {
    return {
      passed: true,
      detail: `signed by the certificate on file with SHA-256 fingerprint ${good.signer.fingerprintSha256}, valid until ${good.signer.notAfter.toISOString()}`,
      observed: good.signer.fingerprintSha256,
      expected,
    };
  }
  const present = reports.filter((r) => r.count > 0);
  if (present.length === 0) return { passed: false, detail: 'there is no signature to check', observed: null, expected };
  if (onFile.length === 0) {
    const why =
      connection.certificates.length === 0
        ? 'none is on file'
        : `${connection.certificates.length} on file, none valid at ${now.toISOString()}`;
    return { passed: false, detail: `no certificate of this connection is valid now (${why})`, observed: null, expected };
  }
  const madeButChanged = present.find((r) => r.signer);
  if (madeButChanged) {
    return {
      passed: false,
      detail: `made by the certificate on file ${madeButChanged.signer?.fingerprintSha256}, but it does not verify: ${madeButChanged.failure}`,
      observed: madeButChanged.signer?.fingerprintSha256 ?? null,
      expected,
    };
  }
  const keyInfo = present.find((r) => r.keyInfo)?.keyInfo;
  if (keyInfo) {
    const stored = connection.certificates.find((c) => c.fingerprintSha256 === keyInfo.fingerprintSha256);
    const fingerprint = keyInfo.fingerprintSha256;
    const detail = stored
      ? `the signature's KeyInfo carries a certificate on file that is not valid now (${stored.state ?? 'current'}, valid ${stored.notBefore.toISOString()} to ${stored.notAfter.toISOString()})`
      : present.some((r) => r.keyInfoSigned)
        ? `the signature was made by the certificate its KeyInfo carries (SHA-256 fingerprint ${fingerprint}), which is not on file`
        : `the signature was not made by a certificate on file; its KeyInfo carries a certificate (SHA-256 fingerprint ${fingerprint}) that is not on file either`;
    return { passed: false, detail, observed: fingerprint, expected };
  }
  return { passed: false, detail: 'the signature was not made by any certificate on file', observed: null, expected };
}

function algorithmsIn(doc: Document, localName: string): string[] {
  const elements = doc.getElementsByTagNameNS(ns.dsig, localName);
  const found = new Set<string>();
  for (let i = 0; i < elements.length && found.size < 10; i++) found.add(clip(elements.item(i)?.getAttribute('Algorithm') ?? '', 200));
  return [...found];
}

function algorithmOutcome(signatureAlgorithms: string[], digestAlgorithms: string[]): Outcome {
  const observed = [...signatureAlgorithms, ...digestAlgorithms].join(', ') || null;
  const expected = 'RSA or ECDSA with SHA-256, SHA-384 or SHA-512';
  if (signatureAlgorithms.length === 0) return { passed: false, detail: 'there is no signature', observed, expected };
  const weak = [...signatureAlgorithms, ...digestAlgorithms].filter((a) => !isAllowedAlgorithm(a));
  if (weak.length === 0) return { passed: true, detail: 'SHA-256 or stronger throughout', observed, expected };
  return { passed: false, detail: `not accepted (SHA-1 or unknown): ${weak.join(', ')}`, observed, expected };
}

/** "(unsigned)" after a value read from the Response when the Response itself carries no valid signature. */
const trust = (signed: boolean) => (signed ? '' : ' (read from the unsigned Response)');

function statusOutcome(root: Element, responseSigned: boolean): Outcome {
  const status = onlyChild(root, ns.protocol, 'Status');
  const code = status && onlyChild(status, ns.protocol, 'StatusCode');
  const value = code?.getAttribute('Value') ?? null;
  if (value === success) return { passed: true, detail: `Success${trust(responseSigned)}`, observed: value, expected: success };
  const second = code && childElements(code, ns.protocol, 'StatusCode')[0]?.getAttribute('Value');
  const message = status && textOf(childElements(status, ns.protocol, 'StatusMessage')[0]);
  const parts = [`the IdP answered ${quoted(value)}`, second && `(${clip(second, 200)})`, message && `with the message ${quoted(message)}`];
  return { passed: false, detail: parts.filter(Boolean).join(' ') + trust(responseSigned), observed: value, expected: success };
}

function issuerOutcome(root: Element, assertion: Element | undefined, idpEntityId: string): Outcome {
  const responseIssuer = textOf(onlyChild(root, ns.assertion, 'Issuer')) ?? null;
  const assertionIssuer = assertion ? (textOf(onlyChild(assertion, ns.assertion, 'Issuer')) ?? null) : null;
  const observed = `Response ${quoted(responseIssuer)}, assertion ${assertion ? quoted(assertionIssuer) : '(no assertion)'}`;
  const wrong = [
    responseIssuer !== idpEntityId && `the Response Issuer is ${quoted(responseIssuer)}`,
    !assertion && 'there is no assertion',
    assertion && assertionIssuer !== idpEntityId && `the assertion Issuer is ${quoted(assertionIssuer)}`,
  ].filter(Boolean);
  if (wrong.length === 0) return { passed: true, detail: 'both Issuers are the IdP entity ID on file', observed, expected: idpEntityId };
  return {
    passed: false,
    detail: `${wrong.join('; ')}; the IdP entity ID on file is ${quoted(idpEntityId)}`,
    observed,
    expected: idpEntityId,
  };
}

function audienceOutcome(assertion: Element, entityId: string): Outcome {
  const conditions = childElements(assertion, ns.assertion, 'Conditions');
  const restrictions = conditions.flatMap((c) => childElements(c, ns.assertion, 'AudienceRestriction'));
  const audiences = restrictions.map((r) => childElements(r, ns.assertion, 'Audience').map((a) => textOf(a) ?? ''));
  const observed = clip(audiences.flat().join(', ')) || null;
  const base = { observed, expected: entityId };
  if (conditions.length > 1) return { passed: false, detail: 'the assertion carries several Conditions', ...base };
  if (restrictions.length === 0) return { passed: false, detail: 'the assertion carries no AudienceRestriction', ...base };
  // node-saml requires our entity ID in every AudienceRestriction.
  if (audiences.every((list) => list.includes(entityId))) return { passed: true, detail: 'the Audience is our SP entity ID', ...base };
  const spn = audiences.flat().find((a) => a.startsWith('spn:'));
  const hint = spn ? ` (${quoted(spn)} is an Entra application ID: the app's Identifier (Entity ID) must be our SP entity ID)` : '';
  return { passed: false, detail: `the assertion is meant for ${observed ?? '(no Audience value)'}, not our SP entity ID${hint}`, ...base };
}

interface Confirmation {
  outcome: Outcome;
  data: Element | undefined;
}

function recipientOutcome(subject: Element | undefined, acsUrl: string): Confirmation {
  const confirmations = subject ? childElements(subject, ns.assertion, 'SubjectConfirmation') : [];
  const seen = confirmations.map((c) => ({
    method: c.getAttribute('Method'),
    data: onlyChild(c, ns.assertion, 'SubjectConfirmationData'),
  }));
  const observed =
    clip(seen.map((c) => `${c.data?.getAttribute('Recipient') ?? '(no Recipient)'} (${c.method ?? 'no Method'})`).join(', ')) || null;
  const expected = `${acsUrl} (${bearer})`;
  const chosen = seen.find((c) => c.method === bearer) ?? seen[0];
  const fail = (detail: string): Confirmation => ({ outcome: { passed: false, detail, observed, expected }, data: chosen?.data });
  if (seen.length === 0) return fail(subject ? 'the Subject carries no SubjectConfirmation' : 'the assertion carries no Subject');
  if (seen.length > 1) return fail(`the Subject carries ${seen.length} SubjectConfirmations; the policy accepts exactly one, bearer`);
  const [only] = seen as [(typeof seen)[number]];
  if (only.method !== bearer) return fail(`the confirmation method is ${quoted(only.method)}, not bearer`);
  const recipient = only.data?.getAttribute('Recipient') ?? null;
  if (recipient !== acsUrl) return fail(`the bearer confirmation's Recipient is ${quoted(recipient)}, not our ACS URL`);
  return {
    outcome: { passed: true, detail: 'one bearer confirmation whose Recipient is our ACS URL', observed, expected },
    data: only.data,
  };
}

function inResponseToOutcome(root: Element, data: Element | undefined, expectedId: string | null, responseSigned: boolean): Outcome {
  const actual = root.getAttribute('InResponseTo') || null;
  const confirmationId = data?.getAttribute('InResponseTo') || null;
  const base = { observed: actual, expected: expectedId };
  // node-saml refuses a confirmation that answers another request than the Response does.
  if (actual && confirmationId && confirmationId !== actual) {
    return {
      passed: false,
      detail: `the Response answers ${quoted(actual)} but its SubjectConfirmationData answers ${quoted(confirmationId)}`,
      ...base,
    };
  }
  if (actual === expectedId) {
    const detail = actual ? `answers the test sign-in ${quoted(actual)}` : 'IdP-initiated (no InResponseTo), as expected';
    return { passed: true, detail: detail + trust(responseSigned), ...base };
  }
  if (!actual) {
    return {
      passed: false,
      detail: `the response carries no InResponseTo: it was started at the IdP (IdP-initiated), not an answer to the test sign-in ${quoted(expectedId)}`,
      ...base,
    };
  }
  const detail = expectedId
    ? `answers the request ${quoted(actual)}, not the test sign-in ${quoted(expectedId)}`
    : `answers the request ${quoted(actual)}, which this test sign-in did not issue`;
  return { passed: false, detail: detail + trust(responseSigned), ...base };
}

interface TimeLimits {
  now: Date;
  clockSkewMs: number;
  maxAssertionAgeMs: number;
}

/** node-saml's comparisons (checkTimestampsValidityError) and readSignedLogin's, each bound reported on its own. */
function timeWindowOutcome(assertion: Element, data: Element | undefined, limits: TimeLimits): Outcome {
  const now = limits.now.getTime();
  const skew = limits.clockSkewMs;
  const problems: string[] = [];
  const notes: string[] = [];
  const seen: string[] = [];
  const bound = (label: string, raw: string | null | undefined, side: 'NotBefore' | 'NotOnOrAfter') => {
    if (!raw) return;
    const at = Date.parse(raw);
    seen.push(`${label} ${side} ${clip(raw, 64)}`);
    if (!Number.isFinite(at)) problems.push(`${label} ${side} ${quoted(raw)} is not a time`);
    else if (side === 'NotBefore' && now + skew < at)
      problems.push(`${label} NotBefore is ${span(at - now)} ahead of our clock (the allowed skew is ${span(skew)})`);
    else if (side === 'NotOnOrAfter' && now - skew >= at)
      problems.push(`${label} NotOnOrAfter passed ${span(now - at)} ago (the allowed skew is ${span(skew)})`);
  };
  const conditions = childElements(assertion, ns.assertion, 'Conditions');
  for (const c of conditions) {
    bound('Conditions', c.getAttribute('NotBefore'), 'NotBefore');
    bound('Conditions', c.getAttribute('NotOnOrAfter'), 'NotOnOrAfter');
  }
  if (data) {
    bound('SubjectConfirmationData', data.getAttribute('NotBefore'), 'NotBefore');
    bound('SubjectConfirmationData', data.getAttribute('NotOnOrAfter'), 'NotOnOrAfter');
    // The Web SSO profile requires it on bearer confirmations (readSignedLogin refuses without it).
    if (!data.getAttribute('NotOnOrAfter')) problems.push('the SubjectConfirmationData has no NotOnOrAfter');
  }
  const issueInstant = assertion.getAttribute('IssueInstant');
  const issuedAt = Date.parse(issueInstant ?? '');
  if (!Number.isFinite(issuedAt)) problems.push(`the assertion IssueInstant ${quoted(issueInstant)} is not a time`);
  else {
    seen.push(`assertion IssueInstant ${clip(issueInstant ?? '', 64)}`);
    const age = now - issuedAt;
    if (age > limits.maxAssertionAgeMs + skew) {
      problems.push(
        `the assertion IssueInstant is ${span(age)} old; at most ${span(limits.maxAssertionAgeMs)} (plus the skew) is accepted`,
      );
    } else if (-age > skew) notes.push(`the IssueInstant is ${span(-age)} ahead of our clock`);
  }
  const observed = clip(seen.join('; ')) || null;
  const expected = `our clock ${limits.now.toISOString()}, skew ${span(skew)}, assertion age at most ${span(limits.maxAssertionAgeMs)}`;
  if (problems.length > 0) return { passed: false, detail: [...problems, ...notes].join('; '), observed, expected };
  return { passed: true, detail: ['within every bound', ...notes].join('; '), observed, expected };
}

function nameIdOf(subject: Element | undefined): DiagnosisFacts['nameId'] {
  const nameId = subject && childElements(subject, ns.assertion, 'NameID')[0];
  if (!nameId) return null;
  const format = nameId.getAttribute('Format');
  return {
    format: format ? clip(format, diagnosisLimits.valueLength) : null,
    value: clip(textOf(nameId) ?? '', diagnosisLimits.valueLength),
  };
}

function nameIdFormatOutcome(subject: Element | undefined, wanted: string, emailAttribute: string | null): Outcome {
  const nameIds = subject ? childElements(subject, ns.assertion, 'NameID') : [];
  const format = nameIds[0]?.getAttribute('Format') || null;
  const base = { observed: format, expected: wanted };
  if (nameIds.length > 1) return { passed: false, detail: `the Subject carries ${nameIds.length} NameIDs`, ...base };
  if (format === wanted) return { passed: true, detail: 'the NameID has the format the connection asks for', ...base };
  const what = nameIds.length === 0 ? 'there is no NameID' : `the NameID format is ${quoted(format)}, not ${quoted(wanted)}`;
  // With an email attribute the policy never reads the NameID, so its format decides nothing.
  if (emailAttribute !== null)
    return { passed: true, detail: `${what}; it does not matter: the email is read from ${quoted(emailAttribute)}`, ...base };
  return { passed: false, detail: what, ...base };
}

function attributesOf(assertion: Element): { map: Record<string, string[]>; elements: Element[] } {
  const elements = childElements(assertion, ns.assertion, 'AttributeStatement').flatMap((s) => childElements(s, ns.assertion, 'Attribute'));
  const map: Record<string, string[]> = {};
  for (const attribute of elements) {
    const name = clip(attribute.getAttribute('Name') ?? '', diagnosisLimits.valueLength);
    const own = Object.hasOwn(map, name);
    if (!own && Object.keys(map).length >= diagnosisLimits.attributes) continue;
    const values = own ? (map[name] as string[]) : [];
    for (const value of childElements(attribute, ns.assertion, 'AttributeValue')) {
      if (values.length >= diagnosisLimits.valuesPerAttribute) break;
      values.push((textOf(value) ?? '').slice(0, diagnosisLimits.valueLength));
    }
    // defineProperty: `__proto__` as a plain assignment would set the prototype instead of a key.
    if (!own) Object.defineProperty(map, name, { value: values, enumerable: true, writable: true, configurable: true });
  }
  return { map, elements };
}

function emailOutcome(
  subject: Element | undefined,
  attributes: Element[],
  emailAttribute: string | null,
): { outcome: Outcome; email: string | null } {
  const valuesOf = (name: string) =>
    attributes
      .filter((a) => a.getAttribute('Name') === name)
      .flatMap((a) => childElements(a, ns.assertion, 'AttributeValue').map((v) => textOf(v) ?? ''));
  const nameIds = subject ? childElements(subject, ns.assertion, 'NameID') : [];
  const source = emailAttribute === null ? 'the NameID' : `the attribute ${quoted(emailAttribute)}`;
  const values = emailAttribute === null ? nameIds.map((n) => textOf(n) ?? '') : valuesOf(emailAttribute);
  const expected = `an email address in ${source}`;
  const [value] = values;
  if (values.length === 1 && value !== undefined && isEmailAddress(value)) {
    return { outcome: { passed: true, detail: `found in ${source}`, observed: clip(value, 256), expected }, email: value };
  }
  const problem =
    values.length === 0
      ? `there is no ${emailAttribute === null ? 'NameID' : quoted(emailAttribute)}`
      : values.length > 1
        ? `${source} has ${values.length} values`
        : `${source} ${quoted(value)} is not an email address`;
  // Where the email is when it is not where the connection looks: the fix is then in one setting.
  const hints: string[] = [];
  const nameId = nameIds.length === 1 ? textOf(nameIds[0]) : undefined;
  if (emailAttribute !== null && nameId && isEmailAddress(nameId)) hints.push(`the NameID carries ${quoted(nameId)}`);
  for (const name of commonEmailAttributes.filter((n) => n !== emailAttribute)) {
    const found = valuesOf(name);
    if (found.length === 1 && isEmailAddress(found[0] as string)) hints.push(`the attribute ${quoted(name)} carries ${quoted(found[0])}`);
  }
  const detail = hints.length ? `${problem}; ${hints.join('; ')}` : problem;
  return { outcome: { passed: false, detail, observed: values.length ? clip(values.join(', '), 256) : null, expected }, email: null };
}

function issueInstantOf(element: Element | undefined): number | null {
  const at = Date.parse(element?.getAttribute('IssueInstant') ?? '');
  return Number.isFinite(at) ? at : null;
}

/**
 * Diagnoses a posted SAMLResponse for a test sign-in: runs every check of the ACS policy, in
 * `diagnosisChecks` order, without stopping at the first failure and without writing anything, and
 * reports what it read. Never throws: input that cannot be read (junk base64, not XML, a DTD, too large
 * or too deep) gives `response_parsed` failed and every other check "not run".
 *
 * Facts are read from the signed element where there is one: through direct-child steps from a
 * Response whose own valid signature covers it, or from the assertion whose own does; details say
 * when a value came from an unsigned Response. Signatures count only when made by a certificate on
 * file, valid at `now`, and when their one Reference names the signed element by an ID no other element
 * carries.
 *
 * `user_on_file` needs the database, so the caller decides it: the report always lists it (last, as
 * `diagnosisChecks` does) with passed false and detail 'not checked' (or "not run" when the response
 * could not be read), for the caller to replace by looking up `email`. `email` is the address the policy
 * would look up: the connection's email attribute when it has one, else the NameID; null when that
 * place holds no email address (the email_found detail then says where one was seen).
 */
export function diagnoseSamlResponse(input: DiagnosisInput): DiagnosisFacts {
  let read: ReadResponse;
  try {
    read = readResponse(input.samlResponse);
  } catch (error) {
    return unreadable(error);
  }
  try {
    return diagnoseReadResponse(read, input);
  } catch (error) {
    // A bug or an input no check foresaw: still a report, never a 500 on a page meant to explain problems.
    return unreadable(
      error instanceof LoginRefused ? error : new LoginRefused('invalid_response', error instanceof Error ? error.message : undefined),
    );
  }
}

function diagnoseReadResponse(read: ReadResponse, input: DiagnosisInput): DiagnosisFacts {
  const { connection, now } = input;
  const { root, assertion } = read;
  const { acsUrl, entityId } = spEndpoints(input.publicBaseUrl, connection.id);
  const onFile = validCertificates(connection, now);
  const responseSignature = inspectSignature(read, root, onFile);
  const assertionSignature = assertion ? inspectSignature(read, assertion, onFile) : unsigned;
  const responseSigned = isValid(responseSignature);
  const signatureAlgorithms = algorithmsIn(read.doc, 'SignatureMethod');
  const digestAlgorithms = algorithmsIn(read.doc, 'DigestMethod');

  const subject = assertion && onlyChild(assertion, ns.assertion, 'Subject');
  const attributes = assertion ? attributesOf(assertion) : { map: {}, elements: [] };
  const noAssertion = notRun('the response carries no assertion');
  const confirmation = assertion ? recipientOutcome(subject, acsUrl) : { outcome: noAssertion, data: undefined };
  const email = assertion ? emailOutcome(subject, attributes.elements, connection.emailAttribute) : { outcome: noAssertion, email: null };
  const destination = root.getAttribute('Destination') || null;

  const outcomes: Record<DiagnosisCheck, Outcome> = {
    response_parsed: { passed: true, detail: assertion ? 'one Response with one assertion' : 'one Response without an assertion' },
    status_success: statusOutcome(root, responseSigned),
    response_signed: responseSignedOutcome(responseSignature, assertionSignature),
    certificate_known: certificateKnownOutcome(connection, onFile, [responseSignature, assertionSignature], now),
    signature_algorithm: algorithmOutcome(signatureAlgorithms, digestAlgorithms),
    issuer_matches: issuerOutcome(root, assertion, connection.idpEntityId),
    destination_matches:
      destination === acsUrl
        ? { passed: true, detail: `the Destination is our ACS URL${trust(responseSigned)}`, observed: destination, expected: acsUrl }
        : {
            passed: false,
            detail: `the Response was sent to ${quoted(destination)}, not our ACS URL`,
            observed: destination,
            expected: acsUrl,
          },
    audience_matches: assertion ? audienceOutcome(assertion, entityId) : noAssertion,
    recipient_matches: confirmation.outcome,
    in_response_to: inResponseToOutcome(root, confirmation.data, input.expectedInResponseTo, responseSigned),
    time_window: assertion
      ? timeWindowOutcome(assertion, confirmation.data, {
          now,
          clockSkewMs: input.clockSkewMs,
          maxAssertionAgeMs: input.maxAssertionAgeMs ?? defaultMaxAssertionAgeMs,
        })
      : noAssertion,
    nameid_format: assertion
      ? nameIdFormatOutcome(subject, input.nameIdFormat ?? emailAddressFormat, connection.emailAttribute)
      : noAssertion,
    email_found: email.outcome,
    user_on_file: userOnFileUnchecked,
  };

  const issuedAt = issueInstantOf(root) ?? issueInstantOf(assertion);
  const issuerOf = (element: Element | undefined) => (element && textOf(onlyChild(element, ns.assertion, 'Issuer'))) ?? null;
  // The signed element's Issuer first: with only the assertion signed, the Response's is anyone's word.
  const issuer = (!responseSigned && isValid(assertionSignature) ? issuerOf(assertion) : null) ?? issuerOf(root) ?? issuerOf(assertion);
  return {
    checks: diagnosisChecks.map((code) => ({ code, ...outcomes[code] })),
    signed: signedPartsOf(responseSignature, assertionSignature),
    signatureAlgorithms,
    digestAlgorithms,
    issuer: issuer === null ? null : clip(issuer, diagnosisLimits.valueLength),
    clockOffsetMs: issuedAt === null ? null : issuedAt - now.getTime(),
    nameId: nameIdOf(subject),
    attributes: attributes.map,
    email: email.email,
    assertionId: assertion?.getAttribute('ID') ? clip(assertion.getAttribute('ID') as string, diagnosisLimits.valueLength) : null,
    inResponseTo: root.getAttribute('InResponseTo') ? clip(root.getAttribute('InResponseTo') as string, diagnosisLimits.valueLength) : null,
  };
}
