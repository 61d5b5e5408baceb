// Campaigns (API.md §1.15): campaign links — a short `/l/<slug>` URL that sends visitors to
// a page of the website with UTM tags, counted as clicks and credited with the goal
// conversions of the visits they start — and tracking pixels for e-mails and pages that
// cannot run JavaScript. Create / edit / disable / delete dialogs show the API's 400s at
// their field; copy buttons hand over the tracking URL and the pixel's <img> snippet. The
// numbers are over the toolbar's range and filters.
import { useState } from "preact/hooks";
import { del, post, put, type ApiError, type CampaignLink, type TrackingPixel } from "../api";
import { Card, CopyButton, Dialog, Empty, ErrorBox, Field, FormError, SkeletonRows, Spinner } from "../components/ui";
import { fmtInt } from "../format";
import { POLL_REPORTS, useAction, useApi } from "../hooks";
import { apiParams } from "../view";
import type { DashCtx } from "./Overview";

const UTM_FIELDS = [
  { key: "utm_source", label: "Source", placeholder: "newsletter" },
  { key: "utm_medium", label: "Medium", placeholder: "email" },
  { key: "utm_campaign", label: "Campaign", placeholder: "spring-sale" },
  { key: "utm_term", label: "Term", placeholder: "optional" },
  { key: "utm_content", label: "Content", placeholder: "optional" },
] as const;
type UtmKey = (typeof UTM_FIELDS)[number]["key"];

type Editing<T> = { mode: "create" } | { mode: "edit"; item: T };

export function CampaignsPage({ ctx }: { ctx: DashCtx }) {
  return (
    <div class="page campaigns" data-testid="campaigns">
      <LinksCard ctx={ctx} />
      <PixelsCard ctx={ctx} />
    </div>
  );
}

