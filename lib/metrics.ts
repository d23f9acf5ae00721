import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** One registry per process (not prom-client's global), so tests can build as many apps as they like. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['method', 'route'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    acsDuration: new Histogram({
      name: 'saml_acs_duration_seconds',
      help: 'Time to answer a post at the Assertion Consumer Service, by outcome (login or refused)',
      labelNames: ['outcome'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    loginResults: new Counter({
      name: 'login_results_total',
      help: 'Login attempts by method and reason code (ok for success)',
      labelNames: ['method', 'reason'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

export interface OnboardingFigures {
  byStage(): Promise<{ stage: string; count: number }[]>;
  rollouts(): Promise<{ onboardingId: string; stage: string; total: number; enabled: number; enforced: number }[]>;
}

/**
 * Gauges read from PostgreSQL when Prometheus scrapes, so every API instance reports the same truth
 * and nothing has to be kept in step: onboardings by stage, and the progress of each rollout in flight.
 */
export function registerOnboardingGauges(metrics: Metrics, figures: OnboardingFigures): void {
  if (metrics.registry.getSingleMetric('onboardings')) return;
  new Gauge({
    name: 'onboardings',
    help: 'Onboardings by stage',
    labelNames: ['stage'] as const,
    registers: [metrics.registry],
    async collect() {
      this.reset();
      for (const row of await figures.byStage()) this.set({ stage: row.stage }, row.count);
    },
  });
  new Gauge({
    name: 'onboarding_rollout_users',
    help: 'Users of each onboarding in enabling or enforcing: listed (total), enabled, enforced',
    labelNames: ['onboarding_id', 'stage', 'state'] as const,
    registers: [metrics.registry],
    async collect() {
      this.reset();
      for (const row of await figures.rollouts()) {
        for (const state of ['total', 'enabled', 'enforced'] as const)
          this.set({ onboarding_id: row.onboardingId, stage: row.stage, state }, row[state]);
      }
    },
  });
}

/**
 * Days left (fractional, negative once expired) of each active connection's latest-expiring certificate
 * that still verifies logins (current or next): when it expires nobody signs in through the connection.
 * Read from PostgreSQL at each scrape, like the gauges above.
 */
export function registerCertificateGauge(metrics: Metrics, expiryDays: () => Promise<{ connectionId: string; days: number }[]>): void {
  if (metrics.registry.getSingleMetric('sso_connection_certificate_expiry_days')) return;
  new Gauge({
    name: 'sso_connection_certificate_expiry_days',
    help: "Days until each active connection's last signing certificate (the latest-expiring current or next one) expires",
    labelNames: ['connection'] as const,
    registers: [metrics.registry],
    async collect() {
      this.reset();
      for (const row of await expiryDays()) this.set({ connection: row.connectionId }, row.days);
    },
  });
}
