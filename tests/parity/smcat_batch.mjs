// Reads a JSON array of smcat sources on stdin; prints a JSON array with, for each one,
// {"ok": true, "ast": ...} or {"ok": false, "error": "..."} from state-machine-cat's library.
// Usage: node smcat_batch.mjs <path to state-machine-cat's dist/index.mjs>
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const smcat = await import(pathToFileURL(process.argv[2]).href);
const sources = JSON.parse(readFileSync(0, "utf8"));
const results = [];
for (const source of sources) {
  try {
    const json = await smcat.render(source, { outputType: "json" });
    results.push({ ok: true, ast: typeof json === "string" ? JSON.parse(json) : json });
  } catch (error) {
    results.push({ ok: false, error: String(error.message).slice(0, 300) });
  }
}
process.stdout.write(JSON.stringify(results));
