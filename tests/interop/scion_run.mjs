// For each {scxml, events} in the JSON array file argv[1]: load the SCXML document with SCION
// (@scion-scxml/scxml), start it, send the events one by one, and report the active atomic
// states and the values the <log> actions wrote after start and after each event, or the error.
// An event `wait:N` waits N ms instead, for delayed events to fire.
// Run with the directory holding node_modules/@scion-scxml as the cwd.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(process.cwd() + "/");
const scxml = require("@scion-scxml/scxml");

function model(text) {
  return new Promise((resolve, reject) => {
    scxml.documentStringToModel("chart.scxml", text, (err, m) => {
      if (err) { reject(err); return; }
      m.prepare((err2, fn) => (err2 ? reject(err2) : resolve(fn)), { console: { log() {} } });
    });
  });
}

const cases = JSON.parse(readFileSync(process.argv[1], "utf8"));
const out = [];
for (const { scxml: text, events = [] } of cases) {
  try {
    const fn = await model(text);
    let written = [];
    const log = (label, value) => { written.push(value); };
    const sc = new scxml.core.Statechart(fn, { console: { log, info() {} } });
    const steps = [sc.start().slice().sort()];
    const logs = [written];
    for (const name of events) {
      written = [];
      if (name.startsWith("wait:")) {  // let timers (delayed <send>) fire
        await new Promise((resolve) => setTimeout(resolve, Number(name.slice(5))));
        steps.push(sc.getConfiguration().slice().sort());
      } else {
        steps.push(sc.gen({ name }).slice().sort());
      }
      logs.push(written);
    }
    out.push({ steps, logs, final: sc.isFinal() });
  } catch (error) {
    out.push({ error: String(error?.message ?? error).slice(0, 300) });
  }
}
// Pending timers of the last machines would keep node alive: exit once the output is written.
process.stdout.write("\nRESULTS " + JSON.stringify(out) + "\n", () => process.exit(0));
