import express, { type Express, Router } from 'express';
import type { ApiRoute, Security } from './apiRoute.js';
import type { ApiDeps } from './deps.js';
import { refuseControlCharactersInUrl } from './middleware/controlCharacters.js';
import { errorHandler, notFoundHandler } from './middleware/errors.js';
import { requireSupportToken } from './middleware/supportAuth.js';
import { traceRequests } from './middleware/trace.js';
import { approvalsRouter } from './routes/approvals.js';
import { assetsRouter } from './routes/assets.js';
import { auditEventRoutes } from './routes/auditEvents.js';
import { connectionRoutes } from './routes/connections.js';
import { directoryRoutes } from './routes/directory.js';
import { healthRouter } from './routes/health.js';
import { loginRouter, sessionRoutes } from './routes/login.js';
import { onboardingRoutes } from './routes/onboardings.js';
import { openapiRoutes } from './routes/openapi.js';
import { samlRouter } from './routes/saml.js';
import { setupRouter } from './routes/setup.js';
import { supportPagesRouter } from './routes/support.js';
import { supportActionsRouter } from './routes/supportActions.js';
import { supportConnectionsRouter } from './routes/supportConnections.js';
import { supportDirectoryRouter } from './routes/supportDirectory.js';
import { supportStepsRouter } from './routes/supportSteps.js';

/** Request bodies of the support API, in bytes: 1 MB, unless a route names its own `jsonLimit`. */
export const apiBodyLimit = 1024 * 1024;

/** Mounts route definitions in their order, each with the text parser it names. */
function mount(router: Router, routes: readonly ApiRoute[]): Router {
  for (const route of routes) {
    const text = route.textBody ? [express.text({ type: route.textBody.types, limit: route.textBody.limit })] : [];
    router[route.method](route.path, ...text, (req, res) => route.handler(req, res));
  }
  return router;
}

export function createApp(deps: ApiDeps): Express {
  // One table both mounts the API and describes it (api/apiRoute.ts): what the document lists is what is
  // served, and each route is mounted where its documented security says, behind the support guard or before it.
  const described = [
    ...directoryRoutes(deps),
    ...onboardingRoutes(deps),
    ...connectionRoutes(deps),
    ...auditEventRoutes(deps),
    ...sessionRoutes(deps),
  ];
  const routes = [...described, ...openapiRoutes(deps, described)];
  const securedBy = (security: Security) => routes.filter((route) => (route.security ?? 'supportToken') === security);
  const supportApi = securedBy('supportToken');

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
  app.use('/api', mount(Router(), securedBy('sessionCookie')));
  app.use(approvalsRouter(deps));
  app.use(setupRouter(deps));
  // The console's actions first: /support/onboardings/new is theirs, not an onboarding's ID.
  app.use(supportActionsRouter(deps));
  app.use(supportStepsRouter(deps));
  app.use(supportPagesRouter(deps));
  app.use(supportConnectionsRouter(deps));
  app.use(supportDirectoryRouter(deps));
  // The API description is public: it holds no data, and tools fetch it without a token.
  app.use('/api', mount(Router(), securedBy('public')));

  // Every log line about one onboarding carries its ID next to the trace ID.
  app.use('/api/onboardings/:id', (req, _res, next) => {
    req.log = req.log.child({ onboardingId: req.params.id });
    next();
  });

  const api = express.Router();
  api.use(requireSupportToken(deps));
  // A route that takes more than 1 MB (a migration list by SIDs: 8 MB) reads its body first; a body
  // parsed there is not parsed again by the general parser below.
  for (const route of supportApi) {
    if (route.jsonLimit) api[route.method](route.path, express.json({ limit: route.jsonLimit }));
  }
  api.use(express.json({ limit: apiBodyLimit }));
  app.use('/api', mount(api, supportApi));

  app.use(notFoundHandler());
  app.use(errorHandler());
  return app;
}
