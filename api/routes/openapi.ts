import { Router } from 'express';
import type { ApiDeps } from '../deps.js';
import { buildOpenApiDocument } from '../openapi.js';

/** `GET /api/openapi.json`: the support API described from the zod schemas that validate it. */
export function openapiRouter({ config }: ApiDeps): Router {
  const router = Router();
  // Built once: it depends only on the code and the public base URL.
  const document = buildOpenApiDocument({ serverUrl: config.publicBaseUrl });
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  return router;
}
