import express, { type Express } from 'express';
import type { ApiDeps } from './deps.js';
import { refuseControlCharactersInUrl } from './middleware/controlCharacters.js';
import { errorHandler, notFoundHandler } from './middleware/errors.js';
import { requireSupportToken } from './middleware/supportAuth.js';
import { traceRequests } from './middleware/trace.js';
import { approvalsRouter } from './routes/approvals.js';
import { assetsRouter } from './routes/assets.js';
import { directoryRouter } from './routes/directory.js';
import { healthRouter } from './routes/health.js';
import { loginRouter } from './routes/login.js';
import { onboardingsRouter } from './routes/onboardings.js';
import { openapiRouter } from './routes/openapi.js';
import { samlRouter } from './routes/saml.js';
import { supportPagesRouter } from './routes/support.js';

/** Request bodies of the support API, in bytes: 1 MB, and 8 MB for a migration list by SIDs. */
export const apiBodyLimit = 1024 * 1024;
export const migrationListBodyLimit = 8 * 1024 * 1024;

export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // Pages are no-store and API answers change with every step, so hashing each body for an ETag is wasted work.
  app.set('etag', false);
  // Whose X-Forwarded-For is believed decides the client address every throttle counts by: only the
  // proxies named by TRUST_PROXY, or a caller could pick a fresh address for each guess.
  app.set('trust proxy', deps.config.trustProxy);
  app.use(traceRequests(deps.logger));
  app.use((req, res, next) => {
    const stop = deps.metrics.httpDuration.startTimer();
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched';
      deps.metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
      const seconds = stop({ method: req.method, route });
      if (route === '/saml/:connectionId/acs')
        deps.metrics.acsDuration.observe({ outcome: res.statusCode < 400 ? 'login' : 'refused' }, seconds);
    });
    next();
  });
  app.use(refuseControlCharactersInUrl);
  // The ACS first: it takes the most traffic, junk included, and shares no path with the others.
  app.use(samlRouter(deps));
  app.use(healthRouter(deps));
  app.use(assetsRouter());
  // Before the support guard: /api/me is the signed-in user's, with a session cookie, not a support token.
  app.use(loginRouter(deps));
  app.use(approvalsRouter(deps));
  app.use(supportPagesRouter(deps));
  // The API description is public: it holds no data, and tools fetch it without a token.
  app.use('/api', openapiRouter(deps));

  // Every log line about one onboarding carries its ID next to the trace ID.
  app.use('/api/onboardings/:id', (req, _res, next) => {
    req.log = req.log.child({ onboardingId: req.params.id });
    next();
  });

  const api = express.Router();
  api.use(requireSupportToken(deps));
  // A migration list by SIDs may name up to 200,000 users (~7.4 MB of JSON, api/schemas.ts); only that
  // route reads more than 1 MB. A body parsed here is not parsed again by the general parser below.
  api.post('/onboardings/:id/migration-list', express.json({ limit: migrationListBodyLimit }));
  api.use(express.json({ limit: apiBodyLimit }));
  api.use(directoryRouter(deps));
  api.use(onboardingsRouter(deps));
  app.use('/api', api);

  app.use(notFoundHandler());
  app.use(errorHandler());
  return app;
}
