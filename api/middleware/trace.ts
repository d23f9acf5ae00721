import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../../lib/logger.js';

declare global {
  namespace Express {
    interface Request {
      traceId: string;
      log: Logger;
    }
  }
}

const acceptedTraceId = /^[A-Za-z0-9-]{8,64}$/;

/** Every request gets a trace ID (the caller's when well-formed), echoed in a header and carried by its logs. */
export function traceRequests(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.get('x-trace-id');
    req.traceId = incoming && acceptedTraceId.test(incoming) ? incoming : randomBytes(8).toString('hex');
    req.log = logger.child({ traceId: req.traceId });
    res.setHeader('X-Trace-Id', req.traceId);
    next();
  };
}
