// home — each role's daily work is its first page.
export async function render(main, ctx) {
  const to = ctx.has("coordinator") ? "/coord"
    : ctx.has("nurse") ? "/inbox"
    : ctx.has("checkup_staff") ? "/checkup"
    : ctx.me.org.kind === "resource_provider" ? "/provider"
    : ctx.me.may_open.length ? "/referrals"
    : ctx.has("agency_staff") ? "/provider" : "/inbox";
  location.replace(to);
}
