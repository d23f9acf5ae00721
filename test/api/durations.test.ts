import { describe, expect, it } from 'vitest';
import { isoDurationPattern, maxDurationMs, parseIsoDurationMs } from '../../lib/duration.js';
import { supportToken } from '../support/deps.js';
import { uniqueDomain, useApiEnv } from '../support/saml-app.js';

const day = 24 * 60 * 60_000;

describe('parseIsoDurationMs', () => {
  it.each([
    ['PT2S', 2000],
    ['PT1.5S', 1500],
    ['PT1H', 60 * 60_000],
    ['P3D', 3 * day],
    ['P1DT12H', 1.5 * day],
    ['P2W', 14 * day],
    ['P365D', 365 * day],
    ['P52W', 364 * day],
    ['PT8760H', 365 * day],
  ])('reads %s as %d ms', (value, ms) => {
    expect(parseIsoDurationMs(value)).toBe(ms);
  });

  it('caps durations at one year', () => {
    expect(maxDurationMs).toBe(365 * day);
    expect(parseIsoDurationMs('P365D')).toBe(maxDurationMs);
    expect(parseIsoDurationMs('P365DT1S')).toBeUndefined();
    expect(parseIsoDurationMs('P53W')).toBeUndefined();
    expect(parseIsoDurationMs('P999999999999D')).toBeUndefined();
  });

  it('refuses a run of nines that would read as Infinity', () => {
    const nines = '9'.repeat(400);
    for (const value of [`P${nines}`, `P${nines}D`, `PT${nines}S`, `P${nines}W`, `PT${nines}.5S`]) {
      expect(parseIsoDurationMs(value), value.slice(0, 12)).toBeUndefined();
    }
  });

  it.each(['', 'P', 'PT', 'P1M', 'P1Y', '1D', 'P-1D', 'P1DT', 'PT1D'])('refuses %j', (value) => {
    expect(parseIsoDurationMs(value)).toBeUndefined();
  });

  it('publishes a pattern that still matches every accepted duration', () => {
    for (const value of ['PT2S', 'P3D', 'P1DT12H', 'P365D']) expect(isoDurationPattern.test(value)).toBe(true);
  });
});

describe('durations in POST /api/onboardings', () => {
  const { app } = useApiEnv();

  async function createOnboarding(options: Record<string, unknown>) {
    const domain = uniqueDomain();
    const res = await fetch(`${app.baseUrl}/api/onboardings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${supportToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ customerName: 'Acme', adminEmail: `it@${domain}`, emailDomains: [domain], options }),
    });
    return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string; details?: unknown } } };
  }

  it('refuses a reminder interval over one year, naming the field and the maximum', async () => {
    const res = await createOnboarding({ reminderEvery: 'P999999999999D' });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('invalid_request');
    expect(res.body.error?.details).toEqual([{ path: 'options.reminderEvery', message: 'reminderEvery must be at most one year (P365D)' }]);
  });

  it('refuses an approval timeout of 400 nines of days rather than waiting for ever', async () => {
    const res = await createOnboarding({ approvalTimeout: `P${'9'.repeat(400)}D` });
    expect(res.status).toBe(400);
    expect(res.body.error?.details).toEqual([
      { path: 'options.approvalTimeout', message: 'approvalTimeout must be at most one year (P365D)' },
    ]);
  });

  it('still says what a duration looks like when the value is not one', async () => {
    const res = await createOnboarding({ reminderEvery: 'P1M' });
    expect(res.status).toBe(400);
    expect(res.body.error?.details).toEqual([
      { path: 'options.reminderEvery', message: 'reminderEvery must be an ISO 8601 duration such as PT2S or P3D' },
    ]);
  });
});
