import { z } from 'zod';
import { parseIsoDurationMs } from './duration.js';

const booleanString = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], {
    error: 'must be true or false',
  })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const postgresUrl = z
  .string()
  .refine((value) => /^postgres(ql)?:\/\//.test(value), 'must be a postgres:// or postgresql:// URL')
  .refine((value) => URL.canParse(value), 'must be a valid URL');

const isoDuration = z
  .string()
  .refine((value) => (parseIsoDurationMs(value) ?? 0) >= 1000, 'must be an ISO 8601 duration from one second to a year, e.g. P1D or PT30S');

const hostPort = z.string().regex(/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/, 'must be host:port, e.g. localhost:7233');

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PORT: z.coerce
    .number({ error: 'must be a port number' })
    .int('must be a whole number')
    .min(0, 'must be between 0 and 65535')
    .max(65535, 'must be between 0 and 65535')
    .default(3000),
  API_WORKERS: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(64).default(1),
  PUBLIC_BASE_URL: z
    .url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' })
    .transform((value) => value.replace(/\/+$/, ''))
    .optional(),
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  TEMPORAL_ADDRESS: hostPort.default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1, 'must not be empty').default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1, 'must not be empty').default('sso-onboarding'),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS: booleanString.optional(),
  TEMPORAL_TLS_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().min(1).optional(),
  TEMPORAL_UI_URL: z.url({ error: 'must be an absolute URL' }).optional(),
  SUPPORT_API_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  SMTP_URL: z
    .string()
    .refine((value) => /^smtps?:\/\//.test(value) && URL.canParse(value), 'must be an smtp:// or smtps:// URL')
    .optional(),
  APPROVAL_LINK_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  MAIL_FROM: z.string().min(3).default('SSO onboarding <sso-onboarding@localhost>'),
  ALLOW_PRIVATE_IDP_URLS: booleanString.default(false),
  SAML_CLOCK_SKEW_MS: z.coerce
    .number({ error: 'must be a number of milliseconds' })
    .int('must be a whole number of milliseconds')
    .min(0, 'must not be negative')
    .max(600_000, 'must be at most 600000 (10 minutes)')
    .default(60_000),
  // An assertion is refused once its IssueInstant is older than this (plus the clock skew), however
  // long its own conditions would allow: a captured response cannot be saved up for later.
  SAML_MAX_ASSERTION_AGE_MS: z.coerce
    .number({ error: 'must be a number of milliseconds' })
    .int('must be a whole number of milliseconds')
    .min(1_000, 'must be at least 1000 (1 second)')
    .max(86_400_000, 'must be at most 86400000 (1 day)')
    .default(600_000),
  // Which hops may set X-Forwarded-For: Express's "trust proxy" (loopback, a CIDR list, or a hop count).
  TRUST_PROXY: z
    .string()
    .regex(/^(loopback|uniquelocal|linklocal|none|\d{1,2}|[0-9a-fA-F.:/]+(\s*,\s*[0-9a-fA-F.:/]+)*)$/, {
      error: 'must be loopback, none, a hop count, or a comma-separated list of addresses/CIDRs',
    })
    .default('loopback'),
  // The DNS server asked for domain-ownership TXT records (host or host:port); the system's resolvers otherwise.
  DNS_RESOLVER: z
    .string()
    .regex(/^(\[[0-9a-fA-F:]+\]|[0-9.]+|[0-9a-fA-F:]+)(:\d{1,5})?$/, 'must be an IP address, optionally with :port')
    .optional(),
  // Where mails meant for support (certificate changes, expiry reminders, refresh failures) go.
  SUPPORT_EMAIL: z.email({ error: 'must be an email address' }).default('sso-support@localhost'),
  // The certificate lifecycle (workflows/certificateLifecycle.ts): how often each live connection's IdP
  // metadata is fetched again, how long a certificate gone from it keeps verifying logins, and how long
  // before the last certificate expires the customer's administrator and support are reminded.
  CERT_REFRESH_INTERVAL: isoDuration.default('P1D'),
  CERT_RETIRE_GRACE: isoDuration.default('P7D'),
  CERT_REMINDERS: z
    .string()
    .refine(
      (value) => value.split(',').every((part) => (parseIsoDurationMs(part.trim()) ?? 0) >= 1000),
      'must be a comma-separated list of ISO 8601 durations from one second to a year, e.g. P60D,P30D,P7D,P1D',
    )
    .default('P60D,P30D,P7D,P1D'),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  nodeEnv: Env['NODE_ENV'];
  logLevel: Env['LOG_LEVEL'];
  port: number;
  /** API processes sharing the port through node:cluster; SAML validation is CPU-bound, so one per core. */
  apiWorkers: number;
  publicBaseUrl: string;
  databaseUrl: string | undefined;
  databasePoolSize: number;
  temporal: {
    address: string;
    namespace: string;
    taskQueue: string;
    apiKey: string | undefined;
    tls: boolean;
    tlsCertPath: string | undefined;
    tlsKeyPath: string | undefined;
    uiUrl: string | undefined;
  };
  supportApiToken: string | undefined;
  smtpUrl: string | undefined;
  mailFrom: string;
  approvalLinkSecret: string | undefined;
  allowPrivateIdpUrls: boolean;
  samlClockSkewMs: number;
  samlMaxAssertionAgeMs: number;
  /** Express's `trust proxy`: `false` for none, a hop count, or the addresses whose X-Forwarded-For is believed. */
  trustProxy: string | number | false;
  /** `host[:port]` of the DNS server for domain verification; undefined: the system's. */
  dnsResolver: string | undefined;
  supportEmail: string;
  certificates: {
    refreshIntervalMs: number;
    retireGraceMs: number;
    /** Longest first, without duplicates. */
    reminderThresholdsMs: number[];
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`Invalid configuration: ${problems.map((p) => `${p.variable} ${p.message}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment once; every process calls this at start and passes the result down. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? '(environment)'), message: issue.message })),
    );
  }
  const e = parsed.data;
  const problems: { variable: string; message: string }[] = [];
  if (e.TEMPORAL_TLS_CERT_PATH && !e.TEMPORAL_TLS_KEY_PATH) {
    problems.push({ variable: 'TEMPORAL_TLS_KEY_PATH', message: 'is required when TEMPORAL_TLS_CERT_PATH is set' });
  }
  if (e.NODE_ENV === 'production' && e.ALLOW_PRIVATE_IDP_URLS) {
    problems.push({ variable: 'ALLOW_PRIVATE_IDP_URLS', message: 'must not be true in production' });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    nodeEnv: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    port: e.PORT,
    apiWorkers: e.API_WORKERS,
    publicBaseUrl: e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      apiKey: e.TEMPORAL_API_KEY,
      tls: e.TEMPORAL_TLS ?? Boolean(e.TEMPORAL_API_KEY || e.TEMPORAL_TLS_CERT_PATH),
      tlsCertPath: e.TEMPORAL_TLS_CERT_PATH,
      tlsKeyPath: e.TEMPORAL_TLS_KEY_PATH,
      uiUrl: e.TEMPORAL_UI_URL,
    },
    supportApiToken: e.SUPPORT_API_TOKEN,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    approvalLinkSecret: e.APPROVAL_LINK_SECRET,
    allowPrivateIdpUrls: e.ALLOW_PRIVATE_IDP_URLS,
    samlClockSkewMs: e.SAML_CLOCK_SKEW_MS,
    samlMaxAssertionAgeMs: e.SAML_MAX_ASSERTION_AGE_MS,
    trustProxy: e.TRUST_PROXY === 'none' ? false : /^\d+$/.test(e.TRUST_PROXY) ? Number(e.TRUST_PROXY) : e.TRUST_PROXY,
    dnsResolver: e.DNS_RESOLVER,
    supportEmail: e.SUPPORT_EMAIL,
    certificates: {
      refreshIntervalMs: parseIsoDurationMs(e.CERT_REFRESH_INTERVAL) ?? 0,
      retireGraceMs: parseIsoDurationMs(e.CERT_RETIRE_GRACE) ?? 0,
      reminderThresholdsMs: [...new Set(e.CERT_REMINDERS.split(',').map((part) => parseIsoDurationMs(part.trim()) ?? 0))].sort(
        (a, b) => b - a,
      ),
    },
  };
}

/** For process entry points: a required setting that this process cannot run without. */
export function requireSetting<T>(value: T | undefined, variable: string, why: string): T {
  if (value === undefined) throw new ConfigError([{ variable, message: `is required ${why}` }]);
  return value;
}
