// Hostile input at the Assertion Consumer Service. Responses are crafted by hand and signed by xmlsec1,
// an implementation independent of the xml-crypto stack that verifies them. Every refusal is checked
// for its status, its exact reason code, the absence of a session cookie and its audit event.
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { desc, eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { SignedXml } from 'xml-crypto';
import { auditEvents, sessions, users } from '../../db/schema.js';
import { maxCertificatesPerConnection } from '../../domain/connections.js';
import type { LoginRefusalCode } from '../../domain/saml/refusal.js';
import { parseForms } from '../support/idp/browserless.js';
import { generateSelfSignedCertificate, type SelfSignedCertificate } from '../support/idp/self-signed.js';
import {
  assertionOf,
  childElement,
  confirmationMethods,
  editXml,
  encodeBase64,
  nameIdFormats,
  newSamlId,
  type ResponseOptions,
  responseXml,
  type SigningKey,
  samlNs,
  setNameId,
  signedResponse,
  signedResponseXml,
  signWithXmlsec,
  statusCodes,
  verifiesWithXmlsec,
  type WrappingVariant,
  wrapSignature,
} from '../support/saml/craft.js';
import { createPlannedConnection, type plannedConnection, ssoUser, uniqueDomain, useApiEnv } from '../support/saml-app.js';

const { database, app } = useApiEnv();
const idpEntityId = 'https://idp.example.test/metadata';
const domain = uniqueDomain();
const email = (local: string) => `${local}@${domain}`;
const alice = email('alice');

let idp: SelfSignedCertificate;
let attacker: SelfSignedCertificate;
type Planned = ReturnType<typeof plannedConnection>;
let main: Planned;
let other: Planned;
let byAttribute: Planned;
let byProtoAttribute: Planned;
let byConstructorAttribute: Planned;
const sids = new Map<string, string>();

const keyOf = (cert: SelfSignedCertificate): SigningKey => ({ keyPem: cert.privateKeyPem, certPem: cert.certificatePem });

async function connection(input: { certificates?: string[]; emailAttribute?: string; status?: 'active' | 'disabled' } = {}) {
  return await createPlannedConnection(database, app.baseUrl, {
    idpEntityId,
    certificates: input.certificates ?? [idp.certificatePem],
    emailAttribute: input.emailAttribute ?? null,
    status: input.status ?? 'active',
  });
}

async function user(address: string, at: Planned, state: 'none' | 'enabled' | 'enforced' = 'enforced') {
  const created = await ssoUser(database, address, state, at.id);
  sids.set(address, created.sid);
  return created;
}

beforeAll(async () => {
  [idp, attacker] = await Promise.all([
    generateSelfSignedCertificate({ commonName: 'idp.example.test' }),
    generateSelfSignedCertificate({ commonName: 'attacker.example.test' }),
  ]);
  main = await connection();
  other = await connection();
  byAttribute = await connection({ emailAttribute: 'email' });
  byProtoAttribute = await connection({ emailAttribute: '__proto__' });
  byConstructorAttribute = await connection({ emailAttribute: 'constructor' });
  await user(alice, main);
  await user(email('carol'), main);
  // Targets of the Unicode lookalike tests (U+212A folds to k, U+0130 to i).
  await user(email('kate'), main);
  await user(email('isaac'), main);
  await user(email('dora'), main, 'none');
  await user(email('erin'), other, 'enabled');
  await user(email('frank'), byAttribute);
});

/** A response to `at`'s ACS from the configured IdP, signed by xmlsec1; `opts` override any part. */
async function respond(opts: Partial<Parameters<typeof signedResponse>[0]> = {}, at: Planned = main): Promise<string> {
  return await signedResponse({ ...baseOptions(at), ...keyOf(idp), email: alice, ...opts });
}

function baseOptions(at: Planned): ResponseOptions {
  return { destination: at.acsUrl, audience: at.entityId, issuer: idpEntityId };
}

async function postAcs(samlResponse: string, at: Planned = main, extra: Record<string, string> = {}): Promise<Response> {
  return await postForm(at.id, new URLSearchParams({ SAMLResponse: samlResponse, ...extra }));
}

async function postForm(connectionId: string, body: URLSearchParams | string, headers: Record<string, string> = {}): Promise<Response> {
  return await fetch(`${app.baseUrl}/saml/${connectionId}/acs`, {
    method: 'POST',
    body,
    redirect: 'manual',
    headers: {
      accept: 'application/json',
      ...(typeof body === 'string' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      ...headers,
    },
  });
}

async function auditFor(res: Response) {
  const traceId = res.headers.get('x-trace-id');
  expect(traceId).toMatch(/^\S+$/);
  return await database.db
    .select()
    .from(auditEvents)
    .where(eq(auditEvents.traceId, traceId as string));
}

/**
 * The refusal contract: status, reason code, no session cookie, one audit event under the trace ID.
 * A list of codes is for the rare case where either of two checks may rightly fire first.
 */
async function expectRefusal(res: Response, status: number, expected: LoginRefusalCode | LoginRefusalCode[]) {
  const text = await res.text();
  const body = (text.startsWith('{') ? JSON.parse(text) : {}) as { error?: { code?: string } };
  const codes: string[] = [expected].flat();
  const code = body.error?.code ?? '(none)';
  expect({ status: res.status, code }).toEqual({ status, code: codes.includes(code) ? code : codes.join(' or ') });
  expect(res.headers.get('set-cookie')).toBeNull();
  // Refusals are audited in batches (every 200 ms), so the event may land just after the response.
  let events = await auditFor(res);
  const deadline = Date.now() + 5_000;
  while (events.length === 0 && Date.now() < deadline) events = await auditFor(res);
  expect(events).toHaveLength(1);
  expect(events[0]).toMatchObject({ type: 'login.refused', reasonCode: code });
  return events[0] as (typeof events)[number];
}

async function me(res: Response) {
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
  const answer = await fetch(`${app.baseUrl}/api/me`, { headers: { cookie } });
  return (await answer.json()) as { email?: string; sid?: string; authMethod?: string };
}

async function expectLogin(res: Response, address: string, location = '/console') {
  expect(res.status).toBe(303);
  expect(res.headers.get('location')).toBe(location);
  expect(res.headers.get('set-cookie')).toMatch(/^sso_session=[^;]+;/);
  expect(await me(res)).toMatchObject({ sid: sids.get(address), email: address, authMethod: 'sso' });
  const events = await auditFor(res);
  expect(events).toMatchObject([{ type: 'login.succeeded', reasonCode: 'ok', userSid: sids.get(address) }]);
}

const minutesFromNow = (n: number) => new Date(Date.now() + n * 60_000);
const secondsFromNow = (n: number) => new Date(Date.now() + n * 1000);

describe('positive controls: a correctly crafted response', () => {
  it('logs in the user named by a response that the configured IdP key signed', async () => {
    await expectLogin(await postAcs(await respond()), alice);
  });

  it('logs in with a response whose assertion is signed as well', async () => {
    await expectLogin(await postAcs(await respond({ signed: 'both' })), alice);
  });

  it('is signed so that xmlsec1 verifies it with the IdP certificate and not with another', async () => {
    const xml = await signedResponseXml({ ...baseOptions(main), ...keyOf(idp), email: alice });
    expect(await verifiesWithXmlsec(xml, idp.certificatePem)).toBe(true);
    expect(await verifiesWithXmlsec(xml, attacker.certificatePem)).toBe(false);
  });

  it('accepts an assertion that expired less than the allowed clock skew ago', async () => {
    await expectLogin(await postAcs(await respond({ notOnOrAfter: secondsFromNow(-20) })), alice);
  });

  it('accepts a response answering an AuthnRequest this connection issued', async () => {
    const requestId = await issueAuthnRequest(main);
    await expectLogin(await postAcs(await respond({ inResponseTo: requestId })), alice);
  });
});

/** Starts an SP-initiated login (HTTP-POST binding) and returns the ID of the AuthnRequest it issued. */
async function issueAuthnRequest(at: Planned): Promise<string> {
  const page = await fetch(`${app.baseUrl}/saml/${at.id}/login`);
  const [form] = parseForms(await page.text(), page.url);
  const request = Buffer.from(form?.fields.find((f) => f.name === 'SAMLRequest')?.value ?? '', 'base64').toString('utf8');
  const id = /\sID="([^"]+)"/.exec(request)?.[1];
  expect(id).toBeTruthy();
  return id as string;
}

