/** @jsxImportSource @kitajs/html */
// RFC 8628 §3.3 pages: code entry, confirmation (names the client, scopes and resources; Approve / Deny),
// and the final page that sends the person back to the device.
import { type Brand, Layout } from './layout.tsx';
import { DecisionForms, FullName, Name, ResourceList, ScopeList, UnverifiedNotice } from './grant-parts.tsx';

export function DeviceEntryPage(p: { brand: Brand; csrf: string; userCode: string; error?: string; username: string }): string {
  return (
    <Layout brand={p.brand} title="Connect a device">
      <h1>Connect a device</h1>
      <p>Enter the code shown on your device.</p>
      {p.error ? (
        <p class="error" role="alert" id="code-error" safe>
          {p.error}
        </p>
      ) : (
        ''
      )}
      <form method="post" action="/device">
        <input type="hidden" name="csrf" value={p.csrf} />
        <label for="user_code">Code</label>
        <input
          type="text"
          id="user_code"
          name="user_code"
          class="code"
          value={p.userCode}
          placeholder="XXXX-XXXX"
          autocomplete="off"
          autocapitalize="characters"
          spellcheck="false"
          maxlength="12"
          required
          autofocus
          aria-describedby={p.error ? 'code-error' : undefined}
        />
        <button type="submit">Continue</button>
      </form>
      <p class="muted">
        Signed in as <Name name={p.username} />.
      </p>
    </Layout>
  ) as string;
}

export interface DeviceConfirmProps {
  brand: Brand;
  csrf: string;
  userCode: string;
  clientName: string;
  clientId: string;
  scopes: string[];
  resources: string[];
  username: string;
  unverifiedName: boolean;
}

export function DeviceConfirmPage(p: DeviceConfirmProps): string {
  return (
    <Layout brand={p.brand} title="Approve this device?">
      <h1>Approve this device?</h1>
      <p>
        A device using <Name name={p.clientName} /> asks to act as <Name name={p.username} />.
      </p>
      <FullName name={p.clientName} />
      {p.unverifiedName ? <UnverifiedNotice /> : ''}
      <p>
        Only approve if the code on your device is{' '}
        <strong class="code" safe>
          {p.userCode}
        </strong>{' '}
        and you started this yourself.
      </p>
      <ScopeList scopes={p.scopes} />
      <ResourceList resources={p.resources} />
      <DecisionForms action="/device/confirm" fields={{ csrf: p.csrf, user_code: p.userCode }} allowValue="approve" allowLabel="Approve" />
      <p class="muted">
        Client id <code safe>{p.clientId}</code>
      </p>
    </Layout>
  ) as string;
}

export function DeviceDonePage(p: { brand: Brand; approved: boolean; clientName: string }): string {
  return (
    <Layout brand={p.brand} title={p.approved ? 'Device connected' : 'Request denied'}>
      <h1>{p.approved ? 'Device connected' : 'Request denied'}</h1>
      {p.approved ? (
        <p>
          <Name name={p.clientName} /> is now signed in. Return to your device; you can close this window.
        </p>
      ) : (
        <p>
          The request of <Name name={p.clientName} /> was denied. Return to your device; you can close this window.
        </p>
      )}
      <a class="button secondary" href="/device">
        Connect another device
      </a>
    </Layout>
  ) as string;
}
