// The SSRF guard (domain/idpConfig/urlGuard.ts): an IdP URL must point at the public internet. Every
// blocked range is probed at both ends and just outside, so a widened or narrowed prefix fails here.
// IPv6 forms that carry an IPv4 address are judged by that address, since a NAT64 gateway, a 6to4 or
// Teredo relay or the kernel itself delivers them to it.
import { describe, expect, it } from 'vitest';
import type { Problem } from '../../contract/onboarding.js';
import { validateIdpConfig } from '../../domain/idpConfig/index.js';
import { type FetchMetadata, fetchMetadataDocument } from '../../domain/idpConfig/metadataFetch.js';
import { guardUrl, isPublicAddress, type UrlGuardOptions } from '../../domain/idpConfig/urlGuard.js';
import { generateSelfSignedCertificate } from '../support/idp/self-signed.js';

/** Each blocked range with its first and last address, and the public addresses on either side. */
const blockedRanges: { range: string; first: string; last: string; outside: string[] }[] = [
  { range: '0.0.0.0/8 (this network)', first: '0.0.0.0', last: '0.255.255.255', outside: ['1.0.0.0'] },
  { range: '10.0.0.0/8 (private)', first: '10.0.0.0', last: '10.255.255.255', outside: ['9.255.255.255', '11.0.0.0'] },
  { range: '100.64.0.0/10 (CGNAT)', first: '100.64.0.0', last: '100.127.255.255', outside: ['100.63.255.255', '100.128.0.0'] },
  { range: '127.0.0.0/8 (loopback)', first: '127.0.0.0', last: '127.255.255.255', outside: ['126.255.255.255', '128.0.0.0'] },
  {
    range: '169.254.0.0/16 (link-local, cloud metadata)',
    first: '169.254.0.0',
    last: '169.254.255.255',
    outside: ['169.253.255.255', '169.255.0.0'],
  },
  { range: '172.16.0.0/12 (private)', first: '172.16.0.0', last: '172.31.255.255', outside: ['172.15.255.255', '172.32.0.0'] },
  { range: '192.0.0.0/24 (IETF protocol assignments)', first: '192.0.0.0', last: '192.0.0.255', outside: ['191.255.255.255', '192.0.1.0'] },
  { range: '192.168.0.0/16 (private)', first: '192.168.0.0', last: '192.168.255.255', outside: ['192.167.255.255', '192.169.0.0'] },
  { range: '198.18.0.0/15 (benchmarking)', first: '198.18.0.0', last: '198.19.255.255', outside: ['198.17.255.255', '198.20.0.0'] },
  { range: '224.0.0.0/4 (multicast)', first: '224.0.0.0', last: '239.255.255.255', outside: ['223.255.255.255'] },
  { range: '240.0.0.0/4 (reserved, broadcast)', first: '240.0.0.0', last: '255.255.255.255', outside: [] },
  {
    range: 'fc00::/7 (unique local)',
    first: 'fc00::',
    last: 'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    outside: ['fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'fe00::'],
  },
  {
    range: 'fe80::/10 (link-local)',
    first: 'fe80::',
    last: 'febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    outside: ['fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  },
  { range: 'fec0::/10 (site-local)', first: 'fec0::', last: 'feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', outside: [] },
  { range: 'ff00::/8 (multicast)', first: 'ff00::', last: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', outside: [] },
];

describe('addresses that are not public', () => {
  it.each(blockedRanges)('blocks $range from its first to its last address', ({ first, last }) => {
    expect([first, last].filter(isPublicAddress)).toEqual([]);
  });

  it.each(blockedRanges.filter(({ outside }) => outside.length > 0))('lets the public neighbours of $range pass', ({ outside }) => {
    expect(outside.filter((address) => !isPublicAddress(address))).toEqual([]);
  });

  it('blocks an IPv6 address with a zone by the address alone', () => {
    expect(isPublicAddress('fe80::1%eth0')).toBe(false);
  });

  it('treats text that is not an address as not public', () => {
    expect(isPublicAddress('localhost')).toBe(false);
  });
});

