// ECDSA (P-256, P-384, P-521) and RSA-SHA384/512 signatures, as the policy allows them (issue #14).
// Responses are signed by xmlsec1, an implementation independent of the xml-crypto stack that
// verifies them, and posted to the real ACS: node-saml's own SignedXml and our signing-certificate
// search must both see the algorithms domain/saml/signatureAlgorithms.ts adds.
import { generateKeyPairSync, sign } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { SignedXml } from 'xml-crypto';
import { auditEvents } from '../../db/schema.js';
import { type IdpCertificate, parseCertificate } from '../../domain/connections.js';
import { parseStrict, preflightResponse } from '../../domain/saml/document.js';
import type { LoginRefusalCode } from '../../domain/saml/refusal.js';
import { addedSignatureAlgorithms, digestAlgorithmUris, signatureAlgorithmUris } from '../../domain/saml/signatureAlgorithms.js';
import { findSigningCertificate } from '../../domain/saml/signingCertificate.js';
import { type TestKey, type TestSigningCertificate, testSigningCertificate } from '../support/certs.js';
import {
  assertionOf,
  editXml,
  encodeBase64,
  type ResponseOptions,
  samlNs,
  setNameId,
  signedResponseXml,
  type TemplateDigestAlgorithm,
  type TemplateSignatureAlgorithm,
  verifiesWithXmlsec,
} from '../support/saml/craft.js';
import { createPlannedConnection, type plannedConnection, ssoUser, uniqueDomain, useApiEnv } from '../support/saml-app.js';

const { database, app } = useApiEnv();
const idpEntityId = 'https://idp.example.test/metadata';
const domain = uniqueDomain();
const email = (local: string) => `${local}@${domain}`;

type Planned = ReturnType<typeof plannedConnection>;

interface Vector {
  algorithm: TemplateSignatureAlgorithm;
  digest: TemplateDigestAlgorithm;
  key: TestKey;
  keyName: string;
  /** The SignatureValue's length: r and s each padded to the curve's size, or the RSA modulus. */
  signatureBytes: number;
}

const rsa2048: TestKey = { type: 'rsa', modulusLength: 2048 };
const vectors: Vector[] = [
  { algorithm: 'ecdsa-sha256', digest: 'sha256', key: { type: 'ec', namedCurve: 'P-256' }, keyName: 'P-256', signatureBytes: 64 },
  { algorithm: 'ecdsa-sha384', digest: 'sha384', key: { type: 'ec', namedCurve: 'P-384' }, keyName: 'P-384', signatureBytes: 96 },
  { algorithm: 'ecdsa-sha512', digest: 'sha512', key: { type: 'ec', namedCurve: 'P-521' }, keyName: 'P-521', signatureBytes: 132 },
  { algorithm: 'rsa-sha384', digest: 'sha384', key: rsa2048, keyName: 'RSA 2048', signatureBytes: 256 },
  { algorithm: 'rsa-sha512', digest: 'sha512', key: rsa2048, keyName: 'RSA 2048', signatureBytes: 256 },
];

const templateUris: Record<TemplateSignatureAlgorithm | TemplateDigestAlgorithm, string> = {
  'rsa-sha1': 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  'rsa-sha256': 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'rsa-sha384': signatureAlgorithmUris.rsaSha384,
  'rsa-sha512': 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  'hmac-sha256': 'http://www.w3.org/2001/04/xmldsig-more#hmac-sha256',
  'ecdsa-sha1': 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1',
  'ecdsa-sha256': signatureAlgorithmUris.ecdsaSha256,
  'ecdsa-sha384': signatureAlgorithmUris.ecdsaSha384,
  'ecdsa-sha512': signatureAlgorithmUris.ecdsaSha512,
  sha1: 'http://www.w3.org/2000/09/xmldsig#sha1',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  sha384: digestAlgorithmUris.sha384,
  sha512: 'http://www.w3.org/2001/04/xmlenc#sha512',
};

/** A connection whose only certificate is the vector's, and two users whose SSO runs through it. */
interface VectorSetup {
  signer: TestSigningCertificate;
  at: Planned;
  alice: string;
  mallory: string;
}

