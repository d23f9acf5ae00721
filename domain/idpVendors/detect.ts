// Which IdP a connection runs on, from the shapes its entity ID (Issuer) and SSO URL take in each vendor's
// console (see shared/notes/idp-defaults.md). Hosts are compared exactly or as a dot-suffix, never as a
// substring, so a lookalike such as evil-okta.com or okta.com.evil.test is not taken for Okta.
import type { IdpVendor } from '../../contract/diagnosis.js';

export interface VendorEvidence {
  entityId?: string | null;
  ssoUrl?: string | null;
  metadataXml?: string | null;
  issuer?: string | null;
}

interface Identifier {
  /** The parsed URL (http or https only), or undefined for a URN or a bare word. */
  url: URL | undefined;
  /** The lowercased path, without a trailing slash. */
  path: string;
  raw: string;
}

type Rule = (id: Identifier) => boolean;

/** Metadata is read by bounded patterns only, so junk or a huge document can neither throw nor take long. */
const maxMetadataChars = 512_000;

function hostIs(id: Identifier, ...hosts: string[]): boolean {
  const host = id.url?.hostname;
  return host !== undefined && hosts.includes(host);
}

function hostUnder(id: Identifier, ...domains: string[]): boolean {
  const host = id.url?.hostname;
  return host !== undefined && domains.some((domain) => host === domain || host.endsWith(`.${domain}`));
}

function urnHostUnder(id: Identifier, domain: string): boolean {
  const host = /^urn:([a-z0-9-]+(?:\.[a-z0-9-]+)+)$/i.exec(id.raw)?.[1]?.toLowerCase() ?? '';
  return host.endsWith(`.${domain}`);
}

/** Entity IDs and Issuers: the value the IdP names itself by. */
const entityIdRules: [IdpVendor, Rule][] = [
  ['entra', (id) => hostIs(id, 'sts.windows.net', 'sts.chinacloudapi.cn')],
  ['okta', (id) => hostIs(id, 'www.okta.com') || hostUnder(id, 'okta.com', 'oktapreview.com', 'okta-emea.com')],
  ['google', (id) => hostIs(id, 'accounts.google.com') && id.path.startsWith('/o/saml2')],
  ['adfs', (id) => id.url !== undefined && id.path.endsWith('/adfs/services/trust')],
  ['keycloak', (id) => id.url !== undefined && /^(\/auth)?\/realms\/[^/]+$/.test(id.path)],
  ['onelogin', (id) => hostUnder(id, 'onelogin.com')],
  ['jumpcloud', (id) => id.raw.toLowerCase() === 'jumpcloud' || hostUnder(id, 'jumpcloud.com')],
  ['auth0', (id) => urnHostUnder(id, 'auth0.com') || hostUnder(id, 'auth0.com')],
  ['ping', (id) => hostUnder(id, 'pingone.com', 'pingone.eu', 'pingone.asia', 'pingone.ca', 'pingone.com.au', 'pingidentity.com')],
];

/** SSO URLs: where the IdP takes AuthnRequests. */
const ssoUrlRules: [IdpVendor, Rule][] = [
  [
    'entra',
    (id) => hostIs(id, 'login.microsoftonline.com', 'login.microsoftonline.us', 'login.partner.microsoftonline.cn', 'login.windows.net'),
  ],
  ['okta', (id) => hostUnder(id, 'okta.com', 'oktapreview.com', 'okta-emea.com')],
  ['google', (id) => hostIs(id, 'accounts.google.com') && id.path.startsWith('/o/saml2')],
  ['adfs', (id) => id.url !== undefined && /\/adfs\/ls(\/|$)/.test(id.path)],
  ['keycloak', (id) => id.url !== undefined && /^(\/auth)?\/realms\/[^/]+\/protocol\/saml(\/|$)/.test(id.path)],
  ['onelogin', (id) => hostUnder(id, 'onelogin.com')],
  ['jumpcloud', (id) => hostUnder(id, 'jumpcloud.com')],
  ['auth0', (id) => hostUnder(id, 'auth0.com')],
  [
    'ping',
    (id) =>
      hostUnder(id, 'pingone.com', 'pingone.eu', 'pingone.asia', 'pingone.ca', 'pingone.com.au', 'pingidentity.com') ||
      (id.url !== undefined && id.path.endsWith('/idp/sso.saml2')),
  ],
];

function identifier(value: unknown): Identifier | undefined {
  if (typeof value !== 'string') return undefined;
  const raw = value.replace(/^\uFEFF/, '').trim();
  if (raw === '' || raw.length > 2048) return undefined;
  let url: URL | undefined;
  try {
    const parsed = new URL(raw);
    if (parsed.protocol === 'https:' || parsed.protocol === 'http:') url = parsed;
  } catch {
    url = undefined;
  }
  const path = (url?.pathname ?? '').toLowerCase().replace(/\/+$/, '');
  return { url, path, raw };
}

function firstMatch(values: unknown[], rules: [IdpVendor, Rule][]): IdpVendor | undefined {
  for (const value of values) {
    const id = identifier(value);
    if (!id) continue;
    const found = rules.find(([, rule]) => rule(id));
    if (found) return found[0];
  }
  return undefined;
}

function decodeXmlAttribute(value: string): string {
  return value
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
}

/** The entityID of the first EntityDescriptor and the Locations of its SingleSignOnServices. */
function fromMetadata(xml: unknown): { entityIds: string[]; ssoUrls: string[] } {
  if (typeof xml !== 'string') return { entityIds: [], ssoUrls: [] };
  const text = xml.slice(0, maxMetadataChars);
  const entity = /<(?:[\w.-]+:)?EntityDescriptor\b[^>]{0,2000}?\sentityID\s*=\s*(?:"([^"]{0,2048})"|'([^']{0,2048})')/.exec(text);
  const entityIds = entity ? [decodeXmlAttribute(entity[1] ?? entity[2] ?? '')] : [];
  const ssoUrls: string[] = [];
  for (const service of text.matchAll(/<(?:[\w.-]+:)?SingleSignOnService\b[^>]{0,2000}>/g)) {
    const location = /\sLocation\s*=\s*(?:"([^"]{0,2048})"|'([^']{0,2048})')/.exec(service[0]);
    if (location) ssoUrls.push(decodeXmlAttribute(location[1] ?? location[2] ?? ''));
    if (ssoUrls.length >= 10) break;
  }
  return { entityIds, ssoUrls };
}

/**
 * The vendor the evidence points to: the entity ID or Issuer first (the IdP's own name for itself), then the
 * SSO URL; `other` when nothing is recognised. Never throws, whatever it is given.
 */
export function detectVendor(input: VendorEvidence): IdpVendor {
  try {
    const metadata = fromMetadata(input?.metadataXml);
    const entityIds = [input?.entityId, input?.issuer, ...metadata.entityIds];
    const ssoUrls = [input?.ssoUrl, ...metadata.ssoUrls];
    return firstMatch(entityIds, entityIdRules) ?? firstMatch(ssoUrls, ssoUrlRules) ?? 'other';
  } catch {
    return 'other';
  }
}
