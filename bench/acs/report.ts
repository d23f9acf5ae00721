// The ACS benchmark's figures, targets and notes, from the phases' raw measurements.
import { availableParallelism } from 'node:os';
import type { ParallelBareResult } from '../support/bareParallel.js';
import type { BareResult } from '../support/bareValidation.js';
import { describeStatuses, type LoadResult } from '../support/load.js';
import { type CpuSplit, describeCpu } from '../support/procStat.js';
import type { Figure, Result, Target } from '../support/result.js';
import { type JunkPhase, settings, type ValidPhase } from './phases.js';

export interface AcsMeasurements {
  /** Cores busy on the machine before the run started, i.e. not ours. */
  idleLoad: number;
  /** Bare validation measured first and again after the ACS phases; the baseline is both together. */
  bare: [BareResult, BareResult];
  bareCpu: [CpuSplit, CpuSplit];
  /** Bare validation in one process per core at once: what the machine gives node-saml on all cores. */
  bareParallel: ParallelBareResult;
  one: ValidPhase;
  junk: JunkPhase[];
  /** The cheapest refusal, for reading the junk targets; not a target itself. */
  floor: JunkPhase;
  /** Forged responses refused at the signature, pairwise: with one certificate on file and at the cap. */
  signatureJunk: { single: JunkPhase[]; capped: JunkPhase[] };
  certificatesAtCap: number;
  two: ValidPhase;
}

const loadDetail = (load: LoadResult) =>
  `${load.completed} requests in ${load.elapsedSeconds.toFixed(1)} s, ${settings.concurrency} keep-alive connections, ` +
  `p50 ${load.p50Ms.toFixed(1)} ms, p99 ${load.p99Ms.toFixed(1)} ms`;

const notAccepted = (phase: ValidPhase) => phase.load.completed - phase.logins + phase.load.transportErrors;

/** CPU milliseconds the API process(es), and PostgreSQL, spent per request answered. */
const cpuMs = (cpu: CpuSplit, requests: number) => ({
  api: (cpu.api * 1000) / Math.max(1, requests),
  postgres: (cpu.postgres * 1000) / Math.max(1, requests),
});

