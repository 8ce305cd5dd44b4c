/** @jsxImportSource @kitajs/html */
// The root page without OAuth parameters: who is signed in, and sign out.
import { type Brand, Layout } from './layout.tsx';
import { Name } from './grant-parts.tsx';

export function HomePage(p: { brand: Brand; username: string | null; csrf: string; message?: string }): string {
  return (
    <Layout brand={p.brand} title={p.brand.name}>
      <h1 safe>{p.brand.name}</h1>
      {p.message ? <p safe>{p.message}</p> : ''}
      {p.username ? (
        <>
          <p>
            Signed in as <Name name={p.username} />.
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
