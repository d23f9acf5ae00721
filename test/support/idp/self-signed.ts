// A fresh RSA key and a self-signed X.509 certificate, made with node:crypto only.
// Node can parse certificates but not write them, so the DER is assembled here (a v1 certificate:
// serial, issuer = subject = CN, validity, public key, sha256WithRSAEncryption signature).

import { generateKeyPair, randomBytes, sign, X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';

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
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const now = Date.now();
  const notBefore = new Date(now - 24 * 3600 * 1000);
  const notAfter = new Date(now + (options.validDays ?? 3650) * 24 * 3600 * 1000);

  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01; // positive and non-zero, no leading zero byte needed
  const sha256WithRsa = seq(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));
  const name = seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(options.commonName, 'utf8')))));

  const tbs = seq(tlv(0x02, serial), sha256WithRsa, name, seq(time(notBefore), time(notAfter)), name, spki);
  const signature = sign('sha256', tbs, privateKey);
  const der = seq(tbs, sha256WithRsa, tlv(0x03, Buffer.concat([Buffer.from([0x00]), signature])));

  // Sanity check: Node must read it back and the signature must verify with the key inside.
  const parsed = new X509Certificate(der);
  if (!parsed.verify(parsed.publicKey)) {
    throw new Error('self-signed certificate does not verify');
  }
  const certificateBase64 = der.toString('base64');
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    privateKeyPem,
    certificatePem: `-----BEGIN CERTIFICATE-----\n${wrap64(certificateBase64)}\n-----END CERTIFICATE-----\n`,
    certificateBase64,
  };
}

function wrap64(b64: string): string {
  return b64.match(/.{1,64}/g)?.join('\n') ?? '';
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
  const parts = dotted.split('.').map(Number);
  const [first = 0, second = 0, ...rest] = parts;
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
  const rest = `${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(
    date.getUTCMinutes(),
  )}${pad(date.getUTCSeconds())}Z`;
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) return tlv(0x17, Buffer.from(`${pad(year % 100)}${rest}`, 'ascii')); // UTCTime
  return tlv(0x18, Buffer.from(`${pad(year, 4)}${rest}`, 'ascii')); // GeneralizedTime
}