describe('signatures', () => {
  it('refuses a response whose signature covers only the assertion', async () => {
    await expectRefusal(await postAcs(await respond({ signed: 'assertion' })), 403, 'response_not_signed');
  });

  it('refuses a wholly unsigned response, audited against the connection it was aimed at', async () => {
    const event = await expectRefusal(await postAcs(await respond({ signed: 'none' })), 403, 'response_not_signed');
    expect(event.connectionId).toBe(main.id);
  });

  it('refuses a response signed by a key other than the configured certificate', async () => {
    const res = await postAcs(await respond({ ...keyOf(attacker), embedCertificate: false }));
    await expectRefusal(res, 403, 'invalid_signature');
  });

  it('refuses a response signed by another key whose certificate is embedded in KeyInfo', async () => {
    const xml = await signedResponseXml({ ...baseOptions(main), ...keyOf(attacker), email: alice });
    expect(xml).toContain(attacker.certificateBase64.slice(0, 64));
    await expectRefusal(await postAcs(encodeBase64(xml)), 403, 'invalid_signature');
  });

  it('refuses a response signed by another key whose KeyInfo claims the configured certificate', async () => {
    const xml = await signedResponseXml({ ...baseOptions(main), ...keyOf(attacker), email: alice });
    const claimed = xml.replace(
      /<ds:X509Certificate>[^<]*<\/ds:X509Certificate>/,
      `<ds:X509Certificate>${idp.certificateBase64}</ds:X509Certificate>`,
    );
    await expectRefusal(await postAcs(encodeBase64(claimed)), 403, 'invalid_signature');
  });

  it('refuses a response whose NameID was changed after signing', async () => {
    const xml = await signedResponseXml({ ...baseOptions(main), ...keyOf(idp), email: email('mallory') });
    const tampered = editXml(xml, (doc) => setNameId(assertionOf(doc), alice));
    await expectRefusal(await postAcs(encodeBase64(tampered)), 403, 'invalid_signature');
  });

  it('refuses an RSA-SHA1 signature', async () => {
    await expectRefusal(await postAcs(await respond({ signatureAlgorithm: 'rsa-sha1' })), 403, 'weak_algorithm');
  });

  it('refuses a SHA-1 digest under an RSA-SHA256 signature', async () => {
    await expectRefusal(await postAcs(await respond({ digestAlgorithm: 'sha1' })), 403, 'weak_algorithm');
  });

  it('refuses a SHA-1 digest in the assertion signature when the Response signature uses SHA-256', async () => {
    const edit = (doc: Document) => {
      const signature = childElement(assertionOf(doc), samlNs.dsig, 'Signature');
      signature
        .getElementsByTagNameNS(samlNs.dsig, 'DigestMethod')
        .item(0)
        ?.setAttribute('Algorithm', 'http://www.w3.org/2000/09/xmldsig#sha1');
    };
    await expectRefusal(await postAcs(await respond({ signed: 'both', edit })), 403, 'weak_algorithm');
  });

  it('refuses an HMAC signature keyed with the public certificate (algorithm confusion)', async () => {
    const xml = responseXml({ ...baseOptions(main), email: alice, signatureAlgorithm: 'hmac-sha256', embedCertificate: false });
    const signed = await signWithXmlsec(xml, { ...keyOf(idp), sign: 'response', hmacKey: idp.certificatePem });
    await expectRefusal(await postAcs(encodeBase64(signed)), 403, 'weak_algorithm');
  });

  it('refuses an assertion signature moved up to stand as the Response signature', async () => {
    const xml = await signedResponseXml({ ...baseOptions(main), ...keyOf(idp), email: alice, signed: 'assertion' });
    const moved = editXml(xml, (doc) => {
      const response = doc.documentElement;
      const signature = childElement(assertionOf(doc), samlNs.dsig, 'Signature');
      response.insertBefore(signature, childElement(response, samlNs.protocol, 'Status'));
    });
    await expectRefusal(await postAcs(encodeBase64(moved)), 403, 'invalid_signature');
  });

  it('refuses a response carrying two signatures of its own', async () => {
    const xml = await signedResponseXml({ ...baseOptions(main), ...keyOf(idp), email: alice });
    const doubled = editXml(xml, (doc) => {
      const signature = childElement(doc.documentElement, samlNs.dsig, 'Signature');
      doc.documentElement.insertBefore(signature.cloneNode(true), signature);
    });
    await expectRefusal(await postAcs(encodeBase64(doubled)), 403, 'response_not_signed');
  });
});

