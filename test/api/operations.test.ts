import { describe, expect, it } from 'vitest';
import { freePort } from '../../lib/ports.js';
import { supportToken, testApiDeps, testConfig, testDatabase } from '../support/deps.js';
import { listen } from '../support/http.js';
import { useApiEnv } from '../support/saml-app.js';

const { database, app } = useApiEnv();

describe('operations endpoints', () => {
  it('GET /healthz answers while the process is up', async () => {
    const res = await fetch(`${app.baseUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz reports ready when PostgreSQL and Temporal answer', async () => {
    const res = await fetch(`${app.baseUrl}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { database: { ok: true }, temporal: { ok: true } } });
  });

  it('GET /metrics serves Prometheus text with request counts and process metrics', async () => {
    await fetch(`${app.baseUrl}/healthz`);
    const res = await fetch(`${app.baseUrl}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('# TYPE login_results_total counter');
    expect(text).toContain('# TYPE saml_acs_duration_seconds histogram');
  });

  it('GET /metrics counts onboardings by stage from PostgreSQL', async () => {
    const id = `ob_${Date.now().toString(16).padStart(24, '0')}`;
    await database.sql`insert into onboardings (id, workflow_id, customer_name, admin_email, email_domains, stage, options)
                       values (${id}, ${`onboarding-${id}`}, 'Metrics Co', 'a@metrics.test', '{metrics.test}', 'list_review', '{}')`;
    const text = await (await fetch(`${app.baseUrl}/metrics`)).text();
    const count = Number(/^onboardings\{stage="list_review"\} (\d+)$/m.exec(text)?.[1]);
    expect(count).toBeGreaterThanOrEqual(1);
  });

  it('GET /metrics times ACS posts by outcome', async () => {
    await fetch(`${app.baseUrl}/saml/conn_000000000000000000000000/acs`, {
      method: 'POST',
      body: new URLSearchParams({ SAMLResponse: 'x' }),
    });
    const text = await (await fetch(`${app.baseUrl}/metrics`)).text();
    expect(text).toMatch(/saml_acs_duration_seconds_count\{outcome="refused"\} [1-9]/);
  });

  it('every response carries a trace ID', async () => {
    const res = await fetch(`${app.baseUrl}/healthz`);
    expect(res.headers.get('x-trace-id')).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('readiness when a dependency is down', () => {
  it('reports Temporal unreachable with 503 and names it, while the database check passes', async () => {
    const deadPort = await freePort();
    const db = testDatabase();
    const built = testApiDeps(testConfig({ TEMPORAL_ADDRESS: `127.0.0.1:${deadPort}` }), db);
    const s = await listen(built.app);
    try {
      const res = await fetch(`${s.url}/readyz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as {
        status: string;
        checks: { database: { ok: boolean }; temporal: { ok: boolean; error: string } };
      };
      expect(body.status).toBe('not_ready');
      expect(body.checks.database).toEqual({ ok: true });
      expect(body.checks.temporal.ok).toBe(false);
      expect(body.checks.temporal.error).toBeTruthy();
    } finally {
      await s.close();
      await built.closeTemporal();
      await db.close();
    }
  });

  it('reports the database unreachable with 503', async () => {
    const deadPort = await freePort();
    const db = testDatabase();
    const { createDatabase } = await import('../../db/client.js');
    const unreachable = createDatabase(`postgres://postgres@127.0.0.1:${deadPort}/none`, { max: 1 });
    const built = testApiDeps(testConfig(), unreachable);
    const s = await listen(built.app);
    try {
      const res = await fetch(`${s.url}/readyz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { checks: { database: { ok: boolean }; temporal: { ok: boolean } } };
      expect(body.checks.database.ok).toBe(false);
      expect(body.checks.temporal.ok).toBe(true);
    } finally {
      await s.close();
      await built.closeTemporal();
      await unreachable.close();
      await db.close();
    }
  });
});

describe('support API guard and error shape', () => {
  it('refuses a missing or wrong bearer token with 401 in the contract error shape', async () => {
    const missing = await fetch(`${app.baseUrl}/api/onboardings`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: { code: 'unauthorized', message: expect.any(String) } });
    const wrong = await fetch(`${app.baseUrl}/api/onboardings`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
  });

  it('answers an unknown API route with a JSON 404', async () => {
    const res = await fetch(`${app.baseUrl}/api/nothing-here`, { headers: { authorization: `Bearer ${supportToken}` } });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('answers malformed JSON with 400 malformed_body, not a 5xx', async () => {
    const res = await fetch(`${app.baseUrl}/api/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${supportToken}`, 'content-type': 'application/json' },
      body: '{"name":',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'malformed_body' } });
  });

  it('answers an oversized body with 413', async () => {
    const res = await fetch(`${app.baseUrl}/api/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${supportToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: 'payload_too_large' } });
  });
});
