import { Router } from 'express';
import type { ApiDeps } from '../deps.js';
import { supportConsole } from './supportShared.js';

/** Placeholder: filled in by #13 item 3. */
export function supportConnectionsRouter(deps: ApiDeps): Router {
  const router = Router();
  void supportConsole(deps);
  return router;
}