describe('what the signature library leaves to us', () => {
  it('refuses a response addressed to another Destination', async () => {
    const res = await postAcs(await respond({ destination: other.acsUrl, recipient: main.acsUrl }));
    await expectRefusal(res, 403, 'destination_mismatch');
  });

  it('refuses an assertion naming another Recipient', async () => {
    await expectRefusal(await postAcs(await respond({ recipient: other.acsUrl })), 403, 'recipient_mismatch');
  });

  it('refuses holder-of-key subject confirmation', async () => {
    const res = await postAcs(await respond({ confirmationMethod: confirmationMethods.holderOfKey }));
    await expectRefusal(res, 403, 'not_bearer');
  });

  it('refuses a holder-of-key confirmation next to the bearer one', async () => {
    const edit = (doc: Document) => {
      const subject = childElement(assertionOf(doc), samlNs.assertion, 'Subject');
      const extra = childElement(subject, samlNs.assertion, 'SubjectConfirmation').cloneNode(true) as Element;
      extra.setAttribute('Method', confirmationMethods.holderOfKey);
      subject.appendChild(extra);
    };
    await expectRefusal(await postAcs(await respond({ edit })), 403, 'not_bearer');
  });

  it('refuses a Response whose Issuer is another IdP', async () => {
    const event = await expectRefusal(await postAcs(await respond({ responseIssuer: 'https://evil.test/idp' })), 403, 'issuer_mismatch');
    expect(event.detail).toMatchObject({ detail: 'Response Issuer https://evil.test/idp' });
  });

  it('refuses an Assertion whose Issuer is another IdP', async () => {
    const event = await expectRefusal(await postAcs(await respond({ assertionIssuer: 'https://evil.test/idp' })), 403, 'issuer_mismatch');
    expect(event.detail).toMatchObject({ detail: 'Assertion Issuer https://evil.test/idp' });
  });

  it('refuses a Responder status even when an assertion is present', async () => {
    await expectRefusal(await postAcs(await respond({ status: statusCodes.responder })), 403, 'status_not_success');
  });

  it('refuses an assertion meant for another audience', async () => {
    await expectRefusal(await postAcs(await respond({ audience: other.entityId })), 403, 'audience_mismatch');
  });

  it('refuses an assertion whose Conditions expired beyond the clock skew', async () => {
    const res = await postAcs(await respond({ notOnOrAfter: minutesFromNow(-5), confirmationNotOnOrAfter: minutesFromNow(5) }));
    await expectRefusal(res, 403, 'assertion_expired');
  });

  it('refuses a bearer confirmation that expired beyond the clock skew', async () => {
    const res = await postAcs(await respond({ notOnOrAfter: minutesFromNow(5), confirmationNotOnOrAfter: minutesFromNow(-5) }));
    await expectRefusal(res, 403, 'assertion_expired');
  });

  // SAML profiles 4.1.4.2: bearer SubjectConfirmationData MUST carry NotOnOrAfter. With no expiry anywhere the
  // replay record (kept 24 h) would be purged while the assertion stayed acceptable. Today node-saml refuses
  // it while parsing the missing date; this pins that down.
  it('refuses a bearer assertion without any expiry, which would leave replay unbounded', async () => {
    const edit = (doc: Document) => {
      const assertion = assertionOf(doc);
      const confirmation = childElement(childElement(assertion, samlNs.assertion, 'Subject'), samlNs.assertion, 'SubjectConfirmation');
      childElement(confirmation, samlNs.assertion, 'SubjectConfirmationData').removeAttribute('NotOnOrAfter');
      const conditions = childElement(assertion, samlNs.assertion, 'Conditions');
      conditions.removeAttribute('NotBefore');
      conditions.removeAttribute('NotOnOrAfter');
    };
    await expectRefusal(await postAcs(await respond({ edit })), 403, 'assertion_expired');
  });

  it('refuses a bearer confirmation without NotOnOrAfter even when Conditions has one', async () => {
    const edit = (doc: Document) => {
      const assertion = assertionOf(doc);
      const confirmation = childElement(childElement(assertion, samlNs.assertion, 'Subject'), samlNs.assertion, 'SubjectConfirmation');
      childElement(confirmation, samlNs.assertion, 'SubjectConfirmationData').removeAttribute('NotOnOrAfter');
    };
    await expectRefusal(await postAcs(await respond({ edit })), 403, 'assertion_expired');
  });

  it('refuses an assertion not valid until after the clock skew', async () => {
    await expectRefusal(await postAcs(await respond({ notBefore: minutesFromNow(5) })), 403, 'assertion_not_yet_valid');
  });

  it('refuses an assertion issued longer ago than the maximum age, whatever its NotOnOrAfter allows', async () => {
    const res = await postAcs(await respond({ now: minutesFromNow(-12), notOnOrAfter: minutesFromNow(30) }));
    await expectRefusal(res, 403, 'assertion_too_old');
  });

  it('accepts an assertion issued within the maximum age', async () => {
    await expectLogin(await postAcs(await respond({ now: minutesFromNow(-9), notOnOrAfter: minutesFromNow(5) })), alice);
  });

  it('reads the age from the signed assertion, not from an IssueInstant changed after signing', async () => {
    const xml = await signedResponseXml({
      ...baseOptions(main),
      ...keyOf(idp),
      email: alice,
      now: minutesFromNow(-12),
      notOnOrAfter: minutesFromNow(30),
    });
    const fresh = new Date().toISOString();
    const rejuvenated = xml.replace(/(<saml:Assertion [^>]*IssueInstant=")[^"]+"/, `$1${fresh}"`);
    expect(rejuvenated).not.toBe(xml);
    await expectRefusal(await postAcs(encodeBase64(rejuvenated)), 403, 'invalid_signature');
  });

  it('refuses a response to an AuthnRequest it never issued', async () => {
    await expectRefusal(await postAcs(await respond({ inResponseTo: newSamlId() })), 403, 'unknown_in_response_to');
  });

  it('refuses a response to an AuthnRequest that another connection issued', async () => {
    const requestId = await issueAuthnRequest(other);
    await expectRefusal(await postAcs(await respond({ inResponseTo: requestId })), 403, 'unknown_in_response_to');
  });

  it('refuses a second response to an AuthnRequest already answered', async () => {
    const requestId = await issueAuthnRequest(main);
    await expectLogin(await postAcs(await respond({ inResponseTo: requestId })), alice);
    await expectRefusal(await postAcs(await respond({ inResponseTo: requestId })), 403, 'unknown_in_response_to');
  });
});

describe('the AuthnRequest a response answers', () => {
  type Overrides = Partial<Parameters<typeof signedResponse>[0]>;
  const refused: [string, () => Overrides, LoginRefusalCode][] = [
    ['signed by another key', () => ({ ...keyOf(attacker), embedCertificate: false }), 'invalid_signature'],
    ['meant for another audience', () => ({ audience: 'https://elsewhere.test/sp' }), 'audience_mismatch'],
    ['addressed to another Destination', () => ({ destination: 'https://elsewhere.test/acs' }), 'destination_mismatch'],
    ['that had expired', () => ({ notOnOrAfter: minutesFromNow(-5) }), 'assertion_expired'],
    ['naming a user not on file', () => ({ email: email(`nobody-${randomBytes(4).toString('hex')}`) }), 'user_not_found'],
  ];

  it.each(refused)('stays answerable after a response %s was refused', async (_, overrides, code) => {
    const requestId = await issueAuthnRequest(main);
    await expectRefusal(await postAcs(await respond({ ...overrides(), inResponseTo: requestId })), 403, code);
    await expectLogin(await postAcs(await respond({ inResponseTo: requestId })), alice);
  });

  it('refuses the same response posted again after it logged in', async () => {
    const requestId = await issueAuthnRequest(main);
    const samlResponse = await respond({ inResponseTo: requestId });
    await expectLogin(await postAcs(samlResponse), alice);
    await expectRefusal(await postAcs(samlResponse), 403, ['unknown_in_response_to', 'assertion_replayed']);
  });

  it('logs in exactly one of several different responses to one AuthnRequest posted at once', async () => {
    const requestId = await issueAuthnRequest(main);
    const responses = await Promise.all(Array.from({ length: 5 }, () => respond({ inResponseTo: requestId })));
    const results = await Promise.all(responses.map((samlResponse) => postAcs(samlResponse)));
    const accepted = results.filter((r) => r.status === 303);
    expect(accepted).toHaveLength(1);
    await expectLogin(accepted[0] as Response, alice);
    for (const refusal of results.filter((r) => r.status !== 303)) await expectRefusal(refusal, 403, 'unknown_in_response_to');
  });
});

describe('document structure', () => {
  it('refuses a response carrying two assertions', async () => {
    const edit = (doc: Document) => {
      const second = assertionOf(doc).cloneNode(true) as Element;
      second.setAttribute('ID', newSamlId());
      doc.documentElement.appendChild(second);
    };
    await expectRefusal(await postAcs(await respond({ edit })), 403, 'multiple_assertions');
  });

  it('refuses an EncryptedAssertion', async () => {
    const edit = (doc: Document) => {
      const encrypted = doc.createElementNS(samlNs.assertion, 'saml:EncryptedAssertion');
      const data = doc.createElementNS('http://www.w3.org/2001/04/xmlenc#', 'xenc:EncryptedData');
      encrypted.appendChild(data);
      doc.documentElement.replaceChild(encrypted, assertionOf(doc));
    };
    await expectRefusal(await postAcs(await respond({ edit })), 403, 'encrypted_assertion_unsupported');
  });

  it('refuses a successful response that carries no assertion', async () => {
    const edit = (doc: Document) => void doc.documentElement.removeChild(assertionOf(doc));
    await expectRefusal(await postAcs(await respond({ edit })), 403, 'no_assertion');
  });

  it('says the IdP reported a failure when an error response carries no assertion', async () => {
    const edit = (doc: Document) => void doc.documentElement.removeChild(assertionOf(doc));
    await expectRefusal(await postAcs(await respond({ status: statusCodes.responder, edit })), 403, 'status_not_success');
  });

  it('refuses an assertion nested in an Extensions element instead of directly in the Response', async () => {
    const edit = (doc: Document) => {
      const extensions = doc.createElementNS(samlNs.protocol, 'samlp:Extensions');
      const assertion = assertionOf(doc);
      doc.documentElement.replaceChild(extensions, assertion);
      extensions.appendChild(assertion);
    };
    await expectRefusal(await postAcs(await respond({ edit })), 403, 'assertion_misplaced');
  });

  const variants: [WrappingVariant, 'response' | 'both'][] = [
    ['XSW1', 'response'],
    ['XSW2', 'response'],
    ['XSW3', 'both'],
    ['XSW4', 'both'],
    ['XSW5', 'both'],
    ['XSW6', 'both'],
    ['XSW7', 'both'],
    ['XSW8', 'both'],
  ];
  it.each(variants)('refuses signature wrapping %s that names another user in an unsigned copy', async (variant, signed) => {
    const xml = await signedResponseXml({ ...baseOptions(main), ...keyOf(idp), email: email('mallory'), signed });
    const wrapped = wrapSignature(xml, variant, alice);
    expect(wrapped).toContain(`>${alice}<`);
    await expectRefusal(await postAcs(encodeBase64(wrapped)), 403, 'multiple_assertions');
  });
});

describe('the email the assertion names', () => {
  it('reads a comment inside a signed NameID as part of the address, never as its end', async () => {
    const res = await postAcs(await respond({ nameIdXml: `${alice}<!---->.evil.test` }));
    const event = await expectRefusal(res, 403, 'user_not_found');
    expect(event.detail).toMatchObject({ detail: `${alice}.evil.test` });
  });

  it('reads a comment inserted after signing (ignored by exclusive c14n) as part of the address', async () => {
    const xml = await signedResponseXml({ ...baseOptions(main), ...keyOf(idp), email: `${alice}.evil.test` });
    const injected = xml.replace(`>${alice}.evil.test<`, `>${alice}<!---->.evil.test<`);
    expect(injected).not.toBe(xml);
    expect(await verifiesWithXmlsec(injected, idp.certificatePem)).toBe(true);
    const event = await expectRefusal(await postAcs(encodeBase64(injected)), 403, 'user_not_found');
    expect(event.detail).toMatchObject({ detail: `${alice}.evil.test` });
  });

  it('logs in the same user when the NameID is surrounded by whitespace', async () => {
    await expectLogin(await postAcs(await respond({ email: `\n  ${alice}\t\n` })), alice);
  });

  it.each([
    ['a leading no-break space (U+00A0)', `\u00A0${alice}`],
    ['a trailing no-break space (U+00A0)', `${alice}\u00A0`],
    ['a leading em space (U+2003)', `\u2003${alice}`],
    ['a trailing ideographic space (U+3000)', `${alice}\u3000`],
    ['a leading zero-width no-break space (U+FEFF)', `\uFEFF${alice}`],
  ])('does not trim %s off the NameID: only ASCII whitespace is trimmed', async (_, nameId) => {
    await expectRefusal(await postAcs(await respond({ email: nameId })), 403, 'email_invalid');
  });

  it('matches the address case-insensitively', async () => {
    await expectLogin(await postAcs(await respond({ email: alice.toUpperCase() })), alice);
  });

  it.each([
    ['a Kelvin sign (U+212A) for k', `\u212Aate@${domain}`],
    ['a capital I with dot above (U+0130) for i', `\u0130saac@${domain}`],
  ])('does not fold %s onto the ASCII user on file', async (_, lookalike) => {
    await expectRefusal(await postAcs(await respond({ email: lookalike })), 403, 'user_not_found');
  });

  it('refuses whitespace inside the address', async () => {
    await expectRefusal(await postAcs(await respond({ email: `alice @${domain}` })), 403, 'email_invalid');
  });

  it('refuses a NameID that is not an email address', async () => {
    await expectRefusal(await postAcs(await respond({ email: 'alice' })), 403, 'email_invalid');
  });

  it('refuses an empty NameID', async () => {
    await expectRefusal(await postAcs(await respond({ email: '' })), 403, 'email_missing');
  });

  it('refuses a persistent NameID', async () => {
    await expectRefusal(await postAcs(await respond({ nameIdFormat: nameIdFormats.persistent })), 403, 'nameid_format_unsupported');
  });

  it('refuses a NameID without a Format', async () => {
    await expectRefusal(await postAcs(await respond({ nameIdFormat: null })), 403, 'nameid_format_unsupported');
  });

  describe('from an attribute', () => {
    const frank = () => email('frank');

    it('logs in through the configured attribute, whatever the NameID says', async () => {
      const res = await postAcs(
        await respond(
          { nameIdFormat: nameIdFormats.persistent, email: 'opaque-id', attributes: [{ name: 'email', values: [frank()] }] },
          byAttribute,
        ),
        byAttribute,
      );
      await expectLogin(res, frank());
    });

    it('refuses a response without the attribute', async () => {
      const res = await postAcs(await respond({ attributes: [{ name: 'mail', values: [frank()] }] }, byAttribute), byAttribute);
      await expectRefusal(res, 403, 'email_missing');
    });

    it('refuses two values of the attribute', async () => {
      const res = await postAcs(await respond({ attributes: [{ name: 'email', values: [frank(), alice] }] }, byAttribute), byAttribute);
      await expectRefusal(res, 403, 'email_ambiguous');
    });

    it('refuses the attribute given twice', async () => {
      const attributes = [
        { name: 'email', values: [frank()] },
        { name: 'email', values: [alice] },
      ];
      await expectRefusal(await postAcs(await respond({ attributes }, byAttribute), byAttribute), 403, 'email_ambiguous');
    });

    it('is not confused by attributes named __proto__ and constructor', async () => {
      const attributes = [
        { name: '__proto__', values: [alice] },
        { name: 'constructor', values: [alice] },
        { name: 'email', values: [frank()] },
      ];
      await expectLogin(await postAcs(await respond({ attributes }, byAttribute), byAttribute), frank());
    });

    it.each([
      ['__proto__', () => byProtoAttribute],
      ['constructor', () => byConstructorAttribute],
    ])('finds no email in a %s attribute the response does not carry', async (_, at) => {
      const res = await postAcs(await respond({ attributes: [{ name: 'email', values: [frank()] }] }, at()), at());
      await expectRefusal(res, 403, 'email_missing');
    });
  });
});

describe('junk, refused before any XML parsing', () => {
  const withDoctype = async (doctype: string) => {
    const xml = await signedResponseXml({ ...baseOptions(main), ...keyOf(idp), email: alice });
    return encodeBase64(xml.replace(/(<\?xml[^>]*\?>\s*)?/, `$1${doctype}`));
  };

  it('refuses a bare DOCTYPE', async () => {
    await expectRefusal(await postAcs(await withDoctype('<!DOCTYPE x>')), 400, 'doctype_forbidden');
  });

  it('refuses entity declarations (billion laughs)', async () => {
    const laughs = ['<!ENTITY lol0 "lol">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`)];
    await expectRefusal(await postAcs(await withDoctype(`<!DOCTYPE samlp:Response [${laughs.join('')}]>`)), 400, 'doctype_forbidden');
  });

  /** A valid response whose base64 ends in `==` (trailing whitespace after the root is allowed XML). */
  const paddedResponse = async () => {
    const xml = await signedResponseXml({ ...baseOptions(main), ...keyOf(idp), email: alice });
    const b64 = encodeBase64(xml + ' '.repeat((4 - (Buffer.byteLength(xml) % 3)) % 3));
    expect(b64).toMatch(/[^=]==$/);
    return b64;
  };

  it.each([
    ['an asterisk inside the base64', (b: string) => `${b.slice(0, 100)}*${b.slice(100)}`],
    ['a percent sign inside the base64', (b: string) => `${b.slice(0, 100)}%${b.slice(100)}`],
    ['a space inside the base64', (b: string) => `${b.slice(0, 100)} ${b.slice(100)}`],
    ['a missing padding character', (b: string) => b.slice(0, -1)],
    ['padding in the middle', (b: string) => `${b.slice(0, 100)}==${b.slice(100)}`],
    ['three padding characters', (b: string) => `${b.slice(0, -4)}A===`],
  ])('refuses %s', async (_, mangle) => {
    await expectRefusal(await postAcs(mangle(await paddedResponse())), 400, 'malformed_base64');
  });

  it('accepts the same padded response unmangled', async () => {
    await expectLogin(await postAcs(await paddedResponse()), alice);
  });

  it('refuses base64 of bytes that are not XML', async () => {
    const bytes = Buffer.concat(Array.from({ length: 16 }, (_, i) => createHash('sha256').update(`junk ${i}`).digest()));
    await expectRefusal(await postAcs(bytes.toString('base64')), 400, 'malformed_xml');
  });

  it('refuses mismatched end tags, which the XML parser would only warn about', async () => {
    const signed = Buffer.from(await respond(), 'base64').toString('utf8');
    const mismatched = signed.replace('</samlp:Response>', '<a><b></a></samlp:Response>');
    await expectRefusal(await postAcs(encodeBase64(mismatched)), 400, 'malformed_xml');
  });

  it('refuses deeply nested markup before parsing it', async () => {
    const signed = Buffer.from(await respond(), 'base64').toString('utf8');
    const nested = signed.replace('</samlp:Response>', `${'<x>'.repeat(5000)}${'</x>'.repeat(5000)}</samlp:Response>`);
    await expectRefusal(await postAcs(encodeBase64(nested)), 400, 'xml_too_complex');
  });

  it('refuses a response with thousands of elements before parsing it', async () => {
    const signed = Buffer.from(await respond(), 'base64').toString('utf8');
    const wide = signed.replace('</samlp:Response>', `${'<x/>'.repeat(5000)}</samlp:Response>`);
    await expectRefusal(await postAcs(encodeBase64(wide)), 400, 'xml_too_complex');
  });

  it('refuses a SAMLResponse field over 256 KiB', async () => {
    await expectRefusal(await postAcs('A'.repeat(256 * 1024 + 4)), 413, 'response_too_large');
  });

  it('refuses a body far over the limit before reading it whole', async () => {
    await expectRefusal(await postAcs('A'.repeat(2 * 1024 * 1024)), 413, 'response_too_large');
  });

  it('refuses a body declared over the limit unread, and keeps the connection usable', async () => {
    // One keep-alive socket: the refused body must be discarded, or the next request on it would stall.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const post = (body: string, chunked = false) =>
      new Promise<{ status: number; code?: string; reused: boolean; cookie?: string }>((resolve, reject) => {
        const req = http.request(`${app.baseUrl}/saml/${main.id}/acs`, {
          method: 'POST',
          agent,
          headers: {
            accept: 'application/json',
            'content-type': 'application/x-www-form-urlencoded',
            ...(chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': Buffer.byteLength(body) }),
          },
        });
        req.on('response', (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            const code = text.startsWith('{') ? (JSON.parse(text) as { error?: { code?: string } }).error?.code : undefined;
            resolve({ status: res.statusCode ?? 0, code, reused: req.reusedSocket, cookie: res.headers['set-cookie']?.[0] });
          });
        });
        req.on('error', reject);
        // Chunked: the server learns the size only while reading.
        if (chunked) for (let i = 0; i < body.length; i += 64 * 1024) req.write(body.slice(i, i + 64 * 1024));
        req.end(chunked ? undefined : body);
      });
    try {
      const oversized = `SAMLResponse=${'A'.repeat(600 * 1024)}`;
      expect(await post(oversized)).toMatchObject({ status: 413, code: 'response_too_large', reused: false });
      expect(await post(oversized, true)).toMatchObject({ status: 413, code: 'response_too_large', reused: true });
      const valid = await post(new URLSearchParams({ SAMLResponse: await respond() }).toString());
      expect(valid).toMatchObject({ status: 303, reused: true });
      expect(valid.cookie).toMatch(/^sso_session=/);
    } finally {
      agent.destroy();
    }
  });

  it('refuses a form posted in a character set other than UTF-8', async () => {
    const body = `SAMLResponse=${encodeURIComponent(await respond())}`;
    const headers = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-7' };
    await expectRefusal(await postForm(main.id, body, headers), 415, 'unsupported_encoding');
  });

  it('refuses a compressed form', async () => {
    const body = gzipSync(`SAMLResponse=${encodeURIComponent(await respond())}`);
    const res = await fetch(`${app.baseUrl}/saml/${main.id}/acs`, {
      method: 'POST',
      body,
      redirect: 'manual',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip' },
    });
    await expectRefusal(res, 415, 'unsupported_encoding');
  });

  it.each(['UTF-8', 'ISO-8859-1'])('accepts a form declared as %s', async (charset) => {
    const body = `SAMLResponse=${encodeURIComponent(await respond())}`;
    await expectLogin(await postForm(main.id, body, { 'content-type': `application/x-www-form-urlencoded; charset=${charset}` }), alice);
  });

  it('refuses a post without SAMLResponse', async () => {
    await expectRefusal(await postForm(main.id, new URLSearchParams({ RelayState: '/console' })), 400, 'missing_saml_response');
  });

  it('refuses two SAMLResponse fields', async () => {
    const first = await respond();
    const body = new URLSearchParams([
      ['SAMLResponse', first],
      ['SAMLResponse', await respond()],
    ]);
    await expectRefusal(await postForm(main.id, body), 400, 'missing_saml_response');
  });

  it('refuses a document that is not a Response (an AuthnRequest)', async () => {
    const request =
      `<samlp:AuthnRequest xmlns:samlp="${samlNs.protocol}" xmlns:saml="${samlNs.assertion}" ID="${newSamlId()}" Version="2.0" ` +
      `IssueInstant="${new Date().toISOString()}" AssertionConsumerServiceURL="${main.acsUrl}"><saml:Issuer>${main.entityId}</saml:Issuer></samlp:AuthnRequest>`;
    await expectRefusal(await postAcs(encodeBase64(request)), 400, 'not_a_response');
  });

  it('refuses a post to a connection that does not exist', async () => {
    const missing = `conn_${randomBytes(12).toString('hex')}`;
    const event = await expectRefusal(
      await postForm(missing, new URLSearchParams({ SAMLResponse: await respond() })),
      404,
      'unknown_connection',
    );
    expect(event.connectionId).toBe(missing);
  });

  it('refuses a post to a malformed connection ID', async () => {
    const event = await expectRefusal(
      await postForm('..%2F..%2Fetc', new URLSearchParams({ SAMLResponse: await respond() })),
      404,
      'unknown_connection',
    );
    expect(event.connectionId).toBeNull();
  });

  it('refuses a post to a disabled connection', async () => {
    const disabled = await connection({ status: 'disabled' });
    await expectRefusal(await postAcs(await respond({}, disabled), disabled), 403, 'connection_disabled');
  });
});

