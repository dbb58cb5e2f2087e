// The chat model behind InvokeLLM and unstructured extraction: an OpenAI-compatible chat-completions API.
// Picks the provider model for the SDK's model name, asks for structured output and repairs a bad answer once.

import type { Logger } from 'pino';
import type { DevConfig } from '../config/index.js';
import { notConfigured, upstreamFailed } from '../errors.js';
import { isPlainObject } from '../query/index.js';
import type { AppRuntime } from '../tenancy/index.js';
import type { JsonSchema, SchemaCheck } from './json-schema.js';
import { postJson, type ProviderEndpoint } from './provider-http.js';

export type LlmSettings = DevConfig['llm'];

export type ContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ContentPart[];
}

export type StructuredAnswer = { ok: true; value: unknown } | { ok: false; problems: string[] };

interface ChatCompletion {
  choices?: { message?: { content?: unknown; refusal?: unknown } }[];
}

const PROVIDER_LABEL = 'LLM provider';

// Wrapping key for schemas whose root is not an object: structured output wants an object at the root.
const WRAPPED = 'result';

function isObjectSchema(schema: JsonSchema): boolean {
  return schema.type === 'object' || (schema.type === undefined && isPlainObject(schema.properties));
}

function answerText(completion: ChatCompletion, label: string): string {
  const message = completion.choices?.[0]?.message;
  if (typeof message?.refusal === 'string' && message.refusal) throw upstreamFailed(`The model refused: ${message.refusal.slice(0, 300)}`);
  const content = message?.content;
  if (typeof content === 'string') return content;
  // Some compatible servers answer with content parts, as requests may send them.
  if (Array.isArray(content)) return content.map((part: { text?: unknown }) => (typeof part?.text === 'string' ? part.text : '')).join('');
  throw upstreamFailed(`The ${label} answered without a message`);
}

/** The JSON in an answer, also when a model without structured output fenced it in Markdown. */
function parseJsonAnswer(text: string): { value: unknown } | undefined {
  const fenced = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/i.exec(text);
  try {
    return { value: JSON.parse(fenced ? fenced[1] : text) };
  } catch {
    return undefined;
  }
}

export class LlmProvider {
  constructor(
    private readonly settings: LlmSettings,
    private readonly logger?: Logger,
  ) {}

  /**
   * The provider model for the app's `requested` name: the app's alias table, then the server's, else the app's
   * default model, else the server's. 503 `not_configured` when there is no provider or no default model.
   */
  model(app: AppRuntime, requested: unknown, feature: string): string {
    const own = app.settings.integrations?.llm ?? {};
    if (!this.settings.baseUrl) {
      throw notConfigured(`${feature} needs an LLM provider: set LLM_BASE_URL (with LLM_API_KEY and LLM_MODEL) on the server`);
    }
    if (typeof requested === 'string') {
      for (const aliases of [own.aliases, this.settings.aliases]) {
        if (aliases && Object.hasOwn(aliases, requested)) return aliases[requested];
      }
    }
    const fallback = own.model ?? this.settings.model;
    if (!fallback) throw notConfigured(`${feature} needs a default model: set LLM_MODEL on the server`);
    return fallback;
  }

  /** The SDK model names the app's and the server's alias tables map. */
  aliasNames(app: AppRuntime): string[] {
    return [...Object.keys(app.settings.integrations?.llm?.aliases ?? {}), ...Object.keys(this.settings.aliases ?? {})];
  }

  /** Whether `model()` would find a provider and a model for the app. */
  configuredFor(app: AppRuntime): boolean {
    return Boolean(this.settings.baseUrl && (app.settings.integrations?.llm?.model ?? this.settings.model));
  }

  private endpoint(): ProviderEndpoint {
    return { label: PROVIDER_LABEL, baseUrl: this.settings.baseUrl!, apiKey: this.settings.apiKey, timeoutMs: this.settings.timeoutMs };
  }

  /** One chat-completions request as given (its `model` already a provider model); the provider's answer as is. */
  async chatCompletion(app: AppRuntime, request: { model: string } & Record<string, unknown>): Promise<unknown> {
    const started = Date.now();
    try {
      const completion = await postJson(this.endpoint(), '/chat/completions', request);
      this.logger?.info({ appId: app.id, model: request.model, ms: Date.now() - started }, 'llm call');
      return completion;
    } catch (error) {
      this.logger?.warn({ appId: app.id, model: request.model, ms: Date.now() - started, err: { message: (error as Error).message } }, 'llm call failed');
      throw error;
    }
  }

  async complete(app: AppRuntime, model: string, messages: ChatMessage[], responseFormat?: object): Promise<string> {
    const completion = await this.chatCompletion(app, { model, messages, ...(responseFormat ? { response_format: responseFormat } : {}) });
    return answerText(completion as ChatCompletion, PROVIDER_LABEL);
  }

  /**
   * An answer matching `schema`: requested as structured output (the schema is also spelled out in a system
   * message, for servers that ignore `response_format`), parsed and checked; a bad answer is sent back once with
   * its problems. Problems left after that are returned, for the caller to report in its own way.
   */
  async structured(app: AppRuntime, model: string, messages: ChatMessage[], schema: JsonSchema, check: SchemaCheck): Promise<StructuredAnswer> {
    const wrapped = !isObjectSchema(schema);
    const wireSchema = wrapped ? { type: 'object', properties: { [WRAPPED]: schema }, required: [WRAPPED] } : schema;
    const conversation: ChatMessage[] = [
      {
        role: 'system',
        content: `Answer with one JSON value and nothing else. It must match this JSON schema:\n${JSON.stringify(wireSchema)}`,
      },
      ...messages,
    ];
    const responseFormat = { type: 'json_schema', json_schema: { name: 'response', schema: wireSchema, strict: false } };
    let problems: string[] = [];
    for (let attempt = 1; attempt <= 2; attempt++) {
      const text = await this.complete(app, model, conversation, responseFormat);
      const parsed = parseJsonAnswer(text);
      if (parsed) {
        const answer = parsed.value;
        const value = wrapped && isPlainObject(answer) && Object.hasOwn(answer, WRAPPED) ? answer[WRAPPED] : answer;
        problems = check(value);
        if (problems.length === 0) return { ok: true, value };
      } else {
        problems = ['the answer is not valid JSON'];
      }
      conversation.push(
        { role: 'assistant', content: text },
        { role: 'user', content: `That answer does not match the JSON schema: ${problems.join('; ')}. Answer again with the corrected JSON only.` },
      );
    }
    this.logger?.warn({ appId: app.id, model, problems }, 'llm answer did not match the schema');
    return { ok: false, problems };
  }
}