export function acsReport(m: AcsMeasurements): Result {
  const [first, again] = m.bare;
  const validations = first.validations + again.validations;
  const bare = { validations, elapsedSeconds: first.elapsedSeconds + again.elapsedSeconds, perSecond: 0 };
  bare.perSecond = validations / bare.elapsedSeconds;
  const bareMs = 1000 / bare.perSecond;
  const bareCpuMs = ((m.bareCpu[0].bench + m.bareCpu[1].bench) * 1000) / validations;
  const drift = again.perSecond / first.perSecond;
  const login = cpuMs(m.one.cpu, m.one.logins);
  const loginTwo = cpuMs(m.two.cpu, m.two.logins);
  const figures: Figure[] = [
    {
      label: 'bare node-saml validatePostResponseAsync (baseline)',
      value: bare.perSecond,
      unit: 'logins/s',
      detail:
        `${bare.validations} sequential validations in ${bare.elapsedSeconds.toFixed(1)} s, in-process, 1 core ` +
        `(${bareMs.toFixed(2)} ms each, ${bareCpuMs.toFixed(2)} ms CPU); ${first.perSecond.toFixed(0)} before the ACS phases, ` +
        `${again.perSecond.toFixed(0)} after`,
    },
    {
      label: `bare node-saml in ${m.bareParallel.processes} processes at once`,
      value: m.bareParallel.perSecond,
      unit: 'logins/s',
      detail:
        `${(m.bareParallel.perSecond / bare.perSecond).toFixed(2)}× the baseline; ` +
        `${m.bareParallel.each.map((r) => r.perSecond.toFixed(0)).join(' + ')} logins/s, no API, database or load generator`,
    },
    { label: 'ACS valid logins, API_WORKERS=1', value: m.one.loginsPerSecond, unit: 'logins/s', detail: loadDetail(m.one.load) },
    { label: 'ACS valid logins, API_WORKERS=2', value: m.two.loginsPerSecond, unit: 'logins/s', detail: loadDetail(m.two.load) },
    ...m.junk.map((j) => ({
      label: `ACS junk refused, API_WORKERS=1: ${j.kind.label}`,
      value: j.load.perSecond,
      unit: 'requests/s',
      detail: `${j.kind.status} ${j.kind.reasonCode}; ${loadDetail(j.load)}`,
    })),
    {
      label: `ACS ${m.floor.kind.label}`,
      value: m.floor.load.perSecond,
      unit: 'requests/s',
      detail: `${m.floor.kind.status} ${m.floor.kind.reasonCode}; ${(m.floor.load.perSecond / m.one.loginsPerSecond).toFixed(1)}× a login; ${loadDetail(m.floor.load)}`,
    },
    ...[...m.signatureJunk.single, ...m.signatureJunk.capped].map((j) => ({
      label: `ACS forged response refused, API_WORKERS=1: ${j.kind.label}`,
      value: j.load.perSecond,
      unit: 'requests/s',
      detail: `${j.kind.status} ${j.kind.reasonCode}; ${(m.one.loginsPerSecond / j.load.perSecond).toFixed(2)}× the time of a login; ${loadDetail(j.load)}`,
    })),
    ...capPairs(m).map(({ single, capped }) => ({
      label: `cost of a forged response at ${m.certificatesAtCap} certificates ÷ at 1: ${single.kind.label.replace(/, 1 certificate on file$/, '')}`,
      value: single.load.perSecond / capped.load.perSecond,
      unit: '×',
      detail:
        `${capped.load.perSecond.toFixed(0)} vs ${single.load.perSecond.toFixed(0)} refusals/s; API CPU per refusal ` +
        `${cpuMs(capped.cpu, capped.load.completed).api.toFixed(2)} vs ${cpuMs(single.cpu, single.load.completed).api.toFixed(2)} ms; must be at most ~2×`,
    })),
    { label: 'non-303 answers during valid runs (must be 0)', value: notAccepted(m.one) + notAccepted(m.two), unit: 'answers' },
    {
      label: 'API CPU per valid login, API_WORKERS=1',
      value: login.api,
      unit: 'ms',
      detail: `+ PostgreSQL ${login.postgres.toFixed(2)} ms; ${(login.api / bareCpuMs).toFixed(2)}× the CPU of a bare validation`,
    },
    {
      label: 'API CPU per valid login, API_WORKERS=2',
      value: loginTwo.api,
      unit: 'ms',
      detail: `+ PostgreSQL ${loginTwo.postgres.toFixed(2)} ms; primary and both workers`,
    },
    ...m.junk.map((j) => {
      const refusal = cpuMs(j.cpu, j.load.completed);
      return {
        label: `API CPU per junk refusal: ${j.kind.label}`,
        value: refusal.api,
        unit: 'ms',
        detail: `+ PostgreSQL ${refusal.postgres.toFixed(2)} ms`,
      };
    }),
  ];

  const targets: Target[] = [
    {
      label: 'ACS single-core vs bare validation',
      ratio: m.one.loginsPerSecond / bare.perSecond,
      atLeast: 0.8,
      formula: 'ACS 1 worker ÷ bare',
      // One core to itself: bare CPU per validation ÷ API CPU per login.
      cpuBasis: bareCpuMs / login.api,
    },
    {
      label: 'ACS two workers vs bare single-core',
      ratio: m.two.loginsPerSecond / bare.perSecond,
      atLeast: 1.5,
      formula: 'ACS 2 workers ÷ bare',
      // Every core of the machine shared by the workers, PostgreSQL and the load generator.
      cpuBasis:
        (availableParallelism() * bareCpuMs) / (loginTwo.api + loginTwo.postgres + (m.two.cpu.bench * 1000) / Math.max(1, m.two.logins)),
    },
    ...m.junk.map((j) => {
      const refusal = cpuMs(j.cpu, j.load.completed);
      return {
        label: `junk cheaper than a login: ${j.kind.label}`,
        ratio: j.load.perSecond / m.one.loginsPerSecond,
        atLeast: 20,
        formula: 'junk refused/s ÷ valid logins/s (1 worker)',
        // API + PostgreSQL CPU per login ÷ the same per refusal.
        cpuBasis: (login.api + login.postgres) / (refusal.api + refusal.postgres),
      };
    }),
    ...capPairs(m).map(({ single, capped }) => ({
      label: `forged response at the certificate cap vs one certificate: ${single.kind.label.replace(/, 1 certificate on file$/, '')}`,
      ratio: capped.load.perSecond / single.load.perSecond,
      // At most twice the cost of the same refusal with one certificate on file.
      atLeast: 0.5,
      formula: `refusals/s with ${m.certificatesAtCap} certificates ÷ with 1`,
      cpuBasis:
        (cpuMs(single.cpu, single.load.completed).api + cpuMs(single.cpu, single.load.completed).postgres) /
        (cpuMs(capped.cpu, capped.load.completed).api + cpuMs(capped.cpu, capped.load.completed).postgres),
    })),
  ];

  const notes = [
    `CPU during the bare baseline: ${describeCpu(m.bareCpu[0])}; measured again: ${describeCpu(m.bareCpu[1])}`,
    `CPU during valid logins, API_WORKERS=1: ${describeCpu(m.one.cpu)}`,
    `CPU during valid logins, API_WORKERS=2: ${describeCpu(m.two.cpu)}`,
    ...m.junk.map((j) => `CPU during junk (${j.kind.label}): ${describeCpu(j.cpu)}`),
    `CPU during the refusal floor: ${describeCpu(m.floor.cpu)}, ${cpuMs(m.floor.cpu, m.floor.load.completed).api.toFixed(2)} ms API CPU per refusal`,
    `answers during valid runs: 1 worker {${describeStatuses(m.one.load.statuses)}}, 2 workers {${describeStatuses(m.two.load.statuses)}}, ` +
      `transport errors ${m.one.load.transportErrors + m.two.load.transportErrors}`,
  ];
  for (const j of [...m.junk, m.floor, ...m.signatureJunk.single, ...m.signatureJunk.capped].filter(
    (j) => j.unexpected > 0 || j.load.transportErrors > 0,
  )) {
    notes.push(`WARNING ${j.kind.label}: ${j.unexpected} answers other than ${j.kind.status}, ${j.load.transportErrors} transport errors`);
  }
  if (notAccepted(m.one) + notAccepted(m.two) > 0) {
    notes.push('WARNING: some valid-login requests were not answered 303; the login figures include refusals and are not trustworthy.');
  }
  const parallel = m.bareParallel.perSecond / bare.perSecond;
  if (parallel < 1.5) {
    notes.push(
      `The two-worker target (1.5× the baseline) is out of reach on this machine: node-saml alone, in ${m.bareParallel.processes} ` +
        `processes with nothing else running, reached ${parallel.toFixed(2)}×.`,
    );
  }
  if (Math.abs(drift - 1) > 0.1) {
    notes.push(
      `WARNING: bare validation ran ${(Math.abs(drift - 1) * 100).toFixed(0)} % ${drift > 1 ? 'faster' : 'slower'} at the end than at ` +
        'the start: the machine changed speed during the run (a neighbour or the host), so the ratios carry that much uncertainty.',
    );
  }
  const phases = [
    ...m.bareCpu,
    m.one.cpu,
    m.two.cpu,
    ...[...m.junk, ...m.signatureJunk.single, ...m.signatureJunk.capped].map((j) => j.cpu),
    m.floor.cpu,
  ];
  const neighbour = Math.max(...phases.map((cpu) => cpu.others / cpu.wallSeconds));
  if (neighbour > 0.2) {
    notes.push(
      `WARNING: other processes used up to ${neighbour.toFixed(2)} cores during a measurement; throughput figures and their ratios ` +
        'are skewed, the CPU-per-request figures much less so.',
    );
  }
  if (m.idleLoad > 0.2) {
    notes.push(`WARNING: ${m.idleLoad.toFixed(2)} cores were busy with other processes before the run; figures are skewed by a neighbour.`);
  }
  return { name: 'ACS throughput (POST /saml/:connectionId/acs)', figures, targets, notes };
}

/** The same forgery refused with one certificate on file and at the cap, side by side. */
function capPairs(m: AcsMeasurements): { single: JunkPhase; capped: JunkPhase }[] {
  return m.signatureJunk.single.flatMap((single, i) => {
    const capped = m.signatureJunk.capped[i];
    return capped ? [{ single, capped }] : [];
  });
}
