// A small external API in the test process, standing in for what custom integrations and connectors call: it
// records every request and echoes it back; paths ending in `/status/{code}` answer that status, in `/slow` late.

import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface UpstreamRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface UpstreamApi {
  url: string;
  requests: UpstreamRequest[];
  last(): UpstreamRequest;
  close(): Promise<void>;
}

export const SLOW_MS = 3000;
export const PNG_BYTES = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]);

export async function startUpstreamApi(): Promise<UpstreamApi> {
  const requests: UpstreamRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://upstream');
      const query: Record<string, string | string[]> = {};
      for (const name of new Set(url.searchParams.keys())) {
        const values = url.searchParams.getAll(name);
        query[name] = values.length === 1 ? values[0] : values;
      }
      const text = Buffer.concat(chunks).toString('utf8');
      const recorded = { method: request.method ?? '', path: url.pathname, query, headers: request.headers, body: text ? JSON.parse(text) : null };
      requests.push(recorded);
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        response.writeHead(status, { 'content-type': 'application/json', ...headers });
        response.end(JSON.stringify(body));
      };
      const status = /\/status\/(\d{3})$/.exec(url.pathname);
      if (status) return send(Number(status[1]), { message: `answered ${status[1]}` });
      if (url.pathname.endsWith('/slow')) {
        const timer = setTimeout(() => send(200, { late: true }), SLOW_MS);
        response.on('close', () => clearTimeout(timer));
        return;
      }
      if (url.pathname.endsWith('/binary')) {
        response.writeHead(200, { 'content-type': 'image/png' });
        return response.end(PNG_BYTES);
      }
      send(request.method === 'POST' ? 201 : 200, recorded, { 'x-ratelimit-remaining': '41', 'x-internal': 'hidden' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    last: () => requests[requests.length - 1],
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
