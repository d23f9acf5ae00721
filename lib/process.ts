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
