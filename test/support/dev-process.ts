// A Homebase dev server in a process of its own, for tests that kill it (SIGKILL) and start it again:
// `node --import tsx test/support/dev-process.ts '<config JSON>'` prints `READY {url, appId, serviceToken}` once it serves.

import { startDevServer } from '../../src/server/index.js';

const server = await startDevServer(JSON.parse(process.argv[2]) as Parameters<typeof startDevServer>[0]);
process.stdout.write(`READY ${JSON.stringify({ url: server.url, appId: server.appId, serviceToken: server.serviceToken })}\n`);
