// Onboarding: 1 create the website → 2 install the snippet → 3 wait for the first
// pageview, then on to the overview. Step 2–3 live at `/onboarding?website=<id>`, so a
// reload (or coming back later) resumes where the user was.
import { useEffect, useMemo, useState } from "preact/hooks";
import { post, type Website } from "../api";
import { FirstPageview } from "../components/FirstPageview";
import { SnippetPanel } from "../components/Snippet";
import { Card, ErrorBox, Field, FormError, SkeletonRows } from "../components/ui";
import { useAction, useApi } from "../hooks";
import { Link, navigate, useLocation, useTitle } from "../router";
import { invalidateWebsites, useWebsites } from "../websites";

export function browserTimezone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** The host the server will keep for a pasted address ("https://example.com/" →
 * "example.com"), or null when there is none; the server's rule (sparklytics/domains.py)
 * decides, this only previews it. */
export function hostOf(text: string): string | null {
  const raw = text.trim();
  if (!raw) return null;
  try {
    const host = new URL(raw.includes("://") ? raw : `http://${raw}`).hostname.replace(/\.$/, "");
    return host.replace(/^\[|\]$/g, "") || null;
  } catch {
    return null;
  }
}

function allTimezones(): string[] {
  try {
    const list = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.("timeZone");
    if (list && list.length) return list.includes("UTC") ? list : ["UTC", ...list];
  } catch {
    /* older browser */
  }
  return ["UTC"];
}

export function TimezoneInput({ id, value, onChange }: { id: string; value: string; onChange: (v: string) => void }) {
  const zones = useMemo(allTimezones, []);
  return (
    <>
      <input id={id} aria-describedby={`${id}-hint`} list="tz-list" value={value} required onInput={(e) => onChange((e.target as HTMLInputElement).value)} autoComplete="off" spellcheck={false} />
      <datalist id="tz-list">
        {zones.map((z) => (
          <option value={z} key={z} />
        ))}
      </datalist>
    </>
  );
}

function Steps({ step }: { step: 1 | 2 | 3 | 4 }) {
  const items = ["Add your website", "Install the snippet", "Receive the first pageview"];
  return (
    <ol class="steps" aria-label="Onboarding progress">
      {items.map((label, i) => (
        <li key={label} class={i + 1 < step ? "done" : i + 1 === step ? "current" : ""} aria-current={i + 1 === step ? "step" : undefined}>
          <span class="step-num">{i + 1 < step ? "✓" : i + 1}</span> {label}
        </li>
      ))}
    </ol>
  );
}

export function OnboardingPage() {
  const { query } = useLocation();
  const id = query.get("website");
  useTitle(id ? "Install the snippet" : "Add a website");
  return <main class="page narrow onboarding">{id ? <InstallStep id={id} /> : <CreateStep />}</main>;
}

function CreateStep() {
  const { websites } = useWebsites();
  const [name, setName] = useState("");
  const [domain, setDomain] = useState("");
  const [timezone, setTimezone] = useState(browserTimezone());
  const create = useAction(async () => {
    const body = await post<{ data: Website }>("/api/websites", { name: name.trim() || hostOf(domain) || domain.trim(), domain: domain.trim(), timezone: timezone.trim() || "UTC" });
    await invalidateWebsites();
    navigate(`/onboarding?website=${body.data.id}`);
  });
  const first = websites !== null && websites.length === 0;
  const host = hostOf(domain);
  return (
    <>
      <h1>{first ? "Welcome to Sparklytics" : "Add a website"}</h1>
      <Steps step={1} />
      <Card testid="create-website">
        <form
          class="form"
          onSubmit={(e) => {
            e.preventDefault();
            void create.run();
          }}
        >
          <Field id="site-domain" label="Domain" hint="The host name, or paste the site's address: https://example.com/ is kept as example.com.">
            <input
              id="site-domain"
              aria-describedby="site-domain-hint"
              name="domain"
              placeholder="example.com"
              value={domain}
              required
              autoFocus
              autoComplete="off"
              spellcheck={false}
              onInput={(e) => setDomain((e.target as HTMLInputElement).value)}
            />
            {host && host !== domain.trim().toLowerCase() && (
              <p class="hint" data-testid="domain-preview">
                Saved as <strong>{host}</strong>
              </p>
            )}
          </Field>
          <Field id="site-name" label="Name">
            <input id="site-name" name="name" placeholder="My website" value={name} maxLength={200} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
          </Field>
          <Field id="site-tz" label="Time zone" hint="Reports count days and hours in this time zone.">
            <TimezoneInput id="site-tz" value={timezone} onChange={setTimezone} />
          </Field>
          <FormError error={create.error} />
          <div class="form-actions">
            <button type="submit" class="btn primary" disabled={create.busy || !domain.trim()}>
              Add website
            </button>
            {websites && websites.length > 0 && (
              <Link href="/settings" class="btn ghost">
                Cancel
              </Link>
            )}
          </div>
        </form>
      </Card>
    </>
  );
}

function InstallStep({ id }: { id: string }) {
  const res = useApi<{ data: Website }>(`/api/websites/${id}`);
  const [received, setReceived] = useState(false);
  useEffect(() => {
    if (!received) return;
    const t = window.setTimeout(() => navigate(`/dashboard/${id}`), 2500);
    return () => window.clearTimeout(t);
  }, [received]);
  if (!res.data && res.error) return <ErrorBox error={res.error} retry={res.reload} />;
  if (!res.data) return <SkeletonRows rows={5} />;
  const site = res.data.data;
  return (
    <>
      <h1>Install Sparklytics on {site.domain}</h1>
      <Steps step={received ? 4 : 2} />
      <Card title="Copy the snippet" testid="install-snippet">
        <SnippetPanel site={site} />
      </Card>
      <Card title="Check the installation" testid="verify">
        <FirstPageview site={site} onReceived={() => setReceived(true)} />
        <div class="form-actions">
          <Link href={`/dashboard/${id}`} class={received ? "btn primary" : "btn ghost"} data-testid="go-dashboard">
            {received ? "Open the dashboard" : "Skip for now"}
          </Link>
        </div>
      </Card>
    </>
  );
}
