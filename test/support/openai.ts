// A small OpenAI-compatible HTTP server in the test process: it records every request and answers with what the
// test prepared (completions, errors, slow answers, images), so the adapters' real HTTP requests can be checked.

import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** What the next request gets: a chat answer, an error, an image (base64 or by URL); `delayMs` holds it back. */
export type PreparedAnswer = { delayMs?: number } & (
  | { content: string }
  | { status: number; error: string }
  | { image: Buffer; as?: 'b64_json' | 'url' }
);

export interface OpenAiTestServer {
  /** The API root, as LLM_BASE_URL takes it (`http://127.0.0.1:port/v1`). */
  url: string;
  requests: RecordedRequest[];
  /** Queues answers for the next requests, in order; with none queued a request gets a default answer. */
  answer(...answers: PreparedAnswer[]): void;
  /** The last request received. */
  last(): RecordedRequest;
  close(): Promise<void>;
}

/** A 1×1 PNG. */
export const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

const json = (response: ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
};

export async function startOpenAiServer(): Promise<OpenAiTestServer> {
  const requests: RecordedRequest[] = [];
  const queue: PreparedAnswer[] = [];
  const served = new Map<string, Buffer>();
  let origin = '';

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      if (request.method === 'GET' && served.has(path)) {
        response.writeHead(200, { 'content-type': 'image/png' });
        response.end(served.get(path));
        return;
      }
      const text = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: request.method ?? '', path, headers: request.headers, body: text ? JSON.parse(text) : {} });
      const prepared = queue.shift();
      const reply = () => {
        if (prepared && 'status' in prepared) return json(response, prepared.status, { error: { message: prepared.error, type: 'test_error' } });
        if (path === '/v1/images/generations') {
          const image = prepared && 'image' in prepared ? prepared : { image: TINY_PNG, as: 'b64_json' as const };
          if (image.as === 'url') {
            const file = `/files/image-${requests.length}.png`;
            served.set(file, image.image);
            return json(response, 200, { created: 1, data: [{ url: `${origin}${file}` }] });
          }
          return json(response, 200, { created: 1, data: [{ b64_json: image.image.toString('base64') }] });
        }
        if (path === '/v1/chat/completions') {
          const content = prepared && 'content' in prepared ? prepared.content : 'default answer';
          return json(response, 200, {
            id: `chatcmpl-${requests.length}`,
            object: 'chat.completion',
            model: (requests.at(-1)?.body.model as string) ?? 'unknown',
            choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }],
          });
        }
        return json(response, 404, { error: { message: `No route ${path}` } });
      };
      if (prepared?.delayMs) setTimeout(reply, prepared.delayMs);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/v1`,
    requests,
    answer: (...answers) => queue.push(...answers),
    last: () => {
      const request = requests.at(-1);
      if (!request) throw new Error('the provider received no request');
      return request;
    },
    close: async () => {
      // Slow answers still pending must not hold the test run open.
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
