/** One sentence for each `signInError` the directory sign-in callback can send back. */
export const SIGN_IN_ERRORS: Record<string, string> = {
  sso_denied:
    "Your organization's sign-in did not let you in: it was cancelled, or consent was declined. Try again, or ask your administrator to grant consent for Roster.",
  sso_expired:
    "That sign-in took too long or was already used. Start again with the sign-in button.",
  sso_wrong_directory:
    "You signed in with an account from another organization. Sign in with your account in this tenant's directory.",
  sso_not_synced:
    "Your organization signed you in, but Roster has no active account for you in this tenant. Ask your administrator to synchronize your account.",
  sso_invalid_token:
    "The sign-in response could not be verified, so it was refused. Try again; if it keeps happening, tell your administrator.",
  sso_unavailable:
    "Your organization's sign-in could not be reached or refused Roster's credentials. Try again later, or ask your administrator to check the connection.",
};

/** The sentence for a code, or a generic one for a code this page does not know. */
export const signInErrorText = (code: string) =>
  SIGN_IN_ERRORS[code] ?? "Signing in through your organization failed. Try again.";
