// Login, first-run setup and forced password change (API.md §1.17, §4).
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, post, put } from "../api";
import { authMode, fetchStatus, guardTarget, safeNext, setSessionReady } from "../auth";
import { FormError } from "../components/ui";
import { useAction } from "../hooks";
import { navigate, useLocation, useTitle } from "../router";

const MIN_PASSWORD = 12;
const DEFAULT_BOOTSTRAP = "sparklytics";

function AuthShell({ title, children, testid }: { title: string; children: ComponentChildren; testid: string }) {
  useTitle(title);
  return (
    <main class="auth-page" data-testid={testid}>
      <div class="auth-card">
        <div class="brand big">
          <Logo /> Sparklytics
        </div>
        <h1>{title}</h1>
        {children}
      </div>
    </main>
  );
}

export function Logo() {
  return (
    <svg class="logo" viewBox="0 0 32 32" width="24" height="24" aria-hidden="true">
      <rect width="32" height="32" rx="7" fill="currentColor" />
      <path d="M7 22l6-7 5 4 7-9" fill="none" stroke="var(--panel)" stroke-width="3" stroke-linecap="round" stroke-linejoin="round" />
    </svg>
  );
}

/** Lets password managers file the password under a user name (there is one admin). */
function UsernameHint() {
  return <input type="text" name="username" autoComplete="username" value="admin" readOnly hidden />;
}

function PasswordInput(props: { label: string; value: string; onInput: (v: string) => void; autocomplete: string; name: string; autofocus?: boolean; minLength?: number }) {
  return (
    <label>
      {props.label}
      <input
        type="password"
        name={props.name}
        value={props.value}
        required
        minLength={props.minLength}
        autoComplete={props.autocomplete}
        autoFocus={props.autofocus}
        onInput={(e) => props.onInput((e.target as HTMLInputElement).value)}
      />
    </label>
  );
}

function rateLimitText(err: ApiError | undefined): ApiError | undefined {
  if (err && err.status === 429) return new ApiError(429, err.code, "Too many failed attempts. Wait 15 minutes and try again.");
  if (err && err.status === 401) return new ApiError(401, err.code, "Wrong password.");
  return err;
}

export function LoginPage() {
  const { query } = useLocation();
  const [password, setPassword] = useState("");
  const login = useAction(async () => {
    try {
      await post("/api/auth/login", { password }, { authRedirect: false });
    } catch (err) {
      if (err instanceof ApiError && err.code === "setup_required") {
        navigate("/setup", { replace: true });
        return;
      }
      throw err;
    }
    const status = await fetchStatus();
    const target = guardTarget(status);
    setSessionReady(!target);
    navigate(target ?? safeNext(query.get("next")), { replace: true });
  });
  useEffect(() => {
    if (authMode() === "none") navigate("/dashboard", { replace: true });
  }, []);
  const notice = query.get("changed") ? "Password changed. Log in with your new password." : null;
  return (
    <AuthShell title="Log in" testid="login-page">
      {notice && <p class="notice">{notice}</p>}
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          void login.run();
        }}
      >
        <UsernameHint />
        <PasswordInput label="Admin password" name="password" value={password} onInput={setPassword} autocomplete="current-password" autofocus />
        <FormError error={rateLimitText(login.error)} />
        <button type="submit" class="btn primary wide" disabled={login.busy || !password}>
          {login.busy ? "Logging in…" : "Log in"}
        </button>
      </form>
      {authMode() === "password" && <p class="muted small">The password is the server's SPARKLYTICS_PASSWORD.</p>}
    </AuthShell>
  );
}

