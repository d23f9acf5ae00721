// The measured phases of the ACS benchmark. Each checks first that it measures what it claims (a
// login is accepted, junk is refused with its reason code), then warms up, then measures, recording
// the CPU each process used so a figure can be explained, not just read.
import { type Connection, maxCertificatesPerConnection, newConnectionId, spEndpoints, upsertConnection } from '../../domain/connections.js';
import { generateSelfSignedCertificate } from '../../test/support/idp/self-signed.js';
import { type ApiProcess, reserveApiPort, startApi } from '../support/apiProcess.js';
import type { BenchDatabase } from '../support/database.js';
import { formBody, type JunkKind } from '../support/junk.js';
import { type LoadResult, probe, runLoad } from '../support/load.js';
import { type CpuSplit, cpuBetween, cpuSnapshot } from '../support/procStat.js';
import type { Addressee, BenchIdp } from '../support/signing.js';

export const settings = {
  users: 2000,
  /** Closed-loop lanes, each on its own keep-alive connection. */
  concurrency: 16,
  warmupMs: 1500,
  measureMs: 6000,
  junkWarmupMs: 500,
  junkMeasureMs: 3000,
  /** Distinct responses cycled through by the bare baseline. */
  bareResponses: 300,
  /** Pools are sized from the rate expected, with this much headroom; a pool used up just ends the phase early. */
  poolHeadroom: 1.3,
};

export const progress = (message: string) => console.error(`[acs] ${message}`);

export interface AcsBench {
  idp: BenchIdp;
  to: Addressee;
  connection: Connection;
  baseUrl: string;
  port: number;
  database: BenchDatabase;
}

export interface ValidPhase {
  load: LoadResult;
  cpu: CpuSplit;
  logins: number;
  loginsPerSecond: number;
}

export interface JunkPhase {
  kind: JunkKind;
  load: LoadResult;
  cpu: CpuSplit;
  /** Answers other than the refusal expected. */
  unexpected: number;
}

/** The IdP key, the connection (with a chosen ID, so the ACS URL is known before the API starts). */
export async function setUpConnection(database: BenchDatabase): Promise<AcsBench> {
  const { port, baseUrl } = await reserveApiPort();
  const idp: BenchIdp = {
    entityId: 'https://idp.bench.test/metadata',
    key: await generateSelfSignedCertificate({ commonName: 'bench-idp' }),
  };
  const id = newConnectionId();
  const { acsUrl, entityId } = spEndpoints(baseUrl, id);
  const connection = await upsertConnection(database.database.db, {
    id,
    customerName: 'Bench',
    idpEntityId: idp.entityId,
    ssoUrl: 'https://idp.bench.test/sso',
    ssoBinding: 'redirect',
    emailDomains: ['bench.test'],
    certificates: [idp.key.certificatePem],
    status: 'active',
  });
  return { idp, to: { acsUrl, entityId }, connection, baseUrl, port, database };
}

/**
 * A second connection for the same IdP holding as many certificates as a connection may: the IdP's
 * last, after others', so a verifier that tries them in order reaches it only after all the rest.
 */
export async function setUpCappedConnection(bench: AcsBench): Promise<{ connection: Connection; to: Addressee }> {
  const others = await Promise.all(
    Array.from({ length: maxCertificatesPerConnection - 1 }, (_, i) =>
      generateSelfSignedCertificate({ commonName: `bench-idp-other-${i}` }),
    ),
  );
  const id = newConnectionId();
  const { acsUrl, entityId } = spEndpoints(bench.baseUrl, id);
  const connection = await upsertConnection(bench.database.database.db, {
    id,
    customerName: 'Bench capped',
    idpEntityId: bench.idp.entityId,
    ssoUrl: 'https://idp.bench.test/sso',
    ssoBinding: 'redirect',
    emailDomains: [],
    certificates: [...others.map((c) => c.certificatePem), bench.idp.key.certificatePem],
    status: 'active',
  });
  return { connection, to: { acsUrl, entityId } };
}

