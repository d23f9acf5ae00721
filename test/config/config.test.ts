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

  it('fails a process that needs a missing setting, naming it', () => {
    expect(() => requireSetting(loadConfig({}).databaseUrl, 'DATABASE_URL', 'for the API')).toThrow(/DATABASE_URL is required for the API/);
  });
});
