/** @jsxImportSource @kitajs/html */
// The frame of every page: no inline script or style (CSP), no external assets except a configured logo.
import type { Children } from '@kitajs/html';

/** What BRAND_* configure (src/http/brand.ts builds it once per server). */
export interface Brand {
  name: string;
  /** The logo's src: /static/brand-logo?v=… or an https URL. */
  logo?: string;
  /** The stylesheet that sets the accent, when BRAND_ACCENT is set. */
  stylesheet?: string;
  supportUrl?: string;
}

export function Layout(props: { brand: Brand; title: string; children: Children; scripts?: string[]; wide?: boolean }): string {
  const { brand } = props;
  return (
    '<!doctype html>' +
    (
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="referrer" content="no-referrer" />
          <title safe>{props.title === brand.name ? brand.name : `${props.title} · ${brand.name}`}</title>
          <link rel="icon" href="data:," />
          <link rel="stylesheet" href="/static/style.css" />
          {brand.stylesheet ? <link rel="stylesheet" href={brand.stylesheet} /> : ''}
          {(props.scripts ?? []).map((s) => (
            <script src={s} defer></script>
          ))}
        </head>
        <body>
          <main class={props.wide ? 'card wide' : 'card'}>
            <header class="brand">
              {brand.logo ? <img src={brand.logo} alt="" height="32" /> : ''}
              <span safe>{brand.name}</span>
            </header>
            {props.children}
          </main>
        </body>
      </html>
    )
  );
}
