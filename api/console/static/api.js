// The public API, called from the page with the signed-in user's key. The key lives in
// sessionStorage (gone with the tab) and travels only in the Authorization header, never in
// a URL, a cookie or the page.

const USER = "console.user";
const KEY = "console.key";
const OPERATOR = "console.operator";

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.description ? `${body.title}: ${body.description}` : `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** fetch a JSON endpoint of this origin; `params` go in the query (empty ones left out). */
export async function call(path, { method = "GET", token, body, params } = {}) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== "" && value !== null && value !== undefined) url.searchParams.set(name, value);
  }
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url, {
    method, headers, cache: "no-store", credentials: "omit",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export function loadConfig() {
  return call("/console/config.json");
}

export const session = {
  user() {
    const raw = sessionStorage.getItem(USER);
    return raw ? Number(raw) : null;
  },
  key() {
    return sessionStorage.getItem(KEY);
  },
  signIn(userId, key) {
    sessionStorage.setItem(USER, String(userId));
    sessionStorage.setItem(KEY, key);
  },
  signOut() {
    sessionStorage.removeItem(USER);
    sessionStorage.removeItem(KEY);
  },
  operatorToken() {
    return sessionStorage.getItem(OPERATOR);
  },
  setOperatorToken(token) {
    if (token) sessionStorage.setItem(OPERATOR, token);
    else sessionStorage.removeItem(OPERATOR);
  },
};
