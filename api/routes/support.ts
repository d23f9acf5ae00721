import { Router } from 'express';
import type { ApiDeps } from '../deps.js';

/** The support dashboard (`/support`). */
export function supportPagesRouter(_deps: ApiDeps): Router {
  return Router();
}
