// The test sign-in's diagnosis (issue #14 item 4): every check of the ACS policy runs on a posted response,
// whatever fails first, and the report says what was found. Responses are shaped like real IdPs' defaults
// (shared/notes/idp-defaults.md) and signed by xmlsec1, independently of the xml-crypto that verifies them.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { type DiagnosisCheck, diagnosisChecks } from '../../contract/diagnosis.js';
import { type Connection, newConnectionId, parseCertificate, spEndpoints } from '../../domain/connections.js';
import { type DiagnosisFacts, type DiagnosisInput, diagnoseSamlResponse, diagnosisLimits } from '../../domain/saml/diagnosis.js';
import { generateSelfSignedCertificate, type SelfSignedCertificate } from '../support/idp/self-signed.js';
import {
  assertionOf,
  childElement,
  editXml,
  encodeBase64,
  nameIdFormats,
  newSamlId,
  samlNs,
  setNameId,
  signedResponse,
  signedResponseXml,
  statusCodes,
} from '../support/saml/craft.js';

const publicBaseUrl = 'https://sp.example.test';
const emailClaim = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress';
const upnClaim = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn';
const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const entraAppId = 'f3b1c9a2-5d4e-4f60-8a7b-9c0d1e2f3a4b';
const algorithm = {
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  rsaSha1: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  sha1: 'http://www.w3.org/2000/09/xmldsig#sha1',
} as const;

let idp: SelfSignedCertificate;
let attacker: SelfSignedCertificate;

beforeAll(async () => {
  [idp, attacker] = await Promise.all([
    generateSelfSignedCertificate({ commonName: 'idp.example.test' }),
    generateSelfSignedCertificate({ commonName: 'attacker.example.test' }),
  ]);
});

function connection(input: { idpEntityId: string; emailAttribute?: string | null; certificates?: SelfSignedCertificate[] }): Connection {
  return {
    id: newConnectionId(),
    onboardingId: null,
    customerName: 'Contoso',
    idpEntityId: input.idpEntityId,
    ssoUrl: 'https://idp.example.test/sso',
    ssoBinding: 'redirect',
    logoutRedirectUrl: null,
    emailAttribute: input.emailAttribute ?? null,
    emailDomains: ['contoso.test'],
    idpMetadataUrl: null,
    status: 'active',
    certificates: (input.certificates ?? [idp]).map((c) => parseCertificate(c.certificatePem)),
  };
}

function spTarget(at: Connection) {
  const { acsUrl, entityId } = spEndpoints(publicBaseUrl, at.id);
  return { destination: acsUrl, audience: entityId };
}

interface Case {
  connection: Connection;
  /** What the IdP puts in the response; Destination, Recipient and Audience default to the connection's. */
  response?: Partial<Parameters<typeof signedResponse>[0]>;
  /** Who signs (the IdP by default). */
  by?: SelfSignedCertificate;
  /** How far the IdP's clock is ahead of ours. */
  idpClockAheadMs?: number;
  expectedInResponseTo?: string | null;
}

/** Builds the response as the IdP would, signs it with xmlsec1, and diagnoses it at our `now`. */
async function diagnose(c: Case): Promise<{ report: DiagnosisFacts; now: Date }> {
  const now = new Date();
  const { acsUrl, entityId } = spEndpoints(publicBaseUrl, c.connection.id);
  const by = c.by ?? idp;
  const samlResponse = await signedResponse({
    destination: acsUrl,
    audience: entityId,
    issuer: c.connection.idpEntityId,
    email: 'alice@contoso.test',
    now: new Date(now.getTime() + (c.idpClockAheadMs ?? 0)),
    keyPem: by.privateKeyPem,
    certPem: by.certificatePem,
    ...c.response,
  });
  return { report: diagnoseSamlResponse(input(c.connection, samlResponse, now, c.expectedInResponseTo)), now };
}

function input(at: Connection, samlResponse: unknown, now = new Date(), expectedInResponseTo: string | null = null): DiagnosisInput {
  return { samlResponse, connection: at, now, clockSkewMs: 60_000, publicBaseUrl, expectedInResponseTo };
}

