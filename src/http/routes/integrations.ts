// `base44.integrations.Core.<Name>(params)`: JSON bodies, or multipart when the app passes files; and the AI gateway.
// The SDK sends objects and arrays as JSON-string parts and scalars as strings; both are turned back into values.

import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, notFound, payloadTooLarge, unauthorized } from '../../errors.js';
import { GATEWAY_FLAVOURS, type UploadedFile } from '../../integrations/index.js';
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

/** The call's parameters; uploaded files are spooled to a temporary folder, which `cleanUp` removes. */
async function readParams(
  request: FastifyRequest,
  maxFileBytes: number,
): Promise<{ params: Record<string, unknown>; files: UploadedFile[]; cleanUp: () => Promise<void> }> {
  if (!request.isMultipart()) {
    const body = request.body ?? {};
    if (!isPlainObject(body)) throw badRequest('Integration parameters must be a JSON object');
    return { params: body, files: [], cleanUp: async () => {} };
  }
  const params: Record<string, unknown> = {};
  const files: UploadedFile[] = [];
  let spool: string | undefined;
  const cleanUp = async () => {
    if (spool) await rm(spool, { recursive: true, force: true });
  };
  try {
    for await (const part of request.parts()) {
      if (part.type !== 'file') {
        params[part.fieldname] = fieldValue(String(part.value));
        continue;
      }
      spool ??= await mkdtemp(path.join(tmpdir(), 'homebase-upload-'));
      const file = path.join(spool, String(files.length));
      await pipeline(part.file, createWriteStream(file, { mode: 0o600 }));
      // Multipart cuts a file at the limit rather than failing the stream.
      if (part.file.truncated) throw payloadTooLarge(`The file is larger than ${maxFileBytes} bytes`);
      files.push({ fieldName: part.fieldname, fileName: part.filename, contentType: part.mimetype, data: { path: file, size: (await stat(file)).size } });
    }
    return { params, files, cleanUp };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

export function integrationRoutes(server: FastifyInstance, services: Services, maxFileBytes: number): void {
  const { apps, authenticator, integrations } = services;

  server.post<CoreParams>('/api/apps/:appId/integration-endpoints/Core/:name', async (request, reply) => {
    const { app, principal } = await resolveContext(request, apps, authenticator);
    // Integrations spend the operator's money and quota: signed-in users and the service role only.
    if (principal.kind === 'anonymous') throw unauthorized('Sign in to use integrations');
    const { params, files, cleanUp } = await readParams(request, maxFileBytes);
    const answer = await integrations
      .call(request.params.name, { app, principal, params, files, origin: `${request.protocol}://${request.host}` })
      .finally(cleanUp);
    // A string (InvokeLLM without a schema) goes out as a JSON string: sent raw, axios would turn "42" into a number.
    if (typeof answer === 'string') return reply.type('application/json').send(JSON.stringify(answer));
    return answer;
  });
}

type GatewayParams = { Params: { appId: string; flavour: string } };

/** `aiGateway.connection()`'s base URL: OpenAI clients post chat completions there with the app user's token. */
export function aiGatewayRoutes(server: FastifyInstance, services: Services): void {
  const { apps, authenticator, aiGateway } = services;

  const caller = async (request: FastifyRequest<GatewayParams>) => {
    if (!GATEWAY_FLAVOURS.includes(request.params.flavour)) throw notFound(`No AI gateway ${request.params.flavour.slice(0, 40)}`);
    const { app, principal } = await resolveContext(request, apps, authenticator);
    // The gateway spends the operator's money, as integrations do: signed-in users and the service role only.
    if (principal.kind === 'anonymous') throw unauthorized('Sign in to use the AI gateway');
    return app;
  };

  server.post<GatewayParams>('/api/apps/:appId/ai/:flavour/v1/chat/completions', async (request) =>
    aiGateway.chatCompletion(await caller(request), request.body),
  );
  server.get<GatewayParams>('/api/apps/:appId/ai/:flavour/v1/models', async (request) => aiGateway.models(await caller(request)));
}
