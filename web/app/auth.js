// Sign-in against the Cognito user pool with plain fetch (no SDK): InitiateAuth USER_PASSWORD_AUTH, the
// NEW_PASSWORD_REQUIRED challenge through RespondToAuthChallenge, silent refresh with REFRESH_TOKEN_AUTH a minute
// before the access token expires (and once more on a 401), and sign-out with GlobalSignOut.
// The access token lives in memory only; the refresh token in sessionStorage, so a reload keeps the session and
// closing the tab ends it.
const STORE = "chorus.session";
const EARLY_MS = 60_000;

export class SignInError extends Error {
  constructor(kind, detail = "") {
    super(detail || kind);
    this.kind = kind; // wrong | rules | reset | unreachable | throttled | session | other
    this.detail = detail;
  }
}

const KINDS = {
  NotAuthorizedException: "wrong",
  UserNotFoundException: "wrong",
  InvalidPasswordException: "rules",
  PasswordResetRequiredException: "reset",
  TooManyRequestsException: "throttled",
  TooManyFailedAttemptsException: "throttled",
  LimitExceededException: "throttled",
};

export class Auth {
  constructor(config, onChange) {
    this.config = config;
    this.onChange = onChange;
    this.tokens = null; // {access, expiresAt}
    this.timer = null;
  }

  async _cognito(action, body) {
    let response;
    try {
      response = await fetch(this.config.cognitoEndpoint, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-amz-json-1.1",
          "X-Amz-Target": `AWSCognitoIdentityProviderService.${action}`,
        },
        body: JSON.stringify(body),
        credentials: "omit",
      });
    } catch (error) {
      throw new SignInError("unreachable", String(error));
    }
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      const type = String(answer.__type || "").split("#").pop();
      throw new SignInError(KINDS[type] || "other", answer.message || `${response.status}`);
    }
    return answer;
  }

  /** Resolves to {challenge: "NEW_PASSWORD_REQUIRED", session, username} or to null once signed in. */
  async signIn(username, password) {
    const answer = await this._cognito("InitiateAuth", {
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: this.config.clientId,
      AuthParameters: { USERNAME: username, PASSWORD: password },
    });
    return this._settle(answer, username);
  }

  async completeNewPassword(challenge, newPassword) {
    const answer = await this._cognito("RespondToAuthChallenge", {
      ChallengeName: "NEW_PASSWORD_REQUIRED",
      ClientId: this.config.clientId,
      Session: challenge.session,
      ChallengeResponses: { USERNAME: challenge.username, NEW_PASSWORD: newPassword },
    });
    return this._settle(answer, challenge.username);
  }

  _settle(answer, username) {
    if (answer.ChallengeName === "NEW_PASSWORD_REQUIRED") {
      return { challenge: answer.ChallengeName, session: answer.Session, username };
    }
    if (answer.ChallengeName) throw new SignInError("other", `unsupported challenge ${answer.ChallengeName}`);
    this._keep(answer.AuthenticationResult, username);
    return null;
  }

  _keep(result, username) {
    this.tokens = { access: result.AccessToken, expiresAt: Date.now() + result.ExpiresIn * 1000 };
    const stored = this._stored() || {};
    sessionStorage.setItem(STORE, JSON.stringify({
      username: username || stored.username,
      refresh: result.RefreshToken || stored.refresh, // REFRESH_TOKEN_AUTH does not return a new one
    }));
    clearTimeout(this.timer);
    const wait = Math.max(result.ExpiresIn * 1000 - EARLY_MS, 5_000);
    this.timer = setTimeout(() => this.refresh().catch(() => this._forget(true)), wait);
    this.onChange?.(true);
  }

  _stored() {
    try {
      return JSON.parse(sessionStorage.getItem(STORE) || "null");
    } catch {
      return null;
    }
  }

  get username() {
    return this._stored()?.username || null;
  }

  get signedIn() {
    return Boolean(this.tokens);
  }

  /** Silent sign-in from the refresh token of this tab's session; true when it worked. */
  async resume() {
    if (!this._stored()?.refresh) return false;
    try {
      await this.refresh();
      return true;
    } catch {
      this._forget(false);
      return false;
    }
  }

  async refresh() {
    const stored = this._stored();
    if (!stored?.refresh) throw new SignInError("session");
    const answer = await this._cognito("InitiateAuth", {
      AuthFlow: "REFRESH_TOKEN_AUTH",
      ClientId: this.config.clientId,
      AuthParameters: { REFRESH_TOKEN: stored.refresh },
    });
    this._keep(answer.AuthenticationResult, stored.username);
  }

  /** A valid access token, refreshed first when it is about to expire. */
  async accessToken() {
    if (!this.tokens) throw new SignInError("session");
    if (Date.now() > this.tokens.expiresAt - EARLY_MS) await this.refresh();
    return this.tokens.access;
  }

  async signOut() {
    const access = this.tokens?.access;
    this._forget(false);
    if (access) {
      // Ends every session of this user at Cognito; the local copy is gone whatever the answer.
      await this._cognito("GlobalSignOut", { AccessToken: access }).catch(() => {});
    }
    this.onChange?.(false);
  }

  _forget(tell) {
    clearTimeout(this.timer);
    this.tokens = null;
    sessionStorage.removeItem(STORE);
    if (tell) this.onChange?.(false);
  }
}
