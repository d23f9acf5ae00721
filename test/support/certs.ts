// Certificates self-signed.ts cannot make: EC and Ed25519 keys and chosen validity windows (expired,
// not yet valid, expiring soon). Same approach: node:crypto keys, the v1 certificate's DER assembled here.

import { generateKeyPair, type KeyObject, randomBytes, sign, X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';

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

  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01;
  const algorithm = signatureAlgorithm(key);
  const name = seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(options.commonName ?? 'Test IdP', 'utf8')))));
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const tbs = seq(tlv(0x02, serial), algorithm, name, seq(time(notBefore), time(notAfter)), name, spki);
  const signature = sign(key.type === 'ed25519' ? null : 'sha256', tbs, privateKey);
  const der = seq(tbs, algorithm, tlv(0x03, Buffer.concat([Buffer.from([0x00]), signature])));

  const parsed = new X509Certificate(der);
  if (!parsed.verify(parsed.publicKey)) throw new Error('test certificate does not verify');
  const base64 = der.toString('base64');
  return { pem: `-----BEGIN CERTIFICATE-----\n${base64.match(/.{1,64}/g)?.join('\n')}\n-----END CERTIFICATE-----\n`, base64 };
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
      return seq(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00])); // sha256WithRSAEncryption, NULL parameters
    case 'ec':
      return seq(oid('1.2.840.10045.4.3.2')); // ecdsa-with-SHA256, parameters absent
    case 'ed25519':
      return seq(oid('1.3.101.112'));
  }
}

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(content.length), content]);
}

function seq(...items: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(items));
}

function set(...items: Buffer[]): Buffer {
  return tlv(0x31, Buffer.concat(items));
}

function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const out: number[] = [first * 40 + second];
  for (const part of rest) {
    const chunk: number[] = [part & 0x7f];
    for (let v = Math.floor(part / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function time(date: Date): Buffer {
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const rest = `${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(
    date.getUTCSeconds(),
  )}Z`;
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) return tlv(0x17, Buffer.from(`${pad(year % 100)}${rest}`, 'ascii')); // UTCTime
  return tlv(0x18, Buffer.from(`${pad(year, 4)}${rest}`, 'ascii')); // GeneralizedTime
}
