// A QR code of a URL, drawn as SVG by us from the module matrix that qrcode-generator
// computes (no HTML strings injected), and a button that shows it in a dialog with an
// SVG download — for campaign links printed on flyers, posters and packaging.
import qrcode from "qrcode-generator";
import { useMemo, useState } from "preact/hooks";
import { Dialog } from "./ui";

// The standard's quiet zone: four light modules around the symbol.
const QUIET_ZONE = 4;

/** The dark modules of ``text``'s QR code (error correction M: survives ~15 % damage)
 * as one SVG path in module units, and the side of the square it fills with its
 * quiet zone. */
function qrPath(text: string): { path: string; side: number } {
  const qr = qrcode(0, "M");
  qr.addData(text);
  qr.make();
  const count = qr.getModuleCount();
  const parts: string[] = [];
  for (let row = 0; row < count; row++) {
    for (let col = 0; col < count; col++) {
      if (qr.isDark(row, col)) parts.push(`M${col + QUIET_ZONE},${row + QUIET_ZONE}h1v1h-1z`);
    }
  }
  return { path: parts.join(""), side: count + 2 * QUIET_ZONE };
}

function svgMarkup(path: string, side: number): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${side} ${side}" width="${side * 8}" height="${side * 8}" shape-rendering="crispEdges">` +
    `<rect width="${side}" height="${side}" fill="#fff"/><path d="${path}" fill="#000"/></svg>`
  );
}

function QrCode({ path, side, label }: { path: string; side: number; label: string }) {
  return (
    <svg class="qr-code" role="img" aria-label={label} viewBox={`0 0 ${side} ${side}`} width={256} height={256} shape-rendering="crispEdges" data-testid="qr-code">
      <rect width={side} height={side} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}

/** A "QR code" button for a row: opens a dialog with the code of ``url`` and a link
 * that downloads the same code as ``<filename>.svg``. */
export function QrButton({ url, filename }: { url: string; filename: string }) {
  const [open, setOpen] = useState(false);
  const code = useMemo(() => (open ? qrPath(url) : null), [open, url]);
  return (
    <>
      <button type="button" class="btn small ghost" onClick={() => setOpen(true)}>
        QR code
      </button>
      {code && (
        <Dialog title="QR code" onClose={() => setOpen(false)} testid="qr-dialog">
          <div class="qr-dialog">
            <QrCode path={code.path} side={code.side} label={`QR code of ${url}`} />
            <code class="break">{url}</code>
            <a
              class="btn small"
              href={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svgMarkup(code.path, code.side))}`}
              download={`${filename}.svg`}
              data-testid="qr-download"
            >
              Download SVG
            </a>
          </div>
        </Dialog>
      )}
    </>
  );
}