describe('IPv6 addresses that embed an IPv4 address', () => {
  it.each([
    ['NAT64 (64:ff9b::/96) of 127.0.0.1', '64:ff9b::7f00:1'],
    ['NAT64 of 127.0.0.1 written dotted', '64:ff9b::127.0.0.1'],
    ['NAT64 of 10.0.0.1', '64:ff9b::a00:1'],
    ['NAT64 of the cloud metadata address', '64:ff9b::a9fe:a9fe'],
    ['local-use NAT64 (64:ff9b:1::/48) of 127.0.0.1 in the last 32 bits', '64:ff9b:1::7f00:1'],
    ['local-use NAT64 of 127.0.0.1 under a /48 prefix, 8.8.8.8 in the last 32 bits', '64:ff9b:1:7f00:0:100:808:808'],
    ['6to4 (2002::/16) of 127.0.0.1', '2002:7f00:1::'],
    ['6to4 of 192.168.1.1', '2002:c0a8:101::1'],
    ['Teredo (2001::/32) with client 127.0.0.1', '2001:0:4136:e378:8000:63bf:80ff:fffe'],
    ['Teredo with client 10.0.0.1', '2001:0:4136:e378:8000:63bf:f5ff:fffe'],
    ['IPv4-mapped 127.0.0.1, dotted', '::ffff:127.0.0.1'],
    ['IPv4-mapped 127.0.0.1, hexadecimal', '::ffff:7f00:1'],
    ['IPv4-mapped 169.254.169.254, hexadecimal', '::ffff:a9fe:a9fe'],
    ['IPv4-compatible 127.0.0.1', '::127.0.0.1'],
    ['IPv4-compatible 10.0.0.1, hexadecimal', '::a00:1'],
    ['the IPv6 loopback', '::1'],
    ['the unspecified address', '::'],
  ])('treats %s as private (%s)', (_, address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each([
    ['NAT64 of 8.8.8.8', '64:ff9b::808:808'],
    ['6to4 of 8.8.8.8', '2002:808:808::1'],
    ['Teredo with server 65.54.227.120 and client 8.8.8.8', '2001:0:4136:e378:8000:63bf:f7f7:f7f7'],
    ['IPv4-mapped 8.8.8.8', '::ffff:808:808'],
    ['a native global IPv6 address', '2606:4700:4700::1111'],
  ])('treats %s as public (%s)', (_, address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});

/** DNS for tests: the names given, and ENOTFOUND for every other name. */
const dns =
  (names: Record<string, string[]>): UrlGuardOptions['resolveHost'] =>
  async (host) => {
    const addresses = names[host];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addresses;
  };

const publicIdp = dns({ 'idp.example.com': ['93.184.215.14'] });
const faultsOf = async (url: string, options: Partial<UrlGuardOptions> = {}) => {
  const checked = await guardUrl(url, { allowPrivateAddresses: false, resolveHost: publicIdp, ...options });
  return checked.ok ? [] : checked.findings.map((finding) => finding.fault);
};

describe('guardUrl', () => {
  it('passes an https URL whose host resolves to public addresses, with the address to connect to', async () => {
    const checked = await guardUrl('https://idp.example.com/sso', { allowPrivateAddresses: false, resolveHost: publicIdp });
    expect(checked).toEqual({ ok: true, url: new URL('https://idp.example.com/sso'), address: '93.184.215.14' });
  });

  it.each(blockedRanges.flatMap(({ range, first, last }) => [first, last].map((address) => [range, address] as const)))(
    'refuses a literal address in %s (%s)',
    async (_, address) => {
      const host = address.includes(':') ? `[${address}]` : address;
      expect(await faultsOf(`https://${host}/sso`)).toEqual(['private_address']);
    },
  );

  it('refuses a host name that resolves to a private address', async () => {
    expect(await faultsOf('https://idp.example.com/sso', { resolveHost: dns({ 'idp.example.com': ['10.0.0.8'] }) })).toEqual([
      'private_address',
    ]);
  });

  it('refuses a host name when any one of its addresses is private, and names that one', async () => {
    const resolveHost = dns({ 'idp.example.com': ['93.184.215.14', '169.254.169.254'] });
    const checked = await guardUrl('https://idp.example.com/sso', { allowPrivateAddresses: false, resolveHost });
    expect(checked.ok ? [] : checked.findings).toEqual([
      { fault: 'private_address', message: 'host idp.example.com resolves to 169.254.169.254, which is not a public address' },
    ]);
  });

  it('refuses a URL that is not absolute', async () => {
    expect(await faultsOf('/saml/sso')).toEqual(['not_absolute']);
  });

  it('refuses a scheme other than https or http', async () => {
    expect(await faultsOf('ftp://idp.example.com/metadata')).toEqual(['not_https']);
  });

  it('refuses http for a public host', async () => {
    expect(await faultsOf('http://idp.example.com/sso')).toEqual(['not_https']);
  });

  it('reports a host name that does not resolve', async () => {
    expect(await faultsOf('https://nowhere.example.com/sso')).toEqual(['unresolvable']);
  });

  it('accepts a private address, over http too, when private addresses are allowed', async () => {
    expect(await faultsOf('http://127.0.0.1:8080/sso', { allowPrivateAddresses: true })).toEqual([]);
  });

  it('still requires https for a public host when private addresses are allowed', async () => {
    expect(await faultsOf('http://idp.example.com/sso', { allowPrivateAddresses: true })).toEqual(['not_https']);
  });

  it('gives up resolving when the signal aborts', async () => {
    const checked = await guardUrl(
      'https://idp.example.com/sso',
      { allowPrivateAddresses: false, resolveHost: () => new Promise(() => {}) },
      AbortSignal.timeout(50),
    );
    expect(checked.ok ? [] : checked.findings.map((finding) => finding.fault)).toEqual(['unresolvable']);
  });
});

describe('a metadata URL that redirects', () => {
  /** Fetches through a fake server that redirects the first request to `location`; records what it was asked for. */
  async function fetchRedirectedTo(location: string, resolveHost = publicIdp) {
    const fetched: { url: string; address: string }[] = [];
    const fetchMetadata: FetchMetadata = async ({ url, address }) => {
      fetched.push({ url: url.href, address });
      return { status: 302, location, body: '', tooLarge: false };
    };
    const problems: Problem[] = [];
    const xml = await fetchMetadataDocument(
      'https://idp.example.com/metadata',
      { allowPrivateAddresses: false, resolveHost, fetchMetadata },
      (field, code, message) => problems.push({ field, code, message }),
    );
    return { xml, fetched, problems };
  }

  it('is not followed to the cloud metadata address', async () => {
    const { xml, fetched, problems } = await fetchRedirectedTo('http://169.254.169.254/latest/meta-data/');
    expect(xml).toBeUndefined();
    expect(fetched).toEqual([{ url: 'https://idp.example.com/metadata', address: '93.184.215.14' }]);
    expect(problems).toEqual([
      {
        field: 'metadataUrl',
        code: 'metadata_url_private_address',
        message: expect.stringContaining('redirects to http://169.254.169.254/latest/meta-data/, which host 169.254.169.254 resolves to'),
      },
      { field: 'metadataUrl', code: 'metadata_url_not_https', message: expect.stringContaining('must use https') },
    ]);
  });

  it('is not followed to a host name that resolves to a private address', async () => {
    const resolveHost = dns({ 'idp.example.com': ['93.184.215.14'], 'internal.example.com': ['10.1.2.3'] });
    const { xml, fetched, problems } = await fetchRedirectedTo('https://internal.example.com/metadata', resolveHost);
    expect(xml).toBeUndefined();
    expect(fetched).toHaveLength(1);
    expect(problems.map((problem) => problem.code)).toEqual(['metadata_url_private_address']);
  });

  it('is followed to another public host, which is fetched at its checked address', async () => {
    const resolveHost = dns({ 'idp.example.com': ['93.184.215.14'], 'cdn.example.net': ['203.0.114.7'] });
    const { fetched } = await fetchRedirectedTo('https://cdn.example.net/metadata', resolveHost);
    expect(fetched.slice(0, 2)).toEqual([
      { url: 'https://idp.example.com/metadata', address: '93.184.215.14' },
      { url: 'https://cdn.example.net/metadata', address: '203.0.114.7' },
    ]);
  });
});

describe('the SSO URL guard', () => {
  const submission = async (host: string) => ({
    kind: 'fields' as const,
    entityId: 'https://idp.example.com/saml',
    ssoUrl: `https://${host}/sso`,
    ssoBinding: 'redirect' as const,
    certificates: [(await generateSelfSignedCertificate({ commonName: 'Example IdP' })).certificatePem],
  });

  it.each(['[64:ff9b::7f00:1]', '[2002:7f00:1::]', '[::ffff:7f00:1]'])('refuses the literal %s', async (host) => {
    const result = await validateIdpConfig(await submission(host), { allowPrivateAddresses: false, now: new Date() });
    expect(result.ok ? [] : result.problems.map((p) => p.code)).toEqual(['sso_url_private_address']);
  });

  it('refuses a host name that resolves to a NAT64 address of loopback', async () => {
    const result = await validateIdpConfig(await submission('idp.example.com'), {
      allowPrivateAddresses: false,
      now: new Date(),
      resolveHost: async () => ['64:ff9b::7f00:1'],
    });
    expect(result.ok ? [] : result.problems.map((p) => p.code)).toEqual(['sso_url_private_address']);
  });

  it('accepts them, over http too, when private addresses are allowed', async () => {
    const result = await validateIdpConfig(
      { ...(await submission('[64:ff9b::7f00:1]')), ssoUrl: 'http://[64:ff9b::7f00:1]/sso' },
      { allowPrivateAddresses: true, now: new Date() },
    );
    expect(result.ok && result.config.ssoUrl).toBe('http://[64:ff9b::7f00:1]/sso');
  });
});
