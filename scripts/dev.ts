// `npm run dev`: the whole system on embedded defaults. Every piece that the environment names
// (DATABASE_URL, TEMPORAL_ADDRESS) is used instead of the embedded one.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDatabase } from '../db/client.js';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../db/embedded.js';
import { migrateDatabase } from '../db/migrate.js';
import { ConfigError, loadConfig } from '../lib/config.js';
import { freePort } from '../lib/ports.js';
import { startTemporalDevServer, type TemporalDevServer } from '../lib/temporal-dev-server.js';
import { demoPassword, demoUsers, seedDemoData } from './demo-data.js';
import { ensureTemporalCli } from './temporal-cli.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const dataDir = resolve(root, '.data');

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolvePort(true);
    });
    socket.once('error', () => resolvePort(false));
  });
}

async function preferredPort(port: number): Promise<number> {
  return (await portInUse(port)) ? await freePort() : port;
}

function persistentToken(): string {
  const file = join(dataDir, 'support-token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const token = `sup_${randomBytes(24).toString('hex')}`;
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

const children: ChildProcess[] = [];
let temporal: TemporalDevServer | undefined;
let embedded: EmbeddedPostgres | undefined;
let stopping = false;

async function stopAll(code: number) {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping...');
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
        }),
    ),
  );
  await temporal?.stop();
  await embedded?.close();
  process.exit(code);
}

function startChild(name: string, entry: string, env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(root, entry)], { env, stdio: 'inherit', cwd: root });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${name} exited (${signal ?? code}); stopping everything`);
      void stopAll(1);
    }
  });
  children.push(child);
}

async function main() {
  mkdirSync(dataDir, { recursive: true });
  process.once('SIGINT', () => void stopAll(0));
  process.once('SIGTERM', () => void stopAll(0));

  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'development' };
  env.PORT ??= '3000';
  env.SUPPORT_API_TOKEN ??= persistentToken();

  if (!env.TEMPORAL_ADDRESS) {
    const cliPath = ensureTemporalCli();
    temporal = await startTemporalDevServer({
      cliPath,
      port: await preferredPort(7233),
      uiPort: await preferredPort(8233),
      dbFile: join(dataDir, 'temporal.db'),
      logFile: join(dataDir, 'temporal.log'),
    });
    env.TEMPORAL_ADDRESS = temporal.address;
    env.TEMPORAL_UI_URL ??= temporal.uiUrl;
  }
  if (!env.DATABASE_URL) {
    embedded = await startEmbeddedPostgres({ dataDir: join(dataDir, 'pglite'), port: await preferredPort(5433) });
    env.DATABASE_URL = embedded.url;
    // PGlite serves every connection through one session; a small pool per process is plenty.
    env.DATABASE_POOL_SIZE ??= '4';
  }
  const config = loadConfig(env);
  await migrateDatabase(config.databaseUrl as string);
  const database = createDatabase(config.databaseUrl as string, { max: 1 });
  const seeded = await seedDemoData(database.db);
  await database.close();

  startChild('worker', 'worker/main.ts', env);
  startChild('api', 'api/main.ts', env);

  const lines = [
    '',
    'SSO onboarding service is starting:',
    `  API              ${config.publicBaseUrl}`,
    `  Temporal UI      ${config.temporal.uiUrl ?? '(external Temporal: see its own UI)'}`,
    `  Temporal         ${config.temporal.address} (namespace ${config.temporal.namespace})`,
    `  Database         ${embedded ? `embedded PGlite in .data/pglite (${config.databaseUrl})` : 'DATABASE_URL'}`,
    `  Support token    ${env.SUPPORT_API_TOKEN}`,
    `  Demo users       ${demoUsers.join(', ')} (password ${demoPassword})${seeded ? '' : ' (kept from an earlier start)'}`,
    '  Ctrl-C stops everything; data stays in .data/ for the next start.',
    '',
  ];
  console.log(lines.join('\n'));
}

main().catch(async (error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  await stopAll(1);
});
