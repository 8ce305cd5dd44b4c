/** @jsxImportSource @kitajs/html */
// Errors that must not be redirected (unknown client, bad redirect_uri) and other failures shown to a person.
import { Layout } from './layout.tsx';

export function ErrorPage(props: { title: string; error: string; description: string; requestId?: string }): string {
  return (
    <Layout title={props.title}>
      <h1 safe>{props.title}</h1>
      <p class="error" safe>
        {props.description}
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
