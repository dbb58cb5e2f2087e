// The Core integrations an app calls as `base44.integrations.Core.<Name>(params)`: one handler per name.
// Handlers get parsed params (JSON body, or multipart fields with their files) and return the SDK's answer.

import { notFound } from '../errors.js';
import type { Principal } from '../auth/index.js';
import type { SpooledFile } from '../files/index.js';
import type { AppRuntime } from '../tenancy/index.js';

export interface UploadedFile {
  fieldName: string;
  /** The name the client gave; shown to people, never used as a storage key. */
  fileName: string;
  /** The type the client declared; handlers sniff the content rather than trust it. */
  contentType: string;
  /** Spooled to a temporary file that lives as long as the call. */
  data: SpooledFile;
}

export interface CoreCall {
  app: AppRuntime;
  principal: Principal;
  params: Record<string, unknown>;
  files: UploadedFile[];
  /** How the caller reaches this server (`http://host:port`), for URLs handed back. */
  origin: string;
}

export type CoreEndpoint = (call: CoreCall) => Promise<unknown>;

export class CoreIntegrations {
  private readonly endpoints = new Map<string, CoreEndpoint>();

  register(name: string, endpoint: CoreEndpoint): void {
    this.endpoints.set(name, endpoint);
  }

  call(name: string, call: CoreCall): Promise<unknown> {
    const endpoint = this.endpoints.get(name);
    if (!endpoint) throw notFound(`Unknown integration Core.${name.slice(0, 100)}`);
    return endpoint(call);
  }

  names(): string[] {
    return [...this.endpoints.keys()].sort();
  }
}
