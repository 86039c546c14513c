// Parses each Mermaid source in the JSON array file argv[1] with the official `mermaid` package
// (in a jsdom window); prints a JSON array of null (parsed) or the error message.
// Run with the directory holding node_modules/mermaid and node_modules/jsdom as the cwd.
import { readFileSync } from "node:fs";
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });
const sources = JSON.parse(readFileSync(process.argv[1], "utf8"));
const results = [];
for (const source of sources) {
  try {
    await mermaid.parse(source);
    results.push(null);
  } catch (error) {
    results.push(String(error?.message ?? error).slice(0, 400));
  }
}
process.stdout.write("\nRESULTS " + JSON.stringify(results) + "\n");
