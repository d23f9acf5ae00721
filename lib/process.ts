import type { Logger } from './logger.js';

// Errors that mean "the connection to PostgreSQL went away", not "this query is wrong".
const connectionLossCodes = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  '57P01', // admin_shutdown: pg_terminate_backend
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
]);

export function isConnectionLoss(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && connectionLossCodes.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * PostgreSQL (or the way to it) failed, as opposed to Temporal or the code: the connection went away,
 * or the server answered with an error (postgres.js's PostgresError carries the SQLSTATE; drizzle
 * wraps it as the cause). Class 22 and 23 (data, constraints) are left out: those describe the request.
 */
export function isDatabaseFailure(error: unknown): boolean {
  if (isConnectionLoss(error)) return true;
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const { name, code } = current as { name?: unknown; code?: unknown };
    if (name === 'PostgresError' && typeof code === 'string') return !/^2[23]/.test(code);
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * postgres.js runs a type lookup on every new connection and drops its promise (porsager/postgres
 * #1192): when the server ends that connection, the rejection is unhandled and Node would exit. Those
 * are logged and survived; any other unhandled rejection still ends the process.
 */
export function surviveDriverConnectionLoss(logger: Logger): void {
  process.on('unhandledRejection', (reason) => {
    if (isConnectionLoss(reason)) {
      logger.warn({ err: reason }, 'a database connection was lost outside any request');
      return;
    }
    throw reason;
  });
}
