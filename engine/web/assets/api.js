// api — the pages' only way to the daemon: /v1 with the session cookie, the session's anti-CSRF
// token on every write, If-Match where a case changes. Errors come back as ApiError with the
// API's stable code, its message in the page's language and the field it names.
import { lang } from "./i18n.js";

let csrf = null;
let onSessionEnded = () => {};
let onActivity = () => {};

export function setSession(session) {
  csrf = session ? session.csrf_token : null;
}

export function onEnded(fn) { onSessionEnded = fn; }
export function onUse(fn) { onActivity = fn; }

export class ApiError extends Error {
  constructor(status, error) {
    const e = error || {};
    super((lang === "en" ? e.message : e.message_ja || e.message) || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || "unknown";
    this.field = e.field || null;
  }
}

// opts: body (JSON, or a Blob/string with contentType), ifMatch (a version), idempotencyKey,
// background (does not count as use for the idle timeout), allow (statuses that are not errors).
export async function api(method, path, opts = {}) {
  const headers = { Accept: "application/json" };
  let body;
  if (opts.body !== undefined) {
    if (opts.contentType) {
      headers["Content-Type"] = opts.contentType;
      body = opts.body;
    } else {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.body);
    }
  }
  if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
  if (opts.ifMatch !== undefined && opts.ifMatch !== null) headers["If-Match"] = `"${opts.ifMatch}"`;
  if (opts.idempotencyKey) headers["Idempotency-Key"] = opts.idempotencyKey;
  if (opts.background) headers["Tsunagu-Background"] = "1";
  const res = await fetch(path, { method, headers, body, credentials: "same-origin", cache: "no-store", redirect: "error" });
  const type = res.headers.get("Content-Type") || "";
  const json = type.startsWith("application/json") ? await res.json() : null;
  if (!opts.background && res.status < 500) onActivity();
  if (res.ok || (opts.allow && opts.allow.includes(res.status))) {
    return { status: res.status, json, etag: res.headers.get("ETag") };
  }
  const err = new ApiError(res.status, json && json.error);
  if (res.status === 401 && ["session_ended", "unauthorized", "second_factor_required"].includes(err.code) &&
      !opts.signingIn) {
    onSessionEnded(err);
  }
  throw err;
}

export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const a = new Uint8Array(16);
  crypto.getRandomValues(a);
  return Array.from(a, (b) => b.toString(16).padStart(2, "0")).join("");
}

// Every item of a list the API gives in pages (a request of at most `page` each), up to max items.
export async function apiItems(path, max = 2000, page = 200) {
  const items = [];
  let cursor = null;
  do {
    const q = new URLSearchParams({ limit: String(page) });
    if (cursor) q.set("cursor", cursor);
    const r = (await api("GET", `${path}${path.includes("?") ? "&" : "?"}${q}`)).json;
    items.push(...r.items);
    cursor = r.next_cursor;
  } while (cursor && items.length < max);
  return items;
}
