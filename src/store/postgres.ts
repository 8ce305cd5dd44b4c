// PostgreSQL implementation of the Store on Bun.SQL, for several instances sharing one database. The SQL
// is the same as SQLite's (statements.ts, `?` numbered to `$n`); transactions use sql.begin (READ
// COMMITTED: a conditional UPDATE re-checks its WHERE after waiting, so single use holds across
// instances); migrations run under an advisory lock so instances starting together apply each once.
import { SQL } from 'bun';
import type { Logger } from '../log.ts';
import { MIGRATIONS, LATEST_VERSION, SchemaTooNewError } from './migrations.ts';
import * as R from './rows.ts';
import { singleStatements } from './single-statements.ts';
import { Q } from './statements.ts';
import { sweepInBatches } from './sweep.ts';
import { TurnBatch } from './turn-batch.ts';
import {
  type OidcGrant,
  StoreUnavailableError,
  type CodeRow,
  type AuditRow,
  type DeviceCodeRow,
  type FamilyRow,
  type IssuedForCode,
  type RefreshRow,
  type SessionRow,
  type SigningKeyRow,
  type Store,
  type StoreDump,
  type SweepResult,
} from './store.ts';

type Row = R.Row;
type RefreshWithFamily = { row: RefreshRow; family: FamilyRow };
/** One refresh-token rotation: the arguments of Store.refresh.rotate. */
interface Rotation {
  oldId: string;
  now: number;
  next: RefreshRow;
  familyExpiresAt: number;
}
const asError = (e: unknown) => (e instanceof Error ? e : new Error(String(e)));
type Runner = { unsafe(query: string, params?: unknown[]): Promise<Row[] & { count?: number }> };

const MIGRATION_LOCK = 727_368_001; // pg_advisory_lock key of `auth migrate`

/**
 * A refresh-token rotation in one statement, one round trip (the SQLite store's three statements in a
 * transaction were, here, BEGIN, three statements and COMMIT: five). The consume decides, with the same
 * conditions as Q.refreshConsume; the new token and the family's slide select from its RETURNING, so they
 * happen only when it matched. All three run once, atomically, under one snapshot; a concurrent rotation of the
 * same token waits on its row lock and then finds consumed_at set (READ COMMITTED re-checks the WHERE): one
 * winner, as before. Parameters: now, old id, then the new token (id, hash, family, scope, resource, created,
 * expires, last_jti, last_exp) and the family's new expiry.
 */
const ROTATE = `WITH consumed AS (
    UPDATE refresh_tokens SET consumed_at = $1::bigint WHERE id = $2::text AND consumed_at IS NULL AND expires_at > $1::bigint
      AND EXISTS (SELECT 1 FROM refresh_families f WHERE f.id = refresh_tokens.family_id AND f.revoked_at IS NULL
        AND (f.live_token_id IS NULL OR f.live_token_id = refresh_tokens.id))
    RETURNING family_id
  ), inserted AS (
    INSERT INTO refresh_tokens (id, hash, family_id, scope, resource, created_at, expires_at, consumed_at, last_jti, last_exp)
    SELECT $3::text, $4::text, $5::text, $6::text, $7::text, $8::bigint, $9::bigint, NULL, $10::text, $11::bigint FROM consumed
  ), slid AS (
    UPDATE refresh_families SET expires_at = $12::bigint, live_token_id = $3::text, live_parent_id = $2::text, last_used_at = $1::bigint
    WHERE id = $5::text AND EXISTS (SELECT 1 FROM consumed)
  )
  SELECT count(*)::int AS n FROM consumed`;

/**
 * ROTATE for a batch: the rotations of one event-loop turn in one statement (TurnBatch). Each row of `input`
 * is one rotation — its own now, old id, new token and family expiry — and meets ROTATE's conditions on its
 * own; the new token and the slide happen for the rows the consume matched. The batch holds each old token
 * and each family once (PostgresStore.rotateBatch), so no two rows decide on the same token or family.
 * Returns the old ids that rotated.
 */
