// IdP configuration intake (PRODUCT.md, Onboarding step 1). The customer sends metadata XML, a metadata
// URL or plain fields; every problem is collected so one correction round fixes them all.
import { X509Certificate } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { DOMParser } from '@xmldom/xmldom';
import type { IdpConfigSubmission, Problem } from '../contract/onboarding.js';
import { type IdpCertificate, maxCertificatesPerConnection, parseCertificate } from './connections.js';
import { childElements, textOf } from './saml/document.js';

// The submission and problem shapes travel through the workflow, so they are defined once in its shared module.
export type { IdpConfigSubmission };
export type IdpConfigProblem = Problem;
export type IdpConfigWarning = Problem;

export interface ValidIdpConfig {
  entityId: string;
  ssoUrl: string;
  ssoBinding: 'redirect' | 'post';
  /** PEM, in document order, duplicates removed; several while the IdP rotates its signing key. */
  certificates: string[];
  logoutRedirectUrl: string | null;
  emailAttribute: string | null;
}

/** What one GET answered; `tooLarge` when more than `maxBytes` arrived (the body is then cut short). */
export interface MetadataResponse {
  status: number;
  location: string | null;
  body: string;
  tooLarge: boolean;
}

/** One GET that follows no redirect and connects only to `address`, the one the URL guard approved. */
export type FetchMetadata = (request: { url: URL; address: string; maxBytes: number; signal: AbortSignal }) => Promise<MetadataResponse>;

export interface IdpConfigOptions {
  /** Local testing only (ALLOW_PRIVATE_IDP_URLS): private and loopback hosts are accepted, over http: too. */
  allowPrivateAddresses: boolean;
  now: Date;
  resolveHost?: (host: string) => Promise<string[]>;
  fetchMetadata?: FetchMetadata;
  maxMetadataBytes?: number;
  fetchTimeoutMs?: number;
}

export type IdpConfigResult =
  | { ok: true; config: ValidIdpConfig; warnings: IdpConfigWarning[] }
  | { ok: false; problems: IdpConfigProblem[]; warnings: IdpConfigWarning[] };

/** Real IdP metadata is a few KiB; federation aggregates are refused anyway (one IdP only). */
export const defaultMaxMetadataBytes = 1024 * 1024;
export const defaultFetchTimeoutMs = 10_000;
const maxRedirects = 3;
const maxEntityIdLength = 1024;
const expiryWarningMs = 30 * 24 * 3600 * 1000;