describe('replay', () => {
  it('refuses the same response posted twice', async () => {
    const samlResponse = await respond();
    await expectLogin(await postAcs(samlResponse), alice);
    await expectRefusal(await postAcs(samlResponse), 403, 'assertion_replayed');
  });

  it('accepts exactly one of ten concurrent posts of the same response', async () => {
    const carol = email('carol');
    const samlResponse = await respond({ email: carol });
    const results = await Promise.all(Array.from({ length: 10 }, () => postAcs(samlResponse)));
    const accepted = results.filter((r) => r.status === 303);
    expect(accepted).toHaveLength(1);
    await expectLogin(accepted[0] as Response, carol);
    for (const refused of results.filter((r) => r.status !== 303)) await expectRefusal(refused, 403, 'assertion_replayed');
    const rows = await database.db
      .select()
      .from(sessions)
      .where(eq(sessions.userSid, sids.get(carol) as string));
    expect(rows).toHaveLength(1);
  });
});

describe('the user on file', () => {
  it('refuses a user who is not on file, and creates none', async () => {
    const stranger = email('stranger');
    const event = await expectRefusal(await postAcs(await respond({ email: stranger })), 403, 'user_not_found');
    expect(event.detail).toMatchObject({ detail: stranger });
    const rows = await database.db.select().from(users).where(sql`lower(${users.email}) = ${stranger}`);
    expect(rows).toEqual([]);
  });

  it('refuses a user for whom SSO is not enabled', async () => {
    await expectRefusal(await postAcs(await respond({ email: email('dora') })), 403, 'sso_not_enabled');
  });

  it('refuses a user whose SSO runs through another connection', async () => {
    await expectRefusal(await postAcs(await respond({ email: email('erin') })), 403, 'wrong_connection');
  });
});

