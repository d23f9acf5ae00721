import { randomBytes } from 'node:crypto';
import type { ApiDeps } from '../../api/deps.js';
import type { Database } from '../../db/client.js';
import { type ConnectionInput, newConnectionId, spEndpoints, upsertConnection } from '../../domain/connections.js';
import { createUser, setUserSsoState } from '../../domain/directory.js';
import { freePort } from '../../lib/ports.js';
import { testApiDeps, testConfig } from './deps.js';
import { listen, type TestServer } from './http.js';

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

export function plannedConnection(baseUrl: string) {
  const id = newConnectionId();
  return { id, ...spEndpoints(baseUrl, id) };
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
  if (state !== 'none') await setUserSsoState(database.db, { sid: user.sid, state, connectionId, actor: 'test' });
  return user;
}
