// Website settings (general, snippet, sharing, deletion) under /dashboard/<id>/settings,
// and the global /settings page: websites, API keys (password/local modes) and the admin
// password (local mode) — they belong to the server, not to one website.
import { useState } from "preact/hooks";
import { ApiError, del, post, put, type ApiKey, type Website } from "../api";
import { authMode } from "../auth";
import { SnippetPanel } from "../components/Snippet";
import { Card, CodeBlock, CopyButton, Empty, ErrorBox, Field, FormError, SkeletonRows } from "../components/ui";
import { fmtDateTime } from "../format";
import { useAction, useApi } from "../hooks";
import { Link, navigate } from "../router";
import { invalidateWebsites } from "../websites";
import { PasswordForm } from "./Auth";
import { TimezoneInput } from "./Onboarding";

const SETTINGS_TABS = [
  { id: "general", label: "General" },
  { id: "snippet", label: "Snippet" },
  { id: "sharing", label: "Sharing" },
  { id: "danger", label: "Delete" },
] as const;
/** Tabs that used to be per website and now live on the global page. */
const MOVED_TO_GLOBAL: Record<string, string> = { keys: "/settings#api-keys", security: "/settings#admin-password" };

export function SettingsPage({ site, tab }: { site: Website; tab: string }) {
  const tabs = SETTINGS_TABS;
  const current = tabs.some((t) => t.id === tab) ? tab : "general";
  if (tab in MOVED_TO_GLOBAL) queueMicrotask(() => navigate(MOVED_TO_GLOBAL[tab], { replace: true }));
  const detail = useApi<{ data: Website }>(`/api/websites/${site.id}`);
  return (
    <div class="page settings" data-testid="settings">
      <nav class="subnav" aria-label="Settings sections">
        {tabs.map((t) => (
          <Link key={t.id} href={`/dashboard/${site.id}/settings/${t.id}`} class={t.id === current ? "active" : ""} aria-current={t.id === current ? "page" : undefined}>
            {t.label}
          </Link>
        ))}
      </nav>
      <div class="settings-body">
        {!detail.data && detail.error ? (
          <ErrorBox error={detail.error} retry={detail.reload} />
        ) : !detail.data ? (
          <SkeletonRows rows={4} />
        ) : current === "general" ? (
          <GeneralSettings site={detail.data.data} onSaved={detail.reload} />
        ) : current === "snippet" ? (
          <Card title="Tracking snippet">
            <SnippetPanel site={detail.data.data} />
          </Card>
        ) : current === "sharing" ? (
          <Sharing site={detail.data.data} onChanged={detail.reload} />
        ) : (
          <DangerZone site={detail.data.data} />
        )}
      </div>
    </div>
  );
}

function GeneralSettings({ site, onSaved }: { site: Website; onSaved: () => void }) {
  const [name, setName] = useState(site.name);
  const [domain, setDomain] = useState(site.domain);
  const [timezone, setTimezone] = useState(site.timezone);
  const [extraDomains, setExtraDomains] = useState((site.extra_domains ?? []).join("\n"));
  const [umamiId, setUmamiId] = useState(site.umami_website_id ?? "");
  const [saved, setSaved] = useState(false);
  const save = useAction(async () => {
    await put(`/api/websites/${site.id}`, {
      name,
      domain,
      timezone,
      extra_domains: extraDomains.split(/[\s,]+/).filter(Boolean),
      umami_website_id: umamiId.trim() || null,
    });
    await invalidateWebsites();
    onSaved();
    setSaved(true);
  });
  return (
    <Card title="General">
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          setSaved(false);
          void save.run();
        }}
      >
        <Field id="general-name" label="Name">
          <input id="general-name" value={name} required maxLength={200} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </Field>
        <Field id="general-domain" label="Domain">
          <input id="general-domain" value={domain} required onInput={(e) => setDomain((e.target as HTMLInputElement).value)} />
        </Field>
        <Field id="general-tz" label="Time zone" hint="Days and hours of every report are counted in this time zone.">
          <TimezoneInput id="general-tz" value={timezone} onChange={setTimezone} />
        </Field>
        <Field
          id="general-extra-domains"
          label="Extra domains"
          hint="One per line. Plausible snippets (data-domain) naming one of these count for this website."
        >
          <textarea id="general-extra-domains" rows={3} value={extraDomains} onInput={(e) => setExtraDomains((e.target as HTMLTextAreaElement).value)} />
        </Field>
        <Field id="general-umami-id" label="Umami website id" hint="Your Umami website UUID: Umami snippets (data-website-id) using it count for this website.">
          <input id="general-umami-id" value={umamiId} placeholder="e.g. 4fb7fa4c-5b46-438d-94b3-3a8fb9bc2e8b" onInput={(e) => setUmamiId((e.target as HTMLInputElement).value)} />
        </Field>
        <FormError error={save.error} />
        <div class="form-actions">
          <button type="submit" class="btn primary" disabled={save.busy}>
            Save
          </button>
          {saved && <span class="ok-text">Saved ✓</span>}
        </div>
      </form>
    </Card>
  );
}