function check(report: DiagnosisFacts, code: DiagnosisCheck) {
  const found = report.checks.find((c) => c.code === code);
  if (!found) throw new Error(`no ${code} in the report`);
  return found;
}

/** Every check is in the report, in the contract's order, and exactly `failing` failed (user_on_file is the caller's). */
function expectChecks(report: DiagnosisFacts, failing: DiagnosisCheck[]) {
  expect(report.checks.map((c) => c.code)).toEqual([...diagnosisChecks]);
  const failed = report.checks.filter((c) => !c.passed).map((c) => c.code);
  expect(failed).toEqual(diagnosisChecks.filter((code) => [...failing, 'user_on_file'].includes(code)));
  for (const c of report.checks) expect(c.detail).not.toMatch(/^not run/);
  expect(check(report, 'user_on_file').detail).toBe('not checked');
}

const fingerprintOf = (cert: SelfSignedCertificate) =>
  createHash('sha256').update(Buffer.from(cert.certificateBase64, 'base64')).digest('hex');

describe('responses shaped like real IdPs', () => {
  it('passes an Okta response (Response and assertion signed) on every check, with the facts read from it', async () => {
    const okta = connection({ idpEntityId: 'http://www.okta.com/exk1a2b3c4d5e6f7g8h9' });
    const requestId = newSamlId();
    const { report } = await diagnose({
      connection: okta,
      idpClockAheadMs: 2_000,
      expectedInResponseTo: requestId,
      response: {
        signed: 'both',
        inResponseTo: requestId,
        attributes: [
          { name: 'firstName', values: ['Alice'] },
          { name: 'groups', values: ['Everyone', 'Admins'] },
        ],
      },
    });
    expectChecks(report, []);
    expect(report.signed).toBe('both');
    expect(report.signatureAlgorithms).toEqual([algorithm.rsaSha256]);
    expect(report.digestAlgorithms).toEqual([algorithm.sha256]);
    expect(report).toMatchObject({
      issuer: 'http://www.okta.com/exk1a2b3c4d5e6f7g8h9',
      clockOffsetMs: 2_000,
      nameId: { format: nameIdFormats.emailAddress, value: 'alice@contoso.test' },
      attributes: { firstName: ['Alice'], groups: ['Everyone', 'Admins'] },
      email: 'alice@contoso.test',
      inResponseTo: requestId,
    });
    expect(report.assertionId).toMatch(/^_[0-9a-f]{32}$/);
    expect(check(report, 'certificate_known').observed).toBe(fingerprintOf(idp));
  });

  it('fails an Entra default (assertion-only signature, Audience spn:) on response_signed and audience_matches only', async () => {
    const entra = connection({ idpEntityId: `https://sts.windows.net/${tenant}/`, emailAttribute: emailClaim });
    const { report } = await diagnose({
      connection: entra,
      idpClockAheadMs: -3_000,
      response: {
        signed: 'assertion',
        audience: `spn:${entraAppId}`,
        email: 'alice@contoso.onmicrosoft.test',
        nameIdFormat: nameIdFormats.unspecified,
        attributes: [
          { name: emailClaim, values: ['alice@contoso.test'] },
          { name: upnClaim, values: ['alice@contoso.onmicrosoft.test'] },
        ],
      },
    });
    expectChecks(report, ['response_signed', 'audience_matches']);
    expect(report.signed).toBe('assertion');
    expect(check(report, 'response_signed').detail).toMatch(/only the assertion is signed/);
    expect(check(report, 'audience_matches')).toMatchObject({ observed: `spn:${entraAppId}`, detail: expect.stringMatching(/Entra/) });
    expect(check(report, 'certificate_known').passed).toBe(true);
    // The email comes from the claim, so the UPN's format does not decide anything.
    expect(check(report, 'nameid_format')).toMatchObject({ passed: true, observed: nameIdFormats.unspecified });
    expect(check(report, 'destination_matches').detail).toMatch(/unsigned Response/);
    expect(report).toMatchObject({
      issuer: `https://sts.windows.net/${tenant}/`,
      clockOffsetMs: -3_000,
      nameId: { format: nameIdFormats.unspecified, value: 'alice@contoso.onmicrosoft.test' },
      email: 'alice@contoso.test',
      attributes: { [emailClaim]: ['alice@contoso.test'], [upnClaim]: ['alice@contoso.onmicrosoft.test'] },
    });
  });

  it('fails an Entra persistent NameID on nameid_format and email_found, and points at the email claim', async () => {
    const entra = connection({ idpEntityId: `https://sts.windows.net/${tenant}/` });
    const { report } = await diagnose({
      connection: entra,
      response: {
        signed: 'assertion',
        email: 'AAAAAAAAAAAAAAAAAAAAAFkn1mXh3zRyGx8w2H5z4Pk',
        nameIdFormat: nameIdFormats.persistent,
        attributes: [{ name: emailClaim, values: ['alice@contoso.test'] }],
      },
    });
    expectChecks(report, ['response_signed', 'nameid_format', 'email_found']);
    expect(check(report, 'nameid_format')).toMatchObject({ observed: nameIdFormats.persistent, expected: nameIdFormats.emailAddress });
    expect(check(report, 'email_found').detail).toContain(`the attribute "${emailClaim}" carries "alice@contoso.test"`);
    expect(report.email).toBeNull();
    expect(report.nameId).toEqual({ format: nameIdFormats.persistent, value: 'AAAAAAAAAAAAAAAAAAAAAFkn1mXh3zRyGx8w2H5z4Pk' });
  });

  it('fails an AD FS default (assertion only signed) on response_signed alone', async () => {
    const adfs = connection({ idpEntityId: 'http://adfs.contoso.test/adfs/services/trust' });
    const { report } = await diagnose({ connection: adfs, response: { signed: 'assertion' } });
    expectChecks(report, ['response_signed']);
    expect(report.signed).toBe('assertion');
    expect(report.issuer).toBe('http://adfs.contoso.test/adfs/services/trust');
    expect(report.email).toBe('alice@contoso.test');
  });

  it('passes a Google response with "Signed response" ticked (the Response only)', async () => {
    const google = connection({ idpEntityId: 'https://accounts.google.com/o/saml2?idpid=C01abc2de' });
    const { report } = await diagnose({ connection: google, response: { signed: 'response' } });
    expectChecks(report, []);
    expect(report.signed).toBe('response');
    expect(check(report, 'response_signed').passed).toBe(true);
  });

  it('fails a Keycloak default (NameID username, format unspecified) on nameid_format and email_found', async () => {
    const keycloak = connection({ idpEntityId: 'https://keycloak.contoso.test/realms/contoso' });
    const { report } = await diagnose({
      connection: keycloak,
      response: {
        email: 'alice',
        nameIdFormat: nameIdFormats.unspecified,
        attributes: [{ name: 'email', values: ['alice@contoso.test'] }],
      },
    });
    expectChecks(report, ['nameid_format', 'email_found']);
    expect(report.signed).toBe('response');
    expect(report.nameId).toEqual({ format: nameIdFormats.unspecified, value: 'alice' });
    expect(check(report, 'email_found').detail).toMatch(/the NameID "alice" is not an email address.*"email" carries "alice@contoso.test"/);
    expect(report.attributes).toEqual({ email: ['alice@contoso.test'] });
  });
});

