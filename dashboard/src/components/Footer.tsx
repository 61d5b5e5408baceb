// The credits under every dashboard page. DB-IP's free City Lite database (CC BY 4.0),
// which the install puts in ./geoip, asks pages that show its results to link back to
// db-ip.com; /health says which geo database the server loaded, so the line appears
// only when DB-IP's data is the one behind the countries, regions and cities.
import { useApi } from "../hooks";

type Health = { geo: { source: string } | null };

export function Footer() {
  const { data } = useApi<Health>("/health");
  if (data?.geo?.source !== "dbip") return null;
  return (
    <footer class="footer" data-testid="geo-attribution">
      <a href="https://db-ip.com" target="_blank" rel="noopener">
        IP geolocation by DB-IP
      </a>{" "}
      (CC BY 4.0)
    </footer>
  );
}
