// What a route of the API is: one object that api/app.ts mounts and api/openapi.ts describes, so the
// document cannot list a route the app does not serve, nor miss one it does. Each route module under
// api/routes/ exports its array of these; the schemas named here are the ones its handlers parse with.
import type { Request, Response } from 'express';
import type { z } from 'zod';
import { errorResponse } from './responses.js';

export type JsonSchema = z.core.JSONSchema.BaseSchema;
export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
/** Who may call a route: the support bearer token (the default), the session cookie, or anyone. */
export type Security = 'supportToken' | 'sessionCookie' | 'public';

export interface ApiResponse {
  description: string;
  /** A named zod schema (`.meta({ id })`), or raw JSON Schema for what zod does not describe. */
  schema?: z.ZodType | JsonSchema;
}

export interface ApiRoute {
  method: Method;
  /** Express style, under /api: `/onboardings/:id` is `GET /api/onboardings/{id}` in the document. */
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  security?: Security;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** JSON body: a named zod schema, the one the route parses. */
  body?: z.ZodType;
  /** A JSON body larger than the API's 1 MB, read by its own parser before the general one. */
  jsonLimit?: number;
  /** Other media types the route takes as a text body (read by express.text), each documented as a string. */
  textBody?: { types: string[]; limit: string; description: string };
  responses: Record<number, ApiResponse>;
  /** Express 5 passes a rejected promise on to the error handler. */
  handler(req: Request, res: Response): Promise<unknown> | unknown;
}

/** An error answer in the contract's shape, with what its `code` means here. */
export const errorAnswer = (description: string): ApiResponse => ({ description, schema: errorResponse });

export const invalidRequest = errorAnswer(
  'invalid_request: the body, query or path failed validation; `details` lists every problem as {path, message}',
);
