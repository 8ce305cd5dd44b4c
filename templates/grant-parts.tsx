/** @jsxImportSource @kitajs/html */
// Pieces shared by the consent page and the device confirmation page: lists of scopes and resources, and
// the two decision forms (deny first, so the safe choice is the first one reached by keyboard).

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
