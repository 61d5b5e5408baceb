// The API reference at /docs: RapiDoc renders the server's own /api/openapi.json, the
// document the server generates from its route table. RapiDoc (a web component, ~215 KB
// gzipped) is imported on the first visit to this page only, so the dashboard's main
// bundle does not carry it; it fetches nothing but the document (`load-fonts` off). Its
// templates carry inline styles, which the server's CSP allows on /docs only, so the
// page is always reached by a full page load (the top bar's plain link).
import { h } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ErrorBox } from "../components/ui";
import { useTitle } from "../router";

const OPENAPI_URL = "/api/openapi.json";

export function ApiDocsPage() {
  useTitle("API reference");
  const [loaded, setLoaded] = useState<boolean | Error>(false);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let alive = true;
    import("rapidoc").then(
      () => alive && setLoaded(true),
      (err) => alive && setLoaded(new Error(`The API reference viewer did not load: ${err}`)),
    );
    return () => {
      alive = false;
    };
  }, [attempt]);
  if (loaded instanceof Error) {
    return (
      <main class="page narrow">
        <ErrorBox error={loaded} retry={() => (setLoaded(false), setAttempt((n) => n + 1))} />
      </main>
    );
  }
  return (
    <main class="api-docs" data-testid="api-docs" aria-busy={!loaded}>
      {loaded &&
        h("rapi-doc", {
          "spec-url": OPENAPI_URL,
          "server-url": location.origin,
          "default-api-server": location.origin,
          "render-style": "read",
          theme: "light",
          "primary-color": "#6d28d9",
          "show-header": "false",
          "load-fonts": "false",
          "allow-spec-url-load": "false",
          "allow-spec-file-load": "false",
          "allow-server-selection": "false",
          "allow-authentication": "false",
          "schema-description-expanded": "true",
        })}
    </main>
  );
}