describe('certificates', () => {
  it('accepts responses signed with either certificate during a rotation', async () => {
    const next = await generateSelfSignedCertificate({ commonName: 'idp-next.example.test' });
    const rotating = await connection({ certificates: [idp.certificatePem, next.certificatePem] });
    const grace = email('grace');
    await user(grace, rotating);
    await expectLogin(await postAcs(await respond({ email: grace }, rotating), rotating), grace);
    await expectLogin(await postAcs(await respond({ email: grace, ...keyOf(next) }, rotating), rotating), grace);
  });

  it('refuses every response when the only certificate on file has expired', async () => {
    const expired = await generateSelfSignedCertificate({ commonName: 'idp-old.example.test', validDays: -0.5 });
    const stale = await connection({ certificates: [expired.certificatePem] });
    await expectRefusal(await postAcs(await respond(keyOf(expired), stale), stale), 403, 'no_valid_certificate');
  });

  it('refuses a response signed with an expired certificate while another one is current', async () => {
    const expired = await generateSelfSignedCertificate({ commonName: 'idp-old.example.test', validDays: -0.5 });
    const mixed = await connection({ certificates: [expired.certificatePem, idp.certificatePem] });
    await expectRefusal(await postAcs(await respond(keyOf(expired), mixed), mixed), 403, 'invalid_signature');
  });
});

