import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { ApiDeps } from '../../api/deps.js';
import type { Database } from '../../db/client.js';
import { type ConnectionInput, newConnectionId, spEndpoints, upsertConnection } from '../../domain/connections.js';
import { createUser, setUserSsoState } from '../../domain/directory.js';
import { freePort } from '../../lib/ports.js';
import { testApiDeps, testConfig, testDatabase } from './deps.js';
import { startedForFile } from './fixture.js';
import { listen, type TestServer } from './http.js';
import { generateSelfSignedCertificate } from './idp/self-signed.js';

export interface SamlTestApp {
  server: TestServer;
  baseUrl: string;
  deps: ApiDeps;
  close(): Promise<void>;
}

/** The API on a known loopback port, so the ACS URL in responses matches PUBLIC_BASE_URL. */
export async function startSamlTestApp(
  database: Database,
  overrides: Partial<ApiDeps> = {},
  env: NodeJS.ProcessEnv = {},
): Promise<SamlTestApp> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const built = testApiDeps(testConfig({ PUBLIC_BASE_URL: baseUrl, ...env }), database, overrides);
  const server = await listen(built.app, port);
  return {
    server,
    baseUrl,
    deps: built.deps,
    async close() {
      await server.close();
      await built.closeTemporal();
    },
  };
}

/**
 * For a test file (or describe block): its database, and the API on it as startSamlTestApp starts it, from
 * beforeAll to afterAll, when both are closed. `app` stands for the started API from the first test on.
 */
export function useApiEnv(
  options: {
    overrides?: Partial<ApiDeps>;
    /** Settings for testConfig, or what makes them once beforeAll runs. */
    env?: NodeJS.ProcessEnv | (() => Promise<NodeJS.ProcessEnv>);
  } = {},
): {
  database: Database;
  app: SamlTestApp;
} {
  const database = testDatabase();
  // Declared first, so it runs last: after the API has closed.
  afterAll(async () => {
    await database.close();
  });
  const app = startedForFile(
    'the API of useApiEnv()',
    async () => {
      const env = typeof options.env === 'function' ? await options.env() : options.env;
      return await startSamlTestApp(database, options.overrides, env);
    },
    (started) => started.close(),
  );
  return { database, app };
}

/**
 * For a test file: an SSO connection (an IdP at idp.example.test, redirect binding, a self-signed
 * certificate) for a fresh email domain, stored in beforeAll; its ID and domain are known at once.
 */
export function useSsoConnection(database: Database): { connectionId: string; domain: string } {
  const connectionId = newConnectionId();
  const domain = uniqueDomain();
  beforeAll(async () => {
    const cert = await generateSelfSignedCertificate({ commonName: 'idp.example.test' });
    await createTestConnection(database, {
      id: connectionId,
      idpEntityId: 'https://idp.example.test/metadata',
      ssoUrl: 'https://idp.example.test/sso',
      ssoBinding: 'redirect',
      emailDomains: [domain],
      certificates: [cert.certificatePem],
    });
  });
  return { connectionId, domain };
}

export function plannedConnection(baseUrl: string) {
  const id = newConnectionId();
  return { id, ...spEndpoints(baseUrl, id) };
}

/**
 * A connection stored under an ID planned on `baseUrl`; returns its ID and SP endpoints. Unless told, its IdP
 * signs in at https://idp.example.test/sso by HTTP-POST and it serves no email domain.
 */
export async function createPlannedConnection(
  database: Database,
  baseUrl: string,
  input: Pick<ConnectionInput, 'idpEntityId' | 'certificates'> & Partial<Omit<ConnectionInput, 'id'>>,
): Promise<ReturnType<typeof plannedConnection>> {
  const planned = plannedConnection(baseUrl);
  await createTestConnection(database, {
    ssoUrl: 'https://idp.example.test/sso',
    ssoBinding: 'post',
    emailDomains: [],
    ...input,
    id: planned.id,
  });
  return planned;
}

export async function createTestConnection(database: Database, input: Omit<ConnectionInput, 'customerName'> & { customerName?: string }) {
  return await upsertConnection(database.db, { customerName: 'Acme', ...input });
}

export const uniqueDomain = () => `acme-${randomBytes(4).toString('hex')}.test`;

/** A console user on file with the given SSO state for the connection. */
export async function ssoUser(
  database: Database,
  email: string,
  state: 'none' | 'enabled' | 'enforced',
  connectionId: string,
  password?: string,
) {
  const user = await createUser(database.db, { email, password });
  if (state !== 'none') await setUserSsoState(database.db, { sid: user.sid, state, connectionId, actor: 'test', reason: 'test setup' });
  return user;
}
