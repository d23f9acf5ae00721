// The compiled build (issue #12 item 8): `npm run build` emits JavaScript that runs with plain `node`, no tsx,
// as the Docker image and `npm run api` / `npm run worker` / `npm run db:migrate` run it. From the build
// output alone: the migrations apply to a fresh database (db/migrations copied beside db/migrate.js), the
// API answers /healthz and serves its stylesheet (api/pages/app.css copied beside the module that reads it),
// the worker bundles the compiled workflows (dist/workflows/index.js) and runs an onboarding's first steps,
// and the support CLI talks to the API.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../lib/ports.js';
import { approvalSecret, supportToken } from '../support/deps.js';
import {
  type ApiProcess,
  type ServiceProcess,
  serviceEnv,
  startApiProcess,
  startServiceProcess,
  startWorkerProcess,
  stopAllServiceProcesses,
} from '../support/processes.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
// Inside the project, so the compiled modules find node_modules and package.json's "type": "module"
// exactly as dist/ does; .scratch/ is ignored by git, Biome, tsc and the Docker context.
mkdirSync(join(root, '.scratch'), { recursive: true });
const outDir = mkdtempSync(join(root, '.scratch', 'compiled-build-'));
const entry = (path: string) => relative(root, join(outDir, path));

const dbName = `sso_compiled_${process.pid}_${Date.now()}`;
const admin = postgres(inject('adminDatabaseUrl'), { max: 1, onnotice: () => {} });
const databaseUrl = (() => {
  const url = new URL(inject('adminDatabaseUrl'));
  url.pathname = `/${dbName}`;
  return url.toString();
})();
const settings = {
  DATABASE_URL: databaseUrl,
  TEMPORAL_ADDRESS: inject('temporalAddress'),
  TEMPORAL_TASK_QUEUE: `compiled-${process.pid}`,
  SUPPORT_API_TOKEN: supportToken,
  APPROVAL_LINK_SECRET: approvalSecret,
  DNS_RESOLVER: '127.0.0.1:1',
};
let build: { code: number | null; output: string };
let api: ApiProcess | undefined;
let worker: ServiceProcess | undefined;

/** A short-lived command from the project root (the process helpers take no arguments after the entry). */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/** A compiled entry point run to its end with plain node. */
async function runCompiled(name: string, path: string, env: Record<string, string>) {
  const child = startServiceProcess({ name, entry: entry(path), loader: 'node', env: serviceEnv(env) });
  const { code } = await child.exited;
  return { code, output: child.output() };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

beforeAll(async () => {
  build = await run('npm', ['run', 'build', '--', '--out-dir', outDir]);
  if (build.code !== 0) throw new Error(`npm run build failed (${build.code}):\n${build.output.slice(-4000)}`);
  await admin.unsafe(`create database ${dbName}`);
}, 300_000);

afterAll(async () => {
  await stopAllServiceProcesses();
  await admin.unsafe(`drop database if exists ${dbName} with (force)`);
  await admin.end();
  rmSync(outDir, { recursive: true, force: true });
});

describe('the compiled build', () => {
  it('holds the product code as JavaScript and the files it reads beside itself, and no tests or benchmarks', () => {
    for (const path of [
      'api/main.js',
      'worker/main.js',
      'workflows/index.js',
      'db/migrate-cli.js',
      'scripts/cli.js',
      'api/pages/app.css',
    ]) {
      expect(existsSync(join(outDir, path)), path).toBe(true);
    }
    expect(readFileSync(join(outDir, 'api/pages/app.css'))).toEqual(readFileSync(join(root, 'api/pages/app.css')));
    const migrations = readdirSync(join(root, 'db/migrations')).filter((f) => f.endsWith('.sql'));
    expect(readdirSync(join(outDir, 'db/migrations')).filter((f) => f.endsWith('.sql'))).toEqual(migrations);
    expect(existsSync(join(outDir, 'db/migrations/meta/_journal.json'))).toBe(true);
    expect(existsSync(join(outDir, 'test'))).toBe(false);
    expect(existsSync(join(outDir, 'bench'))).toBe(false);
    expect(filesUnder(outDir).filter((f) => f.endsWith('.ts'))).toEqual([]);
  });

  it('applies the migrations to a fresh database with node dist/db/migrate-cli.js', async () => {
    const migrate = await runCompiled('migrate', 'db/migrate-cli.js', { DATABASE_URL: databaseUrl });
    expect(migrate.output).toContain('migrations applied');
    expect(migrate.code).toBe(0);
    const sql = postgres(databaseUrl, { max: 1 });
    const [row] = await sql`select count(*)::int as n from drizzle.__drizzle_migrations`;
    await sql.end();
    expect(row?.n).toBe(readdirSync(join(root, 'db/migrations')).filter((f) => f.endsWith('.sql')).length);
  });

  it('starts the API with node dist/api/main.js: /healthz answers and the stylesheet is served', async () => {
    api = await startApiProcess(await freePort(), settings, { entry: entry('api/main.js'), loader: 'node' });
    const health = await fetch(`${api.baseUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const css = await fetch(`${api.baseUrl}/assets/app.css`);
    expect(css.status).toBe(200);
    expect(Buffer.from(await css.arrayBuffer())).toEqual(readFileSync(join(root, 'api/pages/app.css')));
    const login = await fetch(`${api.baseUrl}/login`);
    expect(login.status).toBe(200);
    expect(await login.text()).toMatch(/\/assets\/app\.css\?v=[0-9a-f]{12}/);
  });

  it('starts the worker with node dist/worker/main.js: it bundles the compiled workflows and runs an onboarding', async () => {
    worker = await startWorkerProcess(settings, { entry: entry('worker/main.js'), loader: 'node', timeoutMs: 180_000 });
    expect(api).toBeDefined();
    const baseUrl = (api as ApiProcess).baseUrl;
    const headers = { authorization: `Bearer ${supportToken}`, 'content-type': 'application/json' };
    const created = await fetch(`${baseUrl}/api/onboardings`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ customerName: 'Compiled Corp', adminEmail: 'it@compiled.test', emailDomains: ['compiled.test'] }),
    });
    const body = (await created.json()) as { id: string };
    expect(created.status, JSON.stringify(body)).toBe(201);
    // The stage and events come from a query the worker answers with the compiled workflow code.
    const deadline = Date.now() + 60_000;
    let view: { stage?: string; events?: { type: string; detail?: string }[] } = {};
    while (Date.now() < deadline) {
      view = (await (await fetch(`${baseUrl}/api/onboardings/${body.id}`, { headers })).json()) as typeof view;
      if (view.events?.some((e) => e.type === 'stage' && e.detail === 'config_intake')) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(view.stage, `${JSON.stringify(view)}\n${worker.output().slice(-2000)}`).toBe('config_intake');
    expect(view.events?.map((e) => e.type)).toContain('started');
    expect(worker.running()).toBe(true);
  }, 240_000);

  it('runs the support CLI with node dist/scripts/cli.js', async () => {
    expect(api).toBeDefined();
    const cli = await run(process.execPath, [join(outDir, 'scripts/cli.js'), 'status'], {
      ...serviceEnv({ API_URL: (api as ApiProcess).baseUrl, SUPPORT_API_TOKEN: supportToken }),
    });
    expect(cli.output).toMatch(/Compiled Corp|No onboardings yet/);
    expect(cli.code).toBe(0);
  });
});
