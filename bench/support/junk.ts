// Posts the ACS must refuse before any cryptography: what a scanner, a broken IdP or an attacker
// flooding the endpoint sends. Each names the reason code and status the ACS must answer with, so
// the benchmark checks it measures that refusal and not some other path.
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
