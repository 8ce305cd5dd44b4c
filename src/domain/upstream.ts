// Upstream identity providers: Google, GitHub and any OpenID Connect issuer by discovery.
// The only module that imports arctic (deprecated upstream — keep it replaceable). State, nonce and a PKCE
// verifier protect the upstream leg; ID tokens are verified with jose (signature, iss, aud, exp, nonce).
import { OAuth2Client, CodeChallengeMethod, OAuth2RequestError } from 'arctic';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Config } from '../config.ts';
import type { UserProfile } from '../store/store.ts';

export interface UpstreamIdentity {
  provider: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  /** OIDC profile claims the provider gave (name, given_name, family_name, picture), for our userinfo. */
  profile?: UserProfile;
}

/** The profile claims of an upstream ID token that are short strings (a picture must be an https URL). */
function profileOf(claims: Record<string, unknown>): UserProfile {
  const out: UserProfile = {};
  for (const k of ['name', 'given_name', 'family_name', 'picture'] as const) {
    const v = claims[k];
    if (typeof v !== 'string' || v.length === 0 || v.length > 512) continue;
    if (k === 'picture' && !v.startsWith('https://')) continue;
    out[k] = v;
  }
  return out;
}

export interface UpstreamProvider {
  id: string;
  label: string;
  authorizationUrl(state: string, codeVerifier: string, nonce: string): Promise<URL>;
  /** Exchange the returned code; throws UpstreamError on any failure. */
  identify(code: string, codeVerifier: string, nonce: string): Promise<UpstreamIdentity>;
}

export class UpstreamError extends Error {
  override name = 'UpstreamError';
}

export interface Upstreams {
  list: UpstreamProvider[];
  get(id: string): UpstreamProvider | undefined;
}

async function withTimeout<T>(p: Promise<T>, seconds: number, what: string): Promise<T> {
  let timer: Timer | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UpstreamError(`${what} timed out after ${seconds}s`)), seconds * 1000);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function fetchJson(url: string, timeoutS: number, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const res = await fetch(url, { headers: { Accept: 'application/json', ...headers }, redirect: 'error', signal: AbortSignal.timeout(timeoutS * 1000) });
  if (!res.ok) throw new UpstreamError(`${url} answered ${res.status}`);
  const body = (await res.json()) as unknown;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new UpstreamError(`${url} did not return a JSON object`);
  return body as Record<string, unknown>;
}

interface OidcMetadata {
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
}

/** An OpenID Connect provider found by discovery (OpenID Connect Discovery 1.0 §4). */
class OidcProvider implements UpstreamProvider {
  private meta: Promise<OidcMetadata> | null = null;
  private jwks: ReturnType<typeof createRemoteJWKSet> | null = null;
  private client: OAuth2Client;

  constructor(
    readonly id: string,
    readonly label: string,
    private readonly issuer: string,
    private readonly clientId: string,
    clientSecret: string | null,
    redirectUri: string,
    private readonly timeoutS: number,
    private readonly extraParams: Record<string, string> = {},
  ) {
    this.client = new OAuth2Client(clientId, clientSecret, redirectUri);
  }

