// The API, on the console's own origin. The token lives in sessionStorage only: never in a URL, a log or
// localStorage, and gone when the tab closes or the person signs out.
const TOKEN_KEY = "crisisline.console.token";

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function keepToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || "";
    this.details = error.details || {};
  }
}

// One request; answers { status, etag, body } or throws ApiError (network trouble: status 0). `body` is sent as
// JSON; `raw` (a File, Blob or bytes) is sent as it is, with the Content-Type given in `headers`.
export async function call(method, path, { body, raw, headers = {}, bearer = token() } = {}) {
  // The audit trail records the channel of every change: the console's own requests say so.
  const sent = { Accept: "application/json", "X-Crisisline-Channel": "console", ...headers };
  if (bearer) sent.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) sent["Content-Type"] = "application/json";
  let answer;
  try {
    answer = await fetch(path, {
      method,
      headers: sent,
      body: raw !== undefined ? raw : body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
      referrerPolicy: "no-referrer",
    });
  } catch {
    throw new ApiError(0, null);
  }
  const text = await answer.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!answer.ok) throw new ApiError(answer.status, parsed);
  return { status: answer.status, etag: answer.headers.get("ETag"), body: parsed };
}

// A file the API answers (an export, a report): its bytes, or ApiError as `call` raises it.
export async function fetchFile(path, accept) {
  let answer;
  try {
    answer = await fetch(path, {
      headers: { Accept: accept, Authorization: `Bearer ${token()}` },
      cache: "no-store",
      credentials: "omit",
      referrerPolicy: "no-referrer",
    });
  } catch {
    throw new ApiError(0, null);
  }
  if (!answer.ok) {
    let body = null;
    try {
      body = await answer.json();
    } catch {
      body = null;
    }
    throw new ApiError(answer.status, body);
  }
  return answer.blob();
}
