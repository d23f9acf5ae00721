// Load on the ACS from outside: the production API process, and a SAMLResponse form posted to it over
// node:http with a keep-alive agent (fetch pools its own connections; a load run wants to choose them).
import { type Agent, type IncomingHttpHeaders, request } from 'node:http';
import { inject } from 'vitest';
import { freePort } from '../../lib/ports.js';
import { approvalSecret, supportToken } from './deps.js';
import { type ApiProcess, startApiProcess } from './processes.js';

/** api/main.ts as production runs it, on the run's database; nothing listens at its Temporal address (logins never wait on it). */
export async function startProductionApi(port: number, nodeArgs: string[] = []): Promise<ApiProcess> {
  return await startApiProcess(
    port,
    {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      SUPPORT_API_TOKEN: supportToken,
      APPROVAL_LINK_SECRET: approvalSecret,
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
    },
    { nodeArgs, timeoutMs: 30_000 },
  );
}

export interface AcsAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What postAcsForm rejects with when the answer does not come within its timeoutMs (the request is destroyed). */
export class NoAnswerError extends Error {}

/**
 * Posts `samlResponse` as the SAMLResponse field of a form to `acsUrl` on `agent`, asking for JSON; resolves with
 * the answer. Rejects when the connection fails, or with NoAnswerError after `timeoutMs` (none unless told).
 */
export function postAcsForm(agent: Agent, acsUrl: string, samlResponse: string, options: { timeoutMs?: number } = {}): Promise<AcsAnswer> {
  const url = new URL(acsUrl);
  const body = new URLSearchParams({ SAMLResponse: samlResponse }).toString();
  return new Promise<AcsAnswer>((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    if (options.timeoutMs !== undefined) {
      const timeoutMs = options.timeoutMs;
      req.setTimeout(timeoutMs, () => {
        reject(new NoAnswerError(`no answer within ${timeoutMs} ms`));
        req.destroy();
      });
    }
    req.end(body);
  });
}
