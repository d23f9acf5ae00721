// Building a migration list by domain (domain/migrationLists.ts buildMigrationList: the list row,
// the entries with their flags, the counts, in one transaction) against the single
// `INSERT … SELECT` of the same rows into migration_list_entries, in the same database, on
// 100,000 matching users among 1,000,000. Repetitions alternate so neither side always runs on a
// warmer cache; each side's median is compared.
import { buildMigrationList, newListId } from '../domain/migrationLists.js';
import { createBenchDatabase } from './support/database.js';
import { analyzeUsers, insertBackgroundUsers, insertPlainUsers, median } from './support/population.js';
import type { Result } from './support/result.js';

export const name = 'migration-list';

const settings = { total: 1_000_000, matching: 100_000, otherDomains: 900, repetitions: 3 };
const progress = (message: string) => console.error(`[migration-list] ${message}`);

export async function run(): Promise<Result> {
  progress('creating and migrating a bench database');
  const bench = await createBenchDatabase();
  const { database } = bench;
  const sql = database.sql;
  try {
    const domain = 'big.bench.test';
    let started = performance.now();
    await insertBackgroundUsers(database, settings.total - settings.matching, settings.otherDomains);
    await insertPlainUsers(database, domain, settings.matching);
    await analyzeUsers(database);
    progress(
      `${settings.total} users (${settings.matching} in ${domain}) inserted in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    const onboardingId = 'ob_bench_migration_list';
    await sql`insert into onboardings (id, workflow_id, customer_name, admin_email, email_domains, options)
              values (${onboardingId}, ${`onboarding-${onboardingId}`}, 'Bench', ${`admin@${domain}`}, ${[domain]}::text[], '{}'::jsonb)`;
    // Scratch lists belong to another onboarding, so they never shift the measured lists' versions.
    const scratchOnboardingId = 'ob_bench_scratch';
    await sql`insert into onboardings (id, workflow_id, customer_name, admin_email, email_domains, options)
              values (${scratchOnboardingId}, ${`onboarding-${scratchOnboardingId}`}, 'Scratch', ${`admin@${domain}`}, ${[domain]}::text[], '{}'::jsonb)`;

    const built: number[] = [];
    const baseline: number[] = [];
    for (let i = 0; i < settings.repetitions; i++) {
      const listId = newListId();
      started = performance.now();
      const list = await buildMigrationList(sql, {
        listId,
        onboardingId,
        connectionDomains: [domain],
        source: { method: 'domain', domain },
      });
      built.push(performance.now() - started);
      if (list.total !== settings.matching) throw new Error(`buildMigrationList listed ${list.total} users, expected ${settings.matching}`);

      // The baseline: the same rows into the same table, with no flags, counts or list bookkeeping,
      // under a scratch list (the entries' foreign key needs a list row, made before the clock starts).
      const scratchId = newListId();
      await sql`insert into migration_lists (id, onboarding_id, version, method, params)
                values (${scratchId}, ${scratchOnboardingId}, ${i + 1}, 'domain', '{}'::jsonb)`;
      started = performance.now();
      const inserted = await sql`insert into migration_list_entries (list_id, user_sid, email)
                                 select ${scratchId}, u.sid, u.email from users u
                                 where lower(split_part(u.email, '@', 2)) = ${domain}`;
      baseline.push(performance.now() - started);
      if (inserted.count !== settings.matching)
        throw new Error(`the baseline inserted ${inserted.count} rows, expected ${settings.matching}`);
      progress(`repetition ${i + 1}: buildMigrationList ${built.at(-1)?.toFixed(0)} ms, INSERT … SELECT ${baseline.at(-1)?.toFixed(0)} ms`);
    }
    const builtMs = median(built);
    const baselineMs = median(baseline);
    const ratio = builtMs / baselineMs;
    return {
      name: 'Migration list by domain (100,000 of 1,000,000 users)',
      figures: [
        {
          label: 'buildMigrationList by domain',
          value: builtMs,
          unit: 'ms',
          detail: `median of ${settings.repetitions} (${built.map((v) => v.toFixed(0)).join(', ')} ms); ${settings.matching} entries with flags, list row and counts, one transaction`,
        },
        {
          label: 'baseline: one INSERT … SELECT',
          value: baselineMs,
          unit: 'ms',
          detail: `median of ${settings.repetitions} (${baseline.map((v) => v.toFixed(0)).join(', ')} ms); same rows into migration_list_entries, scratch list`,
        },
      ],
      // Lower is better here, so the target is stated as baseline ÷ list ≥ 1/3 (the list at most 3× the baseline).
      targets: [
        {
          label: `buildMigrationList at most 3× the INSERT … SELECT (is ${ratio.toFixed(2)}×)`,
          ratio: baselineMs / builtMs,
          atLeast: Number((1 / 3).toFixed(3)),
          formula: 'INSERT … SELECT ms ÷ buildMigrationList ms',
        },
      ],
      notes: [
        `${settings.total} users, ${settings.matching} in the measured domain, the rest over ${settings.otherDomains} other domains; repetitions alternate list, baseline, list, …`,
      ],
    };
  } finally {
    progress('dropping the bench database');
    await bench.drop();
  }
}
