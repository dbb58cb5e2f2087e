// Files in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2, …) through @aws-sdk/client-s3.
// The bucket must exist; Homebase only puts, reads and deletes objects under its keys (with an optional prefix).

import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { assertSafeKey, type ByteRange, type FileStore, type StoredObject } from './file-store.js';

export interface S3StoreOptions {
  bucket: string;
  /** Absent for AWS itself; the server's URL for other S3-compatible stores. */
  endpoint?: string;
  region: string;
  /** Absent: the AWS SDK's default chain (environment, profile, instance role). */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** `bucket` in the path instead of the host name; most self-hosted stores need it, so it defaults on with an endpoint. */
  forcePathStyle?: boolean;
  /** Prepended to every key, e.g. `homebase/`, to share a bucket. */
  prefix?: string;
}

const isMissing = (error: unknown) =>
  error instanceof S3ServiceException && (error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404);

export class S3FileStore implements FileStore {
  private readonly client: S3Client;
  private readonly prefix: string;

  constructor(private readonly options: S3StoreOptions) {
    this.prefix = options.prefix ?? '';
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
      credentials:
        options.accessKeyId && options.secretAccessKey
          ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey }
          : undefined,
      // The SDK's default adds CRC trailers in aws-chunked bodies, which many S3-compatible servers reject; the body
      // is still covered by the request signature.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  private objectKey(key: string): string {
    assertSafeKey(key);
    return this.prefix + key;
  }

  async put(key: string, data: Buffer | Readable, options: { contentType: string; size: number }): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.options.bucket,
        Key: this.objectKey(key),
        Body: data,
        ContentType: options.contentType,
        ContentLength: options.size,
      }),
    );
  }

  async get(key: string, range?: ByteRange): Promise<StoredObject | undefined> {
    try {
      const object = await this.client.send(
        new GetObjectCommand({
          Bucket: this.options.bucket,
          Key: this.objectKey(key),
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        }),
      );
      if (!(object.Body instanceof Readable)) throw new Error('S3 returned no readable body');
      // With a range, the whole size is the part after the slash of `bytes a-b/size`.
      const size = range ? Number(object.ContentRange?.split('/')[1]) : Number(object.ContentLength);
      return { stream: object.Body, size, contentType: object.ContentType };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) }));
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
