// Pure event formatting and matching for hegui's Frida agent.
//
// Nothing here touches Java or Frida globals, so hegui's tests run these functions under node with fake
// inputs and validate the produced events against src/hegui/trace/trace.schema.json. The event format is
// shared/CONTRACT.md "Runtime trace" plus optional fields (args, error, pid, thread, foreground_service,
// target_package, user_action, source, cause, user_initiated, via, port).

export const MAX_STACK = 24;
export const MAX_ARGS = 8;
export const MAX_ARG_CHARS = 512;
export const MAX_PAYLOAD_CHARS = 65536;
export const MAX_TRACKED_VALUES = 5000;

export function clip(text, max) {
  const s = String(text);
  return s.length > max ? s.slice(0, max) : s;
}

// One argument as the trace shows it: strings as they are, numbers and booleans in JS notation.
export function formatArg(value) {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return clip(value, MAX_ARG_CHARS);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return clip(String(value), MAX_ARG_CHARS);
}

export function formatArgs(values) {
  return Array.from(values).slice(0, MAX_ARGS).map(formatArg);
}

// Java's Log.getStackTraceString(new Throwable()) → frames "cls.method(File.java:12)", innermost first,
// starting after the hooked method's own frame (the Throwable is created inside the hook).
export function stackFromTrace(text, hooked, max = MAX_STACK) {
  const frames = [];
  for (const raw of String(text).split("\n")) {
    const line = raw.trim();
    if (line.startsWith("at ")) frames.push(line.slice(3).trim());
  }
  let start = 0;
  if (hooked) {
    const idx = frames.findIndex((f) => f.split("(")[0] === hooked);
    if (idx >= 0) start = idx + 1;
  }
  return frames.slice(start, start + max).map((f) => clip(f, 200));
}

// ContentResolver#query reads contacts only with a contacts URI: an argument must contain a context string.
export function matchesContext(args, context) {
  if (!context || context.length === 0) return true;
  return args.some((a) => typeof a === "string" && context.some((c) => a.includes(c)));
}

function put(event, key, value) {
  if (value !== undefined && value !== null) event[key] = value;
}

export function apiEvent({ t, api, stack, foreground, foregroundService, args, error, targetPackage,
                           userAction, pid, thread }) {
  const event = { t: Math.max(0, Math.round(t)), kind: "api", api, stack: stack || [] };
  put(event, "foreground", foreground);
  put(event, "foreground_service", foregroundService);
  put(event, "args", args);
  put(event, "error", error === undefined || error === null ? undefined : clip(error, 300));
  put(event, "target_package", targetPackage);
  put(event, "user_action", userAction);
  put(event, "pid", pid);
  put(event, "thread", thread === undefined ? undefined : clip(thread, 100));
  return event;
}

export function consentEvent(t, state, source) {
  const event = { t: Math.max(0, Math.round(t)), kind: "consent", state };
  put(event, "source", source);
  return event;
}

export function permissionRequestEvent(t, permissions, stack, userAction) {
  const event = { t: Math.max(0, Math.round(t)), kind: "permission_request",
                  permissions: Array.from(permissions).map(String).slice(0, 64) };
  put(event, "stack", stack);
  put(event, "user_action", userAction);
  return event;
}

// Activity#dispatchRequestPermissionsResult carries parallel arrays of names and grant results
// (PackageManager.PERMISSION_GRANTED = 0, PERMISSION_DENIED = -1).
export function permissionResultEvents(t, names, results) {
  const out = [];
  const n = Math.min(names ? names.length : 0, results ? results.length : 0);
  for (let i = 0; i < n; i++) {
    if (typeof names[i] !== "string" || names[i].length === 0) continue;
    out.push({ t: Math.max(0, Math.round(t)), kind: "permission_result", permission: names[i],
               granted: results[i] === 0 });
  }
  return out;
}

export const BOOT_ACTIONS = [
  "android.intent.action.BOOT_COMPLETED", "android.intent.action.LOCKED_BOOT_COMPLETED",
  "android.intent.action.QUICKBOOT_POWERON", "com.htc.intent.action.QUICKBOOT_POWERON",
];

