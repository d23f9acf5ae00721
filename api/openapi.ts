// The API's OpenAPI 3.1 document, built with zod's own JSON Schema output (OpenAPI 3.1 schemas are
// JSON Schema 2020-12) from the route definitions the app mounts (api/apiRoute.ts), which name the very
// schema objects that validate the requests (api/schemas.ts) and describe the responses (api/responses.ts).
import { z } from 'zod';
import { sessionCookieName } from '../domain/sessions.js';
import type { ApiRoute, JsonSchema, Method } from './apiRoute.js';
import { errorResponse } from './responses.js';

interface Operation {
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: 'path' | 'query'; required: boolean; description?: string; schema: JsonSchema }[];
  requestBody?: { required: true; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: JsonSchema }> }>;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers?: { url: string }[];
  security: Record<string, string[]>[];
  tags: { name: string; description: string }[];
  paths: Record<string, Partial<Record<Method, Operation>>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, Record<string, string>> };
}

const componentRef = (id: string) => `#/components/schemas/${id}`;

function idOf(schema: z.ZodType): string | undefined {
  const id = z.globalRegistry.get(schema)?.id;
  return typeof id === 'string' ? id : undefined;
}

/** Integers without bounds come out of zod with the safe-integer range; that says nothing to a reader. */
function dropSafeIntegerBounds({ jsonSchema }: { jsonSchema: JsonSchema }) {
  if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
  if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
}

const jsonSchemaOptions = { io: 'input', target: 'draft-2020-12', override: dropSafeIntegerBounds } as const;

/** A body or response schema is always a named component, so the document shows one definition per shape. */
function schemaRef(schema: z.ZodType | JsonSchema, where: string): JsonSchema {
  if (!(schema instanceof z.ZodType)) return schema;
  const id = idOf(schema);
  if (!id) throw new Error(`${where}: give the schema a name with .meta({ id }) so the OpenAPI document can refer to it`);
  return { $ref: componentRef(id) };
}

function parametersOf(object: z.ZodObject, location: 'path' | 'query'): NonNullable<Operation['parameters']> {
  const { properties = {}, required = [] } = z.toJSONSchema(object, jsonSchemaOptions);
  return Object.entries(properties).map(([name, schema]) => {
    const { description, ...rest } = schema as JsonSchema;
    return {
      name,
      in: location,
      required: location === 'path' || required.includes(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

/** `/onboardings/:id` (Express, under /api) → `/api/onboardings/{id}`. */
const documentPath = (path: string) => `/api${path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`;

function operationOf(route: ApiRoute): Operation {
  const where = `${route.method.toUpperCase()} ${documentPath(route.path)}`;
  const parameters = [
    ...(route.params ? parametersOf(route.params, 'path') : []),
    ...(route.query ? parametersOf(route.query, 'query') : []),
  ];
  const bodies: Record<string, { schema: JsonSchema }> = {};
  const text = route.textBody;
  if (text) for (const type of text.types) bodies[type] = { schema: { type: 'string', description: text.description } };
  if (route.body) bodies['application/json'] = { schema: schemaRef(route.body, where) };
  const security = route.security ?? 'supportToken';
  const responses: Operation['responses'] = {};
  for (const [status, response] of Object.entries(route.responses)) {
    responses[status] = {
      description: response.description,
      ...(response.schema ? { content: { 'application/json': { schema: schemaRef(response.schema, where) } } } : {}),
    };
  }
  if (security === 'supportToken') {
    responses[401] ??= {
      description: 'unauthorized: no or a wrong support bearer token',
      content: { 'application/json': { schema: schemaRef(errorResponse, where) } },
    };
    responses[503] ??= {
      description: 'support_api_disabled: the service has no SUPPORT_API_TOKEN configured',
      content: { 'application/json': { schema: schemaRef(errorResponse, where) } },
    };
  }
  return {
    operationId: route.operationId,
    tags: [route.tag],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    // The document-wide default is the support token; say so only where a route differs.
    ...(security === 'supportToken' ? {} : { security: security === 'public' ? [] : [{ sessionCookie: [] }] }),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(Object.keys(bodies).length > 0 ? { requestBody: { required: true as const, content: bodies } } : {}),
    responses,
  };
}

/**
 * The named schemas the routes use, with the named schemas inside them: exactly what becomes
 * `components.schemas`, whatever else carries an `id` in zod's global registry.
 */
function namedSchemasOf(routes: readonly ApiRoute[]) {
  const named = z.registry<{ id: string }>();
  const add = (schema: z.core.$ZodType) => {
    const id = z.globalRegistry.get(schema)?.id;
    if (typeof id === 'string' && !named.has(schema)) named.add(schema, { id });
  };
  for (const route of routes) {
    const schemas = [route.body, ...Object.values(route.responses).map((r) => r.schema)];
    for (const schema of schemas) {
      if (schema instanceof z.ZodType) z.toJSONSchema(schema, { ...jsonSchemaOptions, override: (ctx) => add(ctx.zodSchema) });
    }
  }
  return named;
}

/** Names of the components the document refers to, directly or through other components. */
function referencedComponents(paths: OpenApiDocument['paths'], all: Record<string, unknown>): Set<string> {
  const found = new Set<string>();
  const visit = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key === '$ref' && typeof inner === 'string' && inner.startsWith(componentRef(''))) {
          const id = inner.slice(componentRef('').length);
          if (!found.has(id)) {
            found.add(id);
            visit(all[id]);
          }
        } else visit(inner);
      }
    }
  };
  visit(paths);
  return found;
}

/** The document of these routes, in their order: every route the app mounts under /api (api/app.ts). */
export function buildOpenApiDocument(routes: readonly ApiRoute[], options: { serverUrl?: string } = {}): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const route of routes) {
    const path = documentPath(route.path);
    const item = paths[path] ?? {};
    if (item[route.method]) throw new Error(`${route.method.toUpperCase()} ${path} is described twice`);
    item[route.method] = operationOf(route);
    paths[path] = item;
  }
  const generated = z.toJSONSchema(namedSchemasOf(routes), { ...jsonSchemaOptions, uri: componentRef }).schemas;
  const schemas: Record<string, JsonSchema> = {};
  for (const id of [...referencedComponents(paths, generated)].sort()) {
    const { $schema: _dialect, $id: _id, ...schema } = generated[id] as JsonSchema;
    schemas[id] = schema;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'SSO onboarding support API',
      version: '1',
      description:
        'Support starts and steers SSO onboardings here, with `Authorization: Bearer $SUPPORT_API_TOKEN`. Errors are always ' +
        '`{"error": {"code", "message", "details"?, "traceId"}}`: a 4xx for anything the caller got wrong, a 5xx only for a bug.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    security: [{ supportToken: [] }],
    tags: [
      { name: 'directory', description: 'Accounts, users and their SSO state' },
      { name: 'onboardings', description: 'An onboarding from IdP details to SSO enforced' },
      { name: 'connections', description: 'Live connections: IdP details, certificates, on and off; every change audited' },
      { name: 'audit', description: 'The audit trail: who changed what, every sign-in and refusal' },
      { name: 'session', description: 'The signed-in user (session cookie, not the support token)' },
      { name: 'meta', description: 'This description' },
    ],
    paths,
    components: {
      schemas,
      securitySchemes: {
        supportToken: { type: 'http', scheme: 'bearer', description: 'SUPPORT_API_TOKEN' },
        sessionCookie: { type: 'apiKey', in: 'cookie', name: sessionCookieName },
      },
    },
  };
}