const ns = {
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

const bindings = {
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
} as const;

/** The IdP details read from the submission, before the URL and certificate checks. */
interface Candidate {
  entityId?: string;
  ssoUrl?: string;
  ssoBinding?: 'redirect' | 'post';
  certificates: string[];
  logoutRedirectUrl?: string;
}

export async function validateIdpConfig(submission: IdpConfigSubmission, options: IdpConfigOptions): Promise<IdpConfigResult> {
  const problems: IdpConfigProblem[] = [];
  const warnings: IdpConfigWarning[] = [];
  const problem = (field: string, code: string, message: string) => problems.push({ field, code, message });

  const candidate = await readSubmission(submission, options, problem);
  const [ssoUrlCheck, logoutUrlCheck] = await Promise.all([
    candidate.ssoUrl === undefined ? undefined : guardUrl(candidate.ssoUrl, options),
    candidate.logoutRedirectUrl === undefined ? undefined : guardUrl(candidate.logoutRedirectUrl, options),
  ]);
  const ssoUrl = candidate.ssoUrl && reportUrl(ssoUrlCheck, candidate.ssoUrl, 'ssoUrl', problem);
  const logoutRedirectUrl =
    candidate.logoutRedirectUrl && reportUrl(logoutUrlCheck, candidate.logoutRedirectUrl, 'logoutRedirectUrl', problem);
  const certificates = checkCertificateCount(candidate.certificates, problem)
    ? candidate.certificates.map((input, index) => checkCertificate(input, index, options.now, problems, warnings))
    : [];
  const emailAttribute = submission.emailAttribute;
  if (emailAttribute !== undefined && !/^[^\s\p{C}]{1,256}$/u.test(emailAttribute)) {
    problem('emailAttribute', 'email_attribute_invalid', 'emailAttribute must be 1 to 256 printable characters without spaces');
  }

  const { entityId, ssoBinding } = candidate;
  if (problems.length > 0) return { ok: false, problems, warnings };
  if (!entityId || !ssoUrl || !ssoBinding || certificates.length === 0) {
    throw new Error('validateIdpConfig: incomplete configuration reported no problem');
  }
  return {
    ok: true,
    config: {
      entityId,
      ssoUrl,
      ssoBinding,
      certificates: [...new Set(certificates.filter((pem) => pem !== undefined))],
      logoutRedirectUrl: logoutRedirectUrl ?? null,
      emailAttribute: emailAttribute ?? null,
    },
    warnings,
  };
}

type Report = (field: string, code: string, message: string) => void;

async function readSubmission(submission: IdpConfigSubmission, options: IdpConfigOptions, problem: Report): Promise<Candidate> {
  const maxBytes = options.maxMetadataBytes ?? defaultMaxMetadataBytes;
  switch (submission.kind) {
    case 'metadata':
      return readMetadata(submission.xml, maxBytes, problem);
    case 'metadataUrl': {
      const xml = await fetchMetadataDocument(submission.url, options, problem);
      return xml === undefined ? { certificates: [] } : readMetadata(xml, maxBytes, problem);
    }
    case 'fields': {
      const entityId = checkEntityId(submission.entityId, problem);
      if (submission.ssoBinding !== 'redirect' && submission.ssoBinding !== 'post') {
        problem('ssoBinding', 'unsupported_binding', 'ssoBinding must be "redirect" or "post"');
      }
      if (submission.ssoUrl.trim() === '') problem('ssoUrl', 'sso_url_missing', 'ssoUrl is required');
      if (submission.certificates.length === 0)
        problem('certificates', 'certificate_missing', 'at least one signing certificate is required');
      return {
        entityId,
        ssoUrl: submission.ssoUrl.trim() === '' ? undefined : submission.ssoUrl.trim(),
        ssoBinding: submission.ssoBinding,
        certificates: submission.certificates,
        logoutRedirectUrl: submission.logoutRedirectUrl,
      };
    }
  }
}

function checkEntityId(value: string | null | undefined, problem: Report): string | undefined {
  const entityId = value?.trim() ?? '';
  if (entityId === '') problem('entityId', 'entity_id_missing', 'the IdP entity ID is missing');
  else if (entityId.length > maxEntityIdLength) {
    problem('entityId', 'entity_id_too_long', `the IdP entity ID is longer than ${maxEntityIdLength} characters`);
  } else return entityId;
  return undefined;
}

function readMetadata(xml: string, maxBytes: number, problem: Report): Candidate {
  const none: Candidate = { certificates: [] };
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

  const candidate: Candidate = { entityId: checkEntityId(entity.getAttribute('entityID'), problem), certificates: [] };
  const services = childElements(idp, ns.metadata, 'SingleSignOnService');
  const redirect = services.find((s) => s.getAttribute('Binding') === bindings.redirect);
  const post = services.find((s) => s.getAttribute('Binding') === bindings.post);
  const chosen = redirect ?? post;
  if (services.length === 0) problem('ssoUrl', 'sso_url_missing', 'the IDPSSODescriptor has no SingleSignOnService');
  else if (!chosen) {
    const found = services.map((s) => s.getAttribute('Binding') || '(none)').join(', ');
    problem('ssoBinding', 'unsupported_binding', `no SingleSignOnService uses HTTP-Redirect or HTTP-POST (found ${found})`);
  } else {
    candidate.ssoBinding = chosen === redirect ? 'redirect' : 'post';
    candidate.ssoUrl = chosen.getAttribute('Location')?.trim() || undefined;
    if (!candidate.ssoUrl) problem('ssoUrl', 'sso_url_missing', 'the SingleSignOnService has no Location');
  }

  // Keys without `use` sign too (SAML metadata 2.4.1.1); all are kept so the IdP can rotate.
  for (const key of childElements(idp, ns.metadata, 'KeyDescriptor')) {
    const use = key.getAttribute('use');
    if (use && use !== 'signing') continue;
    for (const keyInfo of childElements(key, ns.dsig, 'KeyInfo')) {
      for (const data of childElements(keyInfo, ns.dsig, 'X509Data')) {
        for (const cert of childElements(data, ns.dsig, 'X509Certificate')) candidate.certificates.push(textOf(cert) ?? '');
      }
    }
  }
  if (candidate.certificates.length === 0) {
    problem('certificates', 'certificate_missing', 'the IDPSSODescriptor has no signing certificate (KeyDescriptor with X509Certificate)');
  }
  return candidate;
}

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
    // xmldom 0.8 reports mismatched tags only as warnings; metadata must be well-formed, so they count.
    const doc = new DOMParser({ locator: {}, errorHandler: { warning: fail, error: fail, fatalError: fail } }).parseFromString(
      xml,
      'text/xml',
    );
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

/**
 * At most `maxCertificatesPerConnection` distinct certificates (the same one in PEM and in base64, or
 * wrapped differently, counts once). Over the cap only the count is reported: one problem, not one
 * per certificate, is what a correction round needs.
 */
function checkCertificateCount(inputs: string[], problem: Report): boolean {
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

function checkCertificate(input: string, index: number, now: Date, problems: IdpConfigProblem[], warnings: IdpConfigWarning[]) {
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

const urlCodes = {
  ssoUrl: { label: 'the SSO URL', code: (fault: UrlFault) => `sso_url_${fault}` },
  logoutRedirectUrl: { label: 'the logout redirect URL', code: () => 'logout_url_invalid' },
  metadataUrl: { label: 'the metadata URL', code: (fault: UrlFault) => `metadata_url_${fault}` },
} as const;

function reportUrl(checked: GuardedUrl | undefined, raw: string, field: 'ssoUrl' | 'logoutRedirectUrl', problem: Report) {
  if (checked?.ok) return raw.trim();
  for (const { fault, message } of checked?.findings ?? [])
    problem(field, urlCodes[field].code(fault), `${urlCodes[field].label} ${message}`);
  return undefined;
}

async function fetchMetadataDocument(raw: string, options: IdpConfigOptions, problem: Report): Promise<string | undefined> {
  const maxBytes = options.maxMetadataBytes ?? defaultMaxMetadataBytes;
  const timeoutMs = options.fetchTimeoutMs ?? defaultFetchTimeoutMs;
  const signal = AbortSignal.timeout(timeoutMs);
  const fetchMetadata = options.fetchMetadata ?? fetchFromCheckedAddress;
  const failed = (code: string, message: string): undefined => {
    problem('metadataUrl', code, message);
  };
  let target = raw;
  // Redirects are followed by hand so that every hop passes the same guard as the URL submitted.
  for (let hop = 0; hop <= maxRedirects; hop++) {
    const checked = await guardUrl(target, options, signal);
    if (signal.aborted) return failed('metadata_timeout', `the metadata URL did not answer within ${timeoutMs} ms`);
    if (!checked.ok) {
      const label = hop === 0 ? urlCodes.metadataUrl.label : `the metadata URL redirects to ${target}, which`;
      for (const { fault, message } of checked.findings) failed(urlCodes.metadataUrl.code(fault), `${label} ${message}`);
      return undefined;
    }
    let response: MetadataResponse;
    try {
      response = await fetchMetadata({ url: checked.url, address: checked.address, maxBytes, signal });
    } catch (error) {
      if (signal.aborted) return failed('metadata_timeout', `the metadata URL did not answer within ${timeoutMs} ms`);
      const reason = error instanceof Error ? error.message : String(error);
      return failed('metadata_fetch_failed', `the metadata could not be fetched: ${reason}`);
    }
    if (response.tooLarge) return failed('metadata_too_large', `the metadata is larger than ${maxBytes} bytes`);
    if (response.status >= 300 && response.status < 400 && response.location) {
      const next = URL.parse(response.location, checked.url.href);
      if (!next) return failed('metadata_fetch_failed', 'the metadata URL redirects to an invalid location');
      target = next.href;
      continue;
    }
    if (response.status < 200 || response.status >= 300) {
      return failed('metadata_fetch_failed', `the metadata URL answered HTTP ${response.status}`);
    }
    return response.body;
  }
  return failed('metadata_fetch_failed', `the metadata URL redirects more than ${maxRedirects} times`);
}

/** One GET, pinned to the checked address so a second DNS answer cannot point it elsewhere (DNS rebinding). */
const fetchFromCheckedAddress: FetchMetadata = ({ url, address, maxBytes, signal }) =>
  new Promise((resolve, reject) => {
    const family = isIP(address);
    const pinned: LookupFunction = (_host, lookupOptions, callback) => {
      if (lookupOptions.all) callback(null, [{ address, family }]);
      else callback(null, address, family);
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers = { accept: 'application/samlmetadata+xml, application/xml, text/xml' };
    const request = send(url, { agent: false, headers, lookup: pinned, signal }, (response) => {
      const status = response.statusCode ?? 0;
      const answer = (body: string, tooLarge: boolean) => resolve({ status, location: response.headers.location ?? null, body, tooLarge });
      const declared = Number(response.headers['content-length'] ?? 0);
      if (status < 200 || status >= 300 || declared > maxBytes) {
        response.destroy();
        return answer('', status >= 200 && status < 300);
      }
      const chunks: Buffer[] = [];
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > maxBytes) {
          response.destroy();
          answer('', true);
        } else chunks.push(chunk);
      });
      response.on('end', () => answer(Buffer.concat(chunks).toString('utf8'), false));
      response.on('error', reject);
      response.on('close', () => {
        if (!response.complete) reject(new Error('the connection closed before the whole document arrived'));
      });
    });
    request.on('error', reject);
    request.end();
  });

type UrlFault = 'not_absolute' | 'not_https' | 'private_address' | 'unresolvable';
type GuardedUrl = { ok: true; url: URL; address: string } | { ok: false; findings: { fault: UrlFault; message: string }[] };

// Addresses an IdP URL must not point at: the service's own network, cloud metadata endpoints
// (169.254.169.254) and anything not globally routable.
const nonPublicAddresses = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  nonPublicAddresses.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  nonPublicAddresses.addSubnet(network, prefix, 'ipv6');
}

