// Cognito user-pool sign-in over its JSON API (USER_PASSWORD_AUTH), with the NEW_PASSWORD_REQUIRED
// challenge, refresh before expiry and sign-out. Tokens live in sessionStorage (this tab only), never
// in localStorage.

const SESSION_KEY = 'btp.session';
const MAX_TIMER_MS = 2 ** 31 - 1;

export class CognitoError extends Error {
  constructor(code, message) {
    super(message || code || 'Cognito request failed');
    this.code = code || 'Error';
  }
}

export function decodeJwt(token) {
  const part = String(token).split('.')[1];
  if (!part) throw new CognitoError('InvalidToken', 'The token is not a JWT.');
  const base64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

// API Gateway and Cognito may hand groups over as a list, "a,b", "[a, b]" or a single name.
export function groupsOf(claims) {
  const raw = claims['cognito:groups'];
  if (Array.isArray(raw)) return raw.map(String);
  if (typeof raw !== 'string' || !raw.trim()) return [];
  return raw.replace(/^\[|\]$/g, '').split(/[,\s]+/).filter(Boolean);
}

export function tenantOf(claims) {
  const custom = claims['custom:tenant_id'];
  return custom && String(custom).trim() ? String(custom) : String(claims['cognito:username'] ?? '');
}

const FRIENDLY = {
  NotAuthorizedException: 'Wrong user name or password, or the session has expired.',
  UserNotFoundException: 'Wrong user name or password.',
  PasswordResetRequiredException: 'An administrator has reset this password; set a new one first.',
  UserNotConfirmedException: 'This user has not been confirmed yet.',
  InvalidPasswordException: 'The new password does not meet the password policy.',
  TooManyRequestsException: 'Too many attempts; wait a moment and try again.',
  ResourceNotFoundException: 'The app client or user pool was not found; check the Credential settings.',
};

export class CognitoAuth {
  constructor(getConfig, { onChange = () => {}, onExpired = () => {} } = {}) {
    this.getConfig = getConfig;
    this.onChange = onChange;
    this.onExpired = onExpired;
    this.tokens = null;
    this.challenge = null;
    this.timer = null;
    this.refreshing = null;
    this.restore();
  }

  async call(action, body) {
    const { cognitoEndpoint } = this.getConfig();
    if (!cognitoEndpoint) throw new CognitoError('Config', 'No Cognito endpoint is configured; open Credential.');
    let response;
    try {
      response = await fetch(cognitoEndpoint, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-amz-json-1.1',
          'X-Amz-Target': `AWSCognitoIdentityProviderService.${action}`,
        },
        body: JSON.stringify(body),
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch (err) {
      throw new CognitoError('Network', `Could not reach Cognito at ${cognitoEndpoint} (${err.message}).`);
    }
    const text = await response.text();
    let data = {};
    try {
      data = text ? JSON.parse(text) : {};
    } catch {
      data = { message: text };
    }
    if (!response.ok) {
      const code = String(data.__type || data.code || `HTTP ${response.status}`).split('#').pop();
      const detail = data.message || data.Message || '';
      const friendly = FRIENDLY[code];
      throw new CognitoError(code, friendly ? `${friendly}${detail && detail !== friendly ? ` (${detail})` : ''}` : `${code}: ${detail}`);
    }
    return data;
  }

  get signedIn() {
    return Boolean(this.tokens?.idToken);
  }

  get idToken() {
    return this.tokens?.idToken ?? null;
  }

  get claims() {
    return this.tokens ? decodeJwt(this.tokens.idToken) : null;
  }

  async signIn(username, password) {
    const { clientId } = this.getConfig();
    const data = await this.call('InitiateAuth', {
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: clientId,
      AuthParameters: { USERNAME: username, PASSWORD: password },
    });
    return this.handleAuthResponse(data, username);
  }

  async completeNewPassword(newPassword) {
    if (!this.challenge) throw new CognitoError('Challenge', 'There is no password challenge to answer; sign in again.');
    const { clientId } = this.getConfig();
    const { session, username } = this.challenge;
    const data = await this.call('RespondToAuthChallenge', {
      ClientId: clientId,
      ChallengeName: 'NEW_PASSWORD_REQUIRED',
      Session: session,
      ChallengeResponses: { USERNAME: username, NEW_PASSWORD: newPassword },
    });
    return this.handleAuthResponse(data, username);
  }

  cancelChallenge() {
    this.challenge = null;
  }

  handleAuthResponse(data, username) {
    if (data.ChallengeName) {
      if (data.ChallengeName !== 'NEW_PASSWORD_REQUIRED') {
        throw new CognitoError('Challenge', `This console cannot answer the ${data.ChallengeName} challenge.`);
      }
      const params = data.ChallengeParameters || {};
      this.challenge = { session: data.Session, username: params.USER_ID_FOR_SRP || username };
      return { challenge: 'NEW_PASSWORD_REQUIRED' };
    }
    const result = data.AuthenticationResult;
    if (!result?.IdToken) throw new CognitoError('NoTokens', 'Cognito answered without tokens.');
    this.challenge = null;
    this.setTokens({
      idToken: result.IdToken,
      accessToken: result.AccessToken,
      refreshToken: result.RefreshToken,
    });
    return { challenge: null };
  }

  setTokens(tokens) {
    decodeJwt(tokens.idToken); // fail early on garbage
    this.tokens = tokens;
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(tokens));
    this.schedule();
    this.onChange(this);
  }

  restore() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null');
      if (saved?.idToken) {
        this.tokens = saved;
        decodeJwt(saved.idToken);
      }
    } catch {
      this.tokens = null;
      sessionStorage.removeItem(SESSION_KEY);
    }
  }

  // Seconds until the IdToken expires (negative when it already has).
  secondsLeft() {
    const { exp } = this.claims || {};
    return typeof exp === 'number' ? exp - Date.now() / 1000 : -1;
  }

  // Refresh ahead of expiry: five minutes before, or half-way for tokens shorter than ten minutes.
  schedule() {
    clearTimeout(this.timer);
    if (!this.tokens) return;
    const { exp, iat } = this.claims;
    if (typeof exp !== 'number') return;
    const lifetime = typeof iat === 'number' ? exp - iat : 3600;
    const margin = Math.min(300, lifetime / 2);
    const delayMs = Math.max(1000, (exp - margin) * 1000 - Date.now());
    this.timer = setTimeout(() => {
      this.refresh().catch(() => {});
    }, Math.min(delayMs, MAX_TIMER_MS));
  }

  async refresh() {
    if (this.refreshing) return this.refreshing;
    const refreshToken = this.tokens?.refreshToken;
    if (!refreshToken) {
      this.expire();
      throw new CognitoError('NoRefreshToken', 'The session has expired; sign in again.');
    }
    const { clientId } = this.getConfig();
    this.refreshing = this.call('InitiateAuth', {
      AuthFlow: 'REFRESH_TOKEN_AUTH',
      ClientId: clientId,
      AuthParameters: { REFRESH_TOKEN: refreshToken },
    })
      .then((data) => {
        const result = data.AuthenticationResult;
        if (!result?.IdToken) throw new CognitoError('NoTokens', 'Cognito answered without tokens.');
        this.setTokens({
          idToken: result.IdToken,
          accessToken: result.AccessToken,
          refreshToken: result.RefreshToken || refreshToken,
        });
      })
      .catch((err) => {
        // A network blip is retried by the next call; a refused refresh token ends the session.
        if (err.code !== 'Network') this.expire();
        throw err;
      })
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  // The IdToken to send now, refreshed first when it is about to expire.
  async currentIdToken() {
    if (!this.tokens) throw new CognitoError('SignedOut', 'You are signed out.');
    if (this.secondsLeft() < 30) await this.refresh();
    return this.tokens.idToken;
  }

  expire() {
    this.clear();
    this.onExpired();
  }

  clear() {
    clearTimeout(this.timer);
    this.timer = null;
    this.tokens = null;
    this.challenge = null;
    sessionStorage.removeItem(SESSION_KEY);
    this.onChange(this);
  }

  async signOut() {
    const accessToken = this.tokens?.accessToken;
    this.clear();
    if (accessToken) {
      // Revokes the refresh token server-side; the page is signed out whatever the answer.
      await this.call('GlobalSignOut', { AccessToken: accessToken }).catch(() => {});
    }
  }
}
