// The signed-in shell: header (website picker, sections, live visitors, logout), the
// toolbar for report pages, and the section for `/dashboard/<id>/<section>`.
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import type { Realtime } from "../api";
import { authMode, logout } from "../auth";
import { Footer } from "../components/Footer";
import { Toolbar } from "../components/Toolbar";
import { Card, ErrorBox, SkeletonRows } from "../components/ui";
import { fmtInt } from "../format";
import { POLL_REALTIME_HEADER, useApi } from "../hooks";
import { Link, navigate, useLocation, useTitle } from "../router";
import { readView, viewQuery } from "../view";
import { invalidateWebsites, refreshing, useWebsites } from "../websites";
import { Logo } from "./Auth";
import { BotsPage } from "./Bots";
import { CampaignsPage } from "./Campaigns";
import { EventsPage } from "./Events";
import { FunnelsPage } from "./Funnels";
import { GoalsPage } from "./Goals";
import { JourneyPage } from "./Journey";
import { Overview } from "./Overview";
import { RealtimePage } from "./Realtime";
import { ReportsPage } from "./Reports";
import { RetentionPage } from "./Retention";
import { SessionsPage } from "./Sessions";
import { SettingsPage } from "./Settings";

const refreshedFor = new Set<string>();
/** Sections that show the date range and filter toolbar (compare and export: overview only). */
const REPORT_SECTIONS = ["", "sessions", "events", "goals", "campaigns", "funnels", "journey", "retention", "bots"];

const SECTIONS = [
  { id: "", label: "Overview" },
  { id: "realtime", label: "Realtime" },
  { id: "sessions", label: "Sessions" },
  { id: "events", label: "Events" },
  { id: "goals", label: "Goals" },
  { id: "campaigns", label: "Campaigns" },
  { id: "funnels", label: "Funnels" },
  { id: "journey", label: "Journey" },
  { id: "retention", label: "Retention" },
  { id: "bots", label: "Bots" },
  { id: "reports", label: "Reports" },
  { id: "settings", label: "Settings" },
];

export function TopBar({ children }: { children?: ComponentChildren }) {
  return (
    <header class="topbar">
      <Link href="/dashboard" class="brand">
        <Logo /> <span class="brand-name">Sparklytics</span>
      </Link>
      <div class="topbar-main">{children}</div>
      {/* A full page load: /docs is served with a CSP of its own (see ApiDocs.tsx). */}
      <a href="/docs" class="btn small ghost" data-testid="api-docs-link">
        API
      </a>
      <Link href="/settings" class="btn small ghost" data-testid="global-settings-link">
        Settings
      </Link>
      {authMode() !== "none" && (
        <button
          type="button"
          class="btn small ghost"
          data-testid="logout"
          onClick={async () => {
            await logout();
            navigate("/login", { replace: true });
          }}
        >
          Log out
        </button>
      )}
    </header>
  );
}

/** The section tabs; when they overflow (phones) `data-more` says on which side more
 * tabs hide, and the CSS fades that edge. The active tab is scrolled into view. */
function SectionNav({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    const nav = ref.current;
    if (!nav) return;
    const update = () => {
      const left = nav.scrollLeft > 1;
      const right = nav.scrollLeft + nav.clientWidth < nav.scrollWidth - 1;
      const more = left && right ? "both" : left ? "left" : right ? "right" : "";
      if (more) nav.dataset.more = more;
      else delete nav.dataset.more;
    };
    nav.querySelector<HTMLElement>("[aria-current=page]")?.scrollIntoView({ block: "nearest", inline: "nearest" });
    update();
    nav.addEventListener("scroll", update, { passive: true });
    const ro = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(update);
    ro?.observe(nav);
    return () => {
      nav.removeEventListener("scroll", update);
      ro?.disconnect();
    };
  }, []);
  return (
    <nav class="sections" aria-label="Sections" ref={ref} data-testid="sections">
      {children}
    </nav>
  );
}

function LiveBadge({ siteId, search }: { siteId: string; search: string }) {
  const res = useApi<{ data: Realtime }>(`/api/websites/${siteId}/realtime`, POLL_REALTIME_HEADER);
  const n = res.data?.data.active_visitors;
  return (
    <Link href={`/dashboard/${siteId}/realtime${search}`} class="live-badge" data-testid="live-badge" title="Visitors in the last 30 minutes">
      <span class={n ? "dot live" : "dot"} /> {n === undefined ? "–" : fmtInt(n)} <span class="hide-sm">online</span>
    </Link>
  );
}

