// Certificates self-signed.ts cannot make: EC and Ed25519 keys and chosen validity windows (expired,
// not yet valid, expiring soon). Same approach: node:crypto keys, the v1 certificate's DER from der.ts.

import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { certificatePem, oid, selfSignedCertificateDer, seq, sha256WithRsaEncryption } from './der.js';

const generateKeyPairAsync = promisify(generateKeyPair);

/** Curves by OpenSSL name: the NIST ones SAML IdPs use, and others an intake must refuse. */
export type TestCurve = 'P-256' | 'P-384' | 'P-521' | 'secp256k1' | 'brainpoolP256r1' | 'brainpoolP384r1';

export type TestKey = { type: 'rsa'; modulusLength: number } | { type: 'ec'; namedCurve: TestCurve } | { type: 'ed25519' };

export interface TestCertificate {
  /** PEM ("BEGIN CERTIFICATE"). */
  pem: string;
  /** The DER, base64 without line breaks (as it appears in ds:X509Certificate). */
  base64: string;
}

const day = 24 * 3600 * 1000;

export async function testCertificate(options: {
  commonName?: string;
  key?: TestKey;
  notBefore?: Date;
  notAfter?: Date;
}): Promise<TestCertificate> {
  const key = options.key ?? { type: 'rsa', modulusLength: 2048 };
  const { publicKey, privateKey } = await newKeyPair(key);
  const notBefore = options.notBefore ?? new Date(Date.now() - day);
  const notAfter = options.notAfter ?? new Date(Date.now() + 365 * day);

  const der = selfSignedCertificateDer({
    commonName: options.commonName ?? 'Test IdP',
    publicKey,
    privateKey,
    notBefore,
    notAfter,
    algorithm: signatureAlgorithm(key),
    digest: key.type === 'ed25519' ? null : 'sha256',
  });
  return { pem: certificatePem(der), base64: der.toString('base64') };
}

function newKeyPair(key: TestKey): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  switch (key.type) {
    case 'rsa':
      return generateKeyPairAsync('rsa', { modulusLength: key.modulusLength, publicExponent: 0x10001 });
    case 'ec':
      return generateKeyPairAsync('ec', { namedCurve: key.namedCurve });
    case 'ed25519':
      return generateKeyPairAsync('ed25519');
  }
}

function signatureAlgorithm(key: TestKey): Buffer {
  switch (key.type) {
    case 'rsa':
      return sha256WithRsaEncryption;
    case 'ec':
      return seq(oid('1.2.840.10045.4.3.2')); // ecdsa-with-SHA256, parameters absent
    case 'ed25519':
      return seq(oid('1.3.101.112'));
  }
}

/** A certificate as testCertificate makes it, with its private key (PKCS #8 PEM), to sign responses with. */
export interface TestSigningCertificate extends TestCertificate {
  keyPem: string;
}

export async function testSigningCertificate(options: { commonName?: string; key: TestKey }): Promise<TestSigningCertificate> {
  const { publicKey, privateKey } = await newKeyPair(options.key);
  const der = selfSignedCertificateDer({
    commonName: options.commonName ?? 'Test IdP',
    publicKey,
    privateKey,
    notBefore: new Date(Date.now() - day),
    notAfter: new Date(Date.now() + 365 * day),
    algorithm: signatureAlgorithm(options.key),
    digest: options.key.type === 'ed25519' ? null : 'sha256',
  });
  return {
    pem: certificatePem(der),
    base64: der.toString('base64'),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
