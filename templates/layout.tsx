/** @jsxImportSource @kitajs/html */
// The frame of every page: no inline script or style (CSP), no external assets.
import type { Children } from '@kitajs/html';

export function Layout(props: { title: string; children: Children; scripts?: string[]; wide?: boolean }): string {
  return (
    '<!doctype html>' +
    (
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="referrer" content="no-referrer" />
          <title safe>{props.title}</title>
          <link rel="icon" href="data:," />
          <link rel="stylesheet" href="/static/style.css" />
          {(props.scripts ?? []).map((s) => (
            <script src={s} defer></script>
          ))}
        </head>
        <body>
          <main class={props.wide ? 'card wide' : 'card'}>{props.children}</main>
        </body>
      </html>
    )
  );
}
