import { Router } from 'express';
import { cancelOnboardingById, getOnboarding, listOnboardings, startOnboarding } from '../../domain/onboardings.js';
import type { ApiDeps } from '../deps.js';
import { cancelOnboardingBody, createOnboardingBody } from '../schemas.js';

export function onboardingsRouter({ database, temporal, config }: ApiDeps): Router {
  const router = Router();
  router.post('/onboardings', async (req, res) => {
    const body = createOnboardingBody.parse(req.body);
    const { client } = await temporal();
    const started = await startOnboarding(database.db, client, config.temporal.taskQueue, {
      customerName: body.customerName,
      customerId: body.customerId,
      adminEmail: body.adminEmail,
      emailDomains: body.emailDomains,
      options: {
        reminderEveryMs: body.options.reminderEvery,
        approvalTimeoutMs: body.options.approvalTimeout,
        notifyUsers: body.options.notifyUsers,
        batchSize: body.options.batchSize,
      },
    });
    res.status(201).json(started);
  });
  router.get('/onboardings', async (_req, res) => {
    res.json({ items: await listOnboardings(database.db) });
  });
  router.get('/onboardings/:id', async (req, res) => {
    res.json(await getOnboarding(database.db, (await temporal()).client, req.params.id));
  });
  router.post('/onboardings/:id/cancel', async (req, res) => {
    const { reason } = cancelOnboardingBody.parse(req.body);
    res.json(await cancelOnboardingById(database.db, (await temporal()).client, req.params.id, reason));
  });
  return router;
}