describe('a connection holding as many certificates as it may, the IdP one last', () => {
  let capped: Planned;
  const heidi = email('heidi');

  beforeAll(async () => {
    const others = await Promise.all(
      Array.from({ length: maxCertificatesPerConnection - 1 }, (_, i) =>
        generateSelfSignedCertificate({ commonName: `other-${i}.example.test` }),
      ),
    );
    capped = await connection({ certificates: [...others.map((c) => c.certificatePem), idp.certificatePem] });
    await user(heidi, capped);
  });

  /** How many full signature verifications (document parse, canonicalisation, digest) a post cost. */
  async function countingFullChecks(post: () => Promise<Response>): Promise<{ res: Response; fullChecks: number }> {
    const spy = vi.spyOn(SignedXml.prototype, 'checkSignature');
    try {
      const res = await post();
      return { res, fullChecks: spy.mock.calls.length };
    } finally {
      spy.mockRestore();
    }
  }

  const withKeyInfoCertificate = (xml: string, base64: string) =>
    xml.replace(/<ds:X509Certificate>[^<]*<\/ds:X509Certificate>/, `<ds:X509Certificate>${base64}</ds:X509Certificate>`);

  it('logs in, verifying the signature in full only with the certificate KeyInfo names', async () => {
    const { res, fullChecks } = await countingFullChecks(async () => postAcs(await respond({ email: heidi }, capped), capped));
    await expectLogin(res, heidi);
    expect(fullChecks).toBe(1);
  });

  it('logs in without KeyInfo, verifying the signature in full once', async () => {
    const samlResponse = await respond({ email: heidi, embedCertificate: false }, capped);
    const { res, fullChecks } = await countingFullChecks(() => postAcs(samlResponse, capped));
    await expectLogin(res, heidi);
    expect(fullChecks).toBe(1);
  });

  it('logs in when KeyInfo names a certificate not on file: KeyInfo only suggests which to try first', async () => {
    const xml = await signedResponseXml({ ...baseOptions(capped), ...keyOf(idp), email: heidi });
    await expectLogin(await postAcs(encodeBase64(withKeyInfoCertificate(xml, attacker.certificateBase64)), capped), heidi);
  });

  it.each([
    ['with its certificate in KeyInfo', true],
    ['without KeyInfo', false],
  ])('refuses a response signed by an unknown key %s, at no more than one full verification', async (_, embedCertificate) => {
    const samlResponse = await respond({ email: heidi, ...keyOf(attacker), embedCertificate }, capped);
    const { res, fullChecks } = await countingFullChecks(() => postAcs(samlResponse, capped));
    await expectRefusal(res, 403, 'invalid_signature');
    expect(fullChecks).toBeLessThanOrEqual(1);
  });

  it('refuses a response whose signature value was altered, at no more than one full verification', async () => {
    const xml = await signedResponseXml({ ...baseOptions(capped), ...keyOf(idp), email: heidi });
    const altered = xml.replace(/(<ds:SignatureValue>\s*[^<]{20})(.)/, (_, head: string, c: string) => `${head}${c === 'A' ? 'B' : 'A'}`);
    expect(altered).not.toBe(xml);
    const { res, fullChecks } = await countingFullChecks(() => postAcs(encodeBase64(altered), capped));
    await expectRefusal(res, 403, 'invalid_signature');
    expect(fullChecks).toBeLessThanOrEqual(1);
  });

  it('refuses a response signed by an unknown key whose KeyInfo names the configured certificate', async () => {
    const xml = await signedResponseXml({ ...baseOptions(capped), ...keyOf(attacker), email: heidi });
    await expectRefusal(await postAcs(encodeBase64(withKeyInfoCertificate(xml, idp.certificateBase64)), capped), 403, 'invalid_signature');
  });

  it('refuses a response whose content changed after signing, though its SignedInfo verifies', async () => {
    const xml = await signedResponseXml({ ...baseOptions(capped), ...keyOf(idp), email: email('mallory') });
    const tampered = editXml(xml, (doc) => setNameId(assertionOf(doc), heidi));
    await expectRefusal(await postAcs(encodeBase64(tampered), capped), 403, 'invalid_signature');
  });
});

