// The web-chat widget as one classic script, /widget.js: an IIFE a page loads with a plain
// <script> tag from another origin. Built after the editor into the same folder (the editor's
// build empties it first), from the same lockfile.
import { defineConfig } from "vite";
import { fileURLToPath } from "node:url";

export default defineConfig({
  build: {
    outDir: fileURLToPath(new URL("../../builder/editor", import.meta.url)),
    emptyOutDir: false,
    copyPublicDir: false,
    sourcemap: false,
    minify: true,
    lib: {
      entry: fileURLToPath(new URL("./main.ts", import.meta.url)),
      formats: ["iife"],
      name: "CallwrightChat",
      fileName: () => "widget.js",
    },
  },
});
