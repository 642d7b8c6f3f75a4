// A certified OpenID provider (oidc-provider) on loopback, for the interop tests.
// Env: PORT, APP_URL, JWKS_FILE (a private JWKS, so tests can rotate keys by restarting).
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const appUrl = process.env.APP_URL;
const issuer = `http://127.0.0.1:${port}`;
const jwks = JSON.parse(readFileSync(process.env.JWKS_FILE, 'utf8'));

const client = (id, method) => ({
  client_id: id,
  client_secret: `${id}-secret-0123456789abcdef`,
  redirect_uris: [`${appUrl}/callback`, `${appUrl}/implicit/callback`],
  post_logout_redirect_uris: [`${appUrl}/signed-out`],
  response_types: ['code', 'id_token token'],
  grant_types: ['authorization_code', 'implicit'],
  token_endpoint_auth_method: method,
});

const provider = new Provider(issuer, {
  clients: [client('flowlab-basic', 'client_secret_basic'), client('flowlab-post', 'client_secret_post')],
  responseTypes: ['code', 'id_token token'],
  jwks,
  cookies: { keys: ['interop-cookie-key-not-secret'] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: `${id}@example.com`, email_verified: true, name: `Interop ${id}` };
      },
    };
  },
});

// Documented override (oidc-provider recipes): allow http:// loopback redirect URIs for the
// implicit flow on web clients, since these tests run on 127.0.0.1 without TLS.
const { invalidate } = provider.Client.Schema.prototype;
provider.Client.Schema.prototype.invalidate = function allowLoopback(message, code) {
  if (code === 'implicit-force-https' || code === 'implicit-forbid-localhost') return;
  invalidate.call(this, message, code);
};

provider.listen(port, '127.0.0.1', () => console.log(`ready ${issuer}`));
