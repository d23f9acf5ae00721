import { randomFillSync } from 'node:crypto';
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

// Trace IDs are 8 random bytes; drawing them from a pool refilled 512 at a time spares a call into the
// random generator and a buffer per request (a measurable share of refusing junk).
const traceIdPool = Buffer.alloc(4096);
let traceIdOffset = traceIdPool.length;
function newTraceId(): string {
  if (traceIdOffset === traceIdPool.length) {
    randomFillSync(traceIdPool);
    traceIdOffset = 0;
  }
  traceIdOffset += 8;
  return traceIdPool.toString('hex', traceIdOffset - 8, traceIdOffset);
}

/** Every request gets a trace ID (the caller's when well-formed), echoed in a header and carried by its logs. */
export function traceRequests(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.get('x-trace-id');
    req.traceId = incoming && acceptedTraceId.test(incoming) ? incoming : newTraceId();
    req.log = logger.child({ traceId: req.traceId });
    res.setHeader('X-Trace-Id', req.traceId);
    next();
  };
}
