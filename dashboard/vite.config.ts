import { defineConfig } from "vite";

// No framework plugin: Vite's own transformer compiles TSX with Preact's automatic JSX
// runtime (tsconfig "jsxImportSource": "preact"). `npm run dev` proxies the API to a
// server on :3000 (`SPARKLYTICS_AUTH=none python -m sparklytics serve`).
declare const process: { env: Record<string, string | undefined> };
const backend = process.env.SPARKLYTICS_DEV_BACKEND ?? "http://127.0.0.1:3000";

export default defineConfig({
  base: "/",
  build: {
    // Inside the Python package, so that a wheel (`python -m build`) carries the build.
    outDir: "../sparklytics/dashboard_dist",
    emptyOutDir: true,
    target: "es2020",
    assetsDir: "assets",
    sourcemap: false,
    reportCompressedSize: true,
    modulePreload: { polyfill: false },
    // The API reference's viewer (RapiDoc, ~850 kB) is one chunk that /docs imports on
    // demand; every other chunk stays far below this.
    chunkSizeWarningLimit: 900,
  },
  server: {
    proxy: {
      "/api": backend,
      "/s.js": backend,
      "/e": backend,
      "/health": backend,
    },
  },
});
