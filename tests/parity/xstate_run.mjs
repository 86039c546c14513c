// For each {config, events} in the JSON array file argv[1]: createMachine(config), start an actor
// (every guard named in the config provided as false unless listed in `true_guards`, or, when the
// case has an `env` object, evaluated as a JavaScript expression over the env's variables; every
// action as a no-op; joins as docs/js/statewright-xstate.mjs provides them; invoked machines
// finish at once when the case has `children: "done"`), send the events, and report the active leaf state ids after start and after
// each event, with the actions run in each of those steps, or the error. An event `wait:N`
// waits N ms instead, for `after` timers to fire. Run with the directory holding node_modules/xstate as the cwd.
import { readFileSync } from "node:fs";
import * as xstate from "xstate";
import { createMachine, createActor } from "xstate";
import { joinImplementations } from "../../docs/js/statewright-xstate.mjs";

function collect(node, guards, actions, actors) {
  if (Array.isArray(node)) { node.forEach((n) => collect(n, guards, actions, actors)); return; }
  if (!node || typeof node !== "object") return;
  if (node.guard && typeof node.guard === "object") guards.add(node.guard.type);
  if (typeof node.src === "string") actors.add(node.src);
  for (const key of ["actions", "entry", "exit"]) {
    for (const a of [].concat(node[key] ?? [])) if (a && a.type) actions.add(a.type);
  }
  Object.values(node).forEach((v) => collect(v, guards, actions, actors));
}

function leaves(value) {
  if (typeof value === "string") return [value];
  return Object.entries(value).flatMap(([key, inner]) =>
    inner && Object.keys(inner).length ? leaves(inner) : [key]);
}

const cases = JSON.parse(readFileSync(process.argv[1], "utf8"));
const out = [];
function guard(name, env, trueGuards) {
  if (!env) return () => trueGuards.includes(name);
  const names = Object.keys(env);
  let test;
  try { test = new Function(...names, `return (${name});`); } catch { return () => false; }
  return () => { try { return Boolean(test(...names.map((n) => env[n]))); } catch { return false; } };
}

// An invoked machine (`invoke/ NAME`): one that finishes at once when the case says
// `children: "done"`, else one that never finishes.
const finished = createMachine({ initial: "over", states: { over: { type: "final" } } });
const running = createMachine({ initial: "busy", states: { busy: {} } });

for (const { config, events = [], true_guards = [], env = null, children = "" } of cases) {
  try {
    const guards = new Set(), actions = new Set(), actors = new Set();
    let written = [];
    collect(config, guards, actions, actors);
    const joins = joinImplementations(config, xstate);
    const meta = config?.meta?.statewright ?? {};
    for (const part of [...Object.values(meta.joins ?? {}), ...Object.values(meta.legs ?? {})]) {
      if (part.guard) guards.add(part.guard);
    }
    const machine = createMachine(config).provide({
      guards: {
        ...Object.fromEntries([...guards].map((g) => [g, guard(g, env, true_guards)])),
        ...joins.guards,
      },
      actions: {
        ...Object.fromEntries([...actions].map((a) => [a, () => { written.push(a); }])),
        ...joins.actions,
      },
      actors: Object.fromEntries(
        [...actors].map((a) => [a, children === "done" ? finished : running])),
    });
    const actor = createActor(machine);
    let failure = null;
    actor.subscribe({ error: (e) => { failure = String(e?.message ?? e); } });
    actor.start();
    const steps = [leaves(actor.getSnapshot().value).sort()];
    const logs = [written];
    for (const type of events) {
      written = [];
      if (type.startsWith("wait:")) {  // let `after` timers fire
        await new Promise((resolve) => setTimeout(resolve, Number(type.slice(5))));
      } else {
        actor.send({ type });
      }
      steps.push(leaves(actor.getSnapshot().value).sort());
      logs.push(written);
    }
    out.push(failure ? { error: failure } : { steps, logs, status: actor.getSnapshot().status });
  } catch (error) {
    out.push({ error: String(error?.message ?? error).slice(0, 300) });
  }
}
process.stdout.write("\nRESULTS " + JSON.stringify(out) + "\n", () => process.exit(0));
