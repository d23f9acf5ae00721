// Signed SAML responses for load, made with the test suite's in-process signer (xml-crypto), because
// the suite's xmlsec1 signer spawns a process per response and a benchmark needs thousands.
import type { SelfSignedCertificate } from '../../test/support/idp/self-signed.js';
import { quickSignedResponse } from '../../test/support/saml/fastSigner.js';

export interface BenchIdp {
  entityId: string;
  key: SelfSignedCertificate;
}

/** Where a response is addressed: the SP endpoints of one connection. */
export interface Addressee {
  acsUrl: string;
  entityId: string;
}

/**
 * The base64 SAMLResponse field of an IdP-initiated login (no InResponseTo) for `email`. Each call
 * makes new Response and Assertion IDs, so each result is a login the ACS accepts exactly once.
 */
export function signedLoginResponse(idp: BenchIdp, to: Addressee, email: string, now = new Date()): string {
  return quickSignedResponse({ destination: to.acsUrl, audience: to.entityId, issuer: idp.entityId, email, now }, idp.key);
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
