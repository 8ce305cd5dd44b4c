/** @jsxImportSource @kitajs/html */
// Pieces shared by the pages that show a grant (consent, device confirmation and result, account, sign-in,
// sign-out): names a client chose for itself, hosts, scopes with plain-language descriptions, resources,
// and the two decision forms (deny first, so the safe choice is the first one reached by keyboard).

/**
 * Control and format characters — bidi overrides, isolates and marks, zero-width characters: they can make
 * a name read as another.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}]/gu;
/** Longer names are cut on screen (the full name stays one click or hover away). */
export const NAME_SHOWN = 64;

/** A name as shown: invisible characters removed, whitespace collapsed. */
export function cleanName(name: string): string {
  return name.replace(INVISIBLE, '').replace(/\s+/g, ' ').trim() || '(no name)';
}

/**
 * A name someone else chose (client or user name), isolated from the text around it (<bdi>: right-to-left
 * text cannot reorder the sentence), wrapped anywhere when it has no spaces, cut at NAME_SHOWN characters
 * with the full name in the tooltip.
 */
export function Name(p: { name: string; strong?: boolean }): string {
  const clean = cleanName(p.name);
  const chars = [...clean];
  const shown = chars.length > NAME_SHOWN ? `${chars.slice(0, NAME_SHOWN).join('')}…` : clean;
  const el = (
    <bdi class="name" title={shown === clean ? undefined : clean} safe>
      {shown}
    </bdi>
  );
  return (p.strong === false ? el : <strong>{el}</strong>) as string;
}

/** The whole of a name that Name cut, behind a disclosure; nothing when it was shown whole. */
export function FullName(p: { name: string }): string {
  const clean = cleanName(p.name);
  if ([...clean].length <= NAME_SHOWN) return '';
  return (
    <details class="fullname">
      <summary>Show the full name</summary>
      <bdi class="name" safe>
        {clean}
      </bdi>
    </details>
  ) as string;
}

/** A host name that may break only between its labels (after a dot), never inside one. */
export function Host(p: { host: string }): string {
  // An IP address is one unit: it is never broken.
  const labels = /^[\d.:]+$|^\[/.test(p.host) ? [p.host] : p.host.split('.');
  return (
    <code class="host">
      {labels.map((l, i) => (
        <>
          <span safe>{i < labels.length - 1 ? `${l}.` : l}</span>
          {i < labels.length - 1 ? <wbr /> : ''}
        </>
      ))}
    </code>
  ) as string;
}

/** Shown beside a name the application chose itself (dynamic registration, metadata document). */
export function UnverifiedNotice(p: { redirectHost?: string; documentHost?: string }): string {
  return (
    <div class="notice" role="note">
      <p>
        <strong>Unverified name.</strong> This name was chosen by the application itself and is not verified.
      </p>
      {p.documentHost ? (
        <p>
          The application is described by <Host host={p.documentHost} />.
        </p>
      ) : (
        ''
      )}
      {p.redirectHost ? (
        <p>
          Continue only if you trust <Host host={p.redirectHost} />.
        </p>
      ) : (
        ''
      )}
    </div>
  ) as string;
}

const SCOPE_TEXT: Record<string, string> = {
  openid: 'Know who you are',
  profile: 'See your name and profile',
  email: 'See your email address',
  offline_access: 'Stay signed in (refresh tokens)',
};

/** Scopes with what each one allows in plain words; "basic access only" when there are none. */
export function ScopeList(p: { scopes: string[] }): string {
  if (!p.scopes.length) return (<p>It asks for basic access only.</p>) as string;
  return (
    <>
      <p>It asks to:</p>
      <ul class="scopes">
        {p.scopes.map((s) => (
          <li>
            <span safe>{SCOPE_TEXT[s] ?? 'Use'}</span>{' '}
            <code class="token" safe>
              {s}
            </code>
          </li>
        ))}
      </ul>
    </>
  ) as string;
}

/** A titled list of values shown as code (scopes, resources); nothing when there are none. */
export function CodeList(p: { intro: string; values: string[] }): string {
  if (!p.values.length) return '';
  return (
    <>
      <p safe>{p.intro}</p>
      <ul class="scopes">
        {p.values.map((v) => (
          <li>
            <code safe>{v}</code>
          </li>
        ))}
      </ul>
    </>
  ) as string;
}

export function ResourceList(p: { resources: string[] }): string {
  return (<CodeList intro="Access will be granted to:" values={p.resources} />) as string;
}

export function DecisionForms(p: { action: string; fields: Record<string, string>; allowValue: string; allowLabel: string }): string {
  const hidden = Object.entries(p.fields).map(([name, value]) => <input type="hidden" name={name} value={value} />);
  return (
    <div class="row">
      <form method="post" action={p.action}>
        {hidden}
        <input type="hidden" name="decision" value="deny" />
        <button type="submit" class="secondary">
          Deny
        </button>
      </form>
      <form method="post" action={p.action}>
        {hidden}
        <input type="hidden" name="decision" value={p.allowValue} />
        <button type="submit" safe>
          {p.allowLabel}
        </button>
      </form>
    </div>
  ) as string;
}
