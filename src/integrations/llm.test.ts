// Which provider model an app's InvokeLLM call reaches: app aliases, server aliases, app default, server default.

import { describe, expect, it } from 'vitest';
import type { AppRuntime } from '../tenancy/index.js';
import { LlmProvider } from './llm.js';

const server = { baseUrl: 'http://127.0.0.1:1/v1', model: 'server-default', aliases: { gpt_5_mini: 'server-mini', claude_sonnet_4_6: 'server-claude' }, timeoutMs: 1000 };
const appWith = (llm?: { model?: string; aliases?: Record<string, string> }) => ({ id: 'a'.repeat(24), settings: { name: 'App', integrations: { llm } } }) as AppRuntime;

describe('the model an app reaches', () => {
  const provider = new LlmProvider(server);

  it('follows the app’s aliases over the server’s, and falls back to the app’s default, then the server’s', () => {
    const app = appWith({ model: 'app-default', aliases: { claude_sonnet_4_6: 'app-claude' } });
    expect(provider.model(app, 'claude_sonnet_4_6', 'InvokeLLM')).toBe('app-claude');
    expect(provider.model(app, 'gpt_5_mini', 'InvokeLLM')).toBe('server-mini');
    expect(provider.model(app, 'gemini_3_flash', 'InvokeLLM')).toBe('app-default');
    expect(provider.model(appWith(), 'gemini_3_flash', 'InvokeLLM')).toBe('server-default');
    expect(provider.model(appWith(), undefined, 'InvokeLLM')).toBe('server-default');
  });

  it('never takes an alias from the prototype', () => {
    expect(provider.model(appWith(), 'constructor', 'InvokeLLM')).toBe('server-default');
  });

  it('is 503 not_configured without a provider or a default model', () => {
    expect(() => new LlmProvider({ ...server, baseUrl: undefined }).model(appWith(), undefined, 'InvokeLLM')).toThrow(/LLM_BASE_URL/);
    expect(() => new LlmProvider({ ...server, model: undefined }).model(appWith(), 'unknown', 'InvokeLLM')).toThrow(/LLM_MODEL/);
    expect(new LlmProvider({ ...server, model: undefined }).model(appWith({ model: 'app-default' }), 'unknown', 'InvokeLLM')).toBe('app-default');
  });
});
