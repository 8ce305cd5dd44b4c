#!/usr/bin/env bun
// Example device client (RFC 8628): ask for codes, show them, poll the token endpoint honouring `interval`
// and `slow_down`, print the token response as JSON on stdout.
//   bun examples/device-login.ts http://localhost:8080 [--client-id auth-cli] [--scope "openid"]
import { parseArgs } from 'node:util';

const { positionals, values } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: { 'client-id': { type: 'string', default: 'auth-cli' }, scope: { type: 'string' }, resource: { type: 'string' } },
});
const issuer = (positionals[0] ?? 'http://localhost:8080').replace(/\/$/, '');

// RFC 8414 discovery: find the device authorization and token endpoints.
const metadata = (await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json()) as Record<string, string>;
if (metadata.issuer !== issuer) throw new Error(`issuer mismatch: ${metadata.issuer}`);
const form = (fields: Record<string, string | undefined>) => {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) body.set(k, v);
  return { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body };
};

const start = await fetch(metadata.device_authorization_endpoint!, form({ client_id: values['client-id'], scope: values.scope, resource: values.resource }));
const codes = (await start.json()) as Record<string, string | number>;
if (!start.ok) {
  console.error(`device authorization failed: ${codes.error}: ${codes.error_description ?? ''}`);
  process.exit(1);
}
console.error(`To sign in, open ${codes.verification_uri} and enter the code ${codes.user_code}`);
console.error(`(or open ${codes.verification_uri_complete})`);

let interval = Number(codes.interval ?? 5);
const deadline = Date.now() + Number(codes.expires_in) * 1000;
while (Date.now() < deadline) {
  await Bun.sleep(interval * 1000);
  const res = await fetch(
    metadata.token_endpoint!,
    form({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: String(codes.device_code), client_id: values['client-id'] }),
  );
  const body = (await res.json()) as Record<string, string>;
  if (res.ok) {
    console.log(JSON.stringify(body));
    process.exit(0);
  }
  switch (body.error) {
    case 'authorization_pending':
      process.stderr.write('.');
      continue;
    case 'slow_down':
      interval += 5; // RFC 8628 §3.5
      continue;
    default:
      console.error(`\nsign-in failed: ${body.error}: ${body.error_description ?? ''}`);
      process.exit(1);
  }
}
console.error('\nthe code expired; run again');
process.exit(1);
