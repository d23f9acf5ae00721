import pino, { type Logger } from 'pino';
import type { Config } from './config.js';

export type { Logger };

/** JSON lines in production (for the log pipeline); human-readable in development. */
export function createLogger(config: Pick<Config, 'nodeEnv' | 'logLevel'>, name: string): Logger {
  const pretty = config.nodeEnv === 'development' && process.env.LOG_FORMAT !== 'json';
  return pino({
    name,
    level: config.logLevel,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token'], censor: '[redacted]' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  });
}
