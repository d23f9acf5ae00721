import { Router } from 'express';
import { createAccount, createUser, getUser, releaseUser, setUserSsoState } from '../../domain/directory.js';
import type { ApiDeps } from '../deps.js';
import { createAccountBody, createUserBody, releaseUserBody, setUserSsoBody, userSidSchema } from '../schemas.js';

export function directoryRouter({ database }: ApiDeps): Router {
  const router = Router();
  router.post('/accounts', async (req, res) => {
    res.status(201).json(await createAccount(database.db, createAccountBody.parse(req.body)));
  });
  router.post('/users', async (req, res) => {
    res.status(201).json(await createUser(database.db, createUserBody.parse(req.body)));
  });
  router.get('/users/:sid', async (req, res) => {
    res.json(await getUser(database.db, userSidSchema.parse(req.params.sid)));
  });
  router.put('/users/:sid/sso', async (req, res) => {
    const body = setUserSsoBody.parse(req.body);
    res.json(await setUserSsoState(database.db, { sid: userSidSchema.parse(req.params.sid), ...body, actor: 'support' }));
  });
  router.post('/users/:sid/release', async (req, res) => {
    const { reason } = releaseUserBody.parse(req.body);
    res.json(await releaseUser(database.db, { sid: userSidSchema.parse(req.params.sid), actor: 'support', reason }));
  });
  return router;
}
