// Whether the IdP's signing certificates can be trusted to sign logins: parseable, in date, with a
// strong enough key, and few enough that trying each against a post stays cheap.
import { X509Certificate } from 'node:crypto';
import type { Problem } from '../../contract/onboarding.js';
import { type IdpCertificate, maxCertificatesPerConnection, parseCertificate } from '../connections.js';
import type { Report } from './problems.js';

const expiryWarningMs = 30 * 24 * 3600 * 1000;

/**
 * At most `maxCertificatesPerConnection` distinct certificates (the same one in PEM and in base64, or
 * wrapped differently, counts once). Over the cap only the count is reported: one problem, not one
 * per certificate, is what a correction round needs.
 */
export function checkCertificateCount(inputs: string[], problem: Report): boolean {
  const distinct = new Set(inputs.map((input) => input.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, ''))).size;
  if (distinct <= maxCertificatesPerConnection) return true;
  problem(
    'certificates',
    'too_many_certificates',
    `the IdP configuration lists ${distinct} signing certificates; at most ${maxCertificatesPerConnection} are accepted (for example the current ones and the next)`,
  );
  return false;
}

/** The EC curves SAML IdPs sign with (P-256, P-384, P-521), by the OpenSSL names node:crypto reports. */
const acceptedCurves = new Set(['prime256v1', 'secp384r1', 'secp521r1']);

/** The certificate as PEM, or undefined when it has a problem (each is added to `problems`). */
export function checkCertificate(input: string, index: number, now: Date, problems: Problem[], warnings: Problem[]): string | undefined {
  const field = `certificates[${index}]`;
  const before = problems.length;
  let parsed: IdpCertificate;
  let cert: X509Certificate;
  try {
    parsed = parseCertificate(input);
    cert = new X509Certificate(parsed.pem);
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'does not parse';
    problems.push({ field, code: 'certificate_unparseable', message: `certificate ${index + 1}: ${reason}` });
    return undefined;
  }
  const name = `certificate ${index + 1} (${cert.subject.replace(/\n/g, ', ')})`;
  if (now < parsed.notBefore) {
    problems.push({ field, code: 'certificate_not_yet_valid', message: `${name} is not valid before ${parsed.notBefore.toISOString()}` });
  } else if (now > parsed.notAfter) {
    problems.push({ field, code: 'certificate_expired', message: `${name} expired on ${parsed.notAfter.toISOString()}` });
  } else if (parsed.notAfter.getTime() - now.getTime() < expiryWarningMs) {
    warnings.push({ field, code: 'certificate_expires_soon', message: `${name} expires on ${parsed.notAfter.toISOString()}` });
  }
  let keyType: string | undefined;
  let modulusLength: number | undefined;
  let namedCurve: string | undefined;
  try {
    keyType = cert.publicKey.asymmetricKeyType;
    modulusLength = cert.publicKey.asymmetricKeyDetails?.modulusLength;
    namedCurve = cert.publicKey.asymmetricKeyDetails?.namedCurve;
  } catch {
    // Node cannot load every key algorithm a certificate may carry; those are unsupported too.
  }
  if (keyType === 'rsa' && (modulusLength ?? 0) < 2048) {
    problems.push({
      field,
      code: 'certificate_weak_key',
      message: `${name} has a ${modulusLength}-bit RSA key; at least 2048 bits are required`,
    });
  } else if (keyType === 'ec' && !(namedCurve && acceptedCurves.has(namedCurve))) {
    problems.push({
      field,
      code: 'certificate_unsupported_key',
      message: `${name} has an EC key on the ${namedCurve ?? 'unknown'} curve; P-256, P-384 or P-521 is required`,
    });
  } else if (keyType !== 'rsa' && keyType !== 'ec') {
    problems.push({
      field,
      code: 'certificate_unsupported_key',
      message: `${name} has a ${keyType ?? 'unknown'} key; RSA or EC is required`,
    });
  }
  return problems.length === before ? parsed.pem : undefined;
}
