// The SSRF guard's address check: IPv6 forms that carry an IPv4 address are judged by that address,
// since a NAT64 gateway, a 6to4 or Teredo relay or the kernel itself delivers them to it.
import { describe, expect, it } from 'vitest';
import { isPublicAddress, validateIdpConfig } from '../../domain/idpConfig.js';
import { generateSelfSignedCertificate } from '../support/idp/self-signed.js';

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
