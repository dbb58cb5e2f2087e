// `Core.UploadFile`, `Core.UploadPrivateFile` and `Core.CreateFileSignedUrl`: parse the SDK's parameters, then hand
// the work to the file service. The upload comes in the multipart field `file`, as the official dev server demands.

import type { Principal } from '../auth/index.js';
import { badRequest } from '../errors.js';
import { type FileService, type NewFile, SIGNED_URL_SECONDS, type Uploader } from '../files/index.js';
import type { CoreCall, CoreIntegrations } from './core.js';

function uploadedFile({ files }: CoreCall, endpoint: string): NewFile {
  const file = files.find((f) => f.fieldName === 'file');
  if (!file) {
    const got = files.length > 0 ? `got field "${files[0].fieldName.slice(0, 50)}"` : 'got no file';
    throw badRequest(`${endpoint} needs the file in the multipart field "file" (${got})`);
  }
  return { data: file.data, fileName: file.fileName, contentType: file.contentType };
}

function uploaderOf(principal: Principal): Uploader | undefined {
  const user = principal.kind === 'user' ? principal : principal.kind === 'service' ? principal.onBehalfOf : undefined;
  return user && { userId: user.userId, email: user.email };
}

/** Seconds, as a JSON number or (from multipart) a numeric string; the file service checks the bounds. */
function expiresIn(value: unknown): number {
  if (value === undefined || value === null || value === '') return SIGNED_URL_SECONDS.default;
  const seconds = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof seconds !== 'number') throw badRequest('expires_in must be a number of seconds');
  return seconds;
}

export function registerFileIntegrations(integrations: CoreIntegrations, files: FileService): void {
  integrations.register('UploadFile', async (call) =>
    files.storePublic(call.app, uploadedFile(call, 'UploadFile'), call.origin, uploaderOf(call.principal)),
  );

  integrations.register('UploadPrivateFile', async (call) =>
    files.storePrivate(call.app, uploadedFile(call, 'UploadPrivateFile'), uploaderOf(call.principal)),
  );

  integrations.register('CreateFileSignedUrl', async ({ app, params, origin }) => {
    if (typeof params.file_uri !== 'string' || params.file_uri === '') throw badRequest('file_uri is required');
    return files.createSignedUrl(app, params.file_uri, expiresIn(params.expires_in), origin);
  });
}
