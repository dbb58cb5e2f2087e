// The AI endpoints of `integrations.Core` (InvokeLLM, GenerateImage, ExtractDataFromUploadedFile), registered
// with the providers the server is configured with, and the AI gateway on the same chat model.

import type { Logger } from 'pino';
import type { DevConfig } from '../config/index.js';
import type { AppFileStore } from './app-files.js';
import type { CoreIntegrations } from './core.js';
import { extractDataEndpoint } from './extract.js';
import { generateImageEndpoint } from './images.js';
import { AiGateway } from './ai-gateway.js';
import { invokeLlmEndpoint } from './invoke-llm.js';
import { LlmProvider } from './llm.js';

export interface AiDependencies {
  files: AppFileStore;
  llm: DevConfig['llm'];
  images: DevConfig['images'];
  logger?: Logger;
}

/** Registers the AI endpoints of `Core`; answers the AI gateway, which shares their chat model. */
export function registerAiIntegrations(integrations: CoreIntegrations, deps: AiDependencies): AiGateway {
  const llm = new LlmProvider(deps.llm, deps.logger);
  integrations.register('InvokeLLM', invokeLlmEndpoint({ files: deps.files, llm }));
  integrations.register('GenerateImage', generateImageEndpoint({ files: deps.files, llm: deps.llm, images: deps.images }));
  integrations.register('ExtractDataFromUploadedFile', extractDataEndpoint({ files: deps.files, llm }));
  return new AiGateway(llm);
}
