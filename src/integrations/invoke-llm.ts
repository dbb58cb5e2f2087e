// InvokeLLM: the app's prompt (and files) to the configured chat model; the answer as a string, or as the
// parsed object when the app passes `response_json_schema`.

import { badRequest, HttpError, upstreamFailed } from '../errors.js';
import type { AppFileStore } from './app-files.js';
import { attachmentParts } from './attachments.js';
import type { CoreEndpoint } from './core.js';
import { compileSchema, readSchema } from './json-schema.js';
import type { ChatMessage, LlmProvider } from './llm.js';

export function invokeLlmEndpoint(deps: { files: AppFileStore; llm: LlmProvider }): CoreEndpoint {
  return async ({ app, params }) => {
    const { prompt, model: requested, response_json_schema: rawSchema, file_urls: fileUrls } = params;
    if (typeof prompt !== 'string' || prompt.trim() === '') throw badRequest('prompt must be a non-empty string');
    const schema = rawSchema === undefined || rawSchema === null ? undefined : readSchema(rawSchema, 'response_json_schema');
    const check = schema && compileSchema(schema, 'response_json_schema');
    if (params.add_context_from_internet === true || params.add_context_from_internet === 'true') {
      throw new HttpError(
        400,
        'not_configured',
        'add_context_from_internet needs a web search provider, and Homebase has none: leave it out and put the context in the prompt',
      );
    }
    const model = deps.llm.model(app, requested, 'InvokeLLM');
    const attachments = await attachmentParts(deps.files, app, fileUrls);
    const messages: ChatMessage[] = [{ role: 'user', content: attachments.length > 0 ? [{ type: 'text', text: prompt }, ...attachments] : prompt }];
    if (!schema || !check) return deps.llm.complete(app, model, messages);
    const answer = await deps.llm.structured(app, model, messages, schema, check);
    if (!answer.ok) throw upstreamFailed(`The model's answer did not match response_json_schema, also after a retry: ${answer.problems.join('; ')}`);
    return answer.value;
  };
}
