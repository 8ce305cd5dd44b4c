/** @jsxImportSource @kitajs/html */
// Errors that must not be redirected (unknown client, bad redirect_uri) and other failures shown to a
// person: what happened, what to do next, and where to get help (BRAND_SUPPORT_URL).
import { type Brand, Layout } from './layout.tsx';

/** What a person can do about an error, by status and OAuth error code. */
function nextStep(status: number, error: string): string {
  if (status === 404) return 'Check the address, or start again from the home page.';
  if (status === 429) return 'Wait a few minutes, then try again.';
  if (status === 503) return 'The service is briefly unavailable. Wait a moment, then reload this page.';
  if (status >= 500) return 'Reload the page in a moment. If it keeps happening, contact support with the request id below.';
  switch (error) {
    case 'invalid_client':
    case 'unauthorized_client':
    case 'invalid_redirect_uri':
      return 'The application that sent you here is not set up correctly with this service. Go back to it and let its developer know; the error code below tells them what to fix.';
    case 'invalid_request':
    case 'invalid_scope':
    case 'unsupported_response_type':
    case 'invalid_target':
      return 'The link that brought you here is incomplete or was changed. Go back to the application and start signing in again.';
    case 'access_denied':
      return 'Go back to where you started and try again.';
    default:
      return 'Go back and try again. If it keeps happening, contact support.';
  }
}

export function ErrorPage(props: { brand: Brand; title: string; error: string; description: string; requestId?: string; status: number }): string {
  const support = props.brand.supportUrl;
  return (
    <Layout brand={props.brand} title={props.title}>
      <h1 safe>{props.title}</h1>
      <p class="error" safe>
        {props.description}
      </p>
      <p safe>{nextStep(props.status, props.error)}</p>
      <p class="row links">
        <a href="/">Home page</a>
        {support ? (
          <a href={support} rel="noreferrer">
            Contact support
          </a>
        ) : (
          ''
        )}
      </p>
      <p class="muted">
        Error code: <code safe>{props.error}</code>
        {props.requestId ? (
          <>
            {' '}
            · request <code safe>{props.requestId}</code>
          </>
        ) : (
          ''
        )}
      </p>
    </Layout>
  ) as string;
}
