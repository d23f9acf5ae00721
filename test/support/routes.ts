import type { Express } from 'express';

export interface RegisteredRoute {
  method: string;
  /** Express style, with the mount paths of the routers it sits in: `/api/onboardings/:id`. */
  path: string;
}

interface RouterLayer {
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle: unknown;
}

const pathsOf = (raw: unknown, where: string): string[] => {
  if (raw === undefined) return [''];
  if (typeof raw === 'string') return [raw === '/' ? '' : raw];
  if (Array.isArray(raw)) return raw.flatMap((p) => pathsOf(p, where));
  throw new Error(`${where}: a route path that is not a string (${String(raw)}) cannot be checked against the OpenAPI document`);
};

const stackOf = (handle: unknown): RouterLayer[] | undefined => {
  const stack = (handle as { stack?: unknown } | null)?.stack;
  return Array.isArray(stack) ? (stack as RouterLayer[]) : undefined;
};

/** Every route the app answers, found by walking its router stack and the routers mounted in it. */
export function registeredRoutes(app: Express): RegisteredRoute[] {
  const found: RegisteredRoute[] = [];
  const walk = (stack: RouterLayer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const path of pathsOf(layer.route.path, prefix)) {
          for (const [method, on] of Object.entries(layer.route.methods)) {
            if (on) found.push({ method: method === '_all' ? 'all' : method, path: `${prefix}${path}` });
          }
        }
        continue;
      }
      const inner = stackOf(layer.handle);
      if (inner) for (const path of pathsOf(layer.rawPath, prefix)) walk(inner, `${prefix}${path}`);
    }
  };
  walk(stackOf(app.router) ?? [], '');
  return found;
}

/** `/api/onboardings/:id` → `/api/onboardings/{id}`. */
export const openApiPath = (expressPath: string) => expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