describe('RelayState after a successful login', () => {
  it.each(['https://evil.test', '//evil.test', '/\\evil.test', 'javascript:alert(1)', '/\t/evil.test', '\t//evil.test'])(
    'never leads off-site: %j goes to /console',
    async (relayState) => {
      await expectLogin(await postAcs(await respond(), main, { RelayState: relayState }), alice, '/console');
    },
  );

  it('keeps a local path with its query', async () => {
    await expectLogin(await postAcs(await respond(), main, { RelayState: '/console/x?y=1' }), alice, '/console/x?y=1');
  });
});

describe('robustness', () => {
  it('answers every mutated body with a 4xx, never a 5xx', async () => {
    const xml = (await signedResponseXml({ ...baseOptions(main), ...keyOf(idp), email: alice })).trimEnd();
    const b64 = encodeBase64(xml);
    const form = (samlResponse: string) => new URLSearchParams({ SAMLResponse: samlResponse });
    const xmlForm = (changed: string) => form(encodeBase64(changed));
    const edited = (edit: (doc: Document) => void) => xmlForm(editXml(xml, edit));
    const inResponse = (markup: string) => xmlForm(xml.replace('<samlp:Status>', `${markup}<samlp:Status>`));
    const inAssertion = (markup: string) => xmlForm(xml.replace('</saml:Assertion>', `${markup}</saml:Assertion>`));
    const attribute = (name: string, value: string) =>
      `<saml:Attribute Name="${name}"><saml:AttributeValue>${value}</saml:AttributeValue></saml:Attribute>`;
    const nested = (depth: number) => `${'<x>'.repeat(depth)}${'</x>'.repeat(depth)}`;
    const cut = (n: number): [string, URLSearchParams] => [`base64 cut to ${n} characters`, form(b64.slice(0, n))];
    const cutXml = (n: number): [string, URLSearchParams] => [`XML cut to ${n} characters`, xmlForm(xml.slice(0, n))];
    const cases: [string, URLSearchParams | string, Record<string, string>?][] = [
      ...[1, 2, 3, 5, 101, 1001, b64.length - 1, b64.length - 2].map(cut),
      ...[4, 8, 400, 2000, b64.length - 4].map(cut),
      ...[1, 10, 60, Math.floor(xml.length / 2), xml.indexOf('<ds:SignatureValue>') + 25, xml.length - 1, xml.length - 20].map(cutXml),
      [
        'a 150 KiB attribute value',
        inAssertion(`<saml:AttributeStatement>${attribute('x', 'v'.repeat(150 * 1024))}</saml:AttributeStatement>`),
      ],
      ['1500 attributes', inAssertion(`<saml:AttributeStatement>${attribute('a', '1').repeat(1500)}</saml:AttributeStatement>`)],
      ['elements nested 20,000 deep in the Response', inResponse(nested(20_000))],
      ['elements nested 20,000 deep in the NameID', xmlForm(xml.replace(`>${alice}<`, `>${nested(20_000)}<`))],
      ['a 100 KiB attribute name', inResponse(`<x ${'a'.repeat(100 * 1024)}="1"/>`)],
      ['2000 namespace declarations', inResponse(`<x ${Array.from({ length: 2000 }, (_, i) => `xmlns:p${i}="urn:x:${i}"`).join(' ')}/>`)],
      ['a NUL character', xmlForm(xml.replace(alice, `${alice}\u0000`))],
      [
        'invalid UTF-8',
        form(
          Buffer.concat([Buffer.from(xml.slice(0, 300)), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(xml.slice(300))]).toString('base64'),
        ),
      ],
      ['UTF-16 encoding', form(Buffer.from(xml.replace('UTF-8', 'UTF-16'), 'utf16le').toString('base64'))],
      ['an empty SAMLResponse', form('')],
      ['only line breaks', form('\r\n\r\n')],
      ['an empty Signature template', xmlForm(responseXml({ ...baseOptions(main), email: alice }))],
      [
        'a garbage NotOnOrAfter',
        edited((doc) => childElement(assertionOf(doc), samlNs.assertion, 'Conditions').setAttribute('NotOnOrAfter', 'soon')),
      ],
      ['a Reference URI with a quote', xmlForm(xml.replace(/URI="#([^"]+)"/, `URI="#$1'"`))],
      ['a Reference to the whole document', xmlForm(xml.replace(/URI="#[^"]+"/, 'URI=""'))],
      [
        'the Response ID repeated on the assertion',
        edited((doc) => assertionOf(doc).setAttribute('ID', doc.documentElement.getAttribute('ID') ?? '')),
      ],
      ['a Response without ID', edited((doc) => doc.documentElement.removeAttribute('ID'))],
      ['twenty form fields', new URLSearchParams(Array.from({ length: 20 }, (_, i) => [`f${i}`, 'x']))],
      ['a JSON body', JSON.stringify({ SAMLResponse: b64 }), { 'content-type': 'application/json' }],
      [
        'an unsupported charset',
        `SAMLResponse=${encodeURIComponent(b64)}`,
        { 'content-type': 'application/x-www-form-urlencoded; charset=utf-7' },
      ],
      ['a gzip body that is not gzip', `SAMLResponse=${encodeURIComponent(b64)}`, { 'content-encoding': 'gzip' }],
      ['broken percent-encoding', 'SAMLResponse=%E0%A4%A&RelayState=%'],
    ];
    expect(cases.length).toBeGreaterThanOrEqual(30);
    const outcomes: { name: string; status: number; code: string | undefined }[] = [];
    for (const [name, body, headers] of cases) {
      const res = await postForm(main.id, body, headers);
      const answer = (await res.json().catch(() => ({}))) as { error?: { code?: string } };
      outcomes.push({ name, status: res.status, code: answer.error?.code });
    }
    expect(outcomes.filter((o) => o.status < 400 || o.status >= 500)).toEqual([]);
  });
});

describe('a public vector from another project', () => {
  it('refuses, as weak_algorithm, a genuinely valid RSA-SHA1 response from the python3-saml test suite', async () => {
    const samlResponse = (
      await readFile(new URL('../fixtures/saml/python3-saml-signed_message_response.xml.base64', import.meta.url), 'utf8')
    ).trim();
    const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
    const certBase64 = /<ds:X509Certificate>([^<]+)<\/ds:X509Certificate>/.exec(xml)?.[1] ?? '';
    const certPem = `-----BEGIN CERTIFICATE-----\n${certBase64.match(/.{1,64}/g)?.join('\n')}\n-----END CERTIFICATE-----\n`;
    expect(await verifiesWithXmlsec(xml, certPem)).toBe(true);
    const vectorConnection = await connection({ certificates: [certPem] });
    await expectRefusal(await postAcs(samlResponse, vectorConnection), 403, 'weak_algorithm');
  });
});

describe('sessions and refusal pages', () => {
  it('ends the session no later than the assertion SessionNotOnOrAfter', async () => {
    const sessionEnd = new Date(Date.now() + 20 * 60_000);
    const res = await postAcs(await respond({ sessionNotOnOrAfter: sessionEnd }));
    expect(res.status).toBe(303);
    const cookie = res.headers.get('set-cookie') as string;
    const expires = new Date(/Expires=([^;]+)/i.exec(cookie)?.[1] as string);
    expect(Math.abs(expires.getTime() - sessionEnd.getTime())).toBeLessThan(1000);
    const [row] = await database.db
      .select()
      .from(sessions)
      .where(eq(sessions.userSid, sids.get(alice) as string))
      .orderBy(desc(sessions.createdAt))
      .limit(1);
    expect(Math.abs((row?.expiresAt.getTime() ?? 0) - sessionEnd.getTime())).toBeLessThan(1000);
  });

  it('shows a browser a refusal page with the reason code and the trace ID', async () => {
    const res = await fetch(`${app.baseUrl}/saml/${main.id}/acs`, {
      method: 'POST',
      body: new URLSearchParams({ SAMLResponse: await respond({ destination: 'https://elsewhere.test/acs' }) }),
      headers: { accept: 'text/html,application/xhtml+xml' },
      redirect: 'manual',
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('destination_mismatch');
    expect(html).toContain(res.headers.get('x-trace-id') as string);
    expect(res.headers.get('set-cookie')).toBeNull();
  });
});
