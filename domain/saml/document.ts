// Everything read from a SAML response before and after signature verification. Cheap checks run
// first, so junk is refused before any XML parsing or cryptography.
import { childElements, parseXmlStrictly, xmldsigNamespace } from '../xml.js';
import { LoginRefused } from './refusal.js';

export const ns = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  dsig: xmldsigNamespace,
} as const;

/** Largest SAMLResponse field accepted (base64 characters); real responses are a few KiB. */
export const maxSamlResponseLength = 256 * 1024;

const strictBase64 = /^[A-Za-z0-9+/]*={0,2}$/;

// SHA-1 is broken for collisions; only these signature and digest algorithms are accepted.
const allowedAlgorithms = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512',
  'http://www.w3.org/2001/04/xmlenc#sha256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512',
]);

/** Whether a SignatureMethod or DigestMethod algorithm is one the policy accepts (SHA-256 or stronger). */
export function isAllowedAlgorithm(algorithm: string): boolean {
  return allowedAlgorithms.has(algorithm);
}

/** Decodes the posted field strictly: base64 alphabet only (line breaks allowed), correct padding. */
export function decodeSamlResponse(field: unknown): string {
  if (typeof field !== 'string' || field.length === 0) throw new LoginRefused('missing_saml_response');
  if (field.length > maxSamlResponseLength) throw new LoginRefused('response_too_large');
  const compact = field.replace(/[\r\n]/g, '');
  if (compact.length % 4 !== 0 || !strictBase64.test(compact)) throw new LoginRefused('malformed_base64');
  const xml = Buffer.from(compact, 'base64').toString('utf8');
  // Entities are the root of XXE and billion-laughs; SAML never needs a DTD.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new LoginRefused('doctype_forbidden');
  return xml;
}

/** Limits of a SAML response's shape; real ones nest about 8 deep and hold well under 200 elements. */
export const xmlShapeLimits = { depth: 40, elements: 3000 } as const;

/**
 * A linear scan of the markup before any parser sees it: deeply nested or huge element trees cost the
 * parsers (ours and node-saml's three) superlinear time, so they are refused here as junk.
 */
export function checkXmlShape(xml: string): void {
  let depth = 0;
  let elements = 0;
  for (let i = xml.indexOf('<'); i !== -1 && i < xml.length; i = xml.indexOf('<', i)) {
    const next = xml[i + 1];
    if (next === '!' || next === '?') {
      const end = xml.startsWith('<!--', i)
        ? xml.indexOf('-->', i + 4)
        : xml.startsWith('<![CDATA[', i)
          ? xml.indexOf(']]>', i + 9)
          : xml.indexOf('>', i + 2);
      if (end === -1) return;
      i = end + 1;
      continue;
    }
    // Find the end of the tag, skipping quoted attribute values (which may contain '>').
    let j = i + 1;
    let quote = '';
    for (; j < xml.length; j++) {
      const c = xml[j];
      if (quote) {
        if (c === quote) quote = '';
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '>') break;
    }
    if (next === '/') depth -= 1;
    else if (xml[j - 1] !== '/') {
      depth += 1;
      elements += 1;
    } else elements += 1;
    if (depth > xmlShapeLimits.depth || elements > xmlShapeLimits.elements)
      throw new LoginRefused('xml_too_complex', `depth ${depth}, ${elements} elements`);
    i = j + 1;
  }
}

export function parseStrict(xml: string): Document {
  // A signed document that does not parse cleanly is refused at its first complaint.
  const doc = parseXmlStrictly(xml, (message) => {
    throw new LoginRefused('malformed_xml', message.slice(0, 200));
  });
  if (!doc?.documentElement) throw new LoginRefused('malformed_xml');
  return doc;
}

/**
 * Structural checks before any cryptography: a Response root with exactly one Signature of its own,
 * exactly one plain Assertion as its direct child, and no SHA-1 anywhere.
 */
export function preflightResponse(doc: Document): Element {
  const root = doc.documentElement;
  if (root.localName !== 'Response' || root.namespaceURI !== ns.protocol) throw new LoginRefused('not_a_response');
  if (doc.getElementsByTagNameNS(ns.assertion, 'EncryptedAssertion').length > 0) {
    throw new LoginRefused('encrypted_assertion_unsupported');
  }
  const assertions = doc.getElementsByTagNameNS(ns.assertion, 'Assertion').length;
  if (assertions === 0) {
    // IdPs answer a failed sign-in with an (often unsigned) error status and no assertion; saying so
    // helps the user more than "no assertion". Only the refusal's wording depends on this unsigned value.
    const status = childElements(root, ns.protocol, 'Status')[0];
    const code = status && childElements(status, ns.protocol, 'StatusCode')[0]?.getAttribute('Value');
    if (code && code !== 'urn:oasis:names:tc:SAML:2.0:status:Success') throw new LoginRefused('status_not_success', code);
    throw new LoginRefused('no_assertion');
  }
  if (assertions > 1) throw new LoginRefused('multiple_assertions');
  if (childElements(root, ns.assertion, 'Assertion').length !== 1) throw new LoginRefused('assertion_misplaced');
  if (childElements(root, ns.dsig, 'Signature').length !== 1) throw new LoginRefused('response_not_signed');
  for (const name of ['SignatureMethod', 'DigestMethod']) {
    const elements = doc.getElementsByTagNameNS(ns.dsig, name);
    for (let i = 0; i < elements.length; i++) {
      const algorithm = elements.item(i)?.getAttribute('Algorithm') ?? '';
      if (!allowedAlgorithms.has(algorithm)) throw new LoginRefused('weak_algorithm', algorithm);
    }
  }
  return root;
}
