import type { RouteOptions } from 'fastify';

declare module 'fastify' {
  interface FastifySchema {
    /** One line for the OpenAPI document. */
    summary?: string;
    tags?: string[];
    /** Leave the route out of the OpenAPI document. */
    hide?: boolean;
  }
}

interface Operation {
  summary?: string;
  tags?: string[];
  parameters: unknown[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
  security?: unknown[];
}

/** Collects routes as they are registered (onRoute hook) and renders an OpenAPI 3.1 document. */
export class OpenApiCollector {
  readonly #paths: Record<string, Record<string, Operation>> = {};

  onRoute = (route: RouteOptions): void => {
    const schema = (route.schema ?? {}) as Record<string, unknown> & {
      summary?: string;
      tags?: string[];
      hide?: boolean;
    };
    if (schema.hide) return;
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter(
      (m) => m !== 'HEAD' && m !== 'OPTIONS',
    );
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const params = toParams(schema.params, 'path').concat(toParams(schema.querystring, 'query'));
    const responses: Record<string, unknown> = {};
    for (const [status, s] of Object.entries((schema.response ?? {}) as Record<string, unknown>)) {
      responses[status.toUpperCase()] = {
        description: status,
        content: { 'application/json': { schema: s } },
      };
    }
    const roles = (route.config as { roles?: string[] } | undefined)?.roles;
    for (const method of methods) {
      const op: Operation = {
        parameters: params,
        responses: Object.keys(responses).length ? responses : { 200: { description: 'OK' } },
      };
      if (schema.summary) op.summary = schema.summary;
      if (schema.tags) op.tags = schema.tags;
      if (schema.body) op.requestBody = { content: { 'application/json': { schema: schema.body } } };
      if (roles) op.security = [{ bearer: roles }];
      this.#paths[path] ??= {};
      this.#paths[path][method.toLowerCase()] = op;
    }
  };

  document(version: string): unknown {
    return {
      openapi: '3.1.0',
      info: { title: 'Driftline collector', version },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      paths: this.#paths,
    };
  }
}

function toParams(schema: unknown, where: 'path' | 'query'): unknown[] {
  const s = schema as { properties?: Record<string, unknown>; required?: string[] } | undefined;
  if (!s?.properties) return [];
  return Object.entries(s.properties).map(([name, p]) => ({
    name,
    in: where,
    required: where === 'path' || (s.required ?? []).includes(name),
    schema: p,
  }));
}
