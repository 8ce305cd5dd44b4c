/** @jsxImportSource @kitajs/html */
// Sign-in: the local form and one button per upstream provider. Every value is escaped.
import { Layout } from './layout.tsx';

export interface LoginProps {
  csrf: string;
  next: string;
  username?: string;
  error?: string;
  providers: { id: string; label: string }[];
  clientName?: string;
}

export function LoginPage(p: LoginProps): string {
  return (
    <Layout title="Sign in">
      <h1>Sign in</h1>
      {p.clientName ? (
        <p class="muted">
          to continue to <strong safe>{p.clientName}</strong>
        </p>
      ) : (
        ''
      )}
      {p.error ? (
        <p class="error" role="alert" safe>
          {p.error}
        </p>
      ) : (
        ''
      )}
      <form method="post" action="/login">
        <input type="hidden" name="csrf" value={p.csrf} />
        <input type="hidden" name="next" value={p.next} />
        <label for="username">User name</label>
        <input type="text" id="username" name="username" value={p.username ?? ''} autocomplete="username" required autofocus maxlength="64" />
        <label for="password">Password</label>
        <input type="password" id="password" name="password" autocomplete="current-password" required maxlength="1024" />
        <button type="submit">Sign in</button>
      </form>
      {p.providers.length ? (
        <>
          <hr />
          <div class="providers">
            {p.providers.map((prov) => (
              <form method="post" action={`/login/${prov.id}`}>
                <input type="hidden" name="csrf" value={p.csrf} />
                <input type="hidden" name="next" value={p.next} />
                <button type="submit" class="secondary" safe>
                  {`Continue with ${prov.label}`}
                </button>
              </form>
            ))}
          </div>
        </>
      ) : (
        ''
      )}
    </Layout>
  ) as string;
}