const setups = new Map<Vector, VectorSetup>();
const sids = new Map<string, string>();
const setupOf = (vector: Vector) => setups.get(vector) as VectorSetup;

/** Another P-256 key, whose certificate is on file at `strangerAt`; and an IdP holding RSA and EC certificates. */
let strangerP256: TestSigningCertificate;
let strangerAt: Planned;
let mixedRsa: TestSigningCertificate;
let mixedEc: TestSigningCertificate;
let mixedAt: Planned;
const mixedUser = email('mixed');

async function connection(certificates: string[]): Promise<Planned> {
  return await createPlannedConnection(database, app.baseUrl, { idpEntityId, certificates, emailAttribute: null, status: 'active' });
}

async function user(address: string, at: Planned) {
  sids.set(address, (await ssoUser(database, address, 'enforced', at.id)).sid);
}

beforeAll(async () => {
  await Promise.all(
    vectors.map(async (vector) => {
      const signer = await testSigningCertificate({ commonName: `${vector.algorithm}.idp.example.test`, key: vector.key });
      const at = await connection([signer.pem]);
      const setup = { signer, at, alice: email(`alice.${vector.algorithm}`), mallory: email(`mallory.${vector.algorithm}`) };
      await user(setup.alice, at);
      await user(setup.mallory, at);
      setups.set(vector, setup);
    }),
  );
  [strangerP256, mixedRsa, mixedEc] = await Promise.all([
    testSigningCertificate({ commonName: 'stranger.example.test', key: { type: 'ec', namedCurve: 'P-256' } }),
    testSigningCertificate({ commonName: 'rsa.idp.example.test', key: rsa2048 }),
    testSigningCertificate({ commonName: 'ec.idp.example.test', key: { type: 'ec', namedCurve: 'P-384' } }),
  ]);
  strangerAt = await connection([strangerP256.pem]);
  await user(email('stranger.user'), strangerAt);
  mixedAt = await connection([mixedRsa.pem, mixedEc.pem]);
  await user(mixedUser, mixedAt);
});

/** A Response to `at`'s ACS naming `address`, signed by xmlsec1 with `signer` as `opts` say. */
async function signedXml(
  signer: TestSigningCertificate,
  at: Planned,
  address: string,
  opts: Partial<ResponseOptions> = {},
): Promise<string> {
  return await signedResponseXml({
    destination: at.acsUrl,
    audience: at.entityId,
    issuer: idpEntityId,
    email: address,
    keyPem: signer.keyPem,
    certPem: signer.pem,
    ...opts,
  });
}

async function vectorXml(vector: Vector, address = setupOf(vector).alice): Promise<string> {
  const { signer, at } = setupOf(vector);
  return await signedXml(signer, at, address, { signatureAlgorithm: vector.algorithm, digestAlgorithm: vector.digest });
}

