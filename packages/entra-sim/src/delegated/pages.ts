import { html } from "hono/html";
import type { SimTenant, SimUser } from "../model.ts";

const STYLE = `body{font-family:Segoe UI,system-ui,sans-serif;background:#f2f2f2;margin:0}
main{max-width:440px;margin:48px auto;background:#fff;padding:44px;box-shadow:0 2px 6px rgba(0,0,0,.2)}
h1{font-size:24px;font-weight:600;margin:0 0 16px}.brand{color:#737373;font-size:15px;margin-bottom:16px}
input{width:100%;box-sizing:border-box;font-size:15px;padding:6px 0;border:0;border-bottom:1px solid #666;margin:8px 0 16px}
button{font-size:15px;padding:6px 16px;border:1px solid #0067b8;cursor:pointer}
.primary{background:#0067b8;color:#fff}.secondary{background:#fff;color:#0067b8}
ul{list-style:none;padding:0;margin:16px 0;max-height:320px;overflow:auto}
li button{width:100%;text-align:left;background:#fff;border:0;border-top:1px solid #eee;padding:10px 4px;color:#1b1b1b}
li small{display:block;color:#666}.code{font-family:monospace;font-size:13px;color:#333;word-break:break-word}`;

/**
 * What Entra shows instead of redirecting when it cannot trust the redirect URI: unknown
 * tenant or app, a redirect URI mismatch, a user it will not sign in. The page's wording
 * follows the screenshots quoted in unoplatform/uno.todo#180; its HTTP status is not
 * documented (400 here, so a client that follows it sees a failure).
 */
export function errorPage(code: number, message: string): Response {
  const body = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to your account</title><style>${STYLE}</style></head>
<body><main role="main">
<div class="brand">Microsoft</div>
<h1>Sign in</h1>
<p>Sorry, but we’re having trouble signing you in.</p>
<p class="code" data-aadsts="${String(code)}">AADSTS${String(code)}: ${message}</p>
<p class="code">Request Id: ${crypto.randomUUID()}<br>Correlation Id: ${crypto.randomUUID()}<br>Timestamp: ${new Date().toISOString()}</p>
</main></body></html>`;
  return new Response(body.toString(), {
    status: 400,
    headers: { "content-type": "text/html; charset=utf-8" },
  });
}

/**
 * The account picker: the `login_hint` prefilled, and the tenant's users to choose from.
 * Every authorize parameter rides along in hidden fields to the POST that signs in.
 */
export function signInPage(
  tenant: SimTenant,
  action: string,
  params: URLSearchParams,
  loginHint: string,
  users: readonly SimUser[],
): Response {
  const hidden = [...params]
    .filter(([name]) => !["login", "user", "action"].includes(name))
    .map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`);
  const body = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to your account</title><style>${STYLE}</style></head>
<body><main role="main">
<div class="brand">Microsoft · ${tenant.info.displayName} (simulated)</div>
<h1>Sign in</h1>
<form method="post" action="${action}" aria-label="Sign in">
${hidden}
<label for="login">Email, phone, or Skype</label>
<input id="login" name="login" type="email" autocomplete="username" value="${loginHint}">
<button class="primary" type="submit" name="action" value="sign-in">Next</button>
<button class="secondary" type="submit" name="action" value="decline">Cancel</button>
<p>Or pick an account:</p>
<ul aria-label="Accounts">
${users.map(
  (user) =>
    html`<li><button type="submit" name="user" value="${user.id}">${user.displayName ?? user.userPrincipalName}<small>${user.userPrincipalName}</small></button></li>`,
)}
</ul>
</form>
</main></body></html>`;
  return new Response(body.toString(), {
    status: 200,
    headers: { "content-type": "text/html; charset=utf-8" },
  });
}
