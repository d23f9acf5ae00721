// Checks against the served OpenAPI document with Ajv, a JSON Schema validator independent of zod, so a
// test can tell whether the document and the API agree rather than whether zod agrees with itself.
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { expect } from 'vitest';
import type { OpenApiDocument } from '../../api/openapi.js';

// ajv-formats is CommonJS whose module.exports is the plugin itself, with the same plugin as `.default` for TypeScript.
const addFormats = addFormatsModule.default;

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

export function openApiChecks(document: OpenApiDocument) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(document, 'openapi.json');
  const validatorAt = (...parts: string[]) => ajv.compile({ $ref: `openapi.json#/${pointer(...parts)}` });

  const operation = (method: Method, path: string) => {
    const found = document.paths[path]?.[method];
    if (!found) throw new Error(`${method.toUpperCase()} ${path} is not in the document`);
    return found;
  };

  return {
    operation,

    /** Validates a JSON body against the operation's documented request body. */
    requestBodyValidator(method: Method, path: string) {
      expect(operation(method, path).requestBody?.content['application/json'], `${method} ${path} takes no JSON body`).toBeDefined();
      return validatorAt('paths', path, method, 'requestBody', 'content', 'application/json', 'schema');
    },

    /** The response is one the document lists for this operation, and its body has the documented shape. */
    expectDocumentedResponse(method: Method, path: string, res: { status: number; body: unknown }) {
      const response = operation(method, path).responses[String(res.status)];
      expect(response, `${method.toUpperCase()} ${path} answered ${res.status}, which the document does not list`).toBeDefined();
      if (!response?.content) return;
      const validate = validatorAt('paths', path, method, 'responses', String(res.status), 'content', 'application/json', 'schema');
      expect(validate(res.body), `${method.toUpperCase()} ${path} ${res.status}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    },
  };
}