const ROTATE_MANY = `WITH input AS (
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::bigint[], $10::text[], $11::bigint[], $12::bigint[])
      AS i(now, old_id, id, hash, family_id, scope, resource, created_at, expires_at, last_jti, last_exp, family_expires_at)
  ), consumed AS (
    UPDATE refresh_tokens SET consumed_at = i.now FROM input i
    WHERE refresh_tokens.id = i.old_id AND refresh_tokens.consumed_at IS NULL AND refresh_tokens.expires_at > i.now
      AND EXISTS (SELECT 1 FROM refresh_families f WHERE f.id = refresh_tokens.family_id AND f.revoked_at IS NULL
        AND (f.live_token_id IS NULL OR f.live_token_id = refresh_tokens.id))
    RETURNING refresh_tokens.id AS old_id
  ), inserted AS (
    INSERT INTO refresh_tokens (id, hash, family_id, scope, resource, created_at, expires_at, consumed_at, last_jti, last_exp)
    SELECT i.id, i.hash, i.family_id, i.scope, i.resource, i.created_at, i.expires_at, NULL, i.last_jti, i.last_exp
    FROM input i JOIN consumed c ON c.old_id = i.old_id
  ), slid AS (
    UPDATE refresh_families SET expires_at = i.family_expires_at, live_token_id = i.id, live_parent_id = i.old_id, last_used_at = i.now
    FROM input i JOIN consumed c ON c.old_id = i.old_id WHERE refresh_families.id = i.family_id
  )
  SELECT old_id FROM consumed`;

/**
 * An authorization code redeemed together with the refresh family it starts, in one statement (as ROTATE):
 * the family and its first token select from the redeem's RETURNING, so a code already spent (or expired)
 * inserts nothing. Parameters: Q.codeRedeem's first five (now, family id, jti, exp, code id), then
 * R.familyParams and R.refreshParams.
 */
const REDEEM_WITH_FAMILY = `WITH redeemed AS (
    UPDATE authorization_codes SET consumed_at = $1::bigint, issued_family_id = $2::text, issued_jti = $3::text, issued_exp = $4::bigint
    WHERE id = $5::text AND consumed_at IS NULL AND expires_at > $1::bigint
    RETURNING id
  ), family AS (
    INSERT INTO refresh_families (id, client_id, user_id, scope, resource, auth_time, created_at, revoked_at, expires_at, live_token_id, live_parent_id, oidc, user_agent, ip, last_used_at, dpop_jkt)
    SELECT $6::text, $7::text, $8::text, $9::text, $10::text, $11::bigint, $12::bigint, NULL, $13::bigint, $14::text, $15::text, $16::text, $17::text, $18::text, $19::bigint, $20::text FROM redeemed
  ), first AS (
    INSERT INTO refresh_tokens (id, hash, family_id, scope, resource, created_at, expires_at, consumed_at, last_jti, last_exp)
    SELECT $21::text, $22::text, $23::text, $24::text, $25::text, $26::bigint, $27::bigint, NULL, $28::text, $29::bigint FROM redeemed
  )
  SELECT count(*)::int AS n FROM redeemed`;

/** A new family and its first token in one statement (one round trip instead of a transaction's four). */
const INSERT_FAMILY = `WITH family AS (${Q.familyInsert}) ${Q.refreshInsert}`;

const numbered = new Map<string, string>();
/** `?` → `$1, $2, …` (our statements have no `?` inside literals). */
function pg(sql: string): string {
  let out = numbered.get(sql);
  if (!out) {
    let i = 0;
    out = sql.replace(/\?/g, () => `$${++i}`);
    numbered.set(sql, out);
  }
  return out;
}

/** Connection-level failures become StoreUnavailableError (503); everything else is a real error. */
function classify(e: unknown): never {
  const code = String((e as { code?: string }).code ?? '');
  const errno = String((e as { errno?: string }).errno ?? '');
  if (/CONNECTION|ECONNREFUSED|ECONNRESET|ETIMEDOUT|CLOSED|TLS/i.test(code) || /^(08|53|57P)/.test(errno)) {
    throw new StoreUnavailableError(`database unavailable: ${(e as Error).message}`);
  }
  throw e;
}