export function DashboardPage({ siteId, section, sub }: { siteId: string; section: string; sub: string }) {
  const { query } = useLocation();
  const { websites, error, retry } = useWebsites();
  const current = websites?.find((w) => w.id === siteId);
  useTitle(SECTIONS.find((x) => x.id === section)?.label, current?.name);
  if (!websites) {
    return (
      <>
        <TopBar />
        <main class="page">{error ? <ErrorBox error={error} retry={retry} /> : <SkeletonRows rows={6} />}</main>
      </>
    );
  }
  const site = websites.find((w) => w.id === siteId);
  if (!site && !refreshedFor.has(siteId)) {
    // Created elsewhere (API, another tab) since the list was loaded: look again once.
    refreshedFor.add(siteId);
    void invalidateWebsites().catch(() => undefined);
  }
  if (!site && refreshing()) {
    return (
      <>
        <TopBar />
        <main class="page">
          <SkeletonRows rows={6} />
        </main>
      </>
    );
  }
  if (!site) {
    return (
      <>
        <TopBar />
        <main class="page narrow">
          <Card title="Website not found">
            <p>There is no website with the id {siteId}. It may have been deleted.</p>
            <Link href="/settings" class="btn">
              All websites
            </Link>
          </Card>
        </main>
      </>
    );
  }
  const view = readView(query, site.timezone);
  const keep = viewQuery(query);
  const ctx = { site, view, query };
  const reportPage = REPORT_SECTIONS.includes(section);
  return (
    <>
      <TopBar>
        <select
          class="site-picker"
          aria-label="Website"
          data-testid="site-picker"
          value={site.id}
          onChange={(e) => {
            const id = (e.target as HTMLSelectElement).value;
            if (id === "__new") navigate("/onboarding");
            else navigate(`/dashboard/${id}${section ? `/${section}` : ""}${section === "settings" ? "" : keep}`);
          }}
        >
          {websites.map((w) => (
            <option key={w.id} value={w.id}>
              {w.name}
            </option>
          ))}
          <option value="__new">+ Add website…</option>
        </select>
        <LiveBadge siteId={site.id} search={keep} />
      </TopBar>
      <SectionNav>
        {SECTIONS.map((s) => (
          <Link
            key={s.id}
            href={`/dashboard/${site.id}${s.id ? `/${s.id}` : ""}${s.id === "settings" ? "" : keep}`}
            class={s.id === section ? "active" : ""}
            aria-current={s.id === section ? "page" : undefined}
          >
            {s.label}
          </Link>
        ))}
      </SectionNav>
      <main class="content">
        {reportPage && <Toolbar view={view} query={query} websiteId={site.id} timezone={site.timezone} compare={section === ""} exportCsv={section === ""} />}
        {section === "" ? (
          <Overview ctx={ctx} />
        ) : section === "realtime" ? (
          <RealtimePage ctx={ctx} />
        ) : section === "sessions" ? (
          <SessionsPage ctx={ctx} />
        ) : section === "events" ? (
          <EventsPage ctx={ctx} />
        ) : section === "bots" ? (
          <BotsPage ctx={ctx} />
        ) : section === "goals" ? (
          <GoalsPage ctx={ctx} />
        ) : section === "campaigns" ? (
          <CampaignsPage ctx={ctx} />
        ) : section === "funnels" ? (
          <FunnelsPage ctx={ctx} />
        ) : section === "journey" ? (
          <JourneyPage ctx={ctx} />
        ) : section === "retention" ? (
          <RetentionPage ctx={ctx} />
        ) : section === "reports" ? (
          <ReportsPage ctx={ctx} />
        ) : (
          <SettingsPage site={site} tab={sub} />
        )}
      </main>
      <Footer />
    </>
  );
}

/** `/dashboard`: the first website, or onboarding on a fresh install. */
export function DashboardIndex() {
  const { websites, error, retry } = useWebsites();
  if (error) {
    return (
      <>
        <TopBar />
        <main class="page narrow">
          <ErrorBox error={error} retry={retry} />
        </main>
      </>
    );
  }
  if (websites) {
    queueMicrotask(() => navigate(websites.length ? `/dashboard/${websites[0].id}` : "/onboarding", { replace: true }));
  }
  return (
    <>
      <TopBar />
      <main class="page">
        <SkeletonRows rows={6} />
      </main>
    </>
  );
}
