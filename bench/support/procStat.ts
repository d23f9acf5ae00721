// CPU time per process from /proc (Linux), to see where a load phase's time went: the API worker(s),
// PostgreSQL serving the bench database, the load generator, or something else on the machine.
// Without it a low figure cannot be told apart from a core shared with a neighbour.
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: /proc reports CPU time in these ticks; 100 on every mainstream Linux build. */
const ticksPerSecond = 100;

interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  cpuSeconds: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses; the fields after it start past the last ')'.
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const fields = text.slice(close + 2).split(' ');
    // After comm: state(0) ppid(1) … utime(11) stime(12).
    return { pid, comm, ppid: Number(fields[1]), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / ticksPerSecond };
  } catch {
    return undefined;
  }
}

function allStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) out.push(stat);
  }
  return out;
}

/** Busy CPU seconds of the whole machine, all cores (user, nice, system, irq, softirq, steal). */
function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / ticksPerSecond;
}

/** A PostgreSQL process title, e.g. "postgres: 15/main: postgres sso_bench_1 127.0.0.1(4242) idle". */
function processTitle(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

function treeOf(stats: ProcStat[], rootPid: number): Set<number> {
  const tree = new Set([rootPid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const s of stats) {
      if (!tree.has(s.pid) && tree.has(s.ppid)) {
        tree.add(s.pid);
        grew = true;
      }
    }
  }
  return tree;
}

/** The process and all its descendants (an API primary and its cluster workers) that are alive. */
export function processTree(rootPid: number): number[] {
  const stats = allStats();
  const tree = treeOf(stats, rootPid);
  return stats.filter((s) => tree.has(s.pid)).map((s) => s.pid);
}

/** Node processes below `rootPid`: cluster workers (tsx's esbuild helper is a separate, non-node child). */
export function childNodeProcesses(rootPid: number): number[] {
  const stats = allStats();
  const tree = treeOf(stats, rootPid);
  return stats.filter((s) => s.pid !== rootPid && tree.has(s.pid) && s.comm === 'node').map((s) => s.pid);
}

export interface CpuSnapshot {
  at: number;
  machine: number;
  api: Map<number, number>;
  /** Backends (and autovacuum workers) connected to the bench database. */
  postgresBench: number;
  /** The postmaster and its helpers (WAL writer, checkpointer, …), shared by every database. */
  postgresShared: number;
  bench: number;
}

export function cpuSnapshot(databaseName: string, apiRootPid?: number): CpuSnapshot {
  const stats = allStats();
  const apiPids = apiRootPid === undefined ? new Set<number>() : treeOf(stats, apiRootPid);
  const usage = process.cpuUsage();
  let postgresBench = 0;
  let postgresShared = 0;
  for (const s of stats.filter((p) => p.comm === 'postgres')) {
    const title = processTitle(s.pid);
    if (title.includes(` ${databaseName} `)) postgresBench += s.cpuSeconds;
    else if (!/ \d+\.\d+\.\d+\.\d+\(\d+\)| \[local\]/.test(title)) postgresShared += s.cpuSeconds;
  }
  return {
    at: performance.now(),
    machine: machineBusySeconds(),
    api: new Map(stats.filter((s) => apiPids.has(s.pid)).map((s) => [s.pid, s.cpuSeconds])),
    postgresBench,
    postgresShared,
    bench: (usage.user + usage.system) / 1e6,
  };
}

export interface CpuSplit {
  wallSeconds: number;
  /** CPU seconds per API process (primary first, then workers), over the interval. */
  apiByPid: [number, number][];
  api: number;
  postgres: number;
  bench: number;
  /** Everything else on the machine: other databases' backends, other people's processes. */
  others: number;
}

export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): CpuSplit {
  const apiByPid = [...after.api].map(([pid, seconds]): [number, number] => [pid, seconds - (before.api.get(pid) ?? 0)]);
  const api = apiByPid.reduce((sum, [, s]) => sum + s, 0);
  const postgres = after.postgresBench + after.postgresShared - (before.postgresBench + before.postgresShared);
  const bench = after.bench - before.bench;
  return {
    wallSeconds: (after.at - before.at) / 1000,
    apiByPid,
    api,
    postgres,
    bench,
    others: Math.max(0, after.machine - before.machine - api - postgres - bench),
  };
}

/** "API 0.98 cores (pid 12: 0.97), PostgreSQL 0.41, bench process 0.35, other processes 0.02" */
export function describeCpu(split: CpuSplit): string {
  const cores = (seconds: number) => (seconds / split.wallSeconds).toFixed(2);
  const perPid = split.apiByPid.map(([pid, s]) => `pid ${pid}: ${cores(s)}`).join(', ');
  const api = split.apiByPid.length > 0 ? `API ${cores(split.api)} cores (${perPid}), ` : '';
  return `${api}PostgreSQL ${cores(split.postgres)}, bench process ${cores(split.bench)}, other processes ${cores(split.others)}`;
}

/** CPU the rest of the machine uses while this process sleeps: a neighbour's load skews every figure. */
export async function backgroundLoad(sampleMs: number): Promise<number> {
  const before = machineBusySeconds();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, sampleMs));
  return (machineBusySeconds() - before) / ((performance.now() - started) / 1000);
}
