/** @jsxImportSource @kitajs/html */
// Pieces shared by the consent page and the device confirmation page: the resources a grant covers, and
// the two decision forms (deny first, so the safe choice is the first one reached by keyboard).

export function ResourceList(p: { resources: string[] }): string {
  if (!p.resources.length) return '';
  return (
    <>
      <p>Access will be granted to:</p>
      <ul class="scopes">
        {p.resources.map((r) => (
          <li>
            <code safe>{r}</code>
          </li>
        ))}
      </ul>
    </>
  ) as string;
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
