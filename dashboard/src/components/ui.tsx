// Small building blocks shared by every page: cards, tabs, skeletons, error and empty
// states, copy buttons, the modal dialog.
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { ApiError } from "../api";

export function Card(props: { title?: ComponentChildren; actions?: ComponentChildren; class?: string; children: ComponentChildren; testid?: string }) {
  return (
    <section class={`card ${props.class ?? ""}`} data-testid={props.testid}>
      {(props.title || props.actions) && (
        <header class="card-head">
          {props.title && <h2>{props.title}</h2>}
          {props.actions && <div class="card-actions">{props.actions}</div>}
        </header>
      )}
      {props.children}
    </section>
  );
}

export function Tabs<T extends string>(props: { tabs: { id: T; label: string }[]; value: T; onChange: (id: T) => void; label: string }) {
  return (
    <div class="tabs" role="tablist" aria-label={props.label}>
      {props.tabs.map((t) => (
        <button
          type="button"
          role="tab"
          key={t.id}
          aria-selected={t.id === props.value}
          class={t.id === props.value ? "tab active" : "tab"}
          onClick={() => props.onChange(t.id)}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}

export function SkeletonRows({ rows = 5 }: { rows?: number }) {
  return (
    <div class="skeleton-rows" aria-busy="true" aria-label="Loading">
      {Array.from({ length: rows }, (_, i) => (
        <div class="skeleton" key={i} style={{ width: `${90 - i * 12}%` }} />
      ))}
    </div>
  );
}

export function ErrorBox({ error, retry, compact }: { error: ApiError | Error; retry?: () => void; compact?: boolean }) {
  return (
    <div class={compact ? "error-box compact" : "error-box"} role="alert">
      <span>{error.message || "Something went wrong."}</span>
      {retry && (
        <button type="button" class="btn small" onClick={retry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}

export function FormError({ error }: { error?: ApiError | Error | null }) {
  if (!error) return null;
  return (
    <p class="form-error" role="alert">
      {error.message}
    </p>
  );
}

async function writeClipboard(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    /* fall through to the selection fallback */
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

/** A copy button with its own "Copied" state: it says so for 2 s after a copy of this
 * exact text, and forgets it when its text changes (another tab's code block, another
 * set of snippet options), so no other block seems copied. */
export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [state, setState] = useState<{ text: string; result: "copied" | "failed" } | null>(null);
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  const copy = async () => {
    const result = (await writeClipboard(text)) ? "copied" : "failed";
    setState({ text, result });
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => setState(null), 2000);
  };
  const shown = state && state.text === text ? state.result : "idle";
  return (
    <button type="button" class="btn small" onClick={copy} data-state={shown}>
      {shown === "copied" ? "Copied ✓" : shown === "failed" ? "Select and copy" : label}
    </button>
  );
}

export function CodeBlock({ code, testid }: { code: string; testid?: string }) {
  return (
    <div class="code-block">
      <pre data-testid={testid}>
        <code>{code}</code>
      </pre>
      <CopyButton text={code} />
    </div>
  );
}

export function Spinner() {
  return <span class="spinner" aria-hidden="true" />;
}

/** A labelled form field whose hint is a description, not part of the label's name. */
export function Field({ id, label, hint, children }: { id: string; label: string; hint?: string; children: ComponentChildren }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
    </div>
  );
}

/**
 * A modal dialog on the native `<dialog>` element: the browser traps focus inside it,
 * makes the page behind it inert, closes it on Escape and gives focus back to the
 * control that opened it. `onClose` runs however it closes (Escape, ✕, or unmounting
 * after a save); the parent unmounts it then.
 */
export function Dialog({ title, onClose, children, testid }: { title: string; onClose: () => void; children: ComponentChildren; testid?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  const closeRef = useRef(onClose);
  closeRef.current = onClose;
  useEffect(() => {
    const dialog = ref.current!;
    const closed = () => closeRef.current();
    dialog.addEventListener("close", closed);
    if (!dialog.open) dialog.showModal();
    return () => {
      dialog.removeEventListener("close", closed);
      if (dialog.open) dialog.close();
    };
  }, []);
  const titleId = `${testid ?? "dialog"}-title`;
  return (
    <dialog ref={ref} class="dialog" aria-labelledby={titleId} data-testid={testid}>
      <header class="dialog-head">
        <h2 id={titleId}>{title}</h2>
        <button type="button" class="btn small ghost" aria-label="Close" onClick={() => ref.current?.close()}>
          ✕
        </button>
      </header>
      {children}
    </dialog>
  );
}
