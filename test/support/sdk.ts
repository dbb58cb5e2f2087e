// Shapes and helpers for integration tests that drive the server through the real @base44/sdk:
// records, pages, the Base44Error the SDK rejects with, signed-up accounts and coded-error assertions.

import { expect } from 'vitest';
import type { TestServer } from './server.js';

export type Rec = Record<string, unknown>;
export interface Page<T = Rec> {
  items: T[];
  next_cursor: string | null;
  has_more: boolean;
}
export interface SdkError {
  name?: string;
  status?: number;
  code?: string;
  message: string;
  data?: unknown;
}
export interface Account {
  token: string;
  user: Rec;
  email: string;
}

/** An id in the right shape that no record has. */
export const MISSING_ID = 'ffffffffffffffffffffffff';

/** The SDK rejects with a Base44Error; this returns it (and fails the test if the call succeeded). */
export async function failure(promise: Promise<unknown>): Promise<SdkError> {
  return promise.then(
    (value) => {
      throw new Error(`expected the call to fail, it answered ${JSON.stringify(value)?.slice(0, 200)}`);
    },
    (error: SdkError) => error,
  );
}

/** Every error is coded: never a 500, and the body has a top-level `message` and `code`. */
export function expectCoded(error: SdkError, statuses: number[], codes: string[]): void {
  expect(error.name).toBe('Base44Error');
  expect(error.status).not.toBe(500);
  expect(statuses).toContain(error.status);
  expect(codes).toContain(error.code);
  const body = error.data as Rec;
  expect(body).toMatchObject({ message: expect.any(String), code: expect.any(String) });
  expect((body.message as string).length).toBeGreaterThan(0);
}

/** Signs `email` up on `server` (with `role` when given, and `department` set through auth.updateMe when given). */
export async function signUpAccount(server: TestServer, email: string, role?: string, department?: string): Promise<Account> {
  const { token, user } = await server.signUp(email, role ? { role } : {});
  if (department !== undefined) await server.client(token).auth.updateMe({ department });
  return { token, user, email };
}

export const ids = (rows: Rec[]) => rows.map((r) => r.id as string);
export const sorted = (values: string[]) => [...values].sort();
