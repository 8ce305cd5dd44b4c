/** @jsxImportSource @kitajs/html */
// Sign-in: names the service (BRAND_NAME) and, when signing in for an application, that application; the
// local form and one button per upstream provider. After a wrong password the password field has focus.
import { type Brand, Layout } from './layout.tsx';
import { Name } from './grant-parts.tsx';

export interface LoginProps {
  brand: Brand;
  csrf: string;
  next: string;
  username?: string;
  error?: string;
  providers: { id: string; label: string }[];
  /** The application the sign-in continues to (an authorization request's client). */
  clientName?: string;
  /** Signing in to approve a device (RFC 8628 verification page). */
  forDevice?: boolean;
}

export function LoginPage(p: LoginProps): string {
  // A failed attempt keeps the user name: the person retypes the password, so it gets the focus.
  const focusPassword = !!p.error && !!p.username;
  return (
    <Layout brand={p.brand} title="Sign in">
      <h1 safe>{`Sign in to ${p.brand.name}`}</h1>
      {p.clientName ? (
        <p class="muted">
          to continue to <Name name={p.clientName} />
        </p>
      ) : p.forDevice ? (
        <p class="muted">to connect a device</p>
      ) : (
        ''
      )}
      {p.error ? (
        <p class="error" role="alert" id="login-error" safe>
          {p.error}
        </p>
      ) : (
        ''
      )}
      <form method="post" action="/login">
        <input type="hidden" name="csrf" value={p.csrf} />
        <input type="hidden" name="next" value={p.next} />
        <label for="username">User name</label>
        <input
          type="text"
          id="username"
          name="username"
          value={p.username ?? ''}
          autocomplete="username"
          required
          autofocus={!focusPassword}
          maxlength="64"
          autocapitalize="none"
          spellcheck="false"
        />
        <label for="password">Password</label>
        <input
          type="password"
          id="password"
          name="password"
          autocomplete="current-password"
          required
          maxlength="1024"
          autofocus={focusPassword}
          aria-describedby={p.error ? 'login-error' : undefined}
        />
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