/** The 16 bytes of a valid IPv6 address (as isIP accepts it: `::` shorthand, a dotted IPv4 tail, a zone). */
function ipv6Bytes(address: string): Uint8Array {
  let text = address.split('%')[0] ?? '';
  const bytes = new Uint8Array(16);
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) text = `${text.slice(0, dotted.index)}0:0`;
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16)));
  const [head = '', tail] = text.split('::');
  const before = groups(head);
  const after = tail === undefined ? [] : groups(tail);
  const all = [...before, ...new Array<number>(8 - before.length - after.length).fill(0), ...after];
  all.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  if (dotted) bytes.set(dotted.slice(1, 5).map(Number), 12);
  return bytes;
}

/**
 * The IPv4 addresses an IPv6 address stands for, where a translator, a relay or the kernel delivers
 * it to an IPv4 host; undefined for native IPv6. Each must be public for the address to be public.
 */
function embeddedIpv4(address: string): string[] | undefined {
  const b = ipv6Bytes(address);
  const at = (...indexes: number[]) => indexes.map((i) => b[i] ?? 0).join('.');
  const startsWith = (...prefix: number[]) => prefix.every((byte, i) => b[i] === byte);
  const zero = (from: number, to: number) => b.subarray(from, to).every((byte) => byte === 0);
  // IPv4-mapped ::ffff:0:0/96, and IPv4-compatible ::/96 (which holds :: and ::1, read as 0.0.0.0/8).
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return [at(12, 13, 14, 15)];
  if (zero(0, 12)) return [at(12, 13, 14, 15)];
  // NAT64 with the well-known prefix 64:ff9b::/96 (RFC 6052).
  if (startsWith(0x00, 0x64, 0xff, 0x9b) && zero(4, 12)) return [at(12, 13, 14, 15)];
  // Local-use NAT64 64:ff9b:1::/48 (RFC 8215): the operator picks a prefix of 48 to 96 bits, which moves
  // the IPv4 address (RFC 6052 section 2.2, skipping bits 64-71), so every possible reading must be public.
  if (startsWith(0x00, 0x64, 0xff, 0x9b, 0x00, 0x01)) {
    return [at(6, 7, 9, 10), at(7, 9, 10, 11), at(9, 10, 11, 12), at(12, 13, 14, 15)];
  }
  // 6to4 2002::/16: the relay's IPv4 address in bits 16-47.
  if (startsWith(0x20, 0x02)) return [at(2, 3, 4, 5)];
  // Teredo 2001::/32: the server in bits 32-63, the client in the last 32 bits, inverted.
  if (startsWith(0x20, 0x01, 0x00, 0x00)) {
    const client = [12, 13, 14, 15].map((i) => (b[i] ?? 0) ^ 0xff).join('.');
    return [at(4, 5, 6, 7), client];
  }
  return undefined;
}

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 4) return !nonPublicAddresses.check(address, 'ipv4');
  const embedded = embeddedIpv4(address);
  if (embedded) return embedded.every((ipv4) => !nonPublicAddresses.check(ipv4, 'ipv4'));
  return !nonPublicAddresses.check(address.split('%')[0] ?? '', 'ipv6');
}

