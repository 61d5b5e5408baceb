// Routes and the auth guard (API.md §8). Public: /login, /setup, /force-password,
// /share/<id>. Everything else needs a ready session in password/local mode; in `none`
// mode the guard never asks the server.
import { useEffect, useErrorBoundary, useState } from "preact/hooks";
import { ApiError, loginUrl } from "./api";
import { fetchStatus, guardTarget, isSessionReady, resolveMode, setSessionReady } from "./auth";
import { Card, ErrorBox } from "./components/ui";
import { ForcePasswordPage, LoginPage, SetupPage } from "./pages/Auth";
import { ApiDocsPage } from "./pages/ApiDocs";
import { DashboardIndex, DashboardPage, TopBar } from "./pages/Dashboard";
import { OnboardingPage } from "./pages/Onboarding";
import { SharePage } from "./pages/Share";
import { GlobalSettingsPage } from "./pages/Settings";
import { Link, navigate, useLocation } from "./router";

/** The whole app, behind a last-resort error boundary: never a blank page. */
export function App() {
  const [error, reset] = useErrorBoundary((err) => console.error(err));
  if (error) {
    return (
      <main class="page narrow" data-testid="crash">
        <Card title="Something went wrong">
          <p>The dashboard hit an unexpected error: {String((error as Error)?.message ?? error)}</p>
          <div class="form-actions">
            <button type="button" class="btn primary" onClick={() => location.reload()}>
              Reload
            </button>
            <button type="button" class="btn" onClick={reset}>
              Try again
            </button>
          </div>
        </Card>
      </main>
    );
  }
  return <Page />;
}

function Page() {
  const { path } = useLocation();
  if (path === "/login") return <LoginPage />;
  if (path === "/setup") return <SetupPage />;
  if (path === "/force-password") return <ForcePasswordPage />;
  const share = /^\/share\/([^/]+)\/?$/.exec(path);
  if (share) return <SharePage shareId={decodeURIComponent(share[1])} />;
  return <Guarded path={path} />;
}

function Guarded({ path }: { path: string }) {
  const [ready, setReady] = useState(isSessionReady());
  const [error, setError] = useState<ApiError | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (ready) return;
    let alive = true;
    (async () => {
      const mode = await resolveMode();
      if (mode !== "none") {
        const status = await fetchStatus();
        const target = guardTarget(status);
        if (target) {
          navigate(target === "/login" ? loginUrl() : target, { replace: true });
          return;
        }
      }
      setSessionReady(true);
      if (alive) setReady(true);
    })().catch((err) => {
      if (alive) setError(err instanceof ApiError ? err : new ApiError(0, "error", String(err)));
    });
    return () => {
      alive = false;
    };
  }, [attempt]);
  if (error) {
    return (
      <main class="page narrow">
        <ErrorBox error={error} retry={() => (setError(null), setAttempt((n) => n + 1))} />
      </main>
    );
  }
  if (!ready) return <div class="splash" aria-busy="true" />;
  return <Routes path={path} />;
}

function Routes({ path }: { path: string }) {
  if (path === "/" || path === "") {
    queueMicrotask(() => navigate("/dashboard" + location.search, { replace: true }));
    return null;
  }
  if (path === "/dashboard" || path === "/dashboard/") return <DashboardIndex />;
  const m = /^\/dashboard\/([^/]+)(?:\/([a-z-]+))?(?:\/([a-z-]+))?\/?$/.exec(path);
  if (m) return <DashboardPage siteId={decodeURIComponent(m[1])} section={m[2] ?? ""} sub={m[3] ?? ""} />;
  if (path === "/onboarding") {
    return (
      <>
        <TopBar />
        <OnboardingPage />
      </>
    );
  }
  if (path === "/docs") {
    return (
      <>
        <TopBar />
        <ApiDocsPage />
      </>
    );
  }
  if (path === "/settings") {
    return (
      <>
        <TopBar />
        <GlobalSettingsPage />
      </>
    );
  }
  return (
    <>
      <TopBar />
      <main class="page narrow">
        <Card title="Page not found">
          <p>There is nothing at {path}.</p>
          <Link href="/dashboard" class="btn">
            Go to the dashboard
          </Link>
        </Card>
      </main>
    </>
  );
}
