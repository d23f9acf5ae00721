import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { AppError } from '../../lib/errors.js';
import { isConnectionLoss, isDatabaseFailure } from '../../lib/process.js';
import { prefersJson } from '../http.js';
import { errorPage } from '../pages/errorPage.js';
import { sendPage } from '../pages/layout.js';

const formatBytes = (bytes: number) =>
  bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MB` : bytes % 1024 === 0 ? `${bytes / 1024} kB` : `${bytes} bytes`;

/** Turns whatever a route threw into the contract's error shape, or an HTML page for browsers. */
function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  // The database connection was cut (failover, pg_terminate_backend); the pool reconnects on the next
  // query, so this request is worth repeating. Not a bug in the request or the code: a 503.
  if (isConnectionLoss(error)) return new AppError('database_unavailable', 503, 'The database connection was lost; please try again.');
  // Any other failure of PostgreSQL itself is named as such, never blamed on Temporal or the request.
  if (isDatabaseFailure(error))
    return new AppError('database_unavailable', 503, 'The database did not answer this request; please try again.');
  if (error instanceof z.ZodError) {
    const details = error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
    return new AppError('invalid_request', 400, details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join('; '), details);
  }
  const status = (error as { status?: unknown; type?: unknown })?.status;
  const type = (error as { type?: unknown })?.type;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // body-parser's errors: too large, malformed JSON, unsupported charset.
    const limit = (error as { limit?: unknown }).limit;
    if (type === 'entity.too.large' && typeof limit === 'number') {
      // Named, so a caller knows how far to split the request rather than guessing.
      return new AppError('payload_too_large', 413, `The request body is larger than the ${formatBytes(limit)} this endpoint accepts.`, {
        limitBytes: limit,
      });
    }
    const code = type === 'entity.too.large' ? 'payload_too_large' : type === 'entity.parse.failed' ? 'malformed_body' : 'bad_request';
    return new AppError(code, status, (error as Error).message);
  }
  return new AppError('internal_error', 500, 'internal error');
}

/** The support console's pages: their errors are shown in its own chrome. */
const supportConsolePath = /^\/support(?:[/?#]|$)/;

/** What an error answer carries: AppError's fields, which a login refusal has too. */
export interface ErrorReply {
  code: string;
  httpStatus: number;
  message: string;
  details?: unknown;
}

/**
 * Answers with the contract's error shape, or the error page for browsers. The error handler below
 * uses it for everything; the ACS calls it directly for refusals, so junk does not walk every later
 * route on its way to the end of the stack.
 */
export function sendError(req: Request, res: Response, reply: ErrorReply): void {
  if (res.headersSent) return;
  res.status(reply.httpStatus);
  if (!prefersJson(req)) {
    sendPage(res, errorPage(reply, req.traceId, new Date(), { support: supportConsolePath.test(req.originalUrl) }));
    return;
  }
  res.json({
    error: {
      code: reply.code,
      message: reply.message,
      ...(reply.details === undefined ? {} : { details: reply.details }),
      traceId: req.traceId,
    },
  });
}

export function errorHandler() {
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const appError = toAppError(error);
    if (appError.httpStatus >= 500) req.log.error({ err: error }, 'request failed');
    else req.log.info({ code: appError.code, status: appError.httpStatus }, appError.message);
    sendError(req, res, appError);
  };
}

export function notFoundHandler() {
  return (req: Request, _res: Response, next: NextFunction) =>
    next(new AppError('not_found', 404, `no route for ${req.method} ${req.path}`));
}
