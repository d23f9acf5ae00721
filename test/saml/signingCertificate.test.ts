// Choosing the configured certificate that signed a Response, before node-saml verifies it in full.
// Responses are signed by xmlsec1, as in the hostile suite; KeyInfo is unsigned, so tests edit it freely.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { type IdpCertificate, parseCertificate } from '../../domain/connections.js';
import { parseStrict, preflightResponse } from '../../domain/saml/document.js';
import { findSigningCertificate, orderByKeyInfo } from '../../domain/saml/signingCertificate.js';
import { generateSelfSignedCertificate, type SelfSignedCertificate } from '../support/idp/self-signed.js';
import { signedResponseXml } from '../support/saml/craft.js';

let idp: SelfSignedCertificate;
let attacker: SelfSignedCertificate;
let others: SelfSignedCertificate[];
/** Four others first, the IdP's last, as a connection at the cap may hold them. */
let onFile: IdpCertificate[];
let idpOnFile: IdpCertificate;

beforeAll(async () => {
  const made = await Promise.all(
    ['idp', 'attacker', 'a', 'b', 'c', 'd'].map((name) => generateSelfSignedCertificate({ commonName: `${name}.example.test` })),
  );
  [idp, attacker] = made as [SelfSignedCertificate, SelfSignedCertificate];
  others = made.slice(2);
  onFile = [...others, idp].map((c) => parseCertificate(c.certificatePem));
  idpOnFile = onFile[onFile.length - 1] as IdpCertificate;
});

async function signed(by: SelfSignedCertificate, embedCertificate = true): Promise<string> {
  return await signedResponseXml({
    destination: 'https://sp.example.test/acs',
    audience: 'https://sp.example.test/metadata',
    issuer: 'https://idp.example.test',
    email: 'alice@example.test',
    keyPem: by.privateKeyPem,
    certPem: by.certificatePem,
    embedCertificate,
  });
}

function parsed(xml: string) {
  const doc = parseStrict(xml);
  const root = preflightResponse(doc);
  const signature = root.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature').item(0) as Element;
  return { doc, root, signature };
}

const withKeyInfo = (xml: string, content: string) =>
  xml.replace(/<ds:KeyInfo>[\s\S]*?<\/ds:KeyInfo>/, `<ds:KeyInfo>${content}</ds:KeyInfo>`);

describe('the order KeyInfo suggests', () => {
  it('puts the certificate KeyInfo carries first', async () => {
    const { signature } = parsed(await signed(idp));
    expect(orderByKeyInfo(signature, onFile)[0]).toBe(idpOnFile);
  });

  it('puts first the certificate whose SHA-256 fingerprint KeyName carries, with colons', async () => {
    const fingerprint = (idpOnFile.fingerprintSha256.match(/../g) ?? []).join(':').toUpperCase();
    const { signature } = parsed(withKeyInfo(await signed(idp), `<ds:KeyName>${fingerprint}</ds:KeyName>`));
    expect(orderByKeyInfo(signature, onFile)[0]).toBe(idpOnFile);
  });

  it('puts first the certificate whose SHA-1 fingerprint KeyName carries', async () => {
    const sha1 = createHash('sha1').update(Buffer.from(idp.certificateBase64, 'base64')).digest('hex');
    const { signature } = parsed(withKeyInfo(await signed(idp), `<ds:KeyName>${sha1}</ds:KeyName>`));
    expect(orderByKeyInfo(signature, onFile)[0]).toBe(idpOnFile);
  });

  it('puts first the certificate an X509Digest names', async () => {
    const digest = createHash('sha256').update(Buffer.from(idp.certificateBase64, 'base64')).digest('base64');
    const content =
      '<ds:X509Data><dsig11:X509Digest xmlns:dsig11="http://www.w3.org/2009/xmldsig11#" ' +
      `Algorithm="http://www.w3.org/2001/04/xmlenc#sha256">${digest}</dsig11:X509Digest></ds:X509Data>`;
    const { signature } = parsed(withKeyInfo(await signed(idp), content));
    expect(orderByKeyInfo(signature, onFile)[0]).toBe(idpOnFile);
  });

  it('keeps the configured order when KeyInfo names a certificate not on file', async () => {
    const { signature } = parsed(await signed(attacker));
    expect(orderByKeyInfo(signature, onFile)).toEqual(onFile);
  });

  it('keeps the configured order without KeyInfo', async () => {
    const { signature } = parsed(await signed(idp, false));
    expect(orderByKeyInfo(signature, onFile)).toEqual(onFile);
  });
});

describe('the certificate that signed', () => {
  it('is the IdP certificate, listed last', async () => {
    const { doc, root } = parsed(await signed(idp));
    expect(findSigningCertificate(doc, root, onFile)).toBe(idpOnFile);
  });

  it('is found without KeyInfo', async () => {
    const { doc, root } = parsed(await signed(idp, false));
    expect(findSigningCertificate(doc, root, onFile)).toBe(idpOnFile);
  });

  it('is found when KeyInfo names another certificate on file: KeyInfo only orders them', async () => {
    const other = others[0] as SelfSignedCertificate;
    const xml = withKeyInfo(
      await signed(idp),
      `<ds:X509Data><ds:X509Certificate>${other.certificateBase64}</ds:X509Certificate></ds:X509Data>`,
    );
    const { doc, root, signature } = parsed(xml);
    expect(orderByKeyInfo(signature, onFile)[0]?.pem).toBe(parseCertificate(other.certificatePem).pem);
    expect(findSigningCertificate(doc, root, onFile)).toBe(idpOnFile);
  });

  it('is none for a key not on file, even when KeyInfo names a certificate on file', async () => {
    const xml = withKeyInfo(
      await signed(attacker),
      `<ds:X509Data><ds:X509Certificate>${idp.certificateBase64}</ds:X509Certificate></ds:X509Data>`,
    );
    const { doc, root } = parsed(xml);
    expect(findSigningCertificate(doc, root, onFile)).toBeUndefined();
  });

  it('is none when the signature value was altered', async () => {
    const xml = (await signed(idp)).replace(
      /(<ds:SignatureValue>\s*[^<]{20})(.)/,
      (_, head: string, c: string) => `${head}${c === 'A' ? 'B' : 'A'}`,
    );
    const { doc, root } = parsed(xml);
    expect(findSigningCertificate(doc, root, onFile)).toBeUndefined();
  });

  it('is none when SignedInfo was changed after signing', async () => {
    const xml = (await signed(idp)).replace(/<ds:Reference URI="#([^"]+)"/, '<ds:Reference URI="#$1x"');
    const { doc, root } = parsed(xml);
    expect(findSigningCertificate(doc, root, onFile)).toBeUndefined();
  });
});
