// A real S3-compatible server in the test process (@20minutes/s3rver: S3's REST API with SigV4 checks over a
// folder), so the S3 file store is tested over HTTP exactly as against a hosted bucket.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from '@20minutes/s3rver';

export interface S3TestServer {
  /** The `files.s3` settings that point Homebase at it. */
  settings: { endpoint: string; bucket: string; region: string; accessKeyId: string; secretAccessKey: string };
  close(): Promise<void>;
}

export async function startS3Server(bucket = 'homebase-test'): Promise<S3TestServer> {
  const directory = await mkdtemp(path.join(tmpdir(), 'homebase-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  return {
    // s3rver's one built-in account.
    settings: { endpoint: `http://127.0.0.1:${port}`, bucket, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
