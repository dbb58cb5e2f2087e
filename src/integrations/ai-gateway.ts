// The SDK's `aiGateway.connection()`: an OpenAI-compatible chat-completions API for the app's signed-in users and
// its backend functions, answered by the operator's LLM provider. Apps point an OpenAI client at it with their own
// token; the provider's key never leaves the server. As on Base44, answers are not streamed.

import { badRequest } from '../errors.js';
import { isPlainObject } from '../query/index.js';
import type { AppRuntime } from '../tenancy/index.js';
import type { LlmProvider } from './llm.js';

/** The path segments `connection({provider})` puts in the base URL; both speak chat completions. */
export const GATEWAY_FLAVOURS = ['openai', 'typesafe'];

const MAX_MESSAGES = 1000;
const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);
// What is passed on to the provider besides `model` and `messages`; anything else (`store`, `metadata`, audio
// output, …) is left out rather than sent to an account that is not the app's.
const PASSED_ON = [
  'temperature', 'top_p', 'max_tokens', 'max_completion_tokens', 'stop', 'seed', 'presence_penalty',
  'frequency_penalty', 'logit_bias', 'response_format', 'tools', 'tool_choice', 'parallel_tool_calls',
  'reasoning_effort', 'user',
];

export class AiGateway {
  constructor(private readonly llm: LlmProvider) {}

  /** A chat completion for `request` (an OpenAI chat-completions body); `model` is picked as InvokeLLM picks it. */
  chatCompletion(app: AppRuntime, request: unknown): Promise<unknown> {
    if (!isPlainObject(request)) throw badRequest('The request body must be a JSON object');
    const { messages, stream } = request;
    if (stream !== undefined && stream !== false) throw badRequest('stream is not supported: the AI gateway answers whole completions');
    if (!Array.isArray(messages) || messages.length === 0 || messages.length > MAX_MESSAGES) {
      throw badRequest(`messages must be an array of 1 to ${MAX_MESSAGES} messages`);
    }
    messages.forEach((message, i) => {
      if (!isPlainObject(message) || typeof message.role !== 'string' || !ROLES.has(message.role)) {
        throw badRequest(`messages[${i}] must be an object whose role is one of ${[...ROLES].join(', ')}`);
      }
    });
    // "automatic" (the SDK's default) and names the alias tables do not know get the app's default model.
    const model = this.llm.model(app, request.model, 'The AI gateway');
    const passed = Object.fromEntries(PASSED_ON.filter((key) => request[key] !== undefined).map((key) => [key, request[key]]));
    return this.llm.chatCompletion(app, { model, messages, ...passed });
  }

  /** The model names an app may ask for: `automatic` and the names of its alias tables (OpenAI's list shape). */
  models(app: AppRuntime): { object: 'list'; data: { id: string; object: 'model'; owned_by: string }[] } {
    const names = new Set(['automatic', ...this.llm.aliasNames(app)]);
    return { object: 'list', data: [...names].map((id) => ({ id, object: 'model', owned_by: 'homebase' })) };
  }
}
