// One-time codes and tokens (email OTP, password reset, invitations), stored only as keyed hashes.
// Using one is a single conditional UPDATE, so a code can never be used twice, even by racing requests.

import { Sql } from './database.js';

export type CodePurpose = 'verify_email' | 'reset_password' | 'invite';

export interface IssuedCode {
  appId: string;
  purpose: CodePurpose;
  codeHash: string;
  email: string;
  role?: string;
  lifetimeSeconds: number;
}

/** Stores a new code and retires the unused ones for the same email and purpose: only the latest works. */
export async function issueCode(db: Sql, code: IssuedCode): Promise<void> {
  await db.query(
    `UPDATE homebase.auth_codes SET used_date = now()
     WHERE app_id = $1 AND purpose = $2 AND lower(email) = lower($3) AND used_date IS NULL`,
    [code.appId, code.purpose, code.email],
  );
  await db.query(
    `INSERT INTO homebase.auth_codes (app_id, purpose, code_hash, email, role, expires_date)
     VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6::int))`,
    [code.appId, code.purpose, code.codeHash, code.email, code.role ?? null, code.lifetimeSeconds],
  );
}

/**
 * Whom the live code with this hash is for; `use` spends it in the same statement, so it can never be used twice.
 */
export async function liveCode(
  db: Sql,
  appId: string,
  purpose: CodePurpose,
  codeHash: string,
  { use }: { use: boolean },
): Promise<{ email: string; role: string | null } | undefined> {
  const live = 'app_id = $1 AND purpose = $2 AND code_hash = $3 AND used_date IS NULL AND expires_date > now()';
  const [row] = await db.query<{ email: string; role: string | null }>(
    use
      ? `UPDATE homebase.auth_codes SET used_date = now() WHERE ${live} RETURNING email, role`
      : `SELECT email, role FROM homebase.auth_codes WHERE ${live}`,
    [appId, purpose, codeHash],
  );
  return row;
}

export async function hasLiveCode(db: Sql, appId: string, purpose: CodePurpose, email: string): Promise<boolean> {
  const rows = await db.query(
    `SELECT 1 FROM homebase.auth_codes
     WHERE app_id = $1 AND purpose = $2 AND lower(email) = lower($3) AND used_date IS NULL AND expires_date > now() LIMIT 1`,
    [appId, purpose, email],
  );
  return rows.length > 0;
}

/**
 * Checks an emailed code against the latest live one for the email. A wrong guess spends one attempt;
 * the code dies after `maxAttempts` wrong guesses, so six digits cannot be brute-forced.
 */
export async function attemptEmailCode(
  db: Sql,
  appId: string,
  purpose: CodePurpose,
  email: string,
  codeHash: string,
  maxAttempts: number,
): Promise<'ok' | 'wrong' | 'none'> {
  const [row] = await db.query<{ matched: boolean }>(
    `UPDATE homebase.auth_codes c
     SET attempts = c.attempts + CASE WHEN c.code_hash = $4 THEN 0 ELSE 1 END,
         used_date = CASE WHEN c.code_hash = $4 OR c.attempts + 1 >= $5 THEN now() END
     FROM (SELECT code_hash FROM homebase.auth_codes
           WHERE app_id = $1 AND purpose = $2 AND lower(email) = lower($3) AND used_date IS NULL AND expires_date > now()
           ORDER BY created_date DESC LIMIT 1 FOR UPDATE) live
     WHERE c.app_id = $1 AND c.purpose = $2 AND c.code_hash = live.code_hash
     RETURNING c.code_hash = $4 AS matched`,
    [appId, purpose, email, codeHash, maxAttempts],
  );
  if (!row) return 'none';
  return row.matched ? 'ok' : 'wrong';
}

export async function pruneCodes(db: Sql): Promise<void> {
  await db.query(`DELETE FROM homebase.auth_codes WHERE expires_date < now() - interval '1 day'`);
}