describe('what goes wrong', () => {
  it('fails signature_algorithm on a SHA-1 signature and reports both URIs, the rest passing', async () => {
    const at = connection({ idpEntityId: 'https://idp.example.test' });
    const { report } = await diagnose({ connection: at, response: { signatureAlgorithm: 'rsa-sha1', digestAlgorithm: 'sha1' } });
    expectChecks(report, ['signature_algorithm']);
    expect(report.signed).toBe('response');
    expect(report.signatureAlgorithms).toEqual([algorithm.rsaSha1]);
    expect(report.digestAlgorithms).toEqual([algorithm.sha1]);
    expect(check(report, 'signature_algorithm').observed).toBe(`${algorithm.rsaSha1}, ${algorithm.sha1}`);
  });

  it('names the fingerprint of the certificate that signed when it is not on file', async () => {
    const at = connection({ idpEntityId: 'https://idp.example.test' });
    const { report } = await diagnose({ connection: at, by: attacker, response: { signed: 'both' } });
    expectChecks(report, ['response_signed', 'certificate_known']);
    expect(report.signed).toBe('none');
    const known = check(report, 'certificate_known');
    expect(known.observed).toBe(fingerprintOf(attacker));
    expect(known.expected).toBe(fingerprintOf(idp));
    expect(known.detail).toContain(
      `made by the certificate its KeyInfo carries (SHA-256 fingerprint ${fingerprintOf(attacker)}), which is not on file`,
    );
    expect(check(report, 'response_signed').detail).toMatch(/not made by a certificate on file/);
  });

  it('fails response_signed and certificate_known on content changed after signing, whose SignedInfo still verifies', async () => {
    const at = connection({ idpEntityId: 'https://idp.example.test' });
    const signed = await signedResponseXml({
      ...spTarget(at),
      issuer: at.idpEntityId,
      email: 'alice@contoso.test',
      keyPem: idp.privateKeyPem,
      certPem: idp.certificatePem,
    });
    const tampered = editXml(signed, (doc) => setNameId(assertionOf(doc), 'mallory@contoso.test'));
    const report = diagnoseSamlResponse(input(at, encodeBase64(tampered)));
    expectChecks(report, ['response_signed', 'certificate_known']);
    expect(report.signed).toBe('none');
    expect(check(report, 'response_signed').detail).toMatch(/does not verify: a digest does not match/);
    expect(check(report, 'certificate_known').detail).toMatch(/made by the certificate on file \w+, but it does not verify/);
  });

  it('fails response_signed on a Response signature whose Reference no longer names the Response', async () => {
    const at = connection({ idpEntityId: 'https://idp.example.test' });
    const signed = await signedResponseXml({
      ...spTarget(at),
      issuer: at.idpEntityId,
      email: 'alice@contoso.test',
      keyPem: idp.privateKeyPem,
      certPem: idp.certificatePem,
    });
    const renamed = editXml(signed, (doc) => doc.documentElement.setAttribute('ID', newSamlId()));
    const report = diagnoseSamlResponse(input(at, encodeBase64(renamed)));
    expect(report.signed).toBe('none');
    expect(check(report, 'response_signed')).toMatchObject({ passed: false, detail: expect.stringMatching(/does not cover the Response/) });
  });

  it('fails time_window on an expired response, naming NotOnOrAfter and by how much', async () => {
    const at = connection({ idpEntityId: 'https://idp.example.test' });
    const { report, now } = await diagnose({
      connection: at,
      idpClockAheadMs: -8 * 60_000,
      response: { notOnOrAfter: new Date(Date.now() - 5 * 60_000) },
    });
    expectChecks(report, ['time_window']);
    const window = check(report, 'time_window');
    expect(window.detail).toMatch(/Conditions NotOnOrAfter passed 5 min( \d+ s)? ago \(the allowed skew is 1 min\)/);
    expect(window.detail).toMatch(/SubjectConfirmationData NotOnOrAfter passed 5 min/);
    expect(window.expected).toContain(now.toISOString());
    expect(report.clockOffsetMs).toBe(-8 * 60_000);
  });

  it('fails time_window on a response from an IdP whose clock runs ahead, naming NotBefore', async () => {
    const at = connection({ idpEntityId: 'https://idp.example.test' });
    // craft puts Conditions NotBefore one minute before the IdP's IssueInstant.
    const { report } = await diagnose({ connection: at, idpClockAheadMs: 4 * 60_000 });
    expectChecks(report, ['time_window']);
    expect(check(report, 'time_window').detail).toMatch(
      /^Conditions NotBefore is 3 min ahead of our clock \(the allowed skew is 1 min\); the IssueInstant is 4 min ahead/,
    );
    expect(report.clockOffsetMs).toBe(4 * 60_000);
  });

  it('fails time_window on an assertion issued longer ago than the maximum age, however long its conditions allow', async () => {
    const at = connection({ idpEntityId: 'https://idp.example.test' });
    const { report } = await diagnose({
      connection: at,
      idpClockAheadMs: -20 * 60_000,
      response: { notOnOrAfter: new Date(Date.now() + 60 * 60_000) },
    });
    expectChecks(report, ['time_window']);
    expect(check(report, 'time_window').detail).toMatch(/IssueInstant is 20 min old; at most 10 min/);
  });

  it('fails destination_matches alone on a wrong Destination', async () => {
    const at = connection({ idpEntityId: 'https://idp.example.test' });
    const { acsUrl } = spEndpoints(publicBaseUrl, at.id);
    const { report } = await diagnose({ connection: at, response: { destination: 'https://other.example.test/acs', recipient: acsUrl } });
    expectChecks(report, ['destination_matches']);
    expect(check(report, 'destination_matches')).toMatchObject({ observed: 'https://other.example.test/acs', expected: acsUrl });
  });

  it('fails in_response_to on an answer to another request', async () => {
    const at = connection({ idpEntityId: 'https://idp.example.test' });
    const { report } = await diagnose({ connection: at, expectedInResponseTo: '_ours', response: { inResponseTo: '_theirs' } });
    expectChecks(report, ['in_response_to']);
    expect(check(report, 'in_response_to')).toMatchObject({ observed: '_theirs', expected: '_ours' });
    expect(report.inResponseTo).toBe('_theirs');
  });

  it('fails in_response_to on an IdP-initiated response when the test sign-in started at the SP', async () => {
    const at = connection({ idpEntityId: 'https://idp.example.test' });
    const { report } = await diagnose({ connection: at, expectedInResponseTo: '_ours' });
    expectChecks(report, ['in_response_to']);
    expect(check(report, 'in_response_to').detail).toMatch(/IdP-initiated/);
  });

  it('fails issuer_matches, audience_matches and recipient_matches together when all three are wrong', async () => {
    const at = connection({ idpEntityId: 'https://idp.example.test' });
    const { report } = await diagnose({
      connection: at,
      response: {
        assertionIssuer: 'https://other-idp.example.test',
        audience: 'https://another-sp.example.test',
        recipient: 'https://x.test/acs',
      },
    });
    expectChecks(report, ['issuer_matches', 'audience_matches', 'recipient_matches']);
    expect(check(report, 'issuer_matches').detail).toContain('the assertion Issuer is "https://other-idp.example.test"');
    expect(check(report, 'recipient_matches').observed).toContain('https://x.test/acs (urn:oasis:names:tc:SAML:2.0:cm:bearer)');
  });

  it('reports an error status without an assertion, the assertion checks not run', async () => {
    const at = connection({ idpEntityId: 'https://idp.example.test' });
    const { report } = await diagnose({
      connection: at,
      response: {
        status: statusCodes.responder,
        edit: (doc: Document) => {
          doc.documentElement.removeChild(assertionOf(doc));
          const code = childElement(childElement(doc.documentElement, samlNs.protocol, 'Status'), samlNs.protocol, 'StatusCode');
          const inner = doc.createElementNS(samlNs.protocol, 'samlp:StatusCode');
          inner.setAttribute('Value', 'urn:oasis:names:tc:SAML:2.0:status:RequestDenied');
          code.appendChild(inner);
        },
      },
    });
    expect(report.checks.map((c) => c.code)).toEqual([...diagnosisChecks]);
    expect(check(report, 'response_parsed').passed).toBe(true);
    expect(check(report, 'response_signed').passed).toBe(true);
    expect(check(report, 'status_success').detail).toMatch(/Responder.*RequestDenied/);
    for (const code of ['audience_matches', 'recipient_matches', 'time_window', 'nameid_format', 'email_found'] as const) {
      expect(check(report, code)).toMatchObject({ passed: false, detail: 'not run: the response carries no assertion' });
    }
    expect(report).toMatchObject({ assertionId: null, nameId: null, email: null, attributes: {} });
  });
});