export function SetupPage() {
  const [bootstrap, setBootstrap] = useState("");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [local, setLocal] = useState<Error | null>(null);
  useEffect(() => {
    if (authMode() !== "local") {
      navigate(authMode() === "none" ? "/dashboard" : "/login", { replace: true });
      return;
    }
    fetchStatus()
      .then((s) => {
        if (!s.setup_required) navigate(guardTarget(s) ?? "/dashboard", { replace: true });
      })
      .catch(() => undefined);
  }, []);
  const setup = useAction(async () => {
    try {
      await post("/api/auth/setup", { bootstrap_password: bootstrap, password }, { authRedirect: false });
    } catch (err) {
      if (err instanceof ApiError && err.status === 410) {
        navigate("/login", { replace: true });
        return;
      }
      if (err instanceof ApiError && err.status === 401) throw new ApiError(401, err.code, "Wrong bootstrap password.");
      throw err;
    }
    // First run in one go: sign in with the password just chosen. A default-bootstrap
    // install then goes on to the forced rotation the form announced (guardTarget).
    await post("/api/auth/login", { password }, { authRedirect: false });
    const status = await fetchStatus();
    const target = guardTarget(status);
    setSessionReady(!target);
    navigate(target ?? "/dashboard", { replace: true });
  });
  const defaultBootstrap = bootstrap === DEFAULT_BOOTSTRAP;
  const edited = (set: (v: string) => void) => (v: string) => {
    set(v);
    setLocal(null);
  };
  return (
    <AuthShell title="Set the admin password" testid="setup-page">
      <p class="muted">
        First run: prove you run this server with the bootstrap password (<code>SPARKLYTICS_BOOTSTRAP_PASSWORD</code>, or{" "}
        <code>{DEFAULT_BOOTSTRAP}</code> if you did not set one), then choose the admin password. You are signed in right after.
      </p>
      <p class={defaultBootstrap ? "notice" : "muted small"} data-testid="rotation-notice">
        With the default bootstrap password (<code>{DEFAULT_BOOTSTRAP}</code>, which anyone can read in the docs) you will be
        asked once more for a new admin password right after this form, so that no one who knows the default can have set yours.
      </p>
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          setLocal(null);
          if (password.trim().length < MIN_PASSWORD) return setLocal(new Error(`The password needs at least ${MIN_PASSWORD} characters.`));
          if (password !== confirm) return setLocal(new Error("The two passwords differ."));
          void setup.run();
        }}
      >
        <UsernameHint />
        <PasswordInput label="Bootstrap password" name="bootstrap" value={bootstrap} onInput={edited(setBootstrap)} autocomplete="off" autofocus />
        <PasswordInput label="New admin password" name="new-password" value={password} onInput={edited(setPassword)} autocomplete="new-password" minLength={MIN_PASSWORD} />
        <PasswordInput label="Repeat the new password" name="confirm-password" value={confirm} onInput={edited(setConfirm)} autocomplete="new-password" />
        <p class="hint">At least {MIN_PASSWORD} characters.</p>
        <FormError error={local ?? rateLimitText(setup.error)} />
        <button type="submit" class="btn primary wide" disabled={setup.busy}>
          Set password
        </button>
      </form>
    </AuthShell>
  );
}

/** Current + new password → PUT /api/auth/password; every session ends, so → `after`,
 * or, with `signInAgain` (the forced rotation of a first run), straight back in with the
 * new password. */
export function PasswordForm({ after, signInAgain = false }: { after: string; signInAgain?: boolean }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const [local, setLocal] = useState<Error | null>(null);
  const change = useAction(async () => {
    try {
      await put("/api/auth/password", { current_password: current, new_password: next }, { authRedirect: false });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) throw new ApiError(401, err.code, "The current password is wrong.");
      throw err;
    }
    // The server rotated its signing secret: every session, this one included, is over.
    setSessionReady(false);
    if (signInAgain) {
      await post("/api/auth/login", { password: next }, { authRedirect: false });
      const target = guardTarget(await fetchStatus());
      setSessionReady(!target);
      navigate(target ?? after, { replace: true });
      return;
    }
    navigate(after, { replace: true });
  });
  const edited = (set: (v: string) => void) => (v: string) => {
    set(v);
    setLocal(null);
  };
  return (
    <form
      class="form"
      data-testid="password-form"
      onSubmit={(e) => {
        e.preventDefault();
        setLocal(null);
        if (next.trim().length < MIN_PASSWORD) return setLocal(new Error(`The new password needs at least ${MIN_PASSWORD} characters.`));
        if (next !== confirm) return setLocal(new Error("The two new passwords differ."));
        if (next === current) return setLocal(new Error("Choose a password different from the current one."));
        void change.run();
      }}
    >
      <UsernameHint />
      <PasswordInput label="Current password" name="current-password" value={current} onInput={edited(setCurrent)} autocomplete="current-password" />
      <PasswordInput label="New password" name="new-password" value={next} onInput={edited(setNext)} autocomplete="new-password" minLength={MIN_PASSWORD} />
      <PasswordInput label="Repeat the new password" name="confirm-password" value={confirm} onInput={edited(setConfirm)} autocomplete="new-password" />
      <FormError error={local ?? change.error} />
      <button type="submit" class="btn primary" disabled={change.busy}>
        Change password
      </button>
    </form>
  );
}

export function ForcePasswordPage() {
  useEffect(() => {
    if (authMode() === "none") {
      navigate("/dashboard", { replace: true });
      return;
    }
    fetchStatus()
      .then((s) => {
        const target = guardTarget(s);
        if (target && target !== "/force-password") navigate(target, { replace: true });
        else if (!target) navigate("/dashboard", { replace: true });
      })
      .catch(() => undefined);
  }, []);
  return (
    <AuthShell title="Choose a new password" testid="force-password-page">
      <p class="muted">The server was set up with the default bootstrap password, which anyone can look up. Choose a new admin password before continuing; you stay signed in with it.</p>
      <PasswordForm after="/dashboard" signInAgain />
    </AuthShell>
  );
}
