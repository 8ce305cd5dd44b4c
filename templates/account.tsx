/** @jsxImportSource @kitajs/html */
// /account: the signed-in person's browsers (device, address, when), the apps and devices that hold access
// (remembered consent, refresh-token families; when each was last used), each revocable, and a password
// change form.
import { type Brand, Layout } from './layout.tsx';
import { FullName, Name } from './grant-parts.tsx';

export interface AccountApp {
  clientId: string;
  clientName: string;
  scope: string;
  consented: boolean;
  lastUsed: string | null;
  sessions: { familyId: string; scope: string; since: string; lastUsed: string; device: boolean; userAgent: string; ip: string | null }[];
}

export interface AccountBrowser {
  id: string;
  current: boolean;
  userAgent: string;
  ip: string | null;
  since: string;
  lastUsed: string;
}

export interface AccountProps {
  brand: Brand;
  username: string;
  csrf: string;
  apps: AccountApp[];
  browsers: AccountBrowser[];
  hasPassword: boolean;
  message?: string;
  error?: string;
}

function Csrf(p: { csrf: string }): string {
  return (<input type="hidden" name="csrf" value={p.csrf} />) as string;
}

/** A POST to /account/revoke naming one browser session, app session or app. */
function Revoke(p: { csrf: string; field: 'session_id' | 'family_id' | 'client_id'; value: string; label: string; small?: boolean }): string {
  return (
    <form method="post" action="/account/revoke">
      <Csrf csrf={p.csrf} />
      <input type="hidden" name={p.field} value={p.value} />
      <button type="submit" class={p.small ? 'secondary small' : 'secondary'} safe>
        {p.label}
      </button>
    </form>
  ) as string;
}

/** "Firefox on Linux · from 192.0.2.1" */
function Device(p: { userAgent: string; ip: string | null }): string {
  return (
    <>
      <strong safe>{p.userAgent}</strong>
      {p.ip ? <span safe>{` · from ${p.ip}`}</span> : ''}
    </>
  ) as string;
}

export function AccountPage(p: AccountProps): string {
  return (
    <Layout brand={p.brand} title="Your account">
      <h1>Your account</h1>
      <p>
        Signed in as <Name name={p.username} />.
      </p>
      {p.message ? (
        <p class="ok" role="status" safe>
          {p.message}
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
      <h2>Signed-in browsers</h2>
      <ul class="sessions">
        {p.browsers.map((b) => (
          <li>
            <p>
              <Device userAgent={b.userAgent} ip={b.ip} />
              {b.current ? <span class="badge">This browser</span> : ''}
            </p>
            <p class="muted" safe>{`Signed in ${b.since} · last active ${b.lastUsed}`}</p>
            {b.current ? '' : <Revoke csrf={p.csrf} field="session_id" value={b.id} label="Sign out" small />}
          </li>
        ))}
      </ul>
      <h2>Connected apps and devices</h2>
      {p.apps.length === 0 ? <p class="muted">No app or device has access to your account.</p> : ''}
      {p.apps.map((a) => (
        <section class="app">
          <h3>
            <Name name={a.clientName} strong={false} />
          </h3>
          <FullName name={a.clientName} />
          <p class="muted">
            <code safe>{a.clientId}</code>
            {a.scope ? (
              <>
                {' '}
                · <span safe>{a.scope}</span>
              </>
            ) : (
              ''
            )}
          </p>
          <p class="muted" safe>
            {a.lastUsed ? `Last used ${a.lastUsed}` : 'Not signed in anywhere now'}
          </p>
          <ul class="sessions">
            {a.sessions.map((s) => (
              <li>
                <p>
                  <Device userAgent={s.userAgent} ip={s.ip} />
                  {s.device ? <span class="badge">Device</span> : ''}
                </p>
                <p class="muted" safe>{`Signed in ${s.since} · last used ${s.lastUsed}`}</p>
                <Revoke csrf={p.csrf} field="family_id" value={s.familyId} label="Sign out" small />
              </li>
            ))}
          </ul>
          <Revoke csrf={p.csrf} field="client_id" value={a.clientId} label="Revoke access" />
        </section>
      ))}
      <h2 id="password">Change password</h2>
      {p.hasPassword ? (
        <form method="post" action="/account/password">
          <Csrf csrf={p.csrf} />
          <input type="text" name="username" value={p.username} autocomplete="username" hidden />
          <label for="current_password">Current password</label>
          <input type="password" id="current_password" name="current_password" autocomplete="current-password" required maxlength="1024" />
          <label for="new_password">New password</label>
          <input type="password" id="new_password" name="new_password" autocomplete="new-password" required minlength="8" maxlength="1024" />
          <label for="repeat_password">Repeat the new password</label>
          <input type="password" id="repeat_password" name="repeat_password" autocomplete="new-password" required minlength="8" maxlength="1024" />
          <button type="submit">Change password</button>
          <p class="muted">Your other browsers are signed out; apps keep their access until you revoke it above.</p>
        </form>
      ) : (
        <p class="muted">You sign in with another provider; there is no password to change here.</p>
      )}
      <hr />
      <form method="post" action="/logout">
        <Csrf csrf={p.csrf} />
        <button type="submit" class="secondary">
          Sign out of this browser
        </button>
      </form>
    </Layout>
  ) as string;
}
