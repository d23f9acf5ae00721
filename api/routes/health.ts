import { Router } from 'express';
import { pingDatabase } from '../../db/client.js';
import { certificateExpiryDays } from '../../domain/certificateStatus.js';
import { onboardingsByStage, rolloutsInFlight } from '../../domain/supportOverview.js';
import { registerCertificateGauge, registerOnboardingGauges } from '../../lib/metrics.js';
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

export function healthRouter({ database, temporal, metrics, clock }: ApiDeps): Router {
  const router = Router();
  registerOnboardingGauges(metrics, {
    byStage: () => onboardingsByStage(database.sql),
    rollouts: () => rolloutsInFlight(database.sql),
  });
  registerCertificateGauge(metrics, () => certificateExpiryDays(database.sql, clock.now()));
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
