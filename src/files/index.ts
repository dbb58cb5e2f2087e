// Uploaded files: storage adapters (local folder, S3-compatible), type sniffing, public and signed URLs.

export { FileService, SIGNED_URL_SECONDS } from './file-service.js';
export type { FileAccess, FileUsage, NewFile, Uploader } from './file-service.js';
export type { ByteRange, FileStore, StoredObject } from './file-store.js';
export type { FileBytes, SpooledFile } from './file-bytes.js';
export { LocalFileStore } from './local-store.js';
export { S3FileStore } from './s3-store.js';
export type { S3StoreOptions } from './s3-store.js';
export { contentDisposition } from './disposition.js';
export { isPassive } from './sniff.js';
