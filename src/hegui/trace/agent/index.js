// hegui's Frida agent (entry point). The host (hegui capture) compiles it with frida.Compiler, calls
// `init(config)` with the hook list generated from hegui's catalog, then resumes the app. Every trace
// event leaves through send() at once; the host appends it to the trace file as it arrives.

import Java from "frida-java-bridge";

import { createAgent } from "./hooks.js";

let agent = null;
let requested = false;

rpc.exports = {
  init(config) {
    if (requested) return "already initialised";
    requested = true;
    if (!Java.available) return "no Java VM in this process";
    // Java.perform waits for the app's class loader when the process was just spawned.
    Java.perform(() => {
      agent = createAgent(Java, config, (event) => send(event));
      agent.install();
    });
    return "ok";
  },
  now() {
    let t = -1;
    if (agent !== null) Java.performNow(() => { t = agent.now(); });
    return t;
  },
  consent(state) {
    if (agent === null) return false;
    Java.performNow(() => agent.consent(state === "refused" ? "refused" : "agreed"));
    return true;
  },
};
