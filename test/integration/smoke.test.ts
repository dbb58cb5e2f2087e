import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases, startTestServer, TestServer } from '../support/server.js';

describe.each(databases())('on %s, an app', (kind) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(kind);
  });
  afterAll(() => server?.close());

  it('creates and reads a task through the SDK', async () => {
    const created = await server.service.entities.Task.create({ title: 'First', labels: ['a'] });
    expect(created.status).toBe('todo');
    const found = await server.service.entities.Task.filter({ labels: 'a' });
    expect(found.map((t) => t.id)).toEqual([created.id]);
  });
});
