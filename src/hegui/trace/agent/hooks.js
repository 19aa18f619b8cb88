// Java hooks of hegui's Frida agent. Every event goes out through `emit` as one trace line
// (shared/CONTRACT.md "Runtime trace"); formatting lives in format.js so tests can check it under node.
//
// The hook list for personal-information APIs is not written here: the host generates it from hegui's
// catalog (knowledge/pi_types.yaml) and passes it in `config.hooks`.

import {
  apiEvent, classifyLaunch, consentEvent, consentStateForClick, exitEvent, formatArgs, hostFromUrl,
  launchEvent, macFromBytes, matchesContext, networkEvent, permissionRequestEvent, permissionResultEvents,
  stackFromTrace, ValueIndex,
} from "./format.js";

const EXTRA_NAMES = "android.content.pm.extra.REQUEST_PERMISSIONS_NAMES";
const EXTRA_RESULTS = "android.content.pm.extra.REQUEST_PERMISSIONS_RESULTS";
const IMPORTANCE_FOREGROUND = 100;
const IMPORTANCE_FOREGROUND_SERVICE = 125;
const START_REASONS = ["ALARM", "BACKUP", "BOOT_COMPLETE", "BROADCAST", "CONTENT_PROVIDER", "JOB", "LAUNCHER",
  "LAUNCHER_RECENTS", "OTHER", "PUSH", "SERVICE", "START_ACTIVITY"];
const DNS_REPEAT_MS = 10000;
const MAX_LIST_VALUES = 50;
const MAX_BODY_BYTES = 65536;

