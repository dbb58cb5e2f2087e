// The HTTP ceiling for bench/entities.ts: a bare Fastify server with one route returning a fixed ~1 KB JSON record.
// Run as a child process (`node --import tsx bench/bare-server.ts`); prints `PORT <n>` once listening on loopback.

import Fastify from 'fastify';

/** A record shaped like a Homebase Task, padded so its JSON is about 1 KB. */
function fixedRecord(): Record<string, unknown> {
  const record: Record<string, unknown> = {
    id: '6650f1c2a1b2c3d4e5000001',
    created_date: '2025-01-01T12:00:00.000000',
    updated_date: '2025-01-01T12:00:00.000000',
    created_by: 'bench@example.com',
    created_by_id: '6650f1c2a1b2c3d4e5000000',
    is_sample: false,
    title: 'Benchmark task',
    status: 'todo',
    priority: 3,
    labels: ['bug', 'backend'],
    board_id: 'board-7',
    position: 0,
    description: '',
  };
  record.description = 'x'.repeat(Math.max(0, 1024 - JSON.stringify(record).length));
  return record;
}

const record = fixedRecord();
const server = Fastify({ logger: false });
server.get('/record', async () => record);

await server.listen({ host: '127.0.0.1', port: 0 });
const address = server.server.address();
process.stdout.write(`PORT ${typeof address === 'object' && address ? address.port : 0}\n`);

const stop = async () => {
  await server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
