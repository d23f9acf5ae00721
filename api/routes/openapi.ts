import type { ApiRoute } from '../apiRoute.js';
import type { ApiDeps } from '../deps.js';
import { buildOpenApiDocument } from '../openapi.js';

/**
 * `GET /api/openapi.json`: the API described from the route definitions the app mounts (`described`),
 * this one included. Public: it holds no data, and tools fetch it without a token.
 */
export function openapiRoutes({ config }: ApiDeps, described: readonly ApiRoute[]): ApiRoute[] {
  const route: ApiRoute = {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    tag: 'meta',
    summary: 'This document',
    security: 'public',
    responses: { 200: { description: 'The OpenAPI 3.1 document', schema: { type: 'object' } } },
    handler(_req, res) {
      res.json(document);
    },
  };
  // Built once: it depends only on the code and the public base URL.
  const document = buildOpenApiDocument([...described, route], { serverUrl: config.publicBaseUrl });
  return [route];
}
