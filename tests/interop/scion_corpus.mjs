// SCION on SCXML documents from files (so that `src` attributes resolve beside them): for each
// {path, events: [{name, data, after}]} in the JSON array file named last on the command line, load the document,
// start it, and after start and after each event (sent once `after` ms have passed) report the
// active atomic states, or the error. Run with tests/node as the cwd.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(process.cwd() + "/");
const scxml = require("@scion-scxml/scxml");

function model(path) {
  return new Promise((resolve, reject) => {
    scxml.pathToModel(path, (err, m) => {
      if (err) { reject(err); return; }
      m.prepare((err2, fn) => (err2 ? reject(err2) : resolve(fn)), { console: { log() {} } });
    });
  });
}

const within = (promise, ms) => Promise.race([
  promise,
  new Promise((_, reject) => setTimeout(() => reject(new Error(`no result within ${ms} ms`)), ms)),
]);

const cases = JSON.parse(readFileSync(process.argv.at(-1), "utf8"));
const out = [];
for (const { path, events = [] } of cases) {
  try {
    const fn = await within(model(path), 10000);
    const sc = new scxml.core.Statechart(fn, { console: { log() {}, info() {} } });
    const steps = [sc.start().slice()];
    for (const { name, data, after } of events) {
      if (after) await new Promise((resolve) => setTimeout(resolve, after));
      steps.push(sc.gen({ name, data }).slice());
    }
    out.push({ steps });
  } catch (error) {
    out.push({ error: String(error?.message ?? error).slice(0, 300) });
  }
}
process.stdout.write("\nRESULTS " + JSON.stringify(out) + "\n", () => process.exit(0));
