// Signed SAML responses for load: the test suite's response shape (responseXml from craft.ts), signed
// in-process with xml-crypto, because the suite's xmlsec1 signer spawns a process per response and
// a benchmark needs thousands. The signature has the shape xmlsec1 and real IdPs produce: an
// enveloped RSA-SHA256 signature over the whole Response, right after its Issuer, certificate in KeyInfo.
import { SignedXml } from 'xml-crypto';
import type { SelfSignedCertificate } from '../../test/support/idp/self-signed.js';
import { encodeBase64, responseXml } from '../../test/support/saml/craft.js';

const exclusiveC14n = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const rsaSha256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const sha256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const envelopedSignature = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

export interface BenchIdp {
  entityId: string;
  key: SelfSignedCertificate;
}

/** Where a response is addressed: the SP endpoints of one connection. */
export interface Addressee {
  acsUrl: string;
  entityId: string;
}

export function signResponseXml(xml: string, key: SelfSignedCertificate): string {
  const signer = new SignedXml({
    privateKey: key.privateKeyPem,
    publicCert: key.certificatePem,
    canonicalizationAlgorithm: exclusiveC14n,
    signatureAlgorithm: rsaSha256,
  });
  signer.addReference({
    xpath: "/*[local-name()='Response']",
    transforms: [envelopedSignature, exclusiveC14n],
    digestAlgorithm: sha256,
  });
  signer.computeSignature(xml, {
    prefix: 'ds',
    location: { reference: "/*[local-name()='Response']/*[local-name()='Issuer']", action: 'after' },
  });
  return signer.getSignedXml();
}

/**
 * The base64 SAMLResponse field of an IdP-initiated login (no InResponseTo) for `email`. Each call
 * makes new Response and Assertion IDs, so each result is a login the ACS accepts exactly once.
 */
export function signedLoginResponse(idp: BenchIdp, to: Addressee, email: string, now = new Date()): string {
  const xml = responseXml({ destination: to.acsUrl, audience: to.entityId, issuer: idp.entityId, email, now, signed: 'none' });
  return encodeBase64(signResponseXml(xml, idp.key));
}

/** `count` distinct signed logins, cycling through `emails`; reports progress because it takes seconds. */
export function signedLoginResponses(idp: BenchIdp, to: Addressee, emails: string[], count: number, label: string): string[] {
  const started = performance.now();
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(signedLoginResponse(idp, to, emails[i % emails.length] ?? 'nobody@example.test'));
  const seconds = (performance.now() - started) / 1000;
  console.error(`  signed ${count} responses for ${label} in ${seconds.toFixed(1)} s (outside any timed section)`);
  return out;
}
