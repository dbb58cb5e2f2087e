// Configuration, read once and validated (zod), then passed down: no module reads process.env itself.

import { z } from 'zod';

const DAY = 24 * 60 * 60;

export const devConfigSchema = z.object({
  projectDir: z.string().min(1),
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
  // Measured on 2 cores: a few connections with pipelined queries beat many (fewer socket writes per query).
  databaseConnections: z.number().int().positive().default(8),
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
