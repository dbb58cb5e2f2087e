// `base44.integrations.Core.<Name>(params)`: JSON bodies, or multipart when the app passes files.
// The SDK sends objects and arrays as JSON-string parts and scalars as strings; both are turned back into values.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, unauthorized } from '../../errors.js';
import type { UploadedFile } from '../../integrations/index.js';
import { isPlainObject } from '../../query/index.js';
import { resolveContext } from '../context.js';
import type { Services } from '../services.js';

type CoreParams = { Params: { appId: string; name: string } };

function fieldValue(text: string): unknown {
  if (!/^\s*[[{]/.test(text)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function readParams(request: FastifyRequest): Promise<{ params: Record<string, unknown>; files: UploadedFile[] }> {
  if (!request.isMultipart()) {
    const body = request.body ?? {};
    if (!isPlainObject(body)) throw badRequest('Integration parameters must be a JSON object');
    return { params: body, files: [] };
  }
  const params: Record<string, unknown> = {};
  const files: UploadedFile[] = [];
  for await (const part of request.parts()) {
    if (part.type === 'file') {
      files.push({ fieldName: part.fieldname, fileName: part.filename, contentType: part.mimetype, data: await part.toBuffer() });
    } else {
      params[part.fieldname] = fieldValue(String(part.value));
    }
  }
  return { params, files };
}

export function integrationRoutes(server: FastifyInstance, services: Services): void {
  const { apps, authenticator, integrations } = services;

  server.post<CoreParams>('/api/apps/:appId/integration-endpoints/Core/:name', async (request, reply) => {
    const { app, principal } = await resolveContext(request, apps, authenticator);
    // Integrations spend the operator's money and quota: signed-in users and the service role only.
    if (principal.kind === 'anonymous') throw unauthorized('Sign in to use integrations');
    const { params, files } = await readParams(request);
    const answer = await integrations.call(request.params.name, { app, principal, params, files, origin: `${request.protocol}://${request.host}` });
    // A string (InvokeLLM without a schema) goes out as a JSON string: sent raw, axios would turn "42" into a number.
    if (typeof answer === 'string') return reply.type('application/json').send(JSON.stringify(answer));
    return answer;
  });
}
