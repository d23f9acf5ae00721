// Just enough DER to write a v1 X.509 certificate: node:crypto reads certificates but cannot write them, so
// test/support/idp/self-signed.ts (RSA) and test/support/certs.ts (EC, Ed25519, chosen validity) assemble theirs here.
import { type KeyObject, randomBytes, sign, X509Certificate } from 'node:crypto';

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Tag, length, value. */
export function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(content.length), content]);
}

export function seq(...items: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(items));
}

export function set(...items: Buffer[]): Buffer {
  return tlv(0x31, Buffer.concat(items));
}

export function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const out: number[] = [first * 40 + second];
  for (const part of rest) {
    const chunk: number[] = [part & 0x7f];
    for (let v = Math.floor(part / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime up to 2049, GeneralizedTime from 2050 (and before 1950), as RFC 5280 has it. */
export function time(date: Date): Buffer {
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const rest = `${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(
    date.getUTCSeconds(),
  )}Z`;
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) return tlv(0x17, Buffer.from(`${pad(year % 100)}${rest}`, 'ascii')); // UTCTime
  return tlv(0x18, Buffer.from(`${pad(year, 4)}${rest}`, 'ascii')); // GeneralizedTime
}

/** sha256WithRSAEncryption, NULL parameters. */
export const sha256WithRsaEncryption = seq(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));

/**
 * A self-signed v1 certificate (serial, issuer = subject = CN, validity, public key, signature) as DER,
 * read back and verified by node:crypto. `digest` null: the key's own (Ed25519).
 */
export function selfSignedCertificateDer(options: {
  commonName: string;
  publicKey: KeyObject;
  privateKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  /** The AlgorithmIdentifier of the signature, e.g. sha256WithRsaEncryption. */
  algorithm: Buffer;
  digest: 'sha256' | null;
}): Buffer {
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01; // positive and non-zero, no leading zero byte needed
  const name = seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(options.commonName, 'utf8')))));
  const spki = options.publicKey.export({ type: 'spki', format: 'der' });
  const validity = seq(time(options.notBefore), time(options.notAfter));
  const tbs = seq(tlv(0x02, serial), options.algorithm, name, validity, name, spki);
  const signature = sign(options.digest, tbs, options.privateKey);
  const der = seq(tbs, options.algorithm, tlv(0x03, Buffer.concat([Buffer.from([0x00]), signature])));
  // Sanity check: Node must read it back and the signature must verify with the key inside.
  const parsed = new X509Certificate(der);
  if (!parsed.verify(parsed.publicKey)) throw new Error(`the certificate for ${options.commonName} does not verify`);
  return der;
}

/** PEM ("BEGIN CERTIFICATE") of a certificate's DER. */
export function certificatePem(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der
    .toString('base64')
    .match(/.{1,64}/g)
    ?.join('\n')}\n-----END CERTIFICATE-----\n`;
}