  private metadata(): Promise<OidcMetadata> {
    this.meta ??= (async () => {
      const m = await fetchJson(`${this.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, this.timeoutS);
      // OIDC Discovery §4.3: the issuer in the document must equal the configured issuer.
      if (m.issuer !== this.issuer) throw new UpstreamError(`issuer mismatch: configured ${this.issuer}, document says ${String(m.issuer)}`);
      for (const k of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const)
        if (typeof m[k] !== 'string') throw new UpstreamError(`discovery document lacks ${k}`);
      this.jwks = createRemoteJWKSet(new URL(m.jwks_uri as string), { timeoutDuration: this.timeoutS * 1000 });
      return m as unknown as OidcMetadata;
    })().catch((e) => {
      this.meta = null; // never cache a failure
      throw e instanceof UpstreamError ? e : new UpstreamError(`discovery failed: ${(e as Error).message}`);
    });
    return this.meta;
  }

  async authorizationUrl(state: string, codeVerifier: string, nonce: string): Promise<URL> {
    const m = await this.metadata();
    const url = this.client.createAuthorizationURLWithPKCE(m.authorization_endpoint, state, CodeChallengeMethod.S256, codeVerifier, [
      'openid',
      'email',
      'profile',
    ]);
    url.searchParams.set('nonce', nonce);
    for (const [k, v] of Object.entries(this.extraParams)) url.searchParams.set(k, v);
    return url;
  }

  async identify(code: string, codeVerifier: string, nonce: string): Promise<UpstreamIdentity> {
    const m = await this.metadata();
    let idToken: string;
    try {
      const tokens = await withTimeout(this.client.validateAuthorizationCode(m.token_endpoint, code, codeVerifier), this.timeoutS, 'token exchange');
      idToken = tokens.idToken();
    } catch (e) {
      if (e instanceof UpstreamError) throw e;
      if (e instanceof OAuth2RequestError) throw new UpstreamError(`the provider refused the code: ${e.code}`);
      throw new UpstreamError(`token exchange failed: ${(e as Error).message}`);
    }
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(idToken, this.jwks!, {
        issuer: this.issuer,
        audience: this.clientId,
        algorithms: ['RS256', 'ES256', 'EdDSA', 'PS256'],
      }));
    } catch (e) {
      throw new UpstreamError(`ID token rejected: ${(e as Error).message}`);
    }
    // OIDC Core §3.1.3.7 step 11: the nonce must match the one sent.
    if (claims.nonce !== nonce) throw new UpstreamError('ID token nonce mismatch');
    if (typeof claims.sub !== 'string' || !claims.sub) throw new UpstreamError('ID token has no subject');
    return {
      provider: this.id,
      subject: claims.sub,
      email: typeof claims.email === 'string' ? claims.email : null,
      emailVerified: claims.email_verified === true,
      name: typeof claims.name === 'string' ? claims.name : null,
      profile: profileOf(claims),
    };
  }
}

/** GitHub: OAuth 2.0 (no OIDC); identity from the REST API, verified primary email from /user/emails. */
class GitHubProvider implements UpstreamProvider {
  readonly id = 'github';
  readonly label = 'GitHub';
  private client: OAuth2Client;
  constructor(
    clientId: string,
    clientSecret: string,
    redirectUri: string,
    private readonly web: string,
    private readonly api: string,
    private readonly timeoutS: number,
  ) {
    this.client = new OAuth2Client(clientId, clientSecret, redirectUri);
  }
  async authorizationUrl(state: string, codeVerifier: string): Promise<URL> {
    return this.client.createAuthorizationURLWithPKCE(`${this.web}/login/oauth/authorize`, state, CodeChallengeMethod.S256, codeVerifier, [
      'read:user',
      'user:email',
    ]);
  }
  async identify(code: string, codeVerifier: string): Promise<UpstreamIdentity> {
    let accessToken: string;
    try {
      const tokens = await withTimeout(
        this.client.validateAuthorizationCode(`${this.web}/login/oauth/access_token`, code, codeVerifier),
        this.timeoutS,
        'token exchange',
      );
      accessToken = tokens.accessToken();
    } catch (e) {
      if (e instanceof UpstreamError) throw e;
      throw new UpstreamError(`token exchange failed: ${(e as Error).message}`);
    }
    const auth = { Authorization: `Bearer ${accessToken}`, 'User-Agent': 'auth' };
    const user = await fetchJson(`${this.api}/user`, this.timeoutS, auth);
    if (typeof user.id !== 'number' && typeof user.id !== 'string') throw new UpstreamError('GitHub user has no id');
    let email: string | null = null;
    try {
      const res = await fetch(`${this.api}/user/emails`, { headers: auth, signal: AbortSignal.timeout(this.timeoutS * 1000) });
      const list = res.ok ? ((await res.json()) as unknown) : [];
      if (Array.isArray(list)) {
        const primary = list.find((e) => e && typeof e === 'object' && e.primary === true && e.verified === true && typeof e.email === 'string');
        email = primary ? (primary.email as string) : null;
      }
    } catch {
      email = null;
    }
    return { provider: 'github', subject: String(user.id), email, emailVerified: email !== null, name: typeof user.login === 'string' ? user.login : null };
  }
}

export function createUpstreams(config: Config): Upstreams {
  const list: UpstreamProvider[] = [];
  const cb = (id: string) => `${config.baseUrl}/callback/${id}`;
  if (config.googleClientId) {
    // prompt=select_account: one screen, the account chooser (Deploys PR #11).
    list.push(
      new OidcProvider(
        'google',
        'Google',
        'https://accounts.google.com',
        config.googleClientId,
        config.googleClientSecret ?? null,
        cb('google'),
        config.upstreamTimeout,
        { prompt: 'select_account' },
      ),
    );
  }
  if (config.githubClientId) {
    list.push(
      new GitHubProvider(
        config.githubClientId,
        config.githubClientSecret!,
        cb('github'),
        'https://github.com',
        'https://api.github.com',
        config.upstreamTimeout,
      ),
    );
  }
  if (config.oidcIssuer && config.oidcClientId) {
    list.push(
      new OidcProvider('oidc', config.oidcName, config.oidcIssuer, config.oidcClientId, config.oidcClientSecret ?? null, cb('oidc'), config.upstreamTimeout),
    );
  }
  const byId = new Map(list.map((p) => [p.id, p]));
  return { list, get: (id) => byId.get(id) };
}
