/** @jsxImportSource @kitajs/html */
// /account: what the signed-in person has granted — apps with remembered consent and signed-in sessions
// (refresh-token families, one per app or device login) — each revocable.
import { Layout } from './layout.tsx';

export interface AccountApp {
  clientId: string;
  clientName: string;
  scope: string;
  consented: boolean;
  sessions: { familyId: string; scope: string; since: string; until: string; device: boolean }[];
}

export function AccountPage(p: { username: string; csrf: string; apps: AccountApp[]; message?: string }): string {
  return (
    <Layout title="Your account">
      <h1>Your account</h1>
      <p>
        Signed in as <strong safe>{p.username}</strong>.
      </p>
      {p.message ? (
        <p class="ok" role="status" safe>
          {p.message}
        </p>
      ) : (
        ''
      )}
      <h2>Connected apps and devices</h2>
      {p.apps.length === 0 ? <p class="muted">No app or device has access to your account.</p> : ''}
      {p.apps.map((a) => (
        <section class="app">
          <h3 safe>{a.clientName}</h3>
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
          <ul class="scopes">
            {a.sessions.map((s) => (
              <li>
                <span safe>{`${s.device ? 'Device' : 'Session'} since ${s.since}, until ${s.until}`}</span>
                <form method="post" action="/account/revoke" class="inline">
                  <input type="hidden" name="csrf" value={p.csrf} />
                  <input type="hidden" name="family_id" value={s.familyId} />
                  <button type="submit" class="secondary small">
                    Sign out
                  </button>
                </form>
              </li>
            ))}
          </ul>
          <form method="post" action="/account/revoke">
            <input type="hidden" name="csrf" value={p.csrf} />
            <input type="hidden" name="client_id" value={a.clientId} />
            <button type="submit" class="secondary">
              Revoke access
            </button>
          </form>
        </section>
      ))}
      <hr />
      <form method="post" action="/logout">
        <input type="hidden" name="csrf" value={p.csrf} />
        <button type="submit" class="secondary">
          Sign out of this browser
        </button>
      </form>
    </Layout>
  ) as string;
}