export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'the configured host';
  }
}

export interface PostgresOptions {
  poolSize: number;
  connectTimeoutS: number;
  log: Logger;
}

/** Connect, retrying with backoff for `connectTimeoutS`; then fail naming the host. */
export async function openPostgres(url: string, opts: PostgresOptions): Promise<PostgresStore> {
  const sql = new SQL(url, { max: opts.poolSize, idleTimeout: 60, connectionTimeout: 5 });
  const deadline = Date.now() + opts.connectTimeoutS * 1000;
  let delay = 100;
  for (;;) {
    try {
      await sql.unsafe(Q.ping);
      return new PostgresStore(sql);
    } catch (e) {
      if (Date.now() + delay > deadline) {
        await sql.close().catch(() => {});
        throw new StoreUnavailableError(`cannot connect to PostgreSQL at ${describeUrl(url)} after ${opts.connectTimeoutS}s: ${(e as Error).message}`);
      }
      opts.log.warn('waiting for PostgreSQL', { host: describeUrl(url), retry_in_ms: delay, error: (e as Error).message });
      await Bun.sleep(delay);
      delay = Math.min(delay * 2, 2000);
    }
  }
}

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  /** The single-statement methods both drivers share (single-statements.ts), run by this driver. */
  private readonly shared = singleStatements({
    one: (sql, ...params) => this.one(sql, ...params),
    all: (sql, ...params) => this.all(sql, ...params),
    run: (sql, ...params) => this.run(sql, ...params),
  });
  constructor(readonly sql: SQL) {}

  // The request path's reads and rotations, one statement per event-loop turn for all requests of that turn
  // (turn-batch.ts). Each caller still gets its own answer; a read is sent after every write its caller made.
  private readonly familyReads = new TurnBatch<string, RefreshWithFamily | null>(async (ids) => {
    const found = new Map<string, RefreshWithFamily>();
    for (const r of await this.all(Q.refreshWithFamilyAny, [...new Set(ids)])) found.set(r.id, R.toRefreshWithFamily(r));
    return ids.map((id) => found.get(id) ?? null);
  });
  private readonly revocationReads = new TurnBatch<readonly string[], boolean>(async (keyLists) => {
    const revoked = new Set((await this.all(Q.revokedAmong, [...new Set(keyLists.flat())])).map((r) => r.jti as string));
    return keyLists.map((keys) => keys.some((k) => revoked.has(k)));
  });
  private readonly rotations = new TurnBatch<Rotation, boolean>((batch) => this.rotateBatch(batch));

  private async rotateOne(r: Rotation): Promise<boolean> {
    return Number((await this.one(ROTATE, r.now, r.oldId, ...R.refreshParams(r.next), r.familyExpiresAt))?.n) === 1;
  }

  /**
   * A turn's rotations in one ROTATE_MANY. A token or family met twice in the batch (a client racing
   * itself) is rotated after it, on its own, so it sees the batch's outcome. When the batch statement is
   * refused — a deadlock with another transaction over the same rows (40P01), a constraint one row breaks —
   * each rotation runs on its own and ROTATE decides it as before: one refusal fails only its own caller.
   */
  private async rotateBatch(batch: Rotation[]): Promise<(boolean | Error)[]> {
    if (batch.length === 1) return [await this.rotateOne(batch[0]!)];
    const tokens = new Set<string>();
    const families = new Set<string>();
    const together: Rotation[] = [];
    const after: Rotation[] = [];
    for (const r of batch) {
      if (tokens.has(r.oldId) || families.has(r.next.familyId)) after.push(r);
      else {
        tokens.add(r.oldId);
        families.add(r.next.familyId);
        together.push(r);
      }
    }
    // Rows locked in the same order by every instance's batch, so overlapping batches wait instead of deadlocking.
    together.sort((x, y) => (x.oldId < y.oldId ? -1 : x.oldId > y.oldId ? 1 : 0));
    const rotated = new Map<Rotation, boolean | Error>();
    try {
      // One row per rotation, in ROTATE_MANY's column order; sent as one array per column ($1 … $12).
      const columns = together.map((r) => [r.now, r.oldId, ...R.refreshParams(r.next), r.familyExpiresAt]);
      const won = new Set((await this.all(ROTATE_MANY, ...columns[0]!.map((_, c) => columns.map((row) => row[c])))).map((x) => x.old_id as string));
      for (const r of together) rotated.set(r, won.has(r.oldId));
    } catch (e) {
      if (e instanceof StoreUnavailableError) throw e;
      for (const r of together) rotated.set(r, await this.rotateOne(r).catch(asError));
    }
    for (const r of after) rotated.set(r, await this.rotateOne(r).catch(asError));
    return batch.map((r) => rotated.get(r)!);
  }

  private async q(runner: Runner, text: string, params: unknown[]): Promise<Row[] & { count?: number }> {
    try {
      return await runner.unsafe(pg(text), params);
    } catch (e) {
      return classify(e);
    }
  }
  private async one(text: string, ...params: unknown[]): Promise<Row | null> {
    return (await this.q(this.sql as unknown as Runner, text, params))[0] ?? null;
  }
  /** An INSERT; false when a unique constraint refuses it (unique_violation, 23505). */
  private async insertUnlessTaken(text: string, params: unknown[]): Promise<boolean> {
    try {
      await (this.sql as unknown as Runner).unsafe(pg(text), params);
      return true;
    } catch (e) {
      if (String((e as { errno?: string }).errno) === '23505') return false;
      return classify(e);
    }
  }
  /** One row mapped by `map`, or null. */
  private async oneAs<T>(map: (r: Row) => T, text: string, ...params: unknown[]): Promise<T | null> {
    const r = await this.one(text, ...params);
    return r ? map(r) : null;
  }
  private async all(text: string, ...params: unknown[]): Promise<Row[]> {
    return this.q(this.sql as unknown as Runner, text, params);
  }
  private async run(text: string, ...params: unknown[]): Promise<number> {
    return (await this.q(this.sql as unknown as Runner, text, params)).count ?? 0;
  }
  /** A transaction; `t.run/one` inside it use the same connection. */
  private async tx<T>(
    fn: (t: {
      one: (s: string, ...p: unknown[]) => Promise<Row | null>;
      all: (s: string, ...p: unknown[]) => Promise<Row[]>;
      run: (s: string, ...p: unknown[]) => Promise<number>;
    }) => Promise<T>,
  ): Promise<T> {
    try {
      return await this.sql.begin(async (tx) => {
        const runner = tx as unknown as Runner;
        return fn({
          one: async (s, ...p) => (await this.q(runner, s, p))[0] ?? null,
          all: async (s, ...p) => this.q(runner, s, p),
          run: async (s, ...p) => (await this.q(runner, s, p)).count ?? 0,
        });
      });
    } catch (e) {
      if (e instanceof StoreUnavailableError) throw e;
      return classify(e);
    }
  }

  async migrate(): Promise<number[]> {
    const reserved = await this.sql.reserve().catch(classify);
    const r = reserved as unknown as Runner;
    const applied: number[] = [];
    try {
      await r.unsafe(`SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
      await r.unsafe('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      const max = Number((await r.unsafe('SELECT MAX(version) AS v FROM schema_migrations'))[0]?.v ?? 0);
      if (max > LATEST_VERSION) throw new SchemaTooNewError(max);
      for (const m of MIGRATIONS) {
        if ((await r.unsafe('SELECT 1 AS x FROM schema_migrations WHERE version = $1', [m.version])).length) continue;
        await r.unsafe('BEGIN');
        try {
          await r.unsafe(m.postgres ?? m.sql);
          await r.unsafe('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Math.floor(Date.now() / 1000)]);
          await r.unsafe('COMMIT');
        } catch (e) {
          await r.unsafe('ROLLBACK').catch(() => {});
          throw e;
        }
        applied.push(m.version);
      }
    } finally {
      await r.unsafe(`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`).catch(() => {});
      reserved.release();
    }
    return applied;
  }

  stats(now: number) {
    return this.shared.stats(now);
  }

  async ping(): Promise<void> {
    await this.one(Q.ping);
  }

  async close(): Promise<void> {
    await this.sql.close({ timeout: 5 });
  }

  async sweep(now: number, idleBefore: number, auditBefore?: number): Promise<SweepResult> {
    // Plain idempotent deletes: every instance may run the sweeper without harm.
    return sweepInBatches(
      async (sql, params) => {
        const t0 = performance.now();
        const rows = await this.run(sql, ...params);
        return { rows, ms: performance.now() - t0 };
      },
      now,
      idleBefore,
      auditBefore,
    );
  }

  clients = {
    ...this.shared.clients,
    remove: async (id: string) =>
      this.tx(async (t) => {
        await t.run(Q.refreshDeleteForClient, id, id);
        return (await t.run(Q.clientRemove, id)) > 0;
      }),
    touch: async (id: string, now: number) => void (await this.run(Q.clientTouch, now, id)),
    reapDocuments: async (keep: number) =>
      this.tx(async (t) => {
        const over = Number((await t.one(Q.clientDocumentCount))?.n ?? 0) - Math.max(0, keep);
        if (over <= 0) return 0;
        for (const r of await t.all(Q.clientDocumentsLeastUsed, over)) {
          await t.run(Q.refreshDeleteForClient, r.id, r.id);
          await t.run(Q.clientRemove, r.id);
        }
        return over;
      }),
  };

  users = {
    ...this.shared.users,
    remove: async (username: string) =>
      this.tx(async (t) => {
        await t.run(Q.refreshDeleteForUser, username, username);
        return (await t.run(Q.userRemove, username)) > 0;
      }),
  };

  sessions = {
    ...this.shared.sessions,
    insert: async (s: SessionRow) => void (await this.run(Q.sessionInsert, ...R.sessionParams(s))),
    touch: async (id: string, now: number) => void (await this.run(Q.sessionTouch, now, id)),
  };

  consents = {
    ...this.shared.consents,
  };

  keys = {
    ...this.shared.keys,
    insert: async (k: SigningKeyRow) => this.insertUnlessTaken(Q.keyInsert, R.keyParams(k)), // false: another active key won
    rotate: async (k: SigningKeyRow, now: number, expiresAt: number) =>
      this.tx(async (t) => {
        await t.run(k.alg === 'RS256' ? Q.keyRetireActiveRsa : Q.keyRetireActiveOther, now, expiresAt);
        await t.run(Q.keyInsert, ...R.keyParams(k));
      }),
  };

  codes = {
    ...this.shared.codes,
    insert: async (c: CodeRow) => void (await this.run(Q.codeInsert, ...R.codeParams(c))),
    redeem: async (id: string, now: number, issued: IssuedForCode) =>
      issued.family
        ? Number(
            (
              await this.one(
                REDEEM_WITH_FAMILY,
                now,
                issued.family.row.id,
                issued.jti,
                issued.exp,
                id,
                ...R.familyParams(issued.family.row),
                ...R.refreshParams(issued.family.first),
              )
            )?.n,
          ) === 1
        : (await this.run(Q.codeRedeem, now, null, issued.jti, issued.exp, id, now)) === 1,
  };

  refresh = {
    ...this.shared.refresh,
    insertFamily: async (f: FamilyRow, first: RefreshRow) => void (await this.run(INSERT_FAMILY, ...R.familyParams(f), ...R.refreshParams(first))),
    getWithFamily: async (id: string) => this.familyReads.call(id),
    rotate: async (oldId: string, now: number, next: RefreshRow, familyExpiresAt: number) => this.rotations.call({ oldId, now, next, familyExpiresAt }),
    replaceLive: async (parentId: string, next: RefreshRow, now: number, familyExpiresAt: number) =>
      this.tx(async (t) => {
        if ((await t.run(Q.familyReplaceLive, familyExpiresAt, next.id, next.familyId, parentId, now)) !== 1) return false;
        await t.run(Q.refreshInsert, ...R.refreshParams(next));
        return true;
      }),
    revokeFamily: async (id: string, now: number, mark: { jti: string; expiresAt: number }) =>
      this.tx(async (t) => {
        if ((await t.run(Q.familyRevoke, now, id)) !== 1) return false;
        await t.run(Q.revokedAdd, mark.jti, mark.expiresAt);
        await t.run(Q.revokeFamilyLegacyAccessTokens, id, now);
        return true;
      }),
  };

  revokedAccessTokens = {
    add: async (jti: string, expiresAt: number) => void (await this.run(Q.revokedAdd, jti, expiresAt)),
    has: async (keys: readonly [string] | readonly [string, string]) => this.revocationReads.call(keys),
  };

  deviceCodes = {
    ...this.shared.deviceCodes,
    insert: async (d: DeviceCodeRow) => this.insertUnlessTaken(Q.deviceInsert, R.deviceParams(d)), // false: the user code is taken
    poll: async (id: string, nowMs: number) =>
      // The row is locked (FOR UPDATE) for the read-then-update, so concurrent polls serialise.
      this.tx(async (t) => {
        const r = await t.one(`${Q.deviceGet} FOR UPDATE`, id);
        if (!r) return null;
        const before = R.toDevice(r);
        const tooFast = before.lastPolledMs !== null && nowMs - before.lastPolledMs < before.pollInterval * 1000;
        const interval = tooFast ? before.pollInterval + 5 : before.pollInterval;
        await t.run(Q.devicePollUpdate, interval, nowMs, id);
        return { row: { ...before, pollInterval: interval, lastPolledMs: nowMs }, tooFast };
      }),
    decide: async (id: string, decision: 'approved' | 'denied', userId: string, authTime: number, now: number, oidc?: OidcGrant | null) =>
      (await this.run(Q.deviceDecide, decision, userId, authTime, R.jsonText(oidc), id, now)) === 1,
    consume: async (id: string) => this.oneAs(R.toDevice, Q.deviceConsume, id),
  };

  tempTokens = this.shared.tempTokens;

  audit = {
    ...this.shared.audit,
    append: async (rows: AuditRow[]) => {
      if (!rows.length) return;
      await this.tx(async (t) => {
        for (const a of rows) await t.run(Q.auditInsert, ...R.auditParams(a));
      });
    },
  };

  rateLimits = this.shared.rateLimits;

  usedJtis = this.shared.usedJtis;

  upstreamLogins = this.shared.upstreamLogins;

  async dump(now: number): Promise<StoreDump> {
    return {
      clients: (await this.all(Q.clientList)).map(R.toClient),
      users: (await this.all(Q.userList)).map(R.toUser),
      identities: (await this.all(Q.identityList)).map((r) => ({
        provider: r.provider,
        subject: r.subject,
        userId: r.user_id,
        email: r.email,
        createdAt: Number(r.created_at),
      })),
      keys: (await this.all(Q.keyListPublished, now)).map(R.toKey),
      families: (await this.all(Q.familyLiveAll, now)).map(R.toFamily),
      refreshTokens: (await this.all(Q.refreshLiveAll, now)).map(R.toRefresh),
    };
  }

  async restore(d: StoreDump): Promise<Record<keyof StoreDump, number>> {
    return this.tx(async (t) => {
      const each = async <T>(rows: T[], f: (x: T) => Promise<number>) => {
        let n = 0;
        for (const x of rows) n += await f(x);
        return n;
      };
      return {
        clients: await each(d.clients, (c) => t.run(Q.clientImport, ...R.clientParams(c))),
        users: await each(d.users, (u) => t.run(Q.userImport, ...R.userParams(u))),
        identities: await each(d.identities, (i) => t.run(Q.identityImport, i.provider, i.subject, i.userId, i.email, i.createdAt)),
        keys: await each(d.keys, (k) => t.run(Q.keyImport, ...R.keyParams(k))),
        families: await each(d.families, (f) => t.run(Q.familyImport, ...R.familyParams(f))),
        refreshTokens: await each(d.refreshTokens, (x) => t.run(Q.refreshImport, ...R.refreshParams(x))),
      };
    });
  }
}
