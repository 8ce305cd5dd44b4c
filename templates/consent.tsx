/** @jsxImportSource @kitajs/html */
// Consent: names the client, where it will send the person (the redirect host), the scopes and the
// resources. Allow / Deny post back with the CSRF token and the original request.
import { Layout } from './layout.tsx';
import { DecisionForms, ResourceList } from './grant-parts.tsx';

export interface ConsentProps {
  csrf: string;
  request: string;
  clientName: string;
  clientId: string;
  redirectHost: string;
  scopes: string[];
  resources: string[];
  username: string;
  unverifiedName: boolean;
  /** For a Client ID Metadata Document client: the host that publishes its description. */
  documentHost?: string;
}

const SCOPE_TEXT: Record<string, string> = {
  openid: 'Know who you are',
  profile: 'See your user name',
  email: 'See your email address',
  offline_access: 'Stay signed in (refresh tokens)',
};

export function ConsentPage(p: ConsentProps): string {
  return (
    <Layout title="Authorize access">
      <h1>Authorize access</h1>
      <p>
        <strong safe>{p.clientName}</strong> wants to access your account <strong safe>{p.username}</strong>.
      </p>
      {p.unverifiedName ? <p class="muted">This name was chosen by the application itself and is not verified.</p> : ''}
      {p.documentHost ? (
        <p class="muted">
          The application is described by <code safe>{p.documentHost}</code>.
        </p>
      ) : (
        ''
      )}
      <p class="muted">
        After you decide, you will be sent to <code safe>{p.redirectHost}</code>.
      </p>
      {p.scopes.length ? (
        <>
          <p>It asks to:</p>
          <ul class="scopes">
            {p.scopes.map((s) => (
              <li>
                <span safe>{SCOPE_TEXT[s] ?? s}</span> <code safe>{s}</code>
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p>It asks for basic access only.</p>
      )}
      <ResourceList resources={p.resources} />
      <DecisionForms action="/consent" fields={{ csrf: p.csrf, request: p.request }} allowValue="allow" allowLabel="Allow" />
      <p class="muted">
        Client id <code safe>{p.clientId}</code>
      </p>
    </Layout>
  ) as string;
}