async function postAcs(xml: string, at: Planned): Promise<Response> {
  return await fetch(`${app.baseUrl}/saml/${at.id}/acs`, {
    method: 'POST',
    body: new URLSearchParams({ SAMLResponse: encodeBase64(xml) }),
    redirect: 'manual',
    headers: { accept: 'application/json' },
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

async function expectLogin(res: Response, address: string) {
  expect(res.status).toBe(303);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
  expect(cookie).toMatch(/^sso_session=.+/);
  const me = (await (await fetch(`${app.baseUrl}/api/me`, { headers: { cookie } })).json()) as { email?: string; sid?: string };
  expect(me).toMatchObject({ sid: sids.get(address), email: address });
  expect(await auditFor(res)).toMatchObject([{ type: 'login.succeeded', reasonCode: 'ok', userSid: sids.get(address) }]);
}

/** Status, reason code, no session cookie, and the refusal's audit event (written in batches, so awaited). */
async function expectRefusal(res: Response, code: LoginRefusalCode) {
  const body = (await res.json()) as { error?: { code?: string } };
  expect({ status: res.status, code: body.error?.code }).toEqual({ status: 403, code });
  expect(res.headers.get('set-cookie')).toBeNull();
  let events = await auditFor(res);
  const deadline = Date.now() + 5_000;
  while (events.length === 0 && Date.now() < deadline) events = await auditFor(res);
  expect(events).toMatchObject([{ type: 'login.refused', reasonCode: code }]);
}

const signatureElement = (xml: string) =>
  parseStrict(xml).documentElement.getElementsByTagNameNS(samlNs.dsig, 'Signature').item(0) as Element;
const algorithmOf = (signature: Element, name: string) =>
  signature.getElementsByTagNameNS(samlNs.dsig, name).item(0)?.getAttribute('Algorithm');

describe.each(vectors)('a response xmlsec1 signed with $algorithm on $keyName', (vector) => {
  it('carries the algorithms it names, a SignatureValue of the expected size, and verifies in xmlsec1', async () => {
    const xml = await vectorXml(vector);
    const signature = signatureElement(xml);
    expect(algorithmOf(signature, 'SignatureMethod')).toBe(templateUris[vector.algorithm]);
    expect(algorithmOf(signature, 'DigestMethod')).toBe(templateUris[vector.digest]);
    const value = signature.getElementsByTagNameNS(samlNs.dsig, 'SignatureValue').item(0)?.textContent ?? '';
    expect(Buffer.from(value.replace(/\s+/g, ''), 'base64')).toHaveLength(vector.signatureBytes);
    expect(await verifiesWithXmlsec(xml, setupOf(vector).signer.pem)).toBe(true);
  });

  it('logs in the user it names', async () => {
    const { at, alice } = setupOf(vector);
    await expectLogin(await postAcs(await vectorXml(vector), at), alice);
  });

  it('is refused as invalid_signature once its NameID is changed after signing', async () => {
    const { at, alice, mallory } = setupOf(vector);
    const tampered = editXml(await vectorXml(vector, mallory), (doc) => setNameId(assertionOf(doc), alice));
    await expectRefusal(await postAcs(tampered, at), 'invalid_signature');
  });
});

describe('refusals', () => {
  const p256 = vectors[0] as Vector;

  it('refuses an ECDSA signature checked against the certificate of another P-256 key', async () => {
    const xml = await signedXml(setupOf(p256).signer, strangerAt, email('stranger.user'), { signatureAlgorithm: 'ecdsa-sha256' });
    await expectRefusal(await postAcs(xml, strangerAt), 'invalid_signature');
  });

  it('refuses an ECDSA signature by a key not on file at a connection holding RSA and EC certificates', async () => {
    const xml = await signedXml(strangerP256, mixedAt, mixedUser, { signatureAlgorithm: 'ecdsa-sha256' });
    await expectRefusal(await postAcs(xml, mixedAt), 'invalid_signature');
  });

  it('still refuses an RSA-SHA1 signature', async () => {
    const rsa = vectors.find((v) => v.algorithm === 'rsa-sha384') as Vector;
    const { signer, at, alice } = setupOf(rsa);
    await expectRefusal(await postAcs(await signedXml(signer, at, alice, { signatureAlgorithm: 'rsa-sha1' }), at), 'weak_algorithm');
  });

  it('refuses an ECDSA-SHA1 signature', async () => {
    const { signer, at, alice } = setupOf(p256);
    await expectRefusal(await postAcs(await signedXml(signer, at, alice, { signatureAlgorithm: 'ecdsa-sha1' }), at), 'weak_algorithm');
  });

  it('refuses a SHA-1 digest under an ECDSA-SHA256 signature', async () => {
    const { signer, at, alice } = setupOf(p256);
    const xml = await signedXml(signer, at, alice, { signatureAlgorithm: 'ecdsa-sha256', digestAlgorithm: 'sha1' });
    await expectRefusal(await postAcs(xml, at), 'weak_algorithm');
  });
});

describe('the certificate that signed, with an RSA and an EC certificate on file', () => {
  let onFile: IdpCertificate[];
  beforeAll(() => {
    onFile = [mixedRsa, mixedEc].map((c) => parseCertificate(c.pem));
  });

  const found = (xml: string) => {
    const doc = parseStrict(xml);
    return findSigningCertificate(doc, preflightResponse(doc), onFile);
  };

  // Without KeyInfo the search tries the certificates in their configured order, the RSA one first.
  it('is the EC one for an ECDSA signature, listed second', async () => {
    const xml = await signedXml(mixedEc, mixedAt, mixedUser, { signatureAlgorithm: 'ecdsa-sha384', embedCertificate: false });
    expect(found(xml)).toBe(onFile[1]);
  });

  it('is the RSA one for an RSA-SHA384 signature', async () => {
    const xml = await signedXml(mixedRsa, mixedAt, mixedUser, { signatureAlgorithm: 'rsa-sha384', embedCertificate: false });
    expect(found(xml)).toBe(onFile[0]);
  });

  it('is none for an ECDSA signature by a key not on file', async () => {
    const xml = await signedXml(strangerP256, mixedAt, mixedUser, { signatureAlgorithm: 'ecdsa-sha256', embedCertificate: false });
    expect(found(xml)).toBeUndefined();
  });

  it('lets the ACS log in with the EC certificate', async () => {
    const xml = await signedXml(mixedEc, mixedAt, mixedUser, { signatureAlgorithm: 'ecdsa-sha384', digestAlgorithm: 'sha384' });
    await expectLogin(await postAcs(xml, mixedAt), mixedUser);
  });
});

describe("xml-crypto's SignedXml with the added algorithms", () => {
  const material = '<ds:SignedInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"></ds:SignedInfo>';
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = (key: typeof ec.publicKey) => key.export({ type: 'spki', format: 'pem' }).toString();
  const algorithm = (uri: string) => {
    const Algorithm = addedSignatureAlgorithms[uri];
    if (!Algorithm) throw new Error(`${uri} was not added`);
    return new Algorithm();
  };

  it("offers them on a SignedXml constructed without options, as node-saml constructs it, beside the library's own", () => {
    const signedXml = new SignedXml();
    for (const uri of Object.values(signatureAlgorithmUris)) expect(signedXml.SignatureAlgorithms[uri]).toBeTypeOf('function');
    expect(signedXml.HashAlgorithms[digestAlgorithmUris.sha384]).toBeTypeOf('function');
    expect(signedXml.SignatureAlgorithms['http://www.w3.org/2001/04/xmldsig-more#rsa-sha256']).toBeTypeOf('function');
  });

  it('leaves a SignedXml switched to HMAC with HMAC alone', () => {
    const signedXml = new SignedXml();
    signedXml.enableHMAC();
    expect(Object.keys(signedXml.SignatureAlgorithms)).toEqual(['http://www.w3.org/2000/09/xmldsig#hmac-sha1']);
  });

  it('verifies an ECDSA signature as r||s and not as DER', () => {
    const raw = sign('sha256', Buffer.from(material), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64');
    const der = sign('sha256', Buffer.from(material), ec.privateKey).toString('base64');
    const ecdsa = algorithm(signatureAlgorithmUris.ecdsaSha256);
    expect(ecdsa.verifySignature(material, pem(ec.publicKey), raw)).toBe(true);
    expect(ecdsa.verifySignature(material, pem(ec.publicKey), der)).toBe(false);
  });

  it('signs ECDSA as r||s, which it then verifies', () => {
    const ecdsa = algorithm(signatureAlgorithmUris.ecdsaSha256);
    const value = ecdsa.getSignature(material, ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    expect(Buffer.from(value, 'base64')).toHaveLength(64);
    expect(ecdsa.verifySignature(material, pem(ec.publicKey), value)).toBe(true);
  });

  it('verifies an ECDSA-labelled signature with an EC key only, and an RSA-SHA384 one with an RSA key only', () => {
    const byRsa = sign('sha256', Buffer.from(material), rsa.privateKey).toString('base64');
    const byEc = sign('sha384', Buffer.from(material), ec.privateKey).toString('base64');
    expect(algorithm(signatureAlgorithmUris.ecdsaSha256).verifySignature(material, pem(rsa.publicKey), byRsa)).toBe(false);
    expect(algorithm(signatureAlgorithmUris.rsaSha384).verifySignature(material, pem(ec.publicKey), byEc)).toBe(false);
  });
});