interface KeysBody {
  data: ApiKey[];
  pagination: { total: number; limit: number; offset: number; has_more: boolean };
}

function ApiKeys() {
  const list = useApi<KeysBody>("/api/auth/keys?limit=100");
  const [name, setName] = useState("");
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const create = useAction(async () => {
    const body = await post<{ data: { id: string; name: string; key: string } }>("/api/auth/keys", { name });
    setCreated({ name: body.data.name, key: body.data.key });
    setName("");
    list.reload();
  });
  const revoke = useAction(async (id: string) => {
    await del(`/api/auth/keys/${id}`);
    list.reload();
  });
  return (
    <Card title="API keys" testid="api-keys">
      <p class="muted">
        Keys read and manage analytics with <code>Authorization: Bearer &lt;key&gt;</code>. They cannot manage passwords or other keys.
      </p>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void create.run();
        }}
      >
        <input aria-label="Key name" placeholder="Key name, e.g. CI export" value={name} required maxLength={100} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        <button type="submit" class="btn primary" disabled={create.busy || !name.trim()}>
          Create key
        </button>
      </form>
      <FormError error={create.error} />
      {created && (
        <div class="notice" data-testid="new-key">
          <p>
            Key <strong>{created.name}</strong> created. Copy it now: it is shown only once.
          </p>
          <CodeBlock code={created.key} testid="new-key-value" />
        </div>
      )}
      <FormError error={revoke.error} />
      {!list.data && list.error ? (
        <ErrorBox error={list.error} retry={list.reload} />
      ) : !list.data ? (
        <SkeletonRows rows={3} />
      ) : list.data.data.length === 0 ? (
        <Empty>No API keys yet.</Empty>
      ) : (
        <div class="table-scroll">
          <table class="data-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col" class="hide-sm">
                  Created
                </th>
                <th scope="col" class="hide-sm">
                  Last used
                </th>
                <th scope="col" />
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((k) => (
                <tr key={k.id} data-testid="key-row" data-key-id={k.id} class={k.revoked_at ? "revoked" : ""}>
                  <td>{k.name}</td>
                  <td class="mono small">{k.key_prefix}…</td>
                  <td class="hide-sm">{fmtDateTime(k.created_at)}</td>
                  <td class="hide-sm">{k.last_used_at ? fmtDateTime(k.last_used_at) : "never"}</td>
                  <td class="num">
                    {k.revoked_at ? (
                      <span class="muted small" data-testid="key-revoked">
                        revoked
                      </span>
                    ) : (
                      <button
                        type="button"
                        class="btn small danger"
                        disabled={revoke.busy}
                        onClick={() => {
                          if (confirm(`Revoke the key "${k.name}"? Programs using it stop working at once.`)) void revoke.run(k.id);
                        }}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}

function Sharing({ site, onChanged }: { site: Website; onChanged: () => void }) {
  const [url, setUrl] = useState<string | null>(site.share_id ? `${location.origin}/share/${site.share_id}` : null);
  const enable = useAction(async () => {
    const body = await post<{ data: { share_id: string; share_url: string } }>(`/api/websites/${site.id}/share`);
    // The server's share_url uses SPARKLYTICS_PUBLIC_URL; fall back to this origin's path.
    setUrl(body.data.share_url || `${location.origin}/share/${body.data.share_id}`);
    onChanged();
  });
  const disable = useAction(async () => {
    try {
      await del(`/api/websites/${site.id}/share`);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
    setUrl(null);
    onChanged();
  });
  return (
    <Card title="Public share link" testid="sharing">
      {url ? (
        <>
          <p>
            Anyone with this link can see a read-only overview of <strong>{site.name}</strong> (up to 90 days at a time). No filters, no
            sessions, no visitor details.
          </p>
          <div class="share-url">
            <a href={url} target="_blank" rel="noopener" data-testid="share-url">
              {url}
            </a>
            <CopyButton text={url} />
          </div>
          <FormError error={disable.error} />
          <button type="button" class="btn danger" disabled={disable.busy} onClick={() => void disable.run()}>
            Disable sharing
          </button>
        </>
      ) : (
        <>
          <p>Sharing is off. Turn it on to get a public, read-only link to this website's overview.</p>
          <FormError error={enable.error} />
          <button type="button" class="btn primary" disabled={enable.busy} onClick={() => void enable.run()}>
            Enable sharing
          </button>
        </>
      )}
    </Card>
  );
}

function DangerZone({ site }: { site: Website }) {
  const [confirmText, setConfirm] = useState("");
  const remove = useAction(async () => {
    await del(`/api/websites/${site.id}`);
    const left = await invalidateWebsites();
    navigate(left.length ? "/settings" : "/onboarding", { replace: true });
  });
  return (
    <Card title="Delete website" class="danger-card" testid="danger">
      <p>
        Deleting <strong>{site.name}</strong> removes all its events, sessions and settings at once. This cannot be undone.
      </p>
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          if (confirmText === site.name) void remove.run();
        }}
      >
        <label>
          Type the website name (<strong>{site.name}</strong>) to confirm
          <input value={confirmText} aria-label="Website name to confirm" onInput={(e) => setConfirm((e.target as HTMLInputElement).value)} />
        </label>
        <FormError error={remove.error} />
        <button type="submit" class="btn danger" disabled={confirmText !== site.name || remove.busy}>
          Delete website
        </button>
      </form>
    </Card>
  );
}

/** /settings: the server's own settings — every website (and the way to add one), the
 * API keys and the admin password, each shown only in the modes that have it. */
export function GlobalSettingsPage() {
  const mode = authMode();
  return (
    <div class="page narrow global-settings" data-testid="global-settings">
      <h1>Settings</h1>
      <WebsitesCard />
      {(mode === "password" || mode === "local") && (
        <section id="api-keys">
          <ApiKeys />
        </section>
      )}
      {mode === "local" && (
        <section id="admin-password">
          <Card title="Change admin password" testid="admin-password">
            <p class="muted">Changing the password signs out every session, including this one.</p>
            <PasswordForm after="/login?changed=1" />
          </Card>
        </section>
      )}
    </div>
  );
}

function WebsitesCard() {
  const list = useApi<{ data: Website[] }>("/api/websites?limit=100");
  return (
    <div data-testid="websites">
      <Card
        title="Websites"
        actions={
          <Link class="btn primary small" href="/onboarding">
            Add website
          </Link>
        }
      >
        {!list.data && list.error ? (
          <ErrorBox error={list.error} retry={list.reload} />
        ) : !list.data ? (
          <SkeletonRows rows={3} />
        ) : list.data.data.length === 0 ? (
          <Empty>
            No websites yet. <Link href="/onboarding">Add your first website</Link>.
          </Empty>
        ) : (
          <ul class="site-list">
            {list.data.data.map((s) => (
              <li key={s.id}>
                <Link href={`/dashboard/${s.id}`} class="site-link">
                  <strong>{s.name}</strong> <span class="muted">{s.domain}</span>
                </Link>
                <Link href={`/dashboard/${s.id}/settings/general`} class="btn small ghost">
                  Settings
                </Link>
              </li>
            ))}
          </ul>
        )}
      </Card>
    </div>
  );
}
