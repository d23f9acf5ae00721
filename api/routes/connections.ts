// A live connection in any stage, completed onboardings included (support token): its IdP side, edits,
// certificates added and removed, switched off and on. Every change names its reason and is audited.
import {
  addCertificate,
  connectionView,
  disableConnection,
  editConnection,
  enableConnection,
  removeCertificate,
} from '../../domain/liveConnections.js';
import { connectionTestReports } from '../../domain/testSignIns.js';
import { type ApiRoute, errorAnswer, invalidRequest } from '../apiRoute.js';
import type { ApiDeps } from '../deps.js';
import { certificateSchema, connectionDetailResponse, connectionDisabledResponse, connectionTestsResponse } from '../responses.js';
import { certificateBody, certificateParams, changeReasonBody, connectionEditBody, connectionParams } from '../schemas.js';

const noSuchConnection = errorAnswer('not_found: no connection with this ID');

export function connectionRoutes({ database, config, clock, connections }: ApiDeps): ApiRoute[] {
  const view = (id: string) => connectionView(database.db, id, { publicBaseUrl: config.publicBaseUrl, now: clock.now() });
  // A change made here is seen at once by this process's ACS; other API processes see it within the cache's 5 s.
  const changed = (id: string) => {
    connections.forget(id);
    return view(id);
  };
  const idOf = (params: unknown) => connectionParams.parse(params).id;
  const change = (reason: string) => ({ actor: 'support', reason, now: clock.now() });
  return [
    {
      method: 'get',
      path: '/connections/:id',
      operationId: 'getConnection',
      tag: 'connections',
      summary: "A connection's SP and IdP sides, with every certificate and how many days it has left",
      params: connectionParams,
      responses: { 200: { description: 'The connection', schema: connectionDetailResponse }, 400: invalidRequest, 404: noSuchConnection },
      async handler(req, res) {
        res.json(await view(idOf(req.params)));
      },
    },
    {
      method: 'get',
      path: '/connections/:id/tests',
      operationId: 'listConnectionTests',
      tag: 'connections',
      summary: "The connection's test sign-ins, newest first (at most 20): every check with its fix, what was signed, the email found",
      params: connectionParams,
      responses: { 200: { description: 'The reports', schema: connectionTestsResponse }, 400: invalidRequest, 404: noSuchConnection },
      async handler(req, res) {
        const id = idOf(req.params);
        await view(id);
        res.json({ items: await connectionTestReports(database.db, id) });
      },
    },
    {
      method: 'patch',
      path: '/connections/:id',
      operationId: 'editConnection',
      tag: 'connections',
      summary: "Change a connection's SSO URL, binding, logout URL, email attribute or metadata URL; audited",
      params: connectionParams,
      body: connectionEditBody,
      responses: {
        200: { description: 'The connection as changed', schema: connectionDetailResponse },
        400: invalidRequest,
        404: noSuchConnection,
        422: errorAnswer('invalid_idp_config: `details` lists every problem as {field, code, message}'),
      },
      async handler(req, res) {
        const id = idOf(req.params);
        const { reason, ...edit } = connectionEditBody.parse(req.body);
        await editConnection(database.db, id, edit, change(reason), { allowPrivateAddresses: config.allowPrivateIdpUrls });
        res.json(await changed(id));
      },
    },
    {
      method: 'post',
      path: '/connections/:id/certificates',
      operationId: 'addCertificate',
      tag: 'connections',
      summary: 'Add a signing certificate; it verifies logins at once',
      params: connectionParams,
      body: certificateBody,
      responses: {
        201: { description: 'Added', schema: certificateSchema },
        400: invalidRequest,
        404: noSuchConnection,
        409: errorAnswer('certificate_exists: the connection already has it'),
        422: errorAnswer('invalid_idp_config: the certificate has problems (expired, weak key, …); too_many_certificates'),
      },
      async handler(req, res) {
        const { certificate, reason } = certificateBody.parse(req.body);
        const id = idOf(req.params);
        const added = await addCertificate(database.db, id, certificate, change(reason));
        connections.forget(id);
        res.status(201).json(added);
      },
    },
    {
      method: 'delete',
      path: '/connections/:id/certificates/:fingerprintSha256',
      operationId: 'removeCertificate',
      tag: 'connections',
      summary: 'Retire a signing certificate; it no longer verifies logins',
      params: certificateParams,
      body: changeReasonBody,
      responses: {
        200: { description: 'The connection as changed', schema: connectionDetailResponse },
        400: invalidRequest,
        404: errorAnswer('not_found: no such connection, or it has no such certificate'),
        409: errorAnswer('last_certificate: the only current certificate cannot be removed'),
      },
      async handler(req, res) {
        const { id, fingerprintSha256 } = certificateParams.parse(req.params);
        const { reason } = changeReasonBody.parse(req.body ?? {});
        await removeCertificate(database.db, id, fingerprintSha256, change(reason));
        res.json(await changed(id));
      },
    },
    {
      method: 'post',
      path: '/connections/:id/disable',
      operationId: 'disableConnection',
      tag: 'connections',
      summary: 'Switch a connection off: logins refused (connection_disabled), its sessions ended, discovery skips it',
      params: connectionParams,
      body: changeReasonBody,
      responses: {
        200: { description: 'Disabled', schema: connectionDisabledResponse },
        400: invalidRequest,
        404: noSuchConnection,
      },
      async handler(req, res) {
        const id = idOf(req.params);
        const { reason } = changeReasonBody.parse(req.body);
        const { lockedOut } = await disableConnection(database.db, id, change(reason));
        res.json({ ...(await changed(id)), lockedOut });
      },
    },
    {
      method: 'post',
      path: '/connections/:id/enable',
      operationId: 'enableConnection',
      tag: 'connections',
      summary: 'Switch a disabled connection on again (pending until its domains are verified)',
      params: connectionParams,
      body: changeReasonBody,
      responses: {
        200: { description: 'Enabled', schema: connectionDetailResponse },
        400: invalidRequest,
        404: noSuchConnection,
      },
      async handler(req, res) {
        const id = idOf(req.params);
        const { reason } = changeReasonBody.parse(req.body);
        await enableConnection(database.db, id, change(reason));
        res.json(await changed(id));
      },
    },
  ];
}
