import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, requireSetting } from '../../lib/config.js';

function problemsOf(env: NodeJS.ProcessEnv): { variable: string; message: string }[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('applies the defaults of CONTRACT.md when nothing is set', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.publicBaseUrl).toBe('http://localhost:3000');
    expect(config.temporal.namespace).toBe('default');
    expect(config.temporal.taskQueue).toBe('sso-onboarding');
    expect(config.allowPrivateIdpUrls).toBe(false);
    expect(config.samlClockSkewMs).toBe(60_000);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.smtpUrl).toBeUndefined();
  });

  it('derives PUBLIC_BASE_URL from PORT and strips a trailing slash from an explicit one', () => {
    expect(loadConfig({ PORT: '8080' }).publicBaseUrl).toBe('http://localhost:8080');
    expect(loadConfig({ PUBLIC_BASE_URL: 'https://sso.example.com/' }).publicBaseUrl).toBe('https://sso.example.com');
  });

  it('names the variable when a port is not a number', () => {
    expect(problemsOf({ PORT: 'eighty' })).toEqual([expect.objectContaining({ variable: 'PORT' })]);
  });

  it('names every wrong variable at once', () => {
    const problems = problemsOf({
      DATABASE_URL: 'mysql://localhost/db',
      SAML_CLOCK_SKEW_MS: '-5',
      ALLOW_PRIVATE_IDP_URLS: 'maybe',
      SMTP_URL: 'http://mail',
      TEMPORAL_ADDRESS: 'no-port',
    });
    expect(problems.map((p) => p.variable).sort()).toEqual(
      ['ALLOW_PRIVATE_IDP_URLS', 'DATABASE_URL', 'SAML_CLOCK_SKEW_MS', 'SMTP_URL', 'TEMPORAL_ADDRESS'].sort(),
    );
  });

  it('says what is wrong in the message', () => {
    expect(() => loadConfig({ SUPPORT_API_TOKEN: 'short' })).toThrow(/SUPPORT_API_TOKEN must be at least 16 characters/);
    expect(() => loadConfig({ PUBLIC_BASE_URL: 'ftp://x' })).toThrow(/PUBLIC_BASE_URL/);
  });

  it('refuses private IdP URLs in production', () => {
    expect(problemsOf({ NODE_ENV: 'production', ALLOW_PRIVATE_IDP_URLS: 'true' })).toEqual([
      expect.objectContaining({ variable: 'ALLOW_PRIVATE_IDP_URLS' }),
    ]);
  });

  it('trusts X-Forwarded-For from loopback by default, and TRUST_PROXY names none, a hop count or the proxies', () => {
    expect(loadConfig({}).trustProxy).toBe('loopback');
    expect(loadConfig({ TRUST_PROXY: 'none' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.7' }).trustProxy).toBe('10.0.0.0/8, 192.168.1.7');
    expect(loadConfig({ TRUST_PROXY: 'fd00::/8' }).trustProxy).toBe('fd00::/8');
  });

  it('refuses a TRUST_PROXY that is none of those', () => {
    expect(problemsOf({ TRUST_PROXY: 'everyone' })).toEqual([
      expect.objectContaining({ variable: 'TRUST_PROXY', message: expect.stringMatching(/loopback, none, a hop count/) }),
    ]);
    expect(problemsOf({ TRUST_PROXY: '10.0.0.0/8; rm' })).toEqual([expect.objectContaining({ variable: 'TRUST_PROXY' })]);
  });

  it('caps an assertion at 10 minutes old by default, and SAML_MAX_ASSERTION_AGE_MS between a second and a day', () => {
    expect(loadConfig({}).samlMaxAssertionAgeMs).toBe(600_000);
    expect(loadConfig({ SAML_MAX_ASSERTION_AGE_MS: '120000' }).samlMaxAssertionAgeMs).toBe(120_000);
    for (const value of ['999', '86400001', '1.5', 'soon']) {
      expect(problemsOf({ SAML_MAX_ASSERTION_AGE_MS: value })).toEqual([
        expect.objectContaining({ variable: 'SAML_MAX_ASSERTION_AGE_MS' }),
      ]);
    }
  });

  it('uses the system resolvers unless DNS_RESOLVER names an IP address, optionally with a port', () => {
    expect(loadConfig({}).dnsResolver).toBeUndefined();
    for (const value of ['1.1.1.1', '127.0.0.1:5353', '2606:4700:4700::1111', '[::1]:53']) {
      expect(loadConfig({ DNS_RESOLVER: value }).dnsResolver).toBe(value);
    }
    for (const value of ['dns.example.com', '1.1.1.1:port', 'http://1.1.1.1']) {
      expect(problemsOf({ DNS_RESOLVER: value })).toEqual([
        expect.objectContaining({ variable: 'DNS_RESOLVER', message: 'must be an IP address, optionally with :port' }),
      ]);
    }
  });

  it('fails a process that needs a missing setting, naming it', () => {
    expect(() => requireSetting(loadConfig({}).databaseUrl, 'DATABASE_URL', 'for the API')).toThrow(/DATABASE_URL is required for the API/);
  });
});
