// Campaigns (API.md §1.15): campaign links — a short `/l/<slug>` URL that sends visitors to
// a page of the website with UTM tags, counted as clicks and credited with the goal
// conversions of the visits they start — and tracking pixels for e-mails and pages that
// cannot run JavaScript. Create / edit / disable / delete dialogs show the API's 400s at
// their field; copy buttons hand over the tracking URL and the pixel's <img> snippet, and a
// link's QR code (for print) opens in a dialog. The numbers are over the toolbar's range
// and filters.
import type { ComponentChildren, JSX } from "preact";
import { useState } from "preact/hooks";
import { post, put, type ApiError, type CampaignLink, type TrackingPixel } from "../api";
import { QrButton } from "../components/QrCode";
import { ActiveToggle, DeleteButton } from "../components/RowActions";
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
type FormProps<T> = { base: string; domain: string; item?: T; onSaved: () => void; onCancel: () => void };

export function CampaignsPage({ ctx }: { ctx: DashCtx }) {
  return (
    <div class="page campaigns" data-testid="campaigns">
      <CampaignCard<CampaignLink>
        ctx={ctx}
        noun="link"
        title="Campaign links"
        explain={
          <p>
            A campaign link is a short URL to share in a newsletter, an ad or a post. It sends visitors to a page of <strong>{ctx.site.domain}</strong>{" "}
            with UTM tags, counts the clicks and credits the campaign with the goals those visits reach.
          </p>
        }
        columns={["Clicks", "Uniques", "Conversions", "Revenue"]}
        describe={(l) => (
          <>
            <div class="muted small">
              <code data-testid="tracking-url">{l.tracking_url}</code> → <span class="break">{l.destination_url}</span>
            </div>
            {utmSummary(l) && <div class="muted small">{utmSummary(l)}</div>}
          </>
        )}
        numbers={(l) => [
          [l.clicks, fmtInt(l.clicks)],
          [l.unique_visitors, fmtInt(l.unique_visitors)],
          [l.conversions, fmtInt(l.conversions)],
          [l.revenue, l.revenue.toFixed(2)],
        ]}
        copy={(l) => [l.tracking_url, "Copy link"]}
        more={(l) => <QrButton url={l.tracking_url} filename={`qr-${l.slug}`} />}
        Form={LinkForm}
      />
      <CampaignCard<TrackingPixel>
        ctx={ctx}
        noun="pixel"
        title="Tracking pixels"
        explain={<p>A tracking pixel is an invisible 1×1 image for e-mails and pages that cannot run the tracker: each time it loads, a view is counted.</p>}
        columns={["Views", "Uniques"]}
        describe={(p) => (
          <div class="muted small">
            <code data-testid="pixel-snippet">{p.snippet}</code>
          </div>
        )}
        numbers={(p) => [
          [p.views, fmtInt(p.views)],
          [p.unique_visitors, fmtInt(p.unique_visitors)],
        ]}
        copy={(p) => [p.snippet, "Copy snippet"]}
        Form={PixelForm}
      />
    </div>
  );
}

type Campaign = { id: string; name: string; is_active: boolean };

/** A card listing the website's links or pixels with their numbers over the toolbar's
 * range, and the dialogs that create and edit one. Test ids follow ``noun``
 * (``link-row``, ``new-pixel`` …). */
function CampaignCard<T extends Campaign>(props: {
  ctx: DashCtx;
  noun: "link" | "pixel";
  title: string;
  explain: ComponentChildren;
  columns: string[];
  describe: (item: T) => ComponentChildren;
  numbers: (item: T) => [number, string][];
  copy: (item: T) => [string, string];
  more?: (item: T) => ComponentChildren;
  Form: (props: FormProps<T>) => JSX.Element;
}) {
  const { ctx, noun, Form } = props;
  const base = `/api/websites/${ctx.site.id}/${noun}s`;
  const list = useApi<{ data: T[] }>(`${base}?${apiParams(ctx.view)}`, POLL_REPORTS);
  const [editing, setEditing] = useState<Editing<T> | null>(null);
  const items = list.data?.data;
  const label = noun[0].toUpperCase() + noun.slice(1);
  return (
    <Card
      title={props.title}
      testid={`${noun}-list`}
      actions={
        <button type="button" class="btn small primary" data-testid={`new-${noun}`} onClick={() => setEditing({ mode: "create" })}>
          New {noun}
        </button>
      }
    >
      {!items && list.error ? (
        <ErrorBox error={list.error} retry={list.reload} />
      ) : !items ? (
        <SkeletonRows rows={2} />
      ) : items.length === 0 ? (
        <Empty>{props.explain}</Empty>
      ) : (
        <table class={`data-table ${list.stale ? "stale" : ""}`} data-testid={`${noun}-table`}>
          <thead>
            <tr>
              <th>{label}</th>
              {props.columns.map((c) => (
                <th key={c} class="num">
                  {c}
                </th>
              ))}
              <th />
            </tr>
          </thead>
          <tbody>
            {items.map((item) => {
              const url = `${base}/${encodeURIComponent(item.id)}`;
              const [copyText, copyLabel] = props.copy(item);
              return (
                <tr key={item.id} data-testid={`${noun}-row`} {...{ [`data-${noun}-id`]: item.id }} class={item.is_active ? "" : "inactive"}>
                  <td>
                    <div>
                      {item.name}{" "}
                      {!item.is_active && (
                        <span class="badge muted" data-testid={`${noun}-disabled`}>
                          disabled
                        </span>
                      )}
                    </div>
                    {props.describe(item)}
                  </td>
                  {props.numbers(item).map(([value, text], i) => (
                    <td key={i} class="num" data-value={value}>
                      {text}
                    </td>
                  ))}
                  <td class="row-actions">
                    <CopyButton text={copyText} label={copyLabel} />
                    {props.more?.(item)}
                    <button type="button" class="btn small ghost" onClick={() => setEditing({ mode: "edit", item })}>
                      Edit
                    </button>
                    <ActiveToggle url={url} active={item.is_active} labels={["Disable", "Enable"]} onChanged={list.reload} />
                    <DeleteButton url={url} what={`the ${noun} "${item.name}"`} note="Its past hits stay in your reports." onDeleted={list.reload} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {editing && (
        <Dialog title={editing.mode === "edit" ? `Edit ${noun}` : `New ${noun}`} onClose={() => setEditing(null)} testid={`${noun}-dialog`}>
          <Form
            base={base}
            domain={ctx.site.domain}
            item={editing.mode === "edit" ? editing.item : undefined}
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

function LinkForm({ base, domain, item: link, onSaved, onCancel }: FormProps<CampaignLink>) {
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

function PixelForm({ base, domain, item: pixel, onSaved, onCancel }: FormProps<TrackingPixel>) {
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