export async function withApi<T>(bench: AcsBench, workers: number, use: (api: ApiProcess) => Promise<T>): Promise<T> {
  progress(`starting the API with API_WORKERS=${workers}`);
  // For investigations: BENCH_API_NODE_ARGS="--cpu-prof --cpu-prof-dir=.scratch/prof" profiles the API, and
  // BENCH_API_ENTRY=.scratch/server.ts measures an experimental entry point with the same harness.
  const nodeArgs = process.env.BENCH_API_NODE_ARGS?.split(' ').filter(Boolean);
  const api = await startApi(bench.port, { databaseUrl: bench.database.url, workers, nodeArgs, entry: process.env.BENCH_API_ENTRY });
  try {
    return await use(api);
  } finally {
    await api.stop();
  }
}

/** One pre-generated response must log in (303 with a session) before any load, or the figures would measure refusals. */
async function checkLoginAccepted(bench: AcsBench, response: string) {
  const answer = await probe(bench.to.acsUrl, formBody({ SAMLResponse: response }));
  if (answer.status !== 303 || !answer.setsCookie) {
    throw new Error(`the ACS refused a bench login (${answer.status} ${answer.reasonCode ?? ''}); nothing to measure: ${answer.excerpt}`);
  }
}

async function checkJunkRefused(bench: AcsBench, kind: JunkKind) {
  const answer = await probe(kind.url ?? bench.to.acsUrl, kind.body);
  if (answer.status !== kind.status || answer.reasonCode !== kind.reasonCode) {
    throw new Error(
      `${kind.label}: expected ${kind.status} ${kind.reasonCode}, got ${answer.status} ${answer.reasonCode ?? ''}: ${answer.excerpt}`,
    );
  }
}

async function measured(bench: AcsBench, api: ApiProcess, run: () => Promise<LoadResult>) {
  const before = cpuSnapshot(bench.database.name, api.pid);
  const load = await run();
  return { load, cpu: cpuBetween(before, cpuSnapshot(bench.database.name, api.pid)) };
}

/** `pool[0]` is the pre-check; the rest are posted once each, warm-up first. */
export async function measureValidLogins(bench: AcsBench, api: ApiProcess, pool: string[]): Promise<ValidPhase> {
  await checkLoginAccepted(bench, pool[0] as string);
  const bodies = pool.slice(1).map((SAMLResponse) => formBody({ SAMLResponse }));
  let used = 0;
  const body = () => bodies[used++];
  const { concurrency, warmupMs, measureMs } = settings;
  progress(`warming up for ${warmupMs} ms`);
  await runLoad({ url: bench.to.acsUrl, concurrency, durationMs: warmupMs, body });
  progress(`measuring valid logins for ${measureMs} ms (${bodies.length - used} responses left)`);
  const { load, cpu } = await measured(bench, api, () => runLoad({ url: bench.to.acsUrl, concurrency, durationMs: measureMs, body }));
  const logins = load.statuses.get(303) ?? 0;
  return { load, cpu, logins, loginsPerSecond: logins / load.elapsedSeconds };
}

export async function measureJunk(bench: AcsBench, api: ApiProcess, kind: JunkKind): Promise<JunkPhase> {
  progress(`measuring junk: ${kind.label}`);
  await checkJunkRefused(bench, kind);
  const body = () => kind.body;
  const url = kind.url ?? bench.to.acsUrl;
  const { concurrency, junkWarmupMs, junkMeasureMs } = settings;
  await runLoad({ url, concurrency, durationMs: junkWarmupMs, body });
  const { load, cpu } = await measured(bench, api, () => runLoad({ url, concurrency, durationMs: junkMeasureMs, body }));
  return { kind, load, cpu, unexpected: load.completed - (load.statuses.get(kind.status) ?? 0) };
}

/** How many one-time responses a phase at `perSecond` can use, warm-up included. */
export const poolSize = (perSecond: number) =>
  1 + Math.ceil(perSecond * settings.poolHeadroom * ((settings.warmupMs + settings.measureMs) / 1000));
