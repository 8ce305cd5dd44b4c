/** @jsxImportSource @kitajs/html */
// The root page without OAuth parameters: who is signed in, and sign out.
import { Layout } from './layout.tsx';

export function HomePage(p: { username: string | null; csrf: string; message?: string }): string {
  return (
    <Layout title="auth">
      <h1>auth</h1>
      {p.message ? <p safe>{p.message}</p> : ''}
      {p.username ? (
        <>
          <p>
            Signed in as <strong safe>{p.username}</strong>.
          </p>
          <a class="button" href="/account">
            Your account: apps and devices
          </a>
          <form method="post" action="/logout">
            <input type="hidden" name="csrf" value={p.csrf} />
            <button type="submit" class="secondary">
              Sign out
            </button>
          </form>
        </>
      ) : (
        <>
          <p>You are not signed in.</p>
          <a class="button" href="/login">
            Sign in
          </a>
        </>
      )}
    </Layout>
  ) as string;
}