function LinksCard({ ctx }: { ctx: DashCtx }) {
  const base = `/api/websites/${ctx.site.id}/links`;
  const list = useApi<{ data: CampaignLink[] }>(`${base}?${apiParams(ctx.view)}`, POLL_REPORTS);
  const [editing, setEditing] = useState<Editing<CampaignLink> | null>(null);
  const links = list.data?.data;
  return (
    <Card
      title="Campaign links"
      testid="link-list"
      actions={
        <button type="button" class="btn small primary" data-testid="new-link" onClick={() => setEditing({ mode: "create" })}>
          New link
        </button>
      }
    >
      {!links && list.error ? (
        <ErrorBox error={list.error} retry={list.reload} />
      ) : !links ? (
        <SkeletonRows rows={2} />
      ) : links.length === 0 ? (
        <Empty>
          <p>
            A campaign link is a short URL to share in a newsletter, an ad or a post. It sends visitors to a page of <strong>{ctx.site.domain}</strong>{" "}
            with UTM tags, counts the clicks and credits the campaign with the goals those visits reach.
          </p>
        </Empty>
      ) : (
        <table class={`data-table ${list.stale ? "stale" : ""}`} data-testid="link-table">
          <thead>
            <tr>
              <th>Link</th>
              <th class="num">Clicks</th>
              <th class="num">Uniques</th>
              <th class="num">Conversions</th>
              <th class="num">Revenue</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {links.map((l) => (
              <tr key={l.id} data-testid="link-row" data-link-id={l.id} class={l.is_active ? "" : "inactive"}>
                <td>
                  <div>
                    {l.name} {!l.is_active && <span class="badge muted" data-testid="link-disabled">disabled</span>}
                  </div>
                  <div class="muted small">
                    <code data-testid="tracking-url">{l.tracking_url}</code> → <span class="break">{l.destination_url}</span>
                  </div>
                  {utmSummary(l) && <div class="muted small">{utmSummary(l)}</div>}
                </td>
                <td class="num" data-value={l.clicks}>
                  {fmtInt(l.clicks)}
                </td>
                <td class="num" data-value={l.unique_visitors}>
                  {fmtInt(l.unique_visitors)}
                </td>
                <td class="num" data-value={l.conversions}>
                  {fmtInt(l.conversions)}
                </td>
                <td class="num" data-value={l.revenue}>
                  {l.revenue.toFixed(2)}
                </td>
                <td class="row-actions">
                  <CopyButton text={l.tracking_url} label="Copy link" />
                  <button type="button" class="btn small ghost" onClick={() => setEditing({ mode: "edit", item: l })}>
                    Edit
                  </button>
                  <ToggleActive url={`${base}/${encodeURIComponent(l.id)}`} active={l.is_active} onDone={list.reload} />
                  <DeleteButton url={`${base}/${encodeURIComponent(l.id)}`} what={`the link "${l.name}"`} onDeleted={list.reload} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing && (
        <Dialog title={editing.mode === "edit" ? "Edit link" : "New link"} onClose={() => setEditing(null)} testid="link-dialog">
          <LinkForm
            base={base}
            domain={ctx.site.domain}
            link={editing.mode === "edit" ? editing.item : undefined}
            onSaved={() => {
              setEditing(null);
              list.reload();
            }}
            onCancel={() => setEditing(null)}
          />
        </Dialog>
      )}
    </Card>
  );
}

function utmSummary(l: CampaignLink): string {
  return UTM_FIELDS.filter((f) => l[f.key])
    .map((f) => `${f.key}=${l[f.key]}`)
    .join(" · ");
}

function PixelsCard({ ctx }: { ctx: DashCtx }) {
  const base = `/api/websites/${ctx.site.id}/pixels`;
  const list = useApi<{ data: TrackingPixel[] }>(`${base}?${apiParams(ctx.view)}`, POLL_REPORTS);
  const [editing, setEditing] = useState<Editing<TrackingPixel> | null>(null);
  const pixels = list.data?.data;
  return (
    <Card
      title="Tracking pixels"
      testid="pixel-list"
      actions={
        <button type="button" class="btn small primary" data-testid="new-pixel" onClick={() => setEditing({ mode: "create" })}>
          New pixel
        </button>
      }
    >
      {!pixels && list.error ? (
        <ErrorBox error={list.error} retry={list.reload} />
      ) : !pixels ? (
        <SkeletonRows rows={2} />
      ) : pixels.length === 0 ? (
        <Empty>
          <p>A tracking pixel is an invisible 1×1 image for e-mails and pages that cannot run the tracker: each time it loads, a view is counted.</p>
        </Empty>
      ) : (
        <table class={`data-table ${list.stale ? "stale" : ""}`} data-testid="pixel-table">
          <thead>
            <tr>
              <th>Pixel</th>
              <th class="num">Views</th>
              <th class="num">Uniques</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {pixels.map((p) => (
              <tr key={p.id} data-testid="pixel-row" data-pixel-id={p.id} class={p.is_active ? "" : "inactive"}>
                <td>
                  <div>
                    {p.name} {!p.is_active && <span class="badge muted">disabled</span>}
                  </div>
                  <div class="muted small">
                    <code data-testid="pixel-snippet">{p.snippet}</code>
                  </div>
                </td>
                <td class="num" data-value={p.views}>
                  {fmtInt(p.views)}
                </td>
                <td class="num" data-value={p.unique_visitors}>
                  {fmtInt(p.unique_visitors)}
                </td>
                <td class="row-actions">
                  <CopyButton text={p.snippet} label="Copy snippet" />
                  <button type="button" class="btn small ghost" onClick={() => setEditing({ mode: "edit", item: p })}>
                    Edit
                  </button>
                  <ToggleActive url={`${base}/${encodeURIComponent(p.id)}`} active={p.is_active} onDone={list.reload} />
                  <DeleteButton url={`${base}/${encodeURIComponent(p.id)}`} what={`the pixel "${p.name}"`} onDeleted={list.reload} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing && (
        <Dialog title={editing.mode === "edit" ? "Edit pixel" : "New pixel"} onClose={() => setEditing(null)} testid="pixel-dialog">
          <PixelForm
            base={base}
            domain={ctx.site.domain}
            pixel={editing.mode === "edit" ? editing.item : undefined}
            onSaved={() => {
              setEditing(null);
              list.reload();
            }}
            onCancel={() => setEditing(null)}
          />
        </Dialog>
      )}
    </Card>
  );
}

function ToggleActive({ url, active, onDone }: { url: string; active: boolean; onDone: () => void }) {
  const toggle = useAction(async () => {
    await put(url, { is_active: !active });
    onDone();
  });
  return (
    <button type="button" class="btn small ghost" disabled={toggle.busy} title={toggle.error?.message} onClick={() => void toggle.run()}>
      {active ? "Disable" : "Enable"}
    </button>
  );
}

function DeleteButton({ url, what, onDeleted }: { url: string; what: string; onDeleted: () => void }) {
  const remove = useAction(async () => {
    await del(url);
    onDeleted();
  });
  return (
    <button
      type="button"
      class="btn small ghost danger"
      disabled={remove.busy}
      title={remove.error?.message}
      onClick={() => {
        if (confirm(`Delete ${what}? Its past hits stay in your reports.`)) void remove.run();
      }}
    >
      Delete
    </button>
  );
}

/** The API's error for `field`, shown under that field (the 400s name it). */
function fieldError(error: ApiError | undefined, field: string) {
  return error && error.field === field ? (
    <p class="form-error" role="alert" data-testid={`error-${field}`}>
      {error.message}
    </p>
  ) : null;
}

function FormButtons({ busy, label, onCancel }: { busy: boolean; label: string; onCancel: () => void }) {
  return (
    <div class="form-actions">
      <button type="submit" class="btn primary" disabled={busy}>
        {busy ? <Spinner /> : label}
      </button>
      <button type="button" class="btn" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}

function LinkForm({ base, domain, link, onSaved, onCancel }: { base: string; domain: string; link?: CampaignLink; onSaved: () => void; onCancel: () => void }) {
  const [name, setName] = useState(link?.name ?? "");
  const [destination, setDestination] = useState(link?.destination_url ?? `https://${domain}/`);
  const [utms, setUtms] = useState<Record<UtmKey, string>>(() => {
    const initial = {} as Record<UtmKey, string>;
    for (const f of UTM_FIELDS) initial[f.key] = link?.[f.key] ?? "";
    return initial;
  });
  const save = useAction(async () => {
    const body: Record<string, unknown> = { name, destination_url: destination };
    for (const f of UTM_FIELDS) body[f.key] = utms[f.key].trim() === "" ? null : utms[f.key];
    if (link) await put(`${base}/${encodeURIComponent(link.id)}`, body);
    else await post(base, body);
    onSaved();
  });
  const known = ["name", "destination_url", ...UTM_FIELDS.map((f) => f.key)];
  return (
    <form
      class="form link-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void save.run();
      }}
    >
      <Field id="link-name" label="Name">
        <input id="link-name" value={name} autoFocus placeholder="e.g. Spring newsletter" onInput={(e) => setName((e.target as HTMLInputElement).value)} />
      </Field>
      {fieldError(save.error, "name")}
      <Field id="link-destination" label="Destination" hint={`A page on ${domain} or one of its subdomains.`}>
        <input id="link-destination" value={destination} onInput={(e) => setDestination((e.target as HTMLInputElement).value)} />
      </Field>
      {fieldError(save.error, "destination_url")}
      <fieldset class="utm-fields">
        <legend>UTM tags added to the destination</legend>
        {UTM_FIELDS.map((f) => (
          <div key={f.key}>
            <Field id={`link-${f.key}`} label={f.label}>
              <input
                id={`link-${f.key}`}
                value={utms[f.key]}
                placeholder={f.placeholder}
                onInput={(e) => setUtms({ ...utms, [f.key]: (e.target as HTMLInputElement).value })}
              />
            </Field>
            {fieldError(save.error, f.key)}
          </div>
        ))}
      </fieldset>
      {save.error && !known.includes(save.error.field ?? "") && <FormError error={save.error} />}
      <FormButtons busy={save.busy} label={link ? "Save link" : "Create link"} onCancel={onCancel} />
    </form>
  );
}

function PixelForm({ base, domain, pixel, onSaved, onCancel }: { base: string; domain: string; pixel?: TrackingPixel; onSaved: () => void; onCancel: () => void }) {
  const [name, setName] = useState(pixel?.name ?? "");
  const [defaultUrl, setDefaultUrl] = useState(pixel?.default_url ?? "");
  const save = useAction(async () => {
    const body = { name, default_url: defaultUrl.trim() === "" ? null : defaultUrl };
    if (pixel) await put(`${base}/${encodeURIComponent(pixel.id)}`, body);
    else await post(base, body);
    onSaved();
  });
  return (
    <form
      class="form pixel-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void save.run();
      }}
    >
      <Field id="pixel-name" label="Name">
        <input id="pixel-name" value={name} autoFocus placeholder="e.g. April newsletter" onInput={(e) => setName((e.target as HTMLInputElement).value)} />
      </Field>
      {fieldError(save.error, "name")}
      <Field id="pixel-default-url" label="Page URL (optional)" hint={`Recorded as the view's page unless the image URL carries ?url=… A page on ${domain}.`}>
        <input id="pixel-default-url" value={defaultUrl} placeholder={`https://${domain}/newsletter`} onInput={(e) => setDefaultUrl((e.target as HTMLInputElement).value)} />
      </Field>
      {fieldError(save.error, "default_url")}
      {save.error && !["name", "default_url"].includes(save.error.field ?? "") && <FormError error={save.error} />}
      <FormButtons busy={save.busy} label={pixel ? "Save pixel" : "Create pixel"} onCancel={onCancel} />
    </form>
  );
}
