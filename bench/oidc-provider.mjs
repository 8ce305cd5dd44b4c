// oidc-provider 9.13 configured like our server for the comparison: client_credentials, introspection,
// device flow and a refresh-token flow (rotating), ES256 JWT access tokens for a resource. Run with Node.
//   PORT=… node bench/oidc-provider.mjs
// Bench-only helpers under /bench/* prepare refresh tokens (the authorization-code leg needs a person).
import http from 'node:http';
import { generateKeyPair, exportJWK } from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT ?? 3001);
const issuer = `http://127.0.0.1:${port}`;
export const RESOURCE = 'https://api.bench.example';
const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: 'bench-es256' };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'bench',
      client_secret: 'bench-secret-0123456789abcdef0123456789',
      grant_types: ['client_credentials', 'refresh_token', 'authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'],
      redirect_uris: ['https://app.example/cb'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    },
  ],
  jwks: { keys: [jwk] },
  scopes: ['openid', 'offline_access', 'api'],
  findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    deviceFlow: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // No default: a token request with `resource` gets a JWT, one without an opaque token (the only kind
      // oidc-provider introspects).
      defaultResource: () => undefined,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({ scope: 'api', audience: RESOURCE, accessTokenFormat: 'jwt', accessTokenTTL: 3600, jwt: { sign: { alg: 'ES256' } } }),
    },
  },
  issueRefreshToken: () => true,
  rotateRefreshToken: true,
  pkce: { required: () => false },
});
provider.proxy = false;

async function refreshPool(n) {
  const client = await provider.Client.find('bench');
  const out = [];
  for (let i = 0; i < n; i++) {
    const grant = new provider.Grant({ accountId: `user-${i}`, clientId: 'bench' });
    grant.addOIDCScope('openid offline_access');
    grant.addResourceScope(RESOURCE, 'api');
    const grantId = await grant.save();
    const rt = new provider.RefreshToken({
      client,
      accountId: `user-${i}`,
      grantId,
      scope: 'openid offline_access',
      gty: 'authorization_code',
      resource: RESOURCE,
      rotations: 0,
    });
    out.push(await rt.save());
  }
  return out;
}

const callback = provider.callback();
http
  .createServer(async (req, res) => {
    if (req.url?.startsWith('/bench/refresh-pool')) {
      const n = Number(new URL(req.url, issuer).searchParams.get('n') ?? 100);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(await refreshPool(n)));
      return;
    }
    callback(req, res);
  })
  .listen(port, '127.0.0.1', () => console.log(`oidc-provider listening on ${issuer}`));
