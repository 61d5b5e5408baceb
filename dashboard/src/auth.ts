// Auth mode and status. The server injects the mode into index.html
// (`window.__SPARKLYTICS_AUTH_MODE__`), so `none` mode never asks /api/auth/status and
// never shows the login pages (API.md §8, Decision 13).
import { ApiError, get, post, type AuthStatus } from "./api";

export type AuthMode = "none" | "password" | "local";

declare global {
  interface Window {
    __SPARKLYTICS_AUTH_MODE__?: string;
  }
}

function injected(): AuthMode | null {
  const raw = window.__SPARKLYTICS_AUTH_MODE__;
  return raw === "none" || raw === "password" || raw === "local" ? raw : null;
}

let mode: AuthMode | null = injected();

export function authMode(): AuthMode {
  return mode ?? "local";
}

/** Resolves the mode when the page was not served by Sparklytics (e.g. `vite dev`). */
export async function resolveMode(): Promise<AuthMode> {
  if (mode) return mode;
  try {
    const status = await get<AuthStatus>("/api/auth/status", { authRedirect: false });
    mode = status.mode;
  } catch (err) {
    mode = err instanceof ApiError && err.status === 404 ? "none" : "local";
  }
  return mode;
}

export function fetchStatus(): Promise<AuthStatus> {
  return get<AuthStatus>("/api/auth/status", { authRedirect: false });
}

/** Where a visitor of a protected page has to go first, or null when they may stay. */
export function guardTarget(status: AuthStatus): string | null {
  if (status.setup_required) return "/setup";
  if (!status.authenticated) return "/login";
  if (status.password_change_required) return "/force-password";
  return null;
}

// The guard asks /api/auth/status once per page load; login sets it, logout clears it.
let sessionReady = false;

export function isSessionReady(): boolean {
  return sessionReady;
}

export function setSessionReady(ready: boolean): void {
  sessionReady = ready;
}

export async function logout(): Promise<void> {
  sessionReady = false;
  try {
    await post("/api/auth/logout", undefined, { authRedirect: false });
  } catch {
    /* the cookie is gone or was never there: either way we are logged out */
  }
}

/** Only relative in-app paths are followed after login (no open redirect). */
export function safeNext(next: string | null): string {
  if (next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/login")) return next;
  return "/dashboard";
}