// Why the process started, from what the first component saw. `startReason` is the name of an
// ApplicationStartInfo.START_REASON_* constant (Android 15+), when the platform tells.
export function classifyLaunch({ componentType, action, categories, referrer, sender, caller, ownPackage,
                                 startReason }) {
  const foreign = (pkg) => typeof pkg === "string" && pkg.length > 0 && pkg !== ownPackage;
  const cats = categories || [];
  if (startReason === "BOOT_COMPLETE" || startReason === "LOCKED_BOOT_COMPLETE" || BOOT_ACTIONS.includes(action)) {
    return { by: "boot", userInitiated: false, cause: startReason || action };
  }
  if (startReason === "LAUNCHER" || startReason === "LAUNCHER_RECENTS") {
    return { by: "self", userInitiated: true, cause: startReason };
  }
  if (startReason === "ALARM" || startReason === "JOB" || startReason === "PUSH" || startReason === "BACKUP") {
    return { by: "self", userInitiated: false, cause: startReason };
  }
  if (componentType === "activity") {
    if (action === "android.intent.action.MAIN" && cats.includes("android.intent.category.LAUNCHER")) {
      return { by: "self", userInitiated: true, cause: "launcher" };
    }
    if (foreign(referrer)) return { by: "other_app", userInitiated: true, cause: `activity from ${referrer}` };
    return { by: "self", userInitiated: true, cause: startReason || "activity" };
  }
  const from = foreign(sender) ? sender : foreign(caller) ? caller : null;
  if (from) return { by: "other_app", userInitiated: false, cause: `${componentType} from ${from}` };
  return { by: "self", userInitiated: false, cause: action ? `${componentType} ${action}` : componentType };
}

export function launchEvent(t, launch, component) {
  const event = { t: Math.max(0, Math.round(t)), kind: "launch", by: launch.by,
                  user_initiated: launch.userInitiated };
  put(event, "component", component ? clip(component, 300) : undefined);
  put(event, "cause", launch.cause ? clip(launch.cause, 300) : undefined);
  return event;
}

export function networkEvent(t, host, payloadPiTypes, stack, { via, port, pid } = {}) {
  const event = { t: Math.max(0, Math.round(t)), kind: "network", host: clip(host, 253),
                  payload_pi_types: payloadPiTypes || [] };
  put(event, "stack", stack);
  put(event, "via", via);
  put(event, "port", port);
  put(event, "pid", pid);
  return event;
}

export function exitEvent(t, reason) {
  const event = { t: Math.max(0, Math.round(t)), kind: "app_exit" };
  put(event, "reason", reason ? clip(reason, 200) : undefined);
  return event;
}

export function hostFromUrl(url) {
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]+\]|[^:/?#]+)/.exec(String(url));
  return m ? m[1].toLowerCase() : null;
}

// A tap on the privacy dialog: refusal texts first ("不同意" contains "同意"), long texts (the policy
// paragraph itself) and check boxes ("我已阅读并同意" is a tick, not the agree button) never count.
export function consentStateForClick(text, checkable, agreeTexts, refuseTexts) {
  if (checkable || typeof text !== "string") return null;
  const norm = text.replace(/\s+/g, "").toLowerCase();
  if (norm.length === 0 || norm.length > 12) return null;
  const has = (list) => list.some((w) => norm.includes(String(w).replace(/\s+/g, "").toLowerCase()));
  if (has(refuseTexts)) return "refused";
  if (has(agreeTexts)) return "agreed";
  return null;
}

export function macFromBytes(bytes) {
  if (!bytes || bytes.length !== 6) return null;
  return Array.from(bytes, (b) => ((b & 0xff) + 0x100).toString(16).slice(1)).join(":");
}

// Numbers (latitude, longitude) are matched by their first four decimals, cut rather than rounded, so
// "39.9042" is found in a payload that carries "39.904211".
export function valueForms(value) {
  if (typeof value === "number" && Number.isFinite(value) && !Number.isInteger(value)) {
    const fixed = value.toFixed(6);
    return [fixed.slice(0, fixed.indexOf(".") + 5)];
  }
  if (typeof value !== "string") return [];
  const v = value.trim();
  const forms = [v];
  if (/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(v)) forms.push(v.toLowerCase(), v.toUpperCase(), v.replace(/:/g, ""));
  return forms;
}

// Values the hooks returned (IMEI, Android ID, MAC, package names…), to recognise them in payloads.
export class ValueIndex {
  constructor(placeholders = [], minLength = 6, maxValues = MAX_TRACKED_VALUES) {
    this.placeholders = new Set(placeholders);
    this.minLength = minLength;
    this.maxValues = maxValues;
    this.values = new Map();
  }

  record(value, piTypes) {
    for (const form of valueForms(value)) {
      if (form.length < this.minLength || this.placeholders.has(form)) continue;
      let types = this.values.get(form);
      if (!types) {
        if (this.values.size >= this.maxValues) return;
        types = new Set();
        this.values.set(form, types);
      }
      for (const p of piTypes) types.add(p);
    }
  }

  find(payload) {
    const text = clip(payload || "", MAX_PAYLOAD_CHARS);
    const found = new Set();
    if (text.length === 0) return [];
    for (const [value, types] of this.values) {
      if (text.includes(value) || text.includes(encodeURIComponent(value))) for (const p of types) found.add(p);
    }
    return Array.from(found).sort();
  }
}
