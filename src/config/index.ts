// Configuration, read once and validated (zod), then passed down: no module reads process.env itself.

import { z } from 'zod';

const DAY = 24 * 60 * 60;

const attemptLimit = z.object({ attempts: z.number().int().positive(), windowSeconds: z.number().int().positive() });

export const devConfigSchema = z.object({
  projectDir: z.string().min(1),
  /** A built site folder to serve instead of the project's `site.outputDirectory`. */
  siteDir: z.string().min(1).optional(),
  port: z.coerce.number().int().min(0).max(65535).default(4400),
  host: z.string().min(1).default('127.0.0.1'),
  /** postgres://… for PostgreSQL; absent means embedded PGlite in `<project>/.homebase/`; `memory://` keeps it in memory. */
  databaseUrl: z
    .string()
    .regex(/^(postgres(ql)?:\/\/|memory:\/\/)/, 'database URL must start with postgres://, postgresql:// or memory://')
    .optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  watch: z.boolean().default(true),
  userTokenSeconds: z.number().int().positive().default(30 * DAY),
  serviceTokenSeconds: z.number().int().positive().default(365 * DAY),
  maxBodyBytes: z.number().int().positive().default(10 * 1024 * 1024),
  maxFileBytes: z.number().int().positive().default(50 * 1024 * 1024),
  /** Sites uploaded through the management API (`deploy-dist`): the tarball, and what it may unpack to. */
  siteLimits: z
    .object({ maxArchiveBytes: z.number().int().positive(), maxUnpackedBytes: z.number().int().positive(), maxFiles: z.number().int().positive() })
    .default({ maxArchiveBytes: 100 * 1024 * 1024, maxUnpackedBytes: 500 * 1024 * 1024, maxFiles: 10_000 }),
  /** Server-wide sign-up defaults; each app's `auth` settings in base44/config.jsonc override them. */
  signup: z.enum(['open', 'invite_only', 'closed']).default('open'),
  emailVerification: z.boolean().default(true),
  authLimits: z
    .object({
      perIp: attemptLimit.default({ attempts: 30, windowSeconds: 60 }),
      perEmail: attemptLimit.default({ attempts: 10, windowSeconds: 600 }),
    })
    .prefault({}),
  /**
   * Fastify's trustProxy: whom to believe about the client's address in X-Forwarded-For (false: no one; true: any
   * proxy; or the proxies' addresses and CIDRs, comma-separated). Per-address limits count what it yields.
   */
  trustProxy: z.union([z.boolean(), z.string().min(1)]).default(false),
  /** How long a node trusts a session it checked; revocation reaches other nodes within this time. */
  sessionCheckSeconds: z.number().positive().default(5),
  /**
   * redis://[user:pass@]host:6379[/db] or rediss://…: nodes on PostgreSQL tell each other of outbox commits through
   * Redis pub/sub instead of the database's NOTIFY (for connections that cannot LISTEN, such as a transaction pooler).
   */
  redisUrl: z.string().regex(/^rediss?:\/\//, 'Redis URL must start with redis:// or rediss://').optional(),
  // Measured on 2 cores: a few connections with pipelined queries beat many (fewer socket writes per query).
  databaseConnections: z.number().int().positive().default(8),
  /** smtp://user:pass@host:587 (STARTTLS) or smtps://…:465; absent means mail is captured by the dev mailbox. */
  smtpUrl: z.string().regex(/^smtps?:\/\//, 'SMTP URL must start with smtp:// or smtps://').optional(),
  /** Sender of every mail, `Name <address>`; apps set the display name only. */
  mailFrom: z.string().min(1).optional(),
  /** Core.SendEmail calls each app may make per window (counted in the database, across nodes). */
  sendEmailLimit: attemptLimit.default({ attempts: 100, windowSeconds: 60 * 60 }),
  /**
   * Where uploads are kept: a local folder (absent: `<project>/.homebase/files`) or, with `s3`, an existing bucket of
   * an S3-compatible store. Without S3 keys the AWS SDK's default chain applies (AWS_* variables, instance roles).
   */
  files: z
    .object({
      dir: z.string().min(1).optional(),
      s3: z
        .object({
          bucket: z.string().min(1),
          endpoint: z.url({ protocol: /^https?$/ }).optional(),
          region: z.string().min(1).default('us-east-1'),
          accessKeyId: z.string().min(1).optional(),
          secretAccessKey: z.string().min(1).optional(),
          /** Defaults on when an endpoint is given (MinIO and most self-hosted stores need it). */
          forcePathStyle: z.boolean().optional(),
          prefix: z.string().regex(/^([A-Za-z0-9_-][A-Za-z0-9_.-]*\/)*$/, 'prefix must be folder names, each ending in /').default(''),
        })
        .refine((s3) => (s3.accessKeyId === undefined) === (s3.secretAccessKey === undefined), {
          message: 'S3 accessKeyId and secretAccessKey go together',
        })
        .optional(),
    })
    .prefault({}),
  /** How long committed changes stay in the outbox (realtime reads them at once; automations may lag behind). */
  outboxRetentionSeconds: z.number().int().positive().default(60 * 60),
  /** Realtime reads the outbox on each notification, and this often without one, in case one was lost. */
  realtimePollSeconds: z.number().positive().default(2),
  /**
   * The OpenAI-compatible chat provider behind InvokeLLM (and ExtractDataFromUploadedFile for unstructured files):
   * `baseUrl` is the API root with its version (`https://api.openai.com/v1`). Keys live here, never in a project.
   */
  llm: z
    .object({
      baseUrl: z.url({ protocol: /^https?$/ }).optional(),
      apiKey: z.string().min(1).optional(),
      model: z.string().min(1).optional(),
      /** The SDK's model names (`gpt_5_mini`, `claude_sonnet_4_6`, …) to provider model names. */
      aliases: z.record(z.string(), z.string().min(1)).default({}),
      timeoutMs: z.number().int().positive().default(120_000),
    })
    .prefault({}),
  /** The OpenAI-compatible images API behind GenerateImage; base URL and key default to the LLM provider's. */
  images: z
    .object({
      baseUrl: z.url({ protocol: /^https?$/ }).optional(),
      apiKey: z.string().min(1).optional(),
      model: z.string().min(1).optional(),
    })
    .prefault({}),
  /** Custom integrations and connectors: how long their APIs may take, how much they may answer, how long calls are traced. */
  integrations: z
    .object({
      timeoutMs: z.number().int().positive().default(30_000),
      maxResponseBytes: z.number().int().positive().default(10 * 1024 * 1024),
      traceRetentionDays: z.number().int().positive().default(7),
    })
    .prefault({}),
  /** Backend functions: Deno's module cache (absent: `<project>/.homebase/deno-cache`), limits and timings. */
  functions: z
    .object({
      denoDir: z.string().min(1).optional(),
      /** PEM file of extra CA certificates Deno trusts (DENO_CERT, else NODE_EXTRA_CA_CERTS, in the CLI). */
      caCertFile: z.string().min(1).optional(),
      /** Hosts, `host:port`s and CIDRs functions may not connect to, beyond the database and cloud metadata. */
      denyNet: z.array(z.string().regex(/^[^,\s]+$/, 'one host, host:port or CIDR per entry')).default([]),
      memoryMb: z.number().int().min(32).default(512),
      timeoutMs: z.number().int().positive().default(60_000),
      idleMs: z.number().int().positive().default(5 * 60_000),
      startTimeoutMs: z.number().int().positive().default(60_000),
      logRetentionDays: z.number().int().positive().default(7),
      maxLogLinesPerInvocation: z.number().int().positive().default(1000),
    })
    .default({
      denyNet: [],
      memoryMb: 512,
      timeoutMs: 60_000,
      idleMs: 5 * 60_000,
      startTimeoutMs: 60_000,
      logRetentionDays: 7,
      maxLogLinesPerInvocation: 1000,
    }),
  /** Automations from function.jsonc: entity triggers and schedules, their retries and their run history. */
  automations: z
    .object({
      /** Off: this node neither queues nor delivers runs (another node sharing the database does). */
      enabled: z.boolean().default(true),
      /** The shortest interval a recurring schedule may have; Base44 (and production) use 300 s, dev allows less. */
      minIntervalSeconds: z.number().int().positive().default(60),
      /** Attempts per run before it is marked dead. */
      maxAttempts: z.number().int().positive().default(5),
      /** The first retry comes after about this long, each next one after twice as long (with jitter), up to the max. */
      retryBaseSeconds: z.number().positive().default(10),
      retryMaxSeconds: z.number().positive().default(60 * 60),
      /** Runs this node delivers at once; 0 leaves delivery to other nodes. */
      concurrency: z.number().int().min(0).default(8),
      /** A run whose node stops renewing its claim for this long is taken over (and its attempt counted as lost). */
      leaseSeconds: z.number().positive().default(30),
      /** How often each node looks for due runs and new schedules without being told. */
      pollSeconds: z.number().positive().default(1),
      /** Finished runs are kept this long. */
      historyDays: z.number().int().positive().default(7),
    })
    .prefault({}),
});

export type DevConfigInput = z.input<typeof devConfigSchema>;
export type DevConfig = z.output<typeof devConfigSchema>;

export function parseDevConfig(input: DevConfigInput): DevConfig {
  const result = devConfigSchema.safeParse(input);
  if (!result.success) {
    throw new Error(`Invalid configuration: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return result.data;
}

/** The `files` settings from the environment (FILES_DIR, S3_BUCKET, S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY_ID, …). */
export function filesConfigFromEnv(env: Record<string, string | undefined>): DevConfigInput['files'] {
  const value = (name: string) => env[name] || undefined;
  const bucket = value('S3_BUCKET');
  const pathStyle = value('S3_FORCE_PATH_STYLE');
  return {
    dir: value('FILES_DIR'),
    s3: bucket === undefined ? undefined : {
      bucket,
      endpoint: value('S3_ENDPOINT'),
      region: value('S3_REGION'),
      accessKeyId: value('S3_ACCESS_KEY_ID'),
      secretAccessKey: value('S3_SECRET_ACCESS_KEY'),
      forcePathStyle: pathStyle === undefined ? undefined : pathStyle === 'true',
      prefix: value('S3_PREFIX'),
    },
  };
}
