// Large user populations for the migration-list and rollout benchmarks: set-based inserts only, so
// a million rows take seconds, then ANALYZE so the planner sees what the benchmark measures against.
import type { Database } from '../../db/client.js';

/** `count` users `person<n>@<domain>` with SSO off; sids are derived from domain and n (format `US` + 32 hex). */
export async function insertPlainUsers(database: Database, domain: string, count: number): Promise<void> {
  await database.sql`
    insert into users (sid, email)
    select 'US' || md5(${domain} || ':' || n), 'person' || n || '@' || ${domain}
    from generate_series(1, ${count}::int) as n`;
}

/** `count` users spread over `domains` other domains, so the domain index has realistic selectivity. */
export async function insertBackgroundUsers(database: Database, count: number, domains: number): Promise<void> {
  await database.sql`
    insert into users (sid, email)
    select 'US' || md5('background:' || n), 'user' || n || '@other' || (n % ${domains}::int) || '.test'
    from generate_series(1, ${count}::int) as n`;
}

export async function analyzeUsers(database: Database): Promise<void> {
  await database.sql`analyze users`;
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

export const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
};
