// A fresh RSA key and a self-signed X.509 certificate, made with node:crypto only.
// Node can parse certificates but not write them, so the DER is assembled by ../der.ts (a v1 certificate:
// serial, issuer = subject = CN, validity, public key, sha256WithRSAEncryption signature).

import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { certificatePem, selfSignedCertificateDer, sha256WithRsaEncryption } from './der.js';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface SelfSignedCertificate {
  /** PKCS#8 PEM ("BEGIN PRIVATE KEY"). */
  privateKeyPem: string;
  /** PEM ("BEGIN CERTIFICATE"). */
  certificatePem: string;
  /** The certificate's DER, base64 without line breaks (as it appears in ds:X509Certificate). */
  certificateBase64: string;
}

export async function generateSelfSignedCertificate(options: {
  commonName: string;
  modulusLength?: number;
  validDays?: number;
}): Promise<SelfSignedCertificate> {
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: options.modulusLength ?? 2048,
    publicExponent: 0x10001,
  });
  const now = Date.now();
  const der = selfSignedCertificateDer({
    commonName: options.commonName,
    publicKey,
    privateKey,
    notBefore: new Date(now - 24 * 3600 * 1000),
    notAfter: new Date(now + (options.validDays ?? 3650) * 24 * 3600 * 1000),
    algorithm: sha256WithRsaEncryption,
    digest: 'sha256',
  });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    privateKeyPem,
    certificatePem: certificatePem(der),
    certificateBase64: der.toString('base64'),
  };
}
