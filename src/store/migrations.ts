// The migrations this binary knows, embedded at build time (explicit imports: the binary has no
// filesystem to glob). Numbers are shared by every store; a dialect variant may replace a file's SQL.
import m0001 from '../../schema/0001_clients_users.sql' with { type: 'text' };
import m0002 from '../../schema/0002_grants.sql' with { type: 'text' };
import m0003 from '../../schema/0003_seed_cli_client.sql' with { type: 'text' };
import m0004 from '../../schema/0004_device_codes.sql' with { type: 'text' };
import m0005 from '../../schema/0005_temp_tokens.sql' with { type: 'text' };
import m0006 from '../../schema/0006_rate_limits.sql' with { type: 'text' };
import m0007 from '../../schema/0007_audit_log.sql' with { type: 'text' };
import m0008 from '../../schema/0008_one_active_key.sql' with { type: 'text' };
import m0009 from '../../schema/0009_refresh_tokens_no_family_index.sql' with { type: 'text' };
import m0009pg from '../../schema/0009_refresh_tokens_no_family_index.postgres.sql' with { type: 'text' };
import m0010 from '../../schema/0010_one_live_refresh_token.sql' with { type: 'text' };
import m0011 from '../../schema/0011_clients_origin_index.sql' with { type: 'text' };
import m0012 from '../../schema/0012_openid_connect.sql' with { type: 'text' };
import m0013 from '../../schema/0013_users_disabled.sql' with { type: 'text' };
import m0014 from '../../schema/0014_account_activity.sql' with { type: 'text' };
import m0015 from '../../schema/0015_used_jtis.sql' with { type: 'text' };
import m0016 from '../../schema/0016_dpop.sql' with { type: 'text' };
import m0017 from '../../schema/0017_sweep_indexes.sql' with { type: 'text' };
import m0018 from '../../schema/0018_client_indexes.sql' with { type: 'text' };

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** PostgreSQL's SQL where the dialects differ (a `<name>.postgres.sql` file); `sql` otherwise. */
  postgres?: string;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: '0001_clients_users', sql: m0001 },
  { version: 2, name: '0002_grants', sql: m0002 },
  { version: 3, name: '0003_seed_cli_client', sql: m0003 },
  { version: 4, name: '0004_device_codes', sql: m0004 },
  { version: 5, name: '0005_temp_tokens', sql: m0005 },
  { version: 6, name: '0006_rate_limits', sql: m0006 },
  { version: 7, name: '0007_audit_log', sql: m0007 },
  { version: 8, name: '0008_one_active_key', sql: m0008 },
  { version: 9, name: '0009_refresh_tokens_no_family_index', sql: m0009, postgres: m0009pg },
  { version: 10, name: '0010_one_live_refresh_token', sql: m0010 },
  { version: 11, name: '0011_clients_origin_index', sql: m0011 },
  { version: 12, name: '0012_openid_connect', sql: m0012 },
  { version: 13, name: '0013_users_disabled', sql: m0013 },
  { version: 14, name: '0014_account_activity', sql: m0014 },
  { version: 15, name: '0015_used_jtis', sql: m0015 },
  { version: 16, name: '0016_dpop', sql: m0016 },
  { version: 17, name: '0017_sweep_indexes', sql: m0017 },
  { version: 18, name: '0018_client_indexes', sql: m0018 },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export class SchemaTooNewError extends Error {
  override name = 'SchemaTooNewError';
  constructor(public readonly found: number) {
    super(`the database is at schema version ${found}, newer than this binary knows (${LATEST_VERSION}); run a newer auth`);
  }
}
