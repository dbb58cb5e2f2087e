// The integrations an operator sets up per app: kind, API root, OpenAPI document, credentials (sealed at rest and
// never shown again) and connection settings. An app is "subscribed" to exactly the integrations recorded here.

import { z } from 'zod';
import { badRequest, notFound } from '../errors.js';
import { Database, IntegrationKind, SecretBox, StoredIntegration, integrationStore } from '../store/index.js';
import { OpenApiDocument, checkOpenApiDocument, documentServerUrl, listOperations } from './openapi.js';

export const MASK = '********';
const SLUG = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
// Path segments the management API uses beside `/integrations/:slug`.
const RESERVED_SLUGS = new Set(['calls', 'custom']);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
const HEADER_VALUE = /^[^\r\n\0]*$/;
/** Bound into each sealed value, so credentials copied to another slug or app do not open. */
const sealName = (slug: string) => `integration:${slug}`;

const specSchema = z
  .object({
    kind: z.enum(['custom', 'connector']),
    base_url: z.url({ protocol: /^https?$/ }).optional(),
    openapi: z.unknown().optional(),
    credentials: z
      .object({
        headers: z.record(z.string().regex(HEADER_NAME, 'not a valid header name'), z.string().regex(HEADER_VALUE, 'no line breaks')).optional(),
        access_token: z.string().min(1).regex(HEADER_VALUE, 'no line breaks').optional(),
      })
      .strict()
      .optional(),
    connection_config: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export interface Credentials {
  headers?: Record<string, string>;
  access_token?: string;
}

/** An integration ready to call: credentials opened, document checked. */
export interface OpenIntegration {
  slug: string;
  kind: IntegrationKind;
  baseUrl: string | null;
  openapi: OpenApiDocument | null;
  credentials: Credentials;
  connectionConfig: Record<string, unknown> | null;
}

/** What the management API shows: credentials by header name only, values masked. */
export interface IntegrationView {
  slug: string;
  kind: IntegrationKind;
  base_url: string | null;
  credentials: { headers?: Record<string, string>; access_token?: string } | null;
  connection_config: Record<string, unknown> | null;
  /** `method:path` of each operation of the OpenAPI document, as apps name them. */
  operations: string[];
  created_date: string;
  updated_date: string;
  openapi?: Record<string, unknown> | null;
}

export function checkSlug(slug: string): void {
  if (!SLUG.test(slug)) throw badRequest(`Invalid integration slug "${slug.slice(0, 100)}": letters, digits, _ . - (up to 100)`);
  if (RESERVED_SLUGS.has(slug)) throw badRequest(`"${slug}" cannot name an integration`);
}

/** The headers that carry an integration's credentials: its own headers, and the access token as a bearer token. */
export function credentialHeaders(credentials: Credentials): Record<string, string> {
  const headers: Record<string, string> = {};
  if (credentials.access_token) headers.authorization = `Bearer ${credentials.access_token}`;
  for (const [name, value] of Object.entries(credentials.headers ?? {})) headers[name.toLowerCase()] = value;
  return headers;
}

export function credentialValues(credentials: Credentials): string[] {
  return [...Object.values(credentials.headers ?? {}), ...(credentials.access_token ? [credentials.access_token] : [])];
}

function parseSpec(body: unknown) {
  const result = specSchema.safeParse(body ?? {});
  if (!result.success) {
    throw badRequest(`Invalid integration: ${result.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
  }
  const spec = result.data;
  const openapi = spec.openapi === undefined ? null : checkOpenApiDocument(spec.openapi);
  const baseUrl = spec.base_url ?? (openapi && documentServerUrl(openapi)) ?? null;
  const credentials = spec.credentials && (spec.credentials.headers || spec.credentials.access_token) ? spec.credentials : null;
  if (spec.kind === 'custom') {
    if (!openapi) throw badRequest('A custom integration needs its OpenAPI document (openapi)');
    if (!baseUrl) throw badRequest('A custom integration needs base_url (or an absolute servers[0].url in its OpenAPI document)');
  }
  if (spec.kind === 'connector' && !credentials?.access_token) throw badRequest('A connector needs credentials.access_token');
  return { kind: spec.kind, baseUrl, openapi, credentials, connectionConfig: spec.connection_config ?? null };
}

function view(stored: StoredIntegration, credentials: Credentials | null, withDocument: boolean): IntegrationView {
  const document = stored.openapi as OpenApiDocument | null;
  return {
    slug: stored.slug,
    kind: stored.kind,
    base_url: stored.baseUrl,
    credentials: credentials && {
      ...(credentials.headers && { headers: Object.fromEntries(Object.keys(credentials.headers).map((name) => [name, MASK])) }),
      ...(credentials.access_token && { access_token: MASK }),
    },
    connection_config: stored.connectionConfig,
    operations: document ? listOperations(document).map((op) => `${op.method}:${op.path}`) : [],
    created_date: stored.createdDate,
    updated_date: stored.updatedDate,
    ...(withDocument && { openapi: stored.openapi }),
  };
}

export class IntegrationRegistry {
  constructor(
    private readonly db: Database,
    private readonly box: SecretBox,
  ) {}

  async put(appId: string, slug: string, body: unknown): Promise<IntegrationView> {
    checkSlug(slug);
    const spec = parseSpec(body);
    const stored = await integrationStore.upsertIntegration(this.db, appId, {
      slug,
      kind: spec.kind,
      baseUrl: spec.baseUrl,
      openapi: spec.openapi,
      sealedCredentials: spec.credentials && this.box.seal(appId, sealName(slug), JSON.stringify(spec.credentials)),
      connectionConfig: spec.connectionConfig,
    });
    return view(stored, spec.credentials, false);
  }

  async list(appId: string): Promise<IntegrationView[]> {
    const stored = await integrationStore.listIntegrations(this.db, appId);
    return stored.map((integration) => view(integration, this.credentials(appId, integration), false));
  }

  async get(appId: string, slug: string): Promise<IntegrationView> {
    const stored = await integrationStore.findIntegration(this.db, appId, slug);
    if (!stored) throw notFound(`No integration ${slug.slice(0, 100)}`);
    return view(stored, this.credentials(appId, stored), true);
  }

  async delete(appId: string, slug: string): Promise<void> {
    if (!(await integrationStore.deleteIntegration(this.db, appId, slug))) throw notFound(`No integration ${slug.slice(0, 100)}`);
  }

  async open(appId: string, slug: string): Promise<OpenIntegration | undefined> {
    const stored = await integrationStore.findIntegration(this.db, appId, slug);
    if (!stored) return undefined;
    return {
      slug: stored.slug,
      kind: stored.kind,
      baseUrl: stored.baseUrl,
      openapi: stored.openapi as OpenApiDocument | null,
      credentials: this.credentials(appId, stored) ?? {},
      connectionConfig: stored.connectionConfig,
    };
  }

  private credentials(appId: string, stored: StoredIntegration): Credentials | null {
    return stored.sealedCredentials ? (JSON.parse(this.box.open(appId, sealName(stored.slug), stored.sealedCredentials)) as Credentials) : null;
  }
}
