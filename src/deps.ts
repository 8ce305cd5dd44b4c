// Building the dependencies every entry point shares (server and operator commands): limiters, key ring,
// upstream providers, metadata-document resolver, temp-token scopes. The store is opened and migrated by
// the caller.
import { readFileSync } from 'node:fs';
import type { Clock } from './clock.ts';
import { ConfigError, parseDuration, type Config } from './config.ts';
import { RemoteJwks } from './domain/jwks.ts';
import { DpopNonces } from './domain/dpop.ts';
import { ClientDocuments } from './domain/client-documents.ts';
import { ClientCache } from './domain/client-cache.ts';
import { Metrics } from './domain/metrics.ts';
import { AuditLog } from './domain/audit.ts';
import type { Deps } from './domain/deps.ts';
import { KeyRing } from './domain/keys.ts';
import { memoryLimiter, RateLimiter, storeLimiter } from './domain/rate-limit.ts';
import { buildRegistry, parseScopeDeclarations, TempTokenService } from './domain/temp-tokens.ts';
import { createUpstreams } from './domain/upstream.ts';
import type { Logger } from './log.ts';
import type { Store } from './store/store.ts';

function tempTokenRegistry(config: Config) {
  try {
    let raw = config.tempTokenScopes.trim();
    if (raw.startsWith('@')) raw = readFileSync(raw.slice(1), 'utf8');
    return buildRegistry(parseScopeDeclarations(raw, parseDuration));
  } catch (e) {
    throw new ConfigError(`invalid TEMP_TOKEN_SCOPES: ${(e as Error).message}`);
  }
}

export function buildDeps(config: Config, log: Logger, clock: Clock, store: Store): Deps {
  const perMinute = (limit: number) => (limit > 0 ? new RateLimiter(limit, 60, clock) : null);
  // Guessing limits hold for the deployment: in the database when several instances share it (PostgreSQL).
  const shared = (name: string, limit: number, windowS: number) =>
    store.kind === 'postgres' ? storeLimiter(store, clock, name, limit, windowS) : memoryLimiter(new RateLimiter(limit, windowS, clock));
  return {
    config,
    store,
    clock,
    log,
    keys: new KeyRing(store, clock, config.baseUrl, config.accessTokenTtl),
    limits: {
      loginIp: shared('login-ip', config.loginRateLimit, config.loginRateWindow),
      loginAccount: shared('login-account', config.loginAccountRateLimit, config.loginRateWindow),
      deviceEntry: shared('device-entry', config.deviceEntryRateLimit, config.deviceEntryRateWindow),
      tokenIp: perMinute(config.tokenRateLimit),
      tokenClient: perMinute(config.tokenClientRateLimit),
      introspectionIp: perMinute(config.introspectionRateLimit),
      deviceIp: perMinute(config.deviceRateLimit),
    },
    upstreams: createUpstreams(config),
    dpopNonces: new DpopNonces(config.dpopNonceSecret, clock),
    jwks: new RemoteJwks(clock, { timeoutS: config.jwksTimeout, allowLoopback: config.jwksAllowLoopback }),
    clientDocuments: config.clientMetadataDocuments ? new ClientDocuments(store, clock, config, perMinute(config.cimdRateLimit)) : null,
    tempTokens: new TempTokenService(store, clock, tempTokenRegistry(config)),
    clientCache: new ClientCache(config.clientCacheTtl * 1000, clock),
    metrics: new Metrics(),
    audit: new AuditLog(store, clock, log),
  };
}
