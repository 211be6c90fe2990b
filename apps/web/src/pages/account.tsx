export type Me = {
  user: { email: string; firstName: string; lastName: string; signIn: string };
  tenant: { name: string };
  permissions: string[];
};

const METHODS: Record<string, string> = {
  password: "Password",
  microsoft: "Microsoft (your organization's Entra ID)",
  google: "Google (your organization's Google Workspace)",
};

/** The signed-in user's own page: who they are, how they sign in, and sign out. */
export function AccountPage({ me, onSignOut }: { me: Me; onSignOut: () => void }) {
  const name = `${me.user.firstName} ${me.user.lastName}`.trim() || me.user.email;
  return (
    <main class="account">
      <section class="card" aria-labelledby="account-title">
        <h1 id="account-title">Your account</h1>
        <dl>
          <dt>Name</dt>
          <dd data-testid="account-name">{name}</dd>
          <dt>Email</dt>
          <dd data-testid="account-email">{me.user.email}</dd>
          <dt>Organization</dt>
          <dd>{me.tenant.name}</dd>
          <dt>Signs in with</dt>
          <dd data-testid="account-sign-in">{METHODS[me.user.signIn] ?? me.user.signIn}</dd>
        </dl>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </section>
    </main>
  );
}
