// The tracking snippet in its two forms (sparklytics/tracker/README.md): direct, from the
// server's `tracking_snippet`, and first-party proxy (`/_sl/s.js` on the customer's own
// domain, with nginx and Caddy configs), with the tracker's opt-in features as checkboxes
// that add their `data-*` attributes to the snippet being copied.
import { useState } from "preact/hooks";
import type { Website } from "../api";
import { CodeBlock, Tabs } from "./ui";

export function directSnippet(site: Pick<Website, "id" | "tracking_snippet">): string {
  return site.tracking_snippet ?? `<script defer src="${location.origin}/s.js" data-website-id="${site.id}"></script>`;
}

/** Origin (plus any path prefix) that serves s.js, taken from the direct snippet. */
export function analyticsBase(snippet: string): string {
  const m = /src="([^"]+)\/s\.js"/.exec(snippet);
  return m ? m[1] : location.origin;
}

export function proxySnippet(id: string): string {
  return `<script defer src="/_sl/s.js" data-website-id="${id}"></script>`;
}

/** The tracker's optional features (sparklytics/tracker/README.md, "Attributes"). */
export interface TrackerOptions {
  outboundLinks: boolean;
  scrollDepth: boolean;
  forms: boolean;
  /** On by default in the tracker: hash changes (`/#/pricing`) are pageviews. */
  hashRouting: boolean;
}

export const DEFAULT_OPTIONS: TrackerOptions = { outboundLinks: false, scrollDepth: false, forms: false, hashRouting: true };

const OPTION_LABELS: { key: keyof TrackerOptions; label: string; hint: string }[] = [
  { key: "outboundLinks", label: "Outbound links", hint: "a link_click event for each link to another site" },
  { key: "scrollDepth", label: "Scroll depth", hint: "scroll_depth events at 25, 50, 75 and 100 %" },
  { key: "forms", label: "Form submits", hint: "a form_submit event per submit; field values are never read" },
  { key: "hashRouting", label: "Hash routing", hint: "/#/pricing counts as its own page; untick if the #fragment is not a page" },
];

/** `snippet` with the attributes that turn on `opts` (none for the defaults). */
export function withOptions(snippet: string, opts: TrackerOptions): string {
  const attrs = [
    opts.outboundLinks ? ' data-track-links="outbound"' : "",
    opts.scrollDepth ? ' data-track-scroll-depth="true"' : "",
    opts.forms ? ' data-track-forms="true"' : "",
    opts.hashRouting ? "" : ' data-exclude-hash="true"',
  ].join("");
  return snippet.replace(/><\/script>$/, `${attrs}></script>`);
}

function OptionBoxes({ opts, onChange }: { opts: TrackerOptions; onChange: (o: TrackerOptions) => void }) {
  return (
    <fieldset class="snippet-options" data-testid="snippet-options">
      <legend>Also track</legend>
      {OPTION_LABELS.map(({ key, label, hint }) => (
        <label key={key} class="check">
          <input type="checkbox" checked={opts[key]} onChange={(e) => onChange({ ...opts, [key]: (e.target as HTMLInputElement).checked })} />
          <span>
            {label} <span class="muted small">({hint})</span>
          </span>
        </label>
      ))}
    </fieldset>
  );
}

function nginxConfig(base: string): string {
  const host = base.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  return `location = /_sl/s.js {
    proxy_pass ${base}/s.js;
    proxy_set_header Host ${host};
    proxy_ssl_server_name on;
}
location = /_sl/e {
    proxy_pass ${base}/e;
    proxy_set_header Host ${host};
    proxy_ssl_server_name on;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header Cookie "";
}`;
}

function caddyConfig(base: string): string {
  return `handle /_sl/s.js {
    rewrite * /s.js
    reverse_proxy ${base} {
        header_up Host {upstream_hostport}
    }
}
handle /_sl/e {
    rewrite * /e
    reverse_proxy ${base} {
        header_up Host {upstream_hostport}
        header_up -Cookie
    }
}`;
}

/** The snippets Plausible and Umami users keep, pointed at this server (README, "Switching"). */
export function switchingSnippets(site: Pick<Website, "id" | "domain" | "umami_website_id">, base: string): [string, string] {
  return [
    `<script defer data-domain="${site.domain}" src="${base}/js/script.js"></script>`,
    `<script defer src="${base}/script.js" data-website-id="${site.umami_website_id || site.id}"></script>`,
  ];
}

export function SnippetPanel({ site }: { site: Pick<Website, "id" | "tracking_snippet" | "domain" | "umami_website_id"> }) {
  const [form, setForm] = useState<"direct" | "proxy" | "switching">("direct");
  const [opts, setOpts] = useState<TrackerOptions>(DEFAULT_OPTIONS);
  const direct = directSnippet(site);
  const base = analyticsBase(direct);
  return (
    <div class="snippet" data-testid="snippet">
      <Tabs
        label="Snippet form"
        value={form}
        onChange={setForm}
        tabs={[
          { id: "direct", label: "Direct" },
          { id: "proxy", label: "First-party proxy" },
          { id: "switching", label: "From Plausible / Umami" },
        ]}
      />
      {form !== "switching" && <OptionBoxes opts={opts} onChange={setOpts} />}
      {form === "switching" ? (
        <>
          <p>
            Coming from Plausible? Keep your snippet and change its host (any <code>script.&lt;extension&gt;.js</code> variant
            works; other domains your snippets name go in Settings → Extra domains):
          </p>
          <CodeBlock code={switchingSnippets(site, base)[0]} testid="snippet-plausible-code" />
          <p>
            Coming from Umami? The same with its snippet (put your Umami website id in Settings → General to keep it):
          </p>
          <CodeBlock code={switchingSnippets(site, base)[1]} testid="snippet-umami-code" />
        </>
      ) : form === "direct" ? (
        <>
          <p>
            Paste this into the <code>&lt;head&gt;</code> of every page of <strong>{site.domain}</strong>:
          </p>
          <CodeBlock code={withOptions(direct, opts)} testid="snippet-code" />
          <p class="muted small">Works on static sites and single-page apps. No cookies, no consent banner needed for the script itself.</p>
        </>
      ) : (
        <>
          <p>
            Serve the script from your own domain so ad blockers of third-party hosts do not drop it. Add this to your pages:
          </p>
          <CodeBlock code={withOptions(proxySnippet(site.id), opts)} testid="snippet-proxy-code" />
          <p>
            Then forward <code>/_sl/s.js</code> and <code>/_sl/e</code> to this server. nginx:
          </p>
          <CodeBlock code={nginxConfig(base)} />
          <p>Caddy:</p>
          <CodeBlock code={caddyConfig(base)} />
          <p class="muted small">
            On this server, set <code>SPARKLYTICS_TRUSTED_PROXIES</code> to your proxy's address so visitors are not all counted as
            the proxy.
          </p>
        </>
      )}
    </div>
  );
}
