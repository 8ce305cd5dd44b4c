// A real OpenID Connect provider for tests, served by Bun.serve on a free loopback port: discovery,
// authorize (auto-approves as `nextUser`), token (checks client secret, code, redirect_uri and PKCE S256)
// and JWKS; ID tokens are RS256-signed with jose. Knobs simulate misbehaving providers.
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createHash } from 'node:crypto';

export interface UpstreamUser {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  given_name?: string;
  family_name?: string;
  picture?: string;
}

export interface FakeOidc {
  issuer: string;
  clientId: string;
  clientSecret: string;
  nextUser: UpstreamUser;
  /** Misbehaviour for the next token exchange. */
  tamper: { nonce?: string; audience?: string; issuer?: string; hangMs?: number };
  authorizeRequests: URLSearchParams[];
  stop(): void;
}

export async function startFakeOidc(): Promise<FakeOidc> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const codes = new Map<string, { params: URLSearchParams; user: UpstreamUser }>();
  const state: FakeOidc = {
    issuer: '',
    clientId: 'upstream-client',
    clientSecret: 'upstream-secret',
    nextUser: { sub: 'u-1', email: 'ada@example.com', email_verified: true, name: 'Ada' },
    tamper: {},
    authorizeRequests: [],
    stop: () => server.stop(true),
  };
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const url = new URL(req.url);
      switch (url.pathname) {
        case '/.well-known/openid-configuration':
          return Response.json({
            issuer: state.issuer,
            authorization_endpoint: `${state.issuer}/authorize`,
            token_endpoint: `${state.issuer}/token`,
            jwks_uri: `${state.issuer}/jwks`,
            response_types_supported: ['code'],
            id_token_signing_alg_values_supported: ['RS256'],
          });
        case '/jwks':
          return Response.json({ keys: [jwk] });
        case '/authorize': {
          state.authorizeRequests.push(url.searchParams);
          const code = crypto.randomUUID();
          codes.set(code, { params: url.searchParams, user: state.nextUser });
          const back = new URL(url.searchParams.get('redirect_uri')!);
          back.searchParams.set('code', code);
          back.searchParams.set('state', url.searchParams.get('state')!);
          return new Response(null, { status: 302, headers: { Location: back.toString() } });
        }
        case '/token': {
          const form = new URLSearchParams(await req.text());
          const auth = req.headers.get('authorization') ?? '';
          const [id, secret] = Buffer.from(auth.replace(/^Basic /, ''), 'base64')
            .toString()
            .split(':');
          if (id !== state.clientId || secret !== state.clientSecret) return Response.json({ error: 'invalid_client' }, { status: 401 });
          const entry = codes.get(form.get('code') ?? '');
          codes.delete(form.get('code') ?? '');
          if (!entry) return Response.json({ error: 'invalid_grant' }, { status: 400 });
          const challenge = createHash('sha256')
            .update(form.get('code_verifier') ?? '')
            .digest('base64url');
          if (challenge !== entry.params.get('code_challenge') || form.get('redirect_uri') !== entry.params.get('redirect_uri')) {
            return Response.json({ error: 'invalid_grant' }, { status: 400 });
          }
          if (state.tamper.hangMs) await Bun.sleep(state.tamper.hangMs);
          const idToken = await new SignJWT({ ...entry.user, nonce: state.tamper.nonce ?? entry.params.get('nonce') })
            .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
            .setIssuer(state.tamper.issuer ?? state.issuer)
            .setAudience(state.tamper.audience ?? state.clientId)
            .setIssuedAt()
            .setExpirationTime('5m')
            .sign(privateKey);
          state.tamper = {};
          return Response.json({ access_token: 'upstream-at', token_type: 'Bearer', expires_in: 300, id_token: idToken });
        }
      }
      return new Response('not found', { status: 404 });
    },
  });
  state.issuer = `http://127.0.0.1:${server.port}`;
  return state;
}

/** Drive an upstream sign-in with a Browser: press the provider button, follow the provider, return the final response. */
export async function upstreamLogin(
  b: { post: (p: string, f: Record<string, string>) => Promise<Response>; get: (p: string) => Promise<Response> },
  csrf: string,
  provider: string,
  next = '/',
) {
  const start = await b.post(`/login/${provider}`, { csrf, next });
  if (start.status !== 303) return start;
  const atProvider = await fetch(start.headers.get('location')!, { redirect: 'manual' });
  const back = atProvider.headers.get('location')!;
  return b.get(back);
}