describe('the NameID format the connection asks for', () => {
  it('passes the format asked for instead of emailAddress, and fails emailAddress then', async () => {
    const at = connection({ idpEntityId: 'https://idp.example.test', emailAttribute: 'email' });
    const samlResponse = await signedResponse({
      ...spTarget(at),
      issuer: at.idpEntityId,
      email: 'alice@contoso.test',
      nameIdFormat: nameIdFormats.emailAddress,
      attributes: [{ name: 'email', values: ['alice@contoso.test'] }],
      keyPem: idp.privateKeyPem,
      certPem: idp.certificatePem,
    });
    const asked = (format: string) => diagnoseSamlResponse({ ...input(at, samlResponse), nameIdFormat: format });
    expect(check(asked(nameIdFormats.emailAddress), 'nameid_format')).toMatchObject({
      passed: true,
      detail: expect.stringMatching(/format the connection asks for/),
    });
    // With an email attribute the policy never reads the NameID: a different format is reported, not failed.
    expect(check(asked(nameIdFormats.persistent), 'nameid_format')).toMatchObject({
      passed: true,
      observed: nameIdFormats.emailAddress,
      expected: nameIdFormats.persistent,
      detail: expect.stringMatching(/does not matter: the email is read from "email"/),
    });
  });
});

describe('what a report holds at most', () => {
  it('bounds the attributes to 50, their values to 20 and each value to 256 characters', async () => {
    const at = connection({ idpEntityId: 'https://idp.example.test' });
    const attributes = Array.from({ length: 60 }, (_, i) => ({
      name: `attribute-${i}`,
      values: Array.from({ length: 25 }, (_, j) => (i === 0 && j === 0 ? 'x'.repeat(1000) : `v${j}`)),
    }));
    const { report } = await diagnose({ connection: at, response: { attributes } });
    expectChecks(report, []);
    expect(Object.keys(report.attributes)).toHaveLength(diagnosisLimits.attributes);
    expect(report.attributes['attribute-1']).toHaveLength(diagnosisLimits.valuesPerAttribute);
    expect(report.attributes['attribute-0']?.[0]).toBe('x'.repeat(diagnosisLimits.valueLength));
    expect(report.attributes['attribute-55']).toBeUndefined();
  });

  it('keeps an attribute named __proto__ as a plain key', async () => {
    const at = connection({ idpEntityId: 'https://idp.example.test' });
    const { report } = await diagnose({ connection: at, response: { attributes: [{ name: '__proto__', values: ['polluted'] }] } });
    expect(Object.hasOwn(report.attributes, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(report.attributes)).toBe(Object.prototype);
    expect(JSON.stringify(report.attributes)).toBe('{"__proto__":["polluted"]}');
  });
});

describe('a response that cannot be read', () => {
  const unreadable: [string, unknown, RegExp][] = [
    ['no field at all', undefined, /^missing_saml_response/],
    ['a number', 42, /^missing_saml_response/],
    ['junk base64', '!!!not base64!!!', /^malformed_base64/],
    ['text that is not XML', encodeBase64('hello <world'), /^malformed_xml/],
    ['a document type declaration', encodeBase64('<!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>'), /^doctype_forbidden/],
    ['another root element', encodeBase64('<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>'), /^not_a_response/],
    ['a response past the size limit', 'A'.repeat(300 * 1024), /^response_too_large/],
    ['markup nested 10,000 deep', encodeBase64(`${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}`), /^xml_too_complex/],
  ];

  for (const [name, field, code] of unreadable) {
    it(`reports ${name} as response_parsed failed and runs nothing else`, () => {
      const report = diagnoseSamlResponse(input(connection({ idpEntityId: 'https://idp.example.test' }), field));
      expect(report.checks.map((c) => c.code)).toEqual([...diagnosisChecks]);
      expect(report.checks[0]).toMatchObject({ code: 'response_parsed', passed: false, detail: expect.stringMatching(code) });
      for (const c of report.checks.slice(1)) expect(c).toMatchObject({ passed: false, detail: 'not run: the response could not be read' });
      expect(report).toMatchObject({ signed: 'none', issuer: null, email: null, nameId: null, clockOffsetMs: null });
    });
  }

  it('reports two assertions as response_parsed failed', async () => {
    const at = connection({ idpEntityId: 'https://idp.example.test' });
    const { report } = await diagnose({
      connection: at,
      response: {
        edit: (doc: Document) => {
          const copy = assertionOf(doc).cloneNode(true) as Element;
          copy.setAttribute('ID', newSamlId());
          doc.documentElement.appendChild(copy);
        },
      },
    });
    expect(report.checks[0]).toMatchObject({ passed: false, detail: expect.stringMatching(/^multiple_assertions/) });
  });
});
