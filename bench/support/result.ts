// What every benchmark module returns, and how run.ts prints it. Tables are Markdown so a run's
// output can be pasted into bench/RESULTS.md as it is.

export interface Figure {
  label: string;
  value: number;
  unit: string;
  /** How it was measured: duration, sample size, concurrency, anything a reader needs to trust it. */
  detail?: string;
}

/** A ratio between two figures of the same run, compared with the target the issue sets. */
export interface Target {
  label: string;
  ratio: number;
  atLeast: number;
  /** How the ratio is formed, e.g. "ACS logins/s ÷ bare logins/s". */
  formula: string;
  /**
   * The same ratio from CPU time per request instead of throughput: what the machine would show with
   * no neighbour stealing cores mid-run. Informational; the verdict is on `ratio`.
   */
  cpuBasis?: number;
}

export interface Result {
  name: string;
  figures: Figure[];
  targets: Target[];
  /** Observations made during the run: CPU split between processes, refusal counts, warnings. */
  notes: string[];
}

/** A benchmark module, as run.ts lists them. */
export interface Benchmark {
  name: string;
  run(): Promise<Result>;
}

export const verdict = (target: Target) => (target.ratio >= target.atLeast ? 'PASS' : 'MISS');

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function formatResult(result: Result): string {
  const figures = table(
    ['figure', 'value', 'unit', 'how'],
    result.figures.map((f) => [f.label, formatNumber(f.value), f.unit, f.detail ?? '']),
  );
  const targets = table(
    ['target', 'ratio', 'needed', 'verdict', 'ratio of', 'CPU basis'],
    result.targets.map((t) => [
      t.label,
      `${t.ratio.toFixed(2)}×`,
      `≥ ${t.atLeast}×`,
      verdict(t),
      t.formula,
      t.cpuBasis === undefined ? '' : `${t.cpuBasis.toFixed(2)}×`,
    ]),
  );
  const notes = result.notes.map((n) => `- ${n}`).join('\n');
  return `## ${result.name}\n\n${figures}\n\n${targets}\n${notes ? `\n${notes}\n` : ''}`;
}
