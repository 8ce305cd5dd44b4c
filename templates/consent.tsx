/** @jsxImportSource @kitajs/html */
// Consent: names the client (marked when it chose its name itself), where it will send the person (the
// redirect host), the scopes in plain words and the resources. Allow / Deny post back with the CSRF token
// and the original request.
import { type Brand, Layout } from './layout.tsx';
import { DecisionForms, FullName, Host, Name, ResourceList, ScopeList, UnverifiedNotice } from './grant-parts.tsx';

export interface ConsentProps {
  brand: Brand;
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

export function ConsentPage(p: ConsentProps): string {
  return (
    <Layout brand={p.brand} title="Authorize access">
      <h1>Authorize access</h1>
      <p>
        <Name name={p.clientName} /> wants to access your account <Name name={p.username} />.
      </p>
      <FullName name={p.clientName} />
      {p.unverifiedName ? <UnverifiedNotice documentHost={p.documentHost} /> : ''}
      <p class="redirect">
        After you decide, you will be sent to <Host host={p.redirectHost} />.
      </p>
      <ScopeList scopes={p.scopes} />
      <ResourceList resources={p.resources} />
      <DecisionForms action="/consent" fields={{ csrf: p.csrf, request: p.request }} allowValue="allow" allowLabel="Allow" />
      <p class="muted">
        Client id <code safe>{p.clientId}</code>
      </p>
    </Layout>
  ) as string;
}
