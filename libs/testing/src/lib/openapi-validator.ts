import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { HttpResponse } from './http';

/** The parts of an OpenAPI 3.0 document the checker reads. */
export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation | undefined>>;
  components?: { schemas?: Record<string, unknown> };
}
export interface OpenApiOperation {
  operationId?: string;
  summary?: string;
  parameters?: { name: string; in: string; schema?: Record<string, unknown>; required?: boolean }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, OpenApiResponse>;
  security?: Record<string, string[]>[];
}
export interface OpenApiResponse {
  description?: string;
  headers?: Record<string, { schema?: unknown; required?: boolean }>;
  content?: Record<string, { schema?: unknown }>;
}

/** `GET /admin/users/{username}` for a method and a concrete path (query left out). */
export function operationKey(method: string, path: string, doc: OpenApiDocument): string | null {
  const pathname = new URL(path, 'http://x').pathname;
  for (const [template, item] of Object.entries(doc.paths)) {
    if (!item[method.toLowerCase()]) continue;
    const pattern = new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`);
    if (pattern.test(pathname)) return `${method.toUpperCase()} ${template}`;
  }
  return null;
}

/**
 * Checks real answers against an OpenAPI document: the operation exists, the status is one it
 * documents, the content type is one documented for that status, the headers marked required
 * are there, and a JSON body matches the schema (ajv, every `$ref` resolved in the document).
 * Returns the problems found ([] when the answer is as documented).
 */
export function openApiChecker(doc: OpenApiDocument): (method: string, path: string, res: HttpResponse) => string[] {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('binary', true);
  const compiled = new Map<unknown, ValidateFunction>();
  const validatorOf = (schema: unknown): ValidateFunction => {
    let v = compiled.get(schema);
    if (!v) {
      // The components travel with each schema, so `#/components/schemas/X` resolves as in the document.
      v = ajv.compile({ ...(schema as object), components: doc.components ?? {} });
      compiled.set(schema, v);
    }
    return v;
  };
  return (method, path, res) => {
    const key = operationKey(method, path, doc);
    if (!key) return [`${method} ${path}: no such operation in the document`];
    const template = key.slice(key.indexOf(' ') + 1);
    const op = doc.paths[template]![method.toLowerCase()]!;
    const documented = op.responses?.[String(res.status)];
    if (!documented) return [`${key}: answered ${res.status}, which is not documented (${Object.keys(op.responses ?? {}).join(', ')})`];
    const errors: string[] = [];
    for (const [name, h] of Object.entries(documented.headers ?? {})) {
      if (h.required && res.headers[name.toLowerCase()] === undefined) errors.push(`${key} ${res.status}: header ${name} missing`);
    }
    const type = String(res.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim();
    const content = documented.content ?? {};
    if (Object.keys(content).length === 0) {
      if (res.text.length > 0) errors.push(`${key} ${res.status}: a body (${type}) where none is documented`);
      return errors;
    }
    const media = Object.entries(content).find(([t]) => t.split(';')[0]!.trim() === type);
    if (!media) {
      errors.push(`${key} ${res.status}: content type ${type || '(none)'} is not documented (${Object.keys(content).join(', ')})`);
      return errors;
    }
    const schema = media[1].schema;
    if (schema && /^application\/(.+\+)?json$/.test(type)) {
      const validate = validatorOf(schema);
      if (!validate(res.json)) {
        errors.push(`${key} ${res.status}: body does not match: ${ajv.errorsText(validate.errors, { separator: '; ' })}`);
      }
    }
    return errors;
  };
}
