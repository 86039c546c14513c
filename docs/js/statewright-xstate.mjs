// The guards and actions that a statewright `-T xstate` export needs for its joins, built from
// the export's `meta.statewright` (docs/scxml.md, "XState"). Copy this file beside your code:
//
//   import * as xstate from "xstate";
//   import { joinImplementations } from "./statewright-xstate.mjs";
//   const { guards, actions } = joinImplementations(config, xstate);
//   const machine = xstate.createMachine(config).provide({
//     guards: { ...guards, ...yourGuards },
//     actions: { ...actions, ...yourActions },
//   });
//
// A join fires when every source state is active (`stateIn`) and every leg with an event or a
// guard has arrived (its flag in `context.swJoins`); a user guard on the join's way out or on a
// leg is named as in the rest of the export and provided by you. `xstate` is the module (it is
// passed in, so that this file resolves no package of its own).

export function joinImplementations(config, { and, assign, not, stateIn }) {
  const { joins = {}, legs = {} } = config?.meta?.statewright ?? {};
  const arrived = (flag) => ({ context }) => Boolean(context?.swJoins?.[flag]);
  const guards = {};
  for (const [name, join] of Object.entries(joins)) {
    guards[name] = and([
      ...join.states.map((id) => stateIn(id)),
      ...join.flags.map(arrived),
      ...(join.guard ? [join.guard] : []),
    ]);
  }
  for (const [name, leg] of Object.entries(legs)) {
    guards[name] = and([not(arrived(leg.flag)), ...(leg.guard ? [leg.guard] : [])]);
  }
  const setFlag = (value) =>
    assign({ swJoins: ({ context }, params) => ({ ...context.swJoins, [params.flag]: value }) });
  return { guards, actions: { "sw.arrive": setFlag(true), "sw.leave": setFlag(false) } };
}