const resolveWithDns = async (host: string) => (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

/**
 * Absolute https URL whose host resolves only to public addresses. With allowPrivateAddresses (local
 * test IdPs) any address passes and http: is accepted for hosts that are entirely non-public.
 */
async function guardUrl(
  raw: string,
  options: Pick<IdpConfigOptions, 'allowPrivateAddresses' | 'resolveHost'>,
  signal?: AbortSignal,
): Promise<GuardedUrl> {
  const url = URL.parse(raw.trim());
  if (!url) return { ok: false, findings: [{ fault: 'not_absolute', message: 'is not an absolute URL' }] };
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, findings: [{ fault: 'not_https', message: `must use https, not ${url.protocol}` }] };
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: string[];
  try {
    const resolve = options.resolveHost ?? resolveWithDns;
    addresses = isIP(host) ? [host] : (await untilAborted(resolve(host), signal)).filter((address) => isIP(address) !== 0);
  } catch {
    addresses = [];
  }
  const findings: { fault: UrlFault; message: string }[] = [];
  const nonPublic = addresses.filter((address) => !isPublicAddress(address));
  const [address] = addresses;
  if (!address) findings.push({ fault: 'unresolvable', message: `host ${host} does not resolve` });
  if (nonPublic.length > 0 && !options.allowPrivateAddresses) {
    const which = nonPublic.length === 1 ? 'which is not a public address' : 'which are not public addresses';
    findings.push({ fault: 'private_address', message: `host ${host} resolves to ${nonPublic.join(', ')}, ${which}` });
  }
  const localOnly = options.allowPrivateAddresses && addresses.length > 0 && nonPublic.length === addresses.length;
  if (url.protocol === 'http:' && !localOnly) findings.push({ fault: 'not_https', message: 'must use https' });
  if (findings.length > 0 || !address) return { ok: false, findings };
  return { ok: true, url, address };
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise((resolve, reject) => {
    const abort = () => reject(signal.reason);
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}
