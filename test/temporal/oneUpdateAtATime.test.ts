// Async Update handlers run one at a time (issue #12 item 2, Temporal's safe-message-handlers pattern):
// two IdP submissions sent together never have their activities in flight at once.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useOnboardingEnv } from '../support/onboarding-env.js';

const { env } = useOnboardingEnv();
let server: Server;
let metadataUrl: string;
const seen = { requests: 0, inFlight: 0, maxInFlight: 0 };
/** How long a fetch waits for a second one to overlap it: time enough for both to arrive if nothing serialises them. */
const overlapWindowMs = 2_000;

beforeAll(async () => {
  // A metadata server that holds each request until another arrives (or the window passes), so two
  // fetches in flight together are seen together; it answers 404, which the intake reports as a problem.
  const waiting: (() => void)[] = [];
  server = createServer((_req, res) => {
    seen.requests += 1;
    seen.inFlight += 1;
    seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
    let answered = false;
    const answer = () => {
      if (answered) return;
      answered = true;
      seen.inFlight -= 1;
      res.writeHead(404).end();
    };
    for (const release of waiting.splice(0)) release();
    if (seen.inFlight >= 2) return answer();
    const timer = setTimeout(answer, overlapWindowMs);
    waiting.push(() => {
      clearTimeout(timer);
      answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  metadataUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metadata`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

describe('two IdP submissions sent at once', () => {
  it('are validated one after the other, each answered with its own problems', async () => {
    const domain = `serial-${randomBytes(3).toString('hex')}.test`;
    const started = await env.api<{ id: string }>('POST', '/api/onboardings', {
      customerName: `Customer ${domain}`,
      adminEmail: `admin@${domain}`,
      emailDomains: [domain],
      options: { reminderEvery: 'PT1H', approvalTimeout: 'P1D', notifyUsers: false },
    });
    expect(started.status).toBe(201);
    const submit = () => env.api<{ error: { code: string } }>('POST', `/api/onboardings/${started.body.id}/idp-config`, { metadataUrl });

    const answers = await Promise.all([submit(), submit()]);

    expect(answers.map((a) => [a.status, a.body.error.code])).toEqual([
      [422, 'invalid_idp_config'],
      [422, 'invalid_idp_config'],
    ]);
    expect(seen.requests).toBe(2);
    expect(seen.maxInFlight).toBe(1);
    await env.api('POST', `/api/onboardings/${started.body.id}/cancel`, { reason: 'test over' });
  });
});
