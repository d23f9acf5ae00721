// Posts the ACS must refuse: before any cryptography (what a scanner, a broken IdP or an attacker
// flooding the endpoint sends), or at the signature (a forgery). Each names the reason code and status
// the ACS must answer with, so the benchmark checks it measures that refusal and not some other path.
import { maxSamlResponseLength } from '../../domain/saml/document.js';
import type { LoginRefusalCode } from '../../domain/saml/refusal.js';

export interface JunkKind {
  label: string;
  reasonCode: LoginRefusalCode;
  status: number;
  body: Buffer;
  /** Posted here instead of the connection's ACS URL. */
  url?: string;
}

export const formBody = (fields: Record<string, string>) => Buffer.from(new URLSearchParams(fields).toString(), 'utf8');

/** Built from a real signed response (base64), so sizes and content look like an IdP's. */
export function junkKinds(validResponse: string): JunkKind[] {
  const xml = Buffer.from(validResponse, 'base64').toString('utf8');
  // Same length, so only the alphabet is wrong, not the padding.
  const badBase64 = `${validResponse.slice(0, 64)}!!!!${validResponse.slice(68)}`;
  const oversized = 'A'.repeat(maxSamlResponseLength + 1024);
  const truncated = Buffer.from(xml.slice(0, Math.floor(xml.length / 2)), 'utf8').toString('base64');
  return [
    { label: 'bad base64', reasonCode: 'malformed_base64', status: 400, body: formBody({ SAMLResponse: badBase64 }) },
    {
      // Over the ACS's body limit, so it is refused by its declared length before it is read.
      label: `oversized (${Math.round(oversized.length / 1024)} KiB field, refused by its declared length)`,
      reasonCode: 'response_too_large',
      status: 413,
      body: formBody({ SAMLResponse: oversized }),
    },
    { label: 'malformed XML (truncated response)', reasonCode: 'malformed_xml', status: 400, body: formBody({ SAMLResponse: truncated }) },
  ];
}

/**
 * Well-formed responses whose signature fails, the junk that reaches the signature check: one signed
 * by the configured IdP key with its SignatureValue altered (KeyInfo names a configured certificate),
 * and one signed by a key the connection does not have (KeyInfo names that key's certificate).
 * `url` is the ACS both responses are addressed to.
 */
export function signatureJunkKinds(validResponse: string, forgedResponse: string, url: string, where: string): JunkKind[] {
  const xml = Buffer.from(validResponse, 'base64').toString('utf8');
  const altered = xml.replace(/(<ds:SignatureValue>[^<]{20})(.)/, (_, head: string, c: string) => `${head}${c === 'A' ? 'B' : 'A'}`);
  if (altered === xml) throw new Error('bench: the signed response has no SignatureValue to alter');
  const badSignature = Buffer.from(altered, 'utf8').toString('base64');
  return [
    {
      label: `bad signature (configured certificate in KeyInfo), ${where}`,
      reasonCode: 'invalid_signature',
      status: 403,
      body: formBody({ SAMLResponse: badSignature }),
      url,
    },
    {
      label: `signed by an unknown key (its certificate in KeyInfo), ${where}`,
      reasonCode: 'invalid_signature',
      status: 403,
      body: formBody({ SAMLResponse: forgedResponse }),
      url,
    },
  ];
}
