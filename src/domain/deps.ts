// Everything a domain service needs, passed explicitly — never imported as a global.
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/store.ts';
import type { KeyRing } from './keys.ts';
import type { RateLimiter, SharedLimiter } from './rate-limit.ts';
import type { Upstreams } from './upstream.ts';
import type { ClientDocuments } from './client-documents.ts';
import type { TempTokenService } from './temp-tokens.ts';
import type { ClientCache } from './client-cache.ts';
import type { Metrics } from './metrics.ts';
import type { AuditLog } from './audit.ts';
import type { RemoteJwks } from './jwks.ts';
import type { DpopNonces } from './dpop.ts';

export interface Deps {
  config: Config;
  store: Store;
  clock: Clock;
  log: Logger;
  keys: KeyRing;
  limits: {
    /** Failed sign-ins per address (shared by instances on PostgreSQL). */
    loginIp: SharedLimiter;
    /** Failed sign-ins per account, from every address (distributed guessing). */
    loginAccount: SharedLimiter;
    /** Wrong device user codes per address and per session (RFC 8628 §5.1). */
    deviceEntry: SharedLimiter;
    /** Per-minute request limits; null when switched off (0). */
    tokenIp: RateLimiter | null;
    tokenClient: RateLimiter | null;
    introspectionIp: RateLimiter | null;
    deviceIp: RateLimiter | null;
  };
  clientDocuments: ClientDocuments | null;
  /** Others' public keys by URL: clients' jwks_uri, ID-JAG and workload issuers. */
  jwks: RemoteJwks;
  /** RFC 9449 §8 server nonces (stateless; shared by instances with the same DPOP_NONCE_SECRET). */
  dpopNonces: DpopNonces;
  tempTokens: TempTokenService;
  clientCache: ClientCache;
  metrics: Metrics;
  audit: AuditLog;
  upstreams: Upstreams;
}
