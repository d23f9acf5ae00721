import type { Request } from 'express';
import { z } from 'zod';
import { createAccount, createUser, getUser, lookUpUsers, releaseUser, requireReason, setUserSsoState } from '../../domain/directory.js';
import { type ApiRoute, errorAnswer, invalidRequest } from '../apiRoute.js';
import type { ApiDeps } from '../deps.js';
import { accountCreatedResponse, userCreatedResponse, userLookupResponse, userResponse } from '../responses.js';
import { createAccountBody, createUserBody, releaseUserBody, setUserSsoBody, userLookupQuery, userSidSchema } from '../schemas.js';

const userSid = z.object({ sid: userSidSchema });
const noSuchUser = errorAnswer('not_found: no such user');

/** Accounts, users and their SSO state (support token). */
export function directoryRoutes({ database, clock }: ApiDeps): ApiRoute[] {
  const sidOf = (params: Request['params']) => userSid.shape.sid.parse(params.sid);
  return [
    {
      method: 'post',
      path: '/accounts',
      operationId: 'createAccount',
      tag: 'directory',
      summary: 'Create an account',
      body: createAccountBody,
      responses: { 201: { description: 'Created', schema: accountCreatedResponse }, 400: invalidRequest },
      async handler(req, res) {
        res.status(201).json(await createAccount(database.db, createAccountBody.parse(req.body)));
      },
    },
    {
      method: 'post',
      path: '/users',
      operationId: 'createUser',
      tag: 'directory',
      summary: 'Create a user, optionally with a password and account memberships',
      body: createUserBody,
      responses: {
        201: { description: 'Created', schema: userCreatedResponse },
        400: invalidRequest,
        409: errorAnswer('email_taken: a user with this email exists'),
        422: errorAnswer('unknown_account: an account SID does not exist; `details.missing` names them'),
      },
      async handler(req, res) {
        res.status(201).json(await createUser(database.db, createUserBody.parse(req.body)));
      },
    },
    {
      method: 'get',
      path: '/users',
      operationId: 'lookUpUsers',
      tag: 'directory',
      summary: 'Look a user up by email (case-insensitive) or SID: SSO state, connection, last SSO sign-in, live sessions',
      query: userLookupQuery,
      responses: { 200: { description: 'The matching users: none or one', schema: userLookupResponse }, 400: invalidRequest },
      async handler(req, res) {
        const query = userLookupQuery.parse(req.query);
        const by = query.sid !== undefined ? { sid: query.sid } : { email: query.email ?? '' };
        res.json({ items: await lookUpUsers(database.db, by, clock.now()) });
      },
    },
    {
      method: 'get',
      path: '/users/:sid',
      operationId: 'getUser',
      tag: 'directory',
      summary: 'A user and their SSO state',
      params: userSid,
      responses: { 200: { description: 'The user', schema: userResponse }, 400: invalidRequest, 404: noSuchUser },
      async handler(req, res) {
        res.json(await getUser(database.db, sidOf(req.params)));
      },
    },
    {
      method: 'put',
      path: '/users/:sid/sso',
      operationId: 'setUserSso',
      tag: 'directory',
      summary: "Set a user's SSO state: break-glass and manual changes, audited",
      params: userSid,
      body: setUserSsoBody,
      responses: {
        200: { description: 'The user as changed', schema: userResponse },
        400: errorAnswer(
          'reason_required: the body has no reason (or a blank one); invalid_request: another field failed validation, `details` lists every problem',
        ),
        404: noSuchUser,
        422: errorAnswer('connection_required or unknown_connection: enabling or enforcing needs an existing connection'),
      },
      async handler(req, res) {
        requireReason((req.body as { reason?: unknown } | undefined)?.reason ?? undefined);
        const body = setUserSsoBody.parse(req.body);
        res.json(await setUserSsoState(database.db, { sid: sidOf(req.params), ...body, actor: 'support' }));
      },
    },
    {
      method: 'post',
      path: '/users/:sid/release',
      operationId: 'releaseUser',
      tag: 'directory',
      summary: 'Free a user from their SSO connection (state none), so another onboarding may list them; audited',
      params: userSid,
      body: releaseUserBody,
      responses: { 200: { description: 'The user as released', schema: userResponse }, 400: invalidRequest, 404: noSuchUser },
      async handler(req, res) {
        const { reason } = releaseUserBody.parse(req.body);
        res.json(await releaseUser(database.db, { sid: sidOf(req.params), actor: 'support', reason }));
      },
    },
  ];
}
