// An independent OpenID Connect relying party (openid-client v6, a certified RP library) that
// tests/sso/test_rp_openid_client.py drives against the portal's live server.
//
// Input: one JSON object in the RP_CONFIG environment variable (issuer, client_id,
// client_secret, auth_method "client_secret_basic" | "client_secret_post", redirect_uri,
// post_logout_redirect_uri). Protocol on stdin/stdout, one JSON object per line:
//   -> {"step": "authorize", "url": ...}        the browser (the Python test) follows it
//   <- {"callback": "<redirect_uri>?code=..."}  where the portal sent the browser
//   -> {"step": "done", ...}                    what the RP verified, and the logout URL
// Any failure: {"step": "error", "name": ..., "message": ...} and exit code 1.
import * as readline from "node:readline";
import * as client from "openid-client";

const cfg = JSON.parse(process.env.RP_CONFIG);
const out = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
const lines = readline.createInterface({ input: process.stdin });
const nextLine = () => new Promise((resolve) => lines.once("line", resolve));

function header(jwt) {
  return JSON.parse(Buffer.from(jwt.split(".")[0], "base64url").toString("utf8"));
}

async function main() {
  const auth =
    cfg.auth_method === "client_secret_post"
      ? client.ClientSecretPost(cfg.client_secret)
      : client.ClientSecretBasic(cfg.client_secret);
  // The live test server speaks http; openid-client refuses that unless told.
  const config = await client.discovery(new URL(cfg.issuer), cfg.client_id, undefined, auth, {
    execute: [client.allowInsecureRequests],
  });
  // Verify ID token signatures against the JWKS too (not only TLS trust).
  client.enableNonRepudiationChecks(config);
  const meta = config.serverMetadata();

  const verifier = client.randomPKCECodeVerifier();
  const challenge = await client.calculatePKCECodeChallenge(verifier);
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: cfg.redirect_uri,
    scope: "openid profile email phone",
    code_challenge: challenge,
    code_challenge_method: "S256",
    state,
    nonce,
  });
  out({ step: "authorize", url: url.href });

  const { callback } = JSON.parse(await nextLine());
  const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);

  // Refresh: a new pair, the old refresh token rotated out.
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  const refreshedClaims = refreshed.claims();
  // Revoke the new access token (RFC 7009): userinfo refuses it afterwards.
  await client.tokenRevocation(config, refreshed.access_token, { token_type_hint: "access_token" });
  let revokedRefused = false;
  try {
    await client.fetchUserInfo(config, refreshed.access_token, claims.sub);
  } catch (err) {
    revokedRefused = err instanceof client.WWWAuthenticateChallengeError || err.status === 401;
  }
  // The rotated-out refresh token is refused.
  let reuseRefused = false;
  try {
    await client.refreshTokenGrant(config, tokens.refresh_token);
  } catch (err) {
    reuseRefused = err instanceof client.ResponseBodyError && err.error === "invalid_grant";
  }

  const logoutUrl = client.buildEndSessionUrl(config, {
    id_token_hint: tokens.id_token,
    post_logout_redirect_uri: cfg.post_logout_redirect_uri,
    state: "bye-" + state,
  });
  out({
    step: "done",
    issuer: meta.issuer,
    id_token_alg: header(tokens.id_token).alg,
    id_token_kid: header(tokens.id_token).kid,
    claims,
    userinfo,
    refreshed_sub: refreshedClaims ? refreshedClaims.sub : null,
    rotated: refreshed.refresh_token !== tokens.refresh_token,
    reuse_refused: reuseRefused,
    revoked_refused: revokedRefused,
    logout_url: logoutUrl.href,
    logout_state: "bye-" + state,
  });
}

main()
  .then(() => process.exit(0))
  .catch((err) => {
    out({ step: "error", name: err.name, code: err.code, error: err.error, message: String(err.message) });
    process.exit(1);
  });
