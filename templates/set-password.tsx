/** @jsxImportSource @kitajs/html */
// Invitation and password-reset links: the page reads the token from the URL fragment (static/temp-token.js)
// and posts the new password with it in X-Temp-Token. Nothing secret is rendered here.
import { type Brand, Layout } from './layout.tsx';

export function SetPasswordPage(p: { brand: Brand; userId: string }): string {
  return (
    <Layout brand={p.brand} title="Choose a password" scripts={['/static/temp-token.js']}>
      <h1>Choose a password</h1>
      <p class="muted">This link works once and for a limited time.</p>
      <form method="post" action={`/set-password/${encodeURIComponent(p.userId)}`} data-temp-token="">
        <label for="password">New password</label>
        <input type="password" id="password" name="password" autocomplete="new-password" minlength="8" maxlength="1024" required autofocus />
        <label for="confirm">Repeat it</label>
        <input type="password" id="confirm" name="confirm" autocomplete="new-password" minlength="8" maxlength="1024" required />
        <button type="submit">Set password</button>
      </form>
      <p data-result="" role="status"></p>
      <a class="button secondary" href="/login">
        Go to sign-in
      </a>
    </Layout>
  ) as string;
}
