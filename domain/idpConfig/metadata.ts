// Reading an IdP's SAML metadata document: its entity ID, its SSO endpoint and its signing certificates.
import { childElements, parseXmlStrictly, textOf, xmldsigNamespace } from '../xml.js';
import type { Report } from './problems.js';

/** The IdP details read from the submission, before the URL and certificate checks. */
export interface IdpDetails {
  entityId?: string;
  ssoUrl?: string;
  ssoBinding?: 'redirect' | 'post';
  certificates: string[];
  logoutRedirectUrl?: string;
}

/** Real IdP metadata is a few KiB; federation aggregates are refused anyway (one IdP only). */
export const defaultMaxMetadataBytes = 1024 * 1024;
const maxEntityIdLength = 1024;

const ns = {
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  dsig: xmldsigNamespace,
} as const;

const bindings = {
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
} as const;

export function checkEntityId(value: string | null | undefined, problem: Report): string | undefined {
  const entityId = value?.trim() ?? '';
  if (entityId === '') problem('entityId', 'entity_id_missing', 'the IdP entity ID is missing');
  else if (entityId.length > maxEntityIdLength) {
    problem('entityId', 'entity_id_too_long', `the IdP entity ID is longer than ${maxEntityIdLength} characters`);
  } else return entityId;
  return undefined;
}

export function readMetadata(xml: string, maxBytes: number, problem: Report): IdpDetails {
  const none: IdpDetails = { certificates: [] };
  if (Buffer.byteLength(xml, 'utf8') > maxBytes) {
    problem('metadata', 'metadata_too_large', `the metadata is larger than ${maxBytes} bytes`);
    return none;
  }
  // Entities are the root of XXE and billion-laughs; SAML metadata never needs a DTD.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) {
    problem('metadata', 'doctype_forbidden', 'the metadata contains a document type declaration, which is not allowed');
    return none;
  }
  const root = parseMetadataXml(xml);
  if (typeof root === 'string') {
    problem('metadata', 'metadata_malformed', `the metadata is not well-formed XML: ${root}`);
    return none;
  }
  const found = findIdpDescriptor(root);
  if ('missing' in found) {
    problem('metadata', 'no_idp_descriptor', found.missing);
    return none;
  }
  if (found.count > 1) {
    problem('metadata', 'multiple_idp_descriptors', `the metadata describes ${found.count} identity providers; send the one to connect`);
    return none;
  }
  const { entity, idp } = found;

  const details: IdpDetails = { entityId: checkEntityId(entity.getAttribute('entityID'), problem), certificates: [] };
  const services = childElements(idp, ns.metadata, 'SingleSignOnService');
  const redirect = services.find((s) => s.getAttribute('Binding') === bindings.redirect);
  const post = services.find((s) => s.getAttribute('Binding') === bindings.post);
  const chosen = redirect ?? post;
  if (services.length === 0) problem('ssoUrl', 'sso_url_missing', 'the IDPSSODescriptor has no SingleSignOnService');
  else if (!chosen) {
    const found = services.map((s) => s.getAttribute('Binding') || '(none)').join(', ');
    problem('ssoBinding', 'unsupported_binding', `no SingleSignOnService uses HTTP-Redirect or HTTP-POST (found ${found})`);
  } else {
    details.ssoBinding = chosen === redirect ? 'redirect' : 'post';
    details.ssoUrl = chosen.getAttribute('Location')?.trim() || undefined;
    if (!details.ssoUrl) problem('ssoUrl', 'sso_url_missing', 'the SingleSignOnService has no Location');
  }

  // Keys without `use` sign too (SAML metadata 2.4.1.1); all are kept so the IdP can rotate.
  for (const key of childElements(idp, ns.metadata, 'KeyDescriptor')) {
    const use = key.getAttribute('use');
    if (use && use !== 'signing') continue;
    for (const keyInfo of childElements(key, ns.dsig, 'KeyInfo')) {
      for (const data of childElements(keyInfo, ns.dsig, 'X509Data')) {
        for (const cert of childElements(data, ns.dsig, 'X509Certificate')) details.certificates.push(textOf(cert) ?? '');
      }
    }
  }
  if (details.certificates.length === 0) {
    problem('certificates', 'certificate_missing', 'the IDPSSODescriptor has no signing certificate (KeyDescriptor with X509Certificate)');
  }
  return details;
}

/** The root element, or why the document is not well-formed (the first complaint, as a customer can read it). */
function parseMetadataXml(xml: string): Element | string {
  let failure: string | undefined;
  const fail = (message: string) => {
    const [first = '', position = ''] = message.split('\n');
    const line = /line:(\d+)/.exec(position)?.[1];
    const reason = first
      .replace(/^\[xmldom \w+\]\s*(element parse error: Error: )?/, '')
      // xmldom 0.8's wording for an element that is never closed.
      .replace('unclosed xml attribute', 'an element is not closed')
      .trim()
      .slice(0, 200);
    failure ??= line && line !== '0' ? `${reason} (line ${line})` : reason;
  };
  try {
    const doc = parseXmlStrictly(xml, fail);
    return failure ?? doc?.documentElement ?? 'there is no root element';
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
    return failure ?? 'it does not parse';
  }
}

function findIdpDescriptor(root: Element): { entity: Element; idp: Element; count: number } | { missing: string } {
  let entities: Element[];
  if (root.namespaceURI === ns.metadata && root.localName === 'EntityDescriptor') entities = [root];
  else if (root.namespaceURI === ns.metadata && root.localName === 'EntitiesDescriptor') {
    const list = root.getElementsByTagNameNS(ns.metadata, 'EntityDescriptor');
    entities = Array.from({ length: list.length }, (_, i) => list.item(i)).filter((el): el is Element => el !== null);
  } else return { missing: `the root element is ${root.tagName}, not a SAML metadata EntityDescriptor or EntitiesDescriptor` };
  const idps = entities.flatMap((entity) => childElements(entity, ns.metadata, 'IDPSSODescriptor').map((idp) => ({ entity, idp })));
  const [first] = idps;
  return first ? { ...first, count: idps.length } : { missing: 'the metadata has no IDPSSODescriptor' };
}