export function createAgent(Java, config, emit) {
  const own = config.package;
  const values = new ValueIndex(config.placeholder_values || [], config.min_value_length || 6);
  const userActionWindow = config.user_action_window_ms || 1500;
  const busy = new Set();   // thread ids inside the recorder: our own Java calls must not record
  const status = (message) => send({ type: "hegui-status", message: String(message) });

  const SystemClock = Java.use("android.os.SystemClock");
  const AndroidProcess = Java.use("android.os.Process");
  const Log = Java.use("android.util.Log");
  const Throwable = Java.use("java.lang.Throwable");
  const JThread = Java.use("java.lang.Thread");
  const ActivityManager = Java.use("android.app.ActivityManager");
  const ProcessInfo = Java.use("android.app.ActivityManager$RunningAppProcessInfo");
  const Intent = Java.use("android.content.Intent");
  const CharSequence = Java.use("java.lang.CharSequence");
  const JList = Java.use("java.util.List");

  let startElapsed = 0;
  try {
    startElapsed = Number(AndroidProcess.getStartElapsedRealtime());
  } catch (e) {
    startElapsed = Number(SystemClock.elapsedRealtime());   // before API 24: time from the agent's start
  }
  const now = () => Number(SystemClock.elapsedRealtime()) - startElapsed;

  let resumedActivities = 0;
  let importance = { t: -1e9, fg: false, fgs: false };
  function foregroundState() {
    const t = now();
    if (t - importance.t > 500) {
      const info = ProcessInfo.$new();
      ActivityManager.getMyMemoryState(info);
      const imp = info.importance.value;
      importance = { t, fg: imp <= IMPORTANCE_FOREGROUND, fgs: imp === IMPORTANCE_FOREGROUND_SERVICE };
    }
    return { fg: resumedActivities > 0 || importance.fg, fgs: importance.fgs };
  }

  let lastClickT = -1e9;
  const userAction = () => now() - lastClickT <= userActionWindow;
  const stack = (hooked) => stackFromTrace(String(Log.getStackTraceString(Throwable.$new())), hooked);
  const threadName = () => String(JThread.currentThread().getName());

  // Runs `fn` unless this thread is already recording (our own Java calls re-enter hooked methods).
  function guarded(fn) {
    const tid = Process.getCurrentThreadId();
    if (busy.has(tid)) return;
    busy.add(tid);
    try {
      fn();
    } catch (e) {
      status(`recording failed: ${e}`);
    } finally {
      busy.delete(tid);
    }
  }

  function text(value) {
    if (value === null || value === undefined) return null;
    if (typeof value !== "object") return value;
    try {
      return String(value.toString());
    } catch (e) {
      return String(value);
    }
  }

  function recordReturn(ret, piTypes) {
    if (ret === null || ret === undefined) return;
    if (typeof ret === "string" || typeof ret === "number") {
      values.record(ret, piTypes);
    } else if (Array.isArray(ret) || (typeof ret === "object" && typeof ret.length === "number" && !ret.$className)) {
      const mac = macFromBytes(ret);
      if (mac) values.record(mac, piTypes);
    } else if (typeof ret === "object" && ret.$className) {
      if (CharSequence.class.isInstance(ret)) {
        values.record(String(ret.toString()), piTypes);
      } else if (JList.class.isInstance(ret)) {
        const list = Java.cast(ret, JList);
        const n = Math.min(list.size(), MAX_LIST_VALUES);
        for (let i = 0; i < n; i++) {
          const item = list.get(i);
          if (item === null) continue;
          const typed = Java.cast(item, Java.use(item.$className));
          if (typed.packageName !== undefined) values.record(String(typed.packageName.value), piTypes);
        }
      }
    }
  }

  // ---- catalog APIs ------------------------------------------------------------------------------------
  function hookApi(spec) {
    let cls;
    try {
      cls = Java.use(spec.class);
    } catch (e) {
      return false;
    }
    const method = cls[spec.method];
    if (method === undefined || method.overloads === undefined) return false;
    const hooked = `${spec.class}.${spec.method === "$init" ? "<init>" : spec.method}`;
    const keepArgs = spec.context.length > 0 || spec.own_package_lookup || spec.receiver_as_first_arg;
    for (const overload of method.overloads) {
      overload.implementation = function (...args) {
        let ret;
        let failure;
        try {
          ret = overload.apply(this, args);
        } catch (e) {
          failure = e;
        }
        const receiver = this;
        guarded(() => {
          let shown = formatArgs(args.map(text));
          if (spec.receiver_as_first_arg) shown = formatArgs([text(receiver), ...args.map(text)]);
          if (!matchesContext(shown, spec.context)) return;
          if (spec.own_package_lookup && shown[0] === own) return;
          const fg = foregroundState();
          emit(apiEvent({
            t: now(), api: spec.api, stack: stack(hooked), foreground: fg.fg, foregroundService: fg.fgs,
            args: keepArgs ? shown : undefined, error: failure === undefined ? undefined : String(failure),
            pid: Process.id, thread: threadName(),
          }));
          if (failure === undefined) recordReturn(ret, spec.pi_types);
        });
        if (failure !== undefined) throw failure;
        return ret;
      };
    }
    return true;
  }

  let pending = [];
  function hookCatalog(specs) {
    const left = [];
    for (const spec of specs) {
      try {
        if (!hookApi(spec)) left.push(spec);
      } catch (e) {
        status(`cannot hook ${spec.api}: ${e}`);
      }
    }
    return left;
  }

  // ---- lifecycle, consent taps, permissions -------------------------------------------------------------
  function hookLifecycle() {
    const Activity = Java.use("android.app.Activity");
    Activity.onResume.implementation = function () {
      resumedActivities += 1;
      return this.onResume();
    };
    Activity.onPause.implementation = function () {
      resumedActivities = Math.max(0, resumedActivities - 1);
      return this.onPause();
    };
  }

  let lastConsent = null;
  function hookClicks() {
    const View = Java.use("android.view.View");
    const TextView = Java.use("android.widget.TextView");
    const Checkable = Java.use("android.widget.Checkable");
    for (const overload of View.performClick.overloads) {
      overload.implementation = function (...args) {
        const view = this;
        guarded(() => {
          lastClickT = now();
          if (!TextView.class.isInstance(view)) return;
          const label = Java.cast(view, TextView).getText();
          const state = consentStateForClick(label === null ? null : String(label.toString()),
            Checkable.class.isInstance(view), config.consent_texts, config.refusal_texts);
          if (state !== null && state !== lastConsent) {
            lastConsent = state;
            emit(consentEvent(now(), state, "click"));
          }
        });
        return overload.apply(this, args);
      };
    }
  }

  function hookPermissions() {
    const Activity = Java.use("android.app.Activity");
    for (const overload of Activity.requestPermissions.overloads) {
      overload.implementation = function (...args) {
        guarded(() => {
          const names = args[0] === null ? [] : Array.from(args[0], String);
          emit(permissionRequestEvent(now(), names, stack("android.app.Activity.requestPermissions"), userAction()));
        });
        return overload.apply(this, args);
      };
    }
    for (const name of ["dispatchRequestPermissionsResult", "dispatchRequestPermissionsResultToFragment"]) {
      const method = Activity[name];
      if (method === undefined || method.overloads === undefined) continue;
      for (const overload of method.overloads) {
        overload.implementation = function (...args) {
          guarded(() => {
            const data = args[args.length - 1];
            if (data === null || !Intent.class.isInstance(data)) return;
            const intent = Java.cast(data, Intent);
            const names = intent.getStringArrayExtra(EXTRA_NAMES);
            const results = intent.getIntArrayExtra(EXTRA_RESULTS);
            const events = permissionResultEvents(now(), names === null ? [] : Array.from(names, String),
              results === null ? [] : Array.from(results, Number));
            for (const ev of events) emit(ev);
          });
          return overload.apply(this, args);
        };
      }
    }
  }

  // ---- why the process started ---------------------------------------------------------------------------
  let launched = false;
  function startReason(context) {
    try {
      const Info = Java.use("android.app.ApplicationStartInfo");   // Android 15+
      const am = Java.cast(context.getSystemService("activity"), ActivityManager);
      const list = am.getHistoricalProcessStartReasons(1);
      if (list.size() === 0) return null;
      const reason = Java.cast(list.get(0), Info).getReason();
      return START_REASONS.find((n) => Info[`START_REASON_${n}`].value === reason) || null;
    } catch (e) {
      return null;
    }
  }

  function currentApplication() {
    return Java.use("android.app.ActivityThread").currentApplication();
  }

  function callerPackage(context) {
    // The package whose binding keeps this process alive (a service or provider client), when known.
    const am = Java.cast(context.getSystemService("activity"), ActivityManager);
    const processes = am.getRunningAppProcesses();
    if (processes === null) return null;
    const me = AndroidProcess.myPid();
    for (let i = 0; i < processes.size(); i++) {
      const info = Java.cast(processes.get(i), ProcessInfo);
      if (info.pid.value === me && info.importanceReasonComponent.value !== null) {
        return String(info.importanceReasonComponent.value.getPackageName());
      }
    }
    return null;
  }

  function firstComponent(describe) {
    if (launched) return;
    launched = true;
    guarded(() => {
      const facts = describe();
      const app = currentApplication();
      facts.ownPackage = own;
      facts.startReason = app === null ? null : startReason(app);
      emit(launchEvent(now(), classifyLaunch(facts), facts.component));
    });
  }

  function intentFacts(intent) {
    if (intent === null) return { action: null, categories: [] };
    const cats = intent.getCategories();
    return { action: intent.getAction() === null ? null : String(intent.getAction()),
             categories: cats === null ? [] : Array.from(cats.toArray(), String) };
  }

  function hookLaunch() {
    const Instrumentation = Java.use("android.app.Instrumentation");
    for (const overload of Instrumentation.callActivityOnCreate.overloads) {
      overload.implementation = function (...args) {
        const activity = args[0];
        firstComponent(() => {
          const referrer = activity.getReferrer();
          return { componentType: "activity", ...intentFacts(activity.getIntent()),
                   referrer: referrer === null ? null : String(referrer.getHost()),
                   component: String(activity.getComponentName().flattenToShortString()) };
        });
        return overload.apply(this, args);
      };
    }
    const ActivityThread = Java.use("android.app.ActivityThread");
    for (const overload of ActivityThread.handleReceiver.overloads) {
      overload.implementation = function (...args) {
        const data = args[0];
        firstComponent(() => {
          let sender = null;
          try {
            sender = data.mSentFromPackage.value === null ? null : String(data.mSentFromPackage.value);   // API 34+
          } catch (e) {
            sender = null;
          }
          return { componentType: "receiver", ...intentFacts(data.intent.value), sender,
                   component: String(data.info.value.name.value) };
        });
        return overload.apply(this, args);
      };
    }
    for (const overload of ActivityThread.handleCreateService.overloads) {
      overload.implementation = function (...args) {
        const data = args[0];
        const result = overload.apply(this, args);
        firstComponent(() => {
          const app = currentApplication();
          return { componentType: "service", action: null, categories: [],
                   caller: app === null ? null : callerPackage(app), component: String(data.info.value.name.value) };
        });
        return result;
      };
    }
  }

  // ---- exits ------------------------------------------------------------------------------------------------
  function hookExits() {
    const Runtime = Java.use("java.lang.Runtime");
    Runtime.exit.implementation = function (code) {
      guarded(() => emit(exitEvent(now(), `Runtime.exit(${code})`)));
      return this.exit(code);
    };
    AndroidProcess.killProcess.implementation = function (pid) {
      if (pid === AndroidProcess.myPid()) guarded(() => emit(exitEvent(now(), "Process.killProcess")));
      return this.killProcess(pid);
    };
    const Activity = Java.use("android.app.Activity");
    Activity.finishAffinity.implementation = function () {
      guarded(() => emit(exitEvent(now(), "Activity.finishAffinity")));
      return this.finishAffinity();
    };
  }

  // ---- other apps started, bound or broadcast to --------------------------------------------------------------
  function targetPackage(intent) {
    const pkg = intent.getPackage();
    if (pkg !== null) return String(pkg);
    const component = intent.getComponent();
    return component === null ? null : String(component.getPackageName());
  }

  function hookAssociated(className, method, api) {
    let cls;
    try {
      cls = Java.use(className);
    } catch (e) {
      return;
    }
    if (cls[method] === undefined) return;
    for (const overload of cls[method].overloads) {
      overload.implementation = function (...args) {
        guarded(() => {
          const intentArg = args.find((a) => a !== null && typeof a === "object" && Intent.class.isInstance(a));
          if (intentArg === undefined) return;
          const target = targetPackage(Java.cast(intentArg, Intent));
          if (target === null || target === own) return;
          const fg = foregroundState();
          emit(apiEvent({ t: now(), api, stack: stack(`${className}.${method}`), foreground: fg.fg,
                          foregroundService: fg.fgs, targetPackage: target, userAction: userAction(),
                          pid: Process.id, thread: threadName() }));
        });
        return overload.apply(this, args);
      };
    }
  }

  // ---- network ----------------------------------------------------------------------------------------------
  const dnsSeen = new Map();
  function network(host, payload, via, port, hooked) {
    if (!host) return;
    emit(networkEvent(now(), host, values.find(payload), stack(hooked), { via, port, pid: Process.id }));
  }

  function hookNetwork() {
    const InetAddress = Java.use("java.net.InetAddress");
    for (const name of ["getAllByName", "getByName"]) {
      for (const overload of InetAddress[name].overloads) {
        overload.implementation = function (...args) {
          const host = args[0] === null ? null : String(args[0]);
          guarded(() => {
            const last = dnsSeen.get(host);
            if (host === null || (last !== undefined && now() - last < DNS_REPEAT_MS)) return;
            dnsSeen.set(host, now());
            network(host.toLowerCase(), "", "dns", undefined, `java.net.InetAddress.${name}`);
          });
          return overload.apply(this, args);
        };
      }
    }
    const Socket = Java.use("java.net.Socket");
    const InetSocketAddress = Java.use("java.net.InetSocketAddress");
    for (const overload of Socket.connect.overloads) {
      overload.implementation = function (...args) {
        guarded(() => {
          if (args[0] === null || !InetSocketAddress.class.isInstance(args[0])) return;
          const address = Java.cast(args[0], InetSocketAddress);
          network(String(address.getHostString()).toLowerCase(), "", "socket", address.getPort(),
            "java.net.Socket.connect");
        });
        return overload.apply(this, args);
      };
    }
    const URL = Java.use("java.net.URL");
    for (const overload of URL.openConnection.overloads) {
      overload.implementation = function (...args) {
        const url = String(this.toString());
        guarded(() => network(hostFromUrl(url), url, "url", undefined, "java.net.URL.openConnection"));
        return overload.apply(this, args);
      };
    }
    try {
      const OkHttpClient = Java.use("okhttp3.OkHttpClient");
      for (const overload of OkHttpClient.newCall.overloads) {
        overload.implementation = function (...args) {
          guarded(() => {
            const request = args[0];
            const url = String(request.url().toString());
            let payload = `${url}\n${request.headers().toString()}`;
            const body = request.body();
            if (body !== null && !body.isOneShot() && body.contentLength() <= MAX_BODY_BYTES) {
              const buffer = Java.use("okio.Buffer").$new();
              body.writeTo(buffer);
              payload += `\n${buffer.readUtf8()}`;
            }
            network(hostFromUrl(url), payload, "okhttp", undefined, "okhttp3.OkHttpClient.newCall");
          });
          return overload.apply(this, args);
        };
      }
    } catch (e) {
      status("okhttp3 not present or obfuscated: requests are seen through DNS and sockets only");
    }
  }

  // ---- install ------------------------------------------------------------------------------------------------
  function install() {
    const steps = [["lifecycle", hookLifecycle], ["clicks", hookClicks], ["permissions", hookPermissions],
      ["launch", hookLaunch], ["exits", hookExits], ["network", hookNetwork]];
    for (const [name, step] of steps) {
      try {
        step();
      } catch (e) {
        status(`${name} hooks not installed: ${e}`);
      }
    }
    for (const api of config.associated_start_apis || []) {
      const method = api.split("#")[1];
      if (method === "startActivity") {
        hookAssociated("android.app.Instrumentation", "execStartActivity", api);
      } else {
        hookAssociated("android.app.ContextImpl", method, api);
      }
    }
    pending = hookCatalog(config.hooks || []);
    // Classes of multidex or late-loaded SDK code may appear only once the Application starts.
    try {
      const Instrumentation = Java.use("android.app.Instrumentation");
      Instrumentation.callApplicationOnCreate.implementation = function (app) {
        if (pending.length > 0) pending = hookCatalog(pending);
        status(`hooked ${(config.hooks || []).length - pending.length} catalog APIs; not found: ${pending.length}`);
        return this.callApplicationOnCreate(app);
      };
    } catch (e) {
      status(`cannot watch Application start: ${e}`);
    }
  }

  return {
    install, now,
    consent(state) {
      lastConsent = state;
      emit(consentEvent(now(), state, "tester"));
    },
  };
}
