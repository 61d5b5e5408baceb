// Buttons a row of a settings list carries: delete (after a confirm) and pause/resume.
// Each calls the API itself and tells the list to reload; an error shows as the button's
// title, since the row has no room for a message.

import { del, put } from "../api";
import { useAction } from "../hooks";

/** Deletes ``url`` after the browser's confirm "Delete <what>? <note>". */
export function DeleteButton({ url, what, note, onDeleted }: { url: string; what: string; note?: string; onDeleted: () => void }) {
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
        if (confirm(note ? `Delete ${what}? ${note}` : `Delete ${what}?`)) void remove.run();
      }}
    >
      Delete
    </button>
  );
}

/** Flips ``is_active`` of ``url``; ``labels`` name the action while active and while not. */
export function ActiveToggle({ url, active, labels, onChanged }: { url: string; active: boolean; labels: [string, string]; onChanged: () => void }) {
  const toggle = useAction(async () => {
    await put(url, { is_active: !active });
    onChanged();
  });
  return (
    <button type="button" class="btn small ghost" data-testid="toggle-active" disabled={toggle.busy} title={toggle.error?.message} onClick={() => void toggle.run()}>
      {active ? labels[0] : labels[1]}
    </button>
  );
}
