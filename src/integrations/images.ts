// GenerateImage: the prompt to an OpenAI-compatible images API; the image is stored as a public file of the
// app and its URL returned, so it outlives the provider's temporary links.

import type { DevConfig } from '../config/index.js';
import { badRequest, notConfigured, upstreamFailed } from '../errors.js';
import type { AppFileStore } from './app-files.js';
import type { CoreEndpoint } from './core.js';
import { imageType } from './documents.js';
import { download, postJson, type ProviderEndpoint } from './provider-http.js';

const MAX_PROMPT_CHARS = 32_000;
const MAX_IMAGE_BYTES = 50 * 1024 * 1024;
const EXTENSIONS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif', 'image/webp': 'webp' };

interface ImagesAnswer {
  data?: { b64_json?: unknown; url?: unknown }[];
}

export function generateImageEndpoint(deps: { files: AppFileStore; llm: DevConfig['llm']; images: DevConfig['images'] }): CoreEndpoint {
  const { llm, images } = deps;
  const baseUrl = images.baseUrl ?? llm.baseUrl;
  // The LLM key goes only to the LLM provider's own host: a separate images host gets IMAGE_API_KEY or nothing.
  const apiKey = images.baseUrl ? images.apiKey : (images.apiKey ?? llm.apiKey);
  return async ({ app, params, origin }) => {
    const { prompt } = params;
    if (typeof prompt !== 'string' || prompt.trim() === '') throw badRequest('prompt must be a non-empty string');
    if (prompt.length > MAX_PROMPT_CHARS) throw badRequest(`prompt is longer than ${MAX_PROMPT_CHARS} characters`);
    if (!baseUrl || !images.model) {
      throw notConfigured('GenerateImage needs an images provider: set IMAGE_MODEL (and IMAGE_BASE_URL, IMAGE_API_KEY unless the LLM provider serves images)');
    }
    const endpoint: ProviderEndpoint = { label: 'image provider', baseUrl, apiKey, timeoutMs: llm.timeoutMs };
    // No `response_format`: newer models refuse it and always answer base64; older ones answer a URL instead.
    const answer = (await postJson(endpoint, '/images/generations', { model: images.model, prompt, n: 1 })) as ImagesAnswer;
    const first = answer.data?.[0];
    let data: Buffer;
    if (typeof first?.b64_json === 'string') data = Buffer.from(first.b64_json, 'base64');
    else if (typeof first?.url === 'string') data = await download(endpoint, first.url, MAX_IMAGE_BYTES);
    else throw upstreamFailed('The image provider answered without an image');
    const contentType = imageType(data);
    if (!contentType) throw upstreamFailed('The image provider answered with something other than an image');
    const { file_url } = await deps.files.storePublic(app, { data, fileName: `generated-image.${EXTENSIONS[contentType]}`, contentType }, origin);
    return { url: file_url };
  };
}
