// The SSRF guard. Every URL given for an IdP (the SSO URL, the logout redirect URL, the metadata URL
// and each redirect the metadata URL answers with) passes here before it is stored or fetched.
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

export interface UrlGuardOptions {
  /** Local testing only (ALLOW_PRIVATE_IDP_URLS): private and loopback hosts are accepted, over http: too. */
  allowPrivateAddresses: boolean;
  resolveHost?: (host: string) => Promise<string[]>;
}

export type UrlFault = 'not_absolute' | 'not_https' | 'private_address' | 'unresolvable';
export interface UrlFinding {
  fault: UrlFault;
  message: string;
}
/** `address` is the one to connect to: asking DNS again could give another (DNS rebinding). */
export type GuardedUrl = { ok: true; url: URL; address: string } | { ok: false; findings: UrlFinding[] };

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
export async function guardUrl(raw: string, options: UrlGuardOptions, signal?: AbortSignal): Promise<GuardedUrl> {
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
  const findings: UrlFinding[] = [];
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
