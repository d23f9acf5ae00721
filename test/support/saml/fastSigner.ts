// In-process signing with xml-crypto for load tests that need thousands of distinct valid responses
// (xmlsec1, the suite's independent signer, spawns a process per response). The signature has the shape
// real IdPs produce: enveloped RSA-SHA256 over the whole Response, right after its Issuer.
import { SignedXml } from 'xml-crypto';
import type { SelfSignedCertificate } from '../idp/self-signed.js';
import { encodeBase64, type ResponseOptions, responseXml } from './craft.js';

const exclusiveC14n = 'http://www.w3.org/2001/10/xml-exc-c14n#';

export function signQuickly(xml: string, key: SelfSignedCertificate): string {
  const signer = new SignedXml({
    privateKey: key.privateKeyPem,
    publicCert: key.certificatePem,
    canonicalizationAlgorithm: exclusiveC14n,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  });
  signer.addReference({
    xpath: "/*[local-name()='Response']",
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', exclusiveC14n],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  });
  signer.computeSignature(xml, {
    prefix: 'ds',
    location: { reference: "/*[local-name()='Response']/*[local-name()='Issuer']", action: 'after' },
  });
  return signer.getSignedXml();
}

/** A base64 SAMLResponse with new IDs on every call, so each is accepted once. */
export function quickSignedResponse(opts: Omit<ResponseOptions, 'signed'>, key: SelfSignedCertificate): string {
  return encodeBase64(signQuickly(responseXml({ ...opts, signed: 'none' }), key));
}
