// The REST API with the signed-in user's access token. A 401 refreshes the token once and retries.
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function apiClient(config, auth) {
  const base = (config.apiUrl || "").replace(/\/$/, "");
  async function once(path, init, token) {
    const response = await fetch(base + path, {
      ...init,
      headers: { ...(init.headers || {}), Authorization: `Bearer ${token}`, Accept: "application/json" },
      credentials: "omit",
    });
    return response;
  }
  return async function api(path, init = {}) {
    let response = await once(path, init, await auth.accessToken());
    if (response.status === 401) {
      await auth.refresh();
      response = await once(path, init, await auth.accessToken());
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw new ApiError(response.status, body.error?.code || "error", body.error?.message || `HTTP ${response.status}`);
    }
    return body;
  };
}
