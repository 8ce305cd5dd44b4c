/** @jsxImportSource @kitajs/html */
// RP-initiated logout (OpenID RP-Initiated Logout 1.0 §2): ask before signing out when the request does
// not prove which user it is for, and say so once signed out.
import { type Brand, Layout } from './layout.tsx';
import { Name } from './grant-parts.tsx';

export function EndSessionPage(p: {
  brand: Brand;
  csrf: string;
  username: string;
  clientName: string | null;
  clientId: string;
  postLogoutRedirectUri: string;
  state: string;
}): string {
  return (
    <Layout brand={p.brand} title="Sign out?">
      <h1>Sign out?</h1>
      <p>
        {p.clientName ? (
          <>
            <Name name={p.clientName} /> asks to sign you out.{' '}
          </>
        ) : (
          ''
        )}
        You are signed in as <Name name={p.username} />.
      </p>
      <form method="post" action="/end-session/confirm">
        <input type="hidden" name="csrf" value={p.csrf} />
        <input type="hidden" name="client_id" value={p.clientId} />
        <input type="hidden" name="post_logout_redirect_uri" value={p.postLogoutRedirectUri} />
        <input type="hidden" name="state" value={p.state} />
        <button type="submit" name="decision" value="logout">
          Sign out
        </button>
        <button type="submit" name="decision" value="stay" class="secondary">
          Stay signed in
        </button>
      </form>
    </Layout>
  ) as string;
}

export function SignedOutPage(p: { brand: Brand }): string {
  return (
    <Layout brand={p.brand} title="Signed out">
      <h1>Signed out</h1>
      <p>You are signed out. You can close this tab.</p>
      <a class="button" href="/login">
        Sign in again
      </a>
    </Layout>
  ) as string;
}
