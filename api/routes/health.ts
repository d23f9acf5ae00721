import { Router } from 'express';
import { pingDatabase } from '../../db/client.js';
import { registerOnboardingGauges } from '../../lib/metrics.js';
import { pingTemporal } from '../../lib/temporal.js';
import type { ApiDeps } from '../deps.js';

async function check(name: string, timeoutMs: number, probe: () => Promise<void>) {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${name} did not answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true as const };
  } catch (error) {
    return { ok: false as const, error: error instanceof Error ? error.message.split('\n')[0] : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

export function healthRouter({ database, temporal, metrics }: ApiDeps): Router {
  const router = Router();
  registerOnboardingGauges(metrics, {
    byStage: async () =>
      await database.sql<
        { stage: string; count: number }[]
      >`select stage::text as stage, count(*)::int as count from onboardings group by stage`,
    rollouts: async () =>
      (
        await database.sql<{ id: string; stage: string; total: number; enabled: number; enforced: number }[]>`
          select o.id, o.stage::text as stage,
                 count(*) filter (where not e.excluded)::int as total,
                 count(*) filter (where not e.excluded and e.enabled_at is not null)::int as enabled,
                 count(*) filter (where not e.excluded and e.enforced_at is not null)::int as enforced
          from onboardings o
          join lateral (select id from migration_lists where onboarding_id = o.id order by version desc limit 1) l on true
          join migration_list_entries e on e.list_id = l.id
          where o.stage in ('enabling', 'awaiting_go_ahead', 'enforcing')
          group by o.id, o.stage`
      ).map((r) => ({ onboardingId: r.id, stage: r.stage, total: r.total, enabled: r.enabled, enforced: r.enforced })),
  });
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const [db, tmp] = await Promise.all([
      check('database', 2000, () => pingDatabase(database)),
      check('temporal', 2000, async () => pingTemporal((await temporal()).connection)),
    ]);
    const ready = db.ok && tmp.ok;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks: { database: db, temporal: tmp } });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
