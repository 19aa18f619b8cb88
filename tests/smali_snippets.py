"""Smali building blocks for the scan fixtures: small, real bytecode with a known meaning."""

from __future__ import annotations


def method(name: str, body: str, *, params: str = "", ret: str = "V", static: bool = False, registers: int = 6) -> str:
    mods = "public static" if static else "public"
    tail = "    return-void\n" if ret == "V" else ""
    return f".method {mods} {name}({params}){ret}\n    .registers {registers}\n{body}{tail}.end method\n"


# p-register holding a Context: p0 for instance methods of Context subclasses, p0 for static (Context) methods.
def read_imei(ctx: str = "p0") -> str:
    return (
        '    const-string v0, "phone"\n'
        f"    invoke-virtual {{{ctx}, v0}}, Landroid/content/Context;->getSystemService(Ljava/lang/String;)Ljava/lang/Object;\n"
        "    move-result-object v0\n"
        "    check-cast v0, Landroid/telephony/TelephonyManager;\n"
        "    invoke-virtual {v0}, Landroid/telephony/TelephonyManager;->getDeviceId()Ljava/lang/String;\n"
    )


def read_android_id(ctx: str = "p0") -> str:
    return (
        f"    invoke-virtual {{{ctx}}}, Landroid/content/Context;->getContentResolver()Landroid/content/ContentResolver;\n"
        "    move-result-object v0\n"
        '    const-string v1, "android_id"\n'
        "    invoke-static {v0, v1}, Landroid/provider/Settings$Secure;->getString(Landroid/content/ContentResolver;Ljava/lang/String;)Ljava/lang/String;\n"
    )


def read_settings_other_key(ctx: str = "p0") -> str:
    return (
        f"    invoke-virtual {{{ctx}}}, Landroid/content/Context;->getContentResolver()Landroid/content/ContentResolver;\n"
        "    move-result-object v0\n"
        '    const-string v1, "screen_brightness"\n'
        "    invoke-static {v0, v1}, Landroid/provider/Settings$System;->getString(Landroid/content/ContentResolver;Ljava/lang/String;)Ljava/lang/String;\n"
    )


def query_contacts(ctx: str = "p0") -> str:
    return (
        f"    invoke-virtual {{{ctx}}}, Landroid/content/Context;->getContentResolver()Landroid/content/ContentResolver;\n"
        "    move-result-object v0\n"
        "    sget-object v1, Landroid/provider/ContactsContract$Contacts;->CONTENT_URI:Landroid/net/Uri;\n"
        "    const/4 v2, 0x0\n"
        "    invoke-virtual/range {v0 .. v5}, Landroid/content/ContentResolver;->query(Landroid/net/Uri;[Ljava/lang/String;Ljava/lang/String;[Ljava/lang/String;Ljava/lang/String;)Landroid/database/Cursor;\n"
    )


def query_own_provider(ctx: str = "p0") -> str:
    return (
        f"    invoke-virtual {{{ctx}}}, Landroid/content/Context;->getContentResolver()Landroid/content/ContentResolver;\n"
        "    move-result-object v0\n"
        '    const-string v1, "content://com.demo.own/items"\n'
        "    invoke-static {v1}, Landroid/net/Uri;->parse(Ljava/lang/String;)Landroid/net/Uri;\n"
        "    move-result-object v1\n"
        "    const/4 v2, 0x0\n"
        "    invoke-virtual/range {v0 .. v5}, Landroid/content/ContentResolver;->query(Landroid/net/Uri;[Ljava/lang/String;Ljava/lang/String;[Ljava/lang/String;Ljava/lang/String;)Landroid/database/Cursor;\n"
    )


def reflect_imei() -> str:
    return (
        '    const-string v0, "android.telephony.TelephonyManager"\n'
        "    invoke-static {v0}, Ljava/lang/Class;->forName(Ljava/lang/String;)Ljava/lang/Class;\n"
        "    move-result-object v0\n"
        '    const-string v1, "getDeviceId"\n'
        "    const/4 v2, 0x0\n"
        "    invoke-virtual {v0, v1, v2}, Ljava/lang/Class;->getMethod(Ljava/lang/String;[Ljava/lang/Class;)Ljava/lang/reflect/Method;\n"
    )


def installed_packages(ctx: str = "p0") -> str:
    return (
        f"    invoke-virtual {{{ctx}}}, Landroid/content/Context;->getPackageManager()Landroid/content/pm/PackageManager;\n"
        "    move-result-object v0\n"
        "    const/4 v1, 0x0\n"
        "    invoke-virtual {v0, v1}, Landroid/content/pm/PackageManager;->getInstalledPackages(I)Ljava/util/List;\n"
    )


def read_clipboard(ctx: str = "p0") -> str:
    return (
        '    const-string v0, "clipboard"\n'
        f"    invoke-virtual {{{ctx}, v0}}, Landroid/content/Context;->getSystemService(Ljava/lang/String;)Ljava/lang/Object;\n"
        "    move-result-object v0\n"
        "    check-cast v0, Landroid/content/ClipboardManager;\n"
        "    invoke-virtual {v0}, Landroid/content/ClipboardManager;->getPrimaryClip()Landroid/content/ClipData;\n"
    )


def register_accelerometer(ctx: str = "p0") -> str:
    return (
        '    const-string v0, "sensor"\n'
        f"    invoke-virtual {{{ctx}, v0}}, Landroid/content/Context;->getSystemService(Ljava/lang/String;)Ljava/lang/Object;\n"
        "    move-result-object v0\n"
        "    check-cast v0, Landroid/hardware/SensorManager;\n"
        "    const/4 v1, 0x1\n"
        "    invoke-virtual {v0, v1}, Landroid/hardware/SensorManager;->getDefaultSensor(I)Landroid/hardware/Sensor;\n"
        "    move-result-object v1\n"
        "    const/4 v2, 0x0\n"
        "    const/4 v3, 0x2\n"
        "    invoke-virtual {v0, v2, v1, v3}, Landroid/hardware/SensorManager;->registerListener(Landroid/hardware/SensorEventListener;Landroid/hardware/Sensor;I)Z\n"
    )


def open_other_app(ctx: str = "p0", package: str = "com.tencent.mm") -> str:
    return (
        "    new-instance v0, Landroid/content/Intent;\n"
        "    invoke-direct {v0}, Landroid/content/Intent;-><init>()V\n"
        f'    const-string v1, "{package}"\n'
        "    invoke-virtual {v0, v1}, Landroid/content/Intent;->setPackage(Ljava/lang/String;)Landroid/content/Intent;\n"
        f"    invoke-virtual {{{ctx}, v0}}, Landroid/content/Context;->startActivity(Landroid/content/Intent;)V\n"
    )


def install_apk_intent(ctx: str = "p0") -> str:
    return (
        "    new-instance v0, Landroid/content/Intent;\n"
        '    const-string v1, "android.intent.action.VIEW"\n'
        "    invoke-direct {v0, v1}, Landroid/content/Intent;-><init>(Ljava/lang/String;)V\n"
        '    const-string v1, "file:///sdcard/Download/game.apk"\n'
        "    invoke-static {v1}, Landroid/net/Uri;->parse(Ljava/lang/String;)Landroid/net/Uri;\n"
        "    move-result-object v1\n"
        '    const-string v2, "application/vnd.android.package-archive"\n'
        "    invoke-virtual {v0, v1, v2}, Landroid/content/Intent;->setDataAndType(Landroid/net/Uri;Ljava/lang/String;)Landroid/content/Intent;\n"
        f"    invoke-virtual {{{ctx}, v0}}, Landroid/content/Context;->startActivity(Landroid/content/Intent;)V\n"
    )


def dex_class_loader() -> str:
    return (
        "    new-instance v0, Ldalvik/system/DexClassLoader;\n"
        '    const-string v1, "/data/data/com.demo/files/patch.dex"\n'
        "    const/4 v2, 0x0\n"
        "    invoke-direct {v0, v1, v2, v2, v2}, Ldalvik/system/DexClassLoader;-><init>(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/ClassLoader;)V\n"
    )


def call_static(cls: str, name: str, params: str = "Landroid/content/Context;", args: str = "{p0}") -> str:
    return f"    invoke-static {args}, L{cls.replace('.', '/')};->{name}({params})V\n"


def http_url(url: str) -> str:
    return f'    const-string v0, "{url}"\n'


def requested_url(url: str) -> str:
    """`new URL(url).openConnection()`: the URL is requested (a cleartext transmission when it is http://)."""
    return (f'    const-string v0, "{url}"\n'
            "    new-instance v1, Ljava/net/URL;\n"
            "    invoke-direct {v1, v0}, Ljava/net/URL;-><init>(Ljava/lang/String;)V\n"
            "    invoke-virtual {v1}, Ljava/net/URL;->openConnection()Ljava/net/URLConnection;\n")


# --- stored consent flags (tests/scan/test_consent_guard.py, tests/dex/test_guards.py) ---------------------
def stored_flag(key: str, ctx: str = "p0") -> str:
    """`v0 = ctx.getSharedPreferences("app", 0).getBoolean(key, false)`."""
    return (
        '    const-string v0, "app"\n'
        "    const/4 v1, 0x0\n"
        f"    invoke-virtual {{{ctx}, v0, v1}}, Landroid/content/Context;->getSharedPreferences(Ljava/lang/String;I)Landroid/content/SharedPreferences;\n"
        "    move-result-object v0\n"
        f'    const-string v2, "{key}"\n'
        "    invoke-interface {v0, v2, v1}, Landroid/content/SharedPreferences;->getBoolean(Ljava/lang/String;Z)Z\n"
        "    move-result v0\n"
    )


def when_flag(key: str, body: str, ctx: str = "p0") -> str:
    """`if (getBoolean(key, false)) { body }`."""
    return stored_flag(key, ctx) + "    if-eqz v0, :flag_false\n" + body + "    :flag_false\n"


def unless_flag(key: str, body: str, ctx: str = "p0") -> str:
    """`if (!getBoolean(key, false)) { body }`: body runs while the flag is still false."""
    return stored_flag(key, ctx) + "    if-nez v0, :flag_true\n" + body + "    :flag_true\n"


def return_unless_flag(key: str, ctx: str = "p0") -> str:
    """`if (!getBoolean(key, false)) return;` — what follows runs only once the flag is true."""
    return stored_flag(key, ctx) + "    if-nez v0, :flag_true\n    return-void\n    :flag_true\n"


def when_predicate(cls: str, name: str, body: str, ctx: str = "p0") -> str:
    """`if (Cls.name(ctx)) { body }` for a static boolean method taking a Context."""
    return (
        f"    invoke-static {{{ctx}}}, L{cls.replace('.', '/')};->{name}(Landroid/content/Context;)Z\n"
        "    move-result v0\n    if-eqz v0, :flag_false\n" + body + "    :flag_false\n"
    )


def flag_predicate(name: str, key: str) -> str:
    """A static method `name(Context)Z` that returns `getBoolean(key, false)`."""
    return (
        f".method public static {name}(Landroid/content/Context;)Z\n    .registers 6\n    move-object v5, p0\n"
        + stored_flag(key, "v5") + "    return v0\n.end method\n"
    )


# --- consent flags kept in fields (tests/dex/test_guards.py, tests/scan/test_consent_guard.py) ---------------
def put_static_flag(cls: str, field: str, reg: str = "v0") -> str:
    """`Cls.field = reg` for a static boolean field."""
    return f"    sput-boolean {reg}, L{cls.replace('.', '/')};->{field}:Z\n"


def when_static_field(cls: str, field: str, body: str) -> str:
    """`if (Cls.field) { body }` for a static boolean field."""
    return (f"    sget-boolean v0, L{cls.replace('.', '/')};->{field}:Z\n"
            "    if-eqz v0, :field_false\n" + body + "    :field_false\n")


def persist_flag(key: str, ctx: str = "p0") -> str:
    """`ctx.getSharedPreferences("app", 0).edit().putBoolean(key, true).apply()`; leaves true in v1."""
    return (
        '    const-string v0, "app"\n'
        "    const/4 v1, 0x0\n"
        f"    invoke-virtual {{{ctx}, v0, v1}}, Landroid/content/Context;->getSharedPreferences(Ljava/lang/String;I)Landroid/content/SharedPreferences;\n"
        "    move-result-object v0\n"
        "    invoke-interface {v0}, Landroid/content/SharedPreferences;->edit()Landroid/content/SharedPreferences$Editor;\n"
        "    move-result-object v0\n"
        f'    const-string v2, "{key}"\n'
        "    const/4 v1, 0x1\n"
        "    invoke-interface {v0, v2, v1}, Landroid/content/SharedPreferences$Editor;->putBoolean(Ljava/lang/String;Z)Landroid/content/SharedPreferences$Editor;\n"
        "    move-result-object v0\n"
        "    invoke-interface {v0}, Landroid/content/SharedPreferences$Editor;->apply()V\n"
    )


def for_name_and_invoke(cls: str, name: str = "start") -> str:
    """`Class.forName(cls).getMethod(name).invoke(newInstance())`: a plugin started by constant names."""
    return (f'    const-string v0, "{cls}"\n'
            "    invoke-static {v0}, Ljava/lang/Class;->forName(Ljava/lang/String;)Ljava/lang/Class;\n"
            "    move-result-object v0\n"
            "    invoke-virtual {v0}, Ljava/lang/Class;->newInstance()Ljava/lang/Object;\n    move-result-object v1\n"
            f'    const-string v2, "{name}"\n    const/4 v3, 0x0\n'
            "    invoke-virtual {v0, v2, v3}, Ljava/lang/Class;->getMethod(Ljava/lang/String;[Ljava/lang/Class;)"
            "Ljava/lang/reflect/Method;\n    move-result-object v2\n"
            "    invoke-virtual {v2, v1, v3}, Ljava/lang/reflect/Method;->invoke(Ljava/lang/Object;[Ljava/lang/Object;)"
            "Ljava/lang/Object;\n")


def layout_naming(view: str, fragment: str, on_click: str = "onTap") -> str:
    """A layout XML whose tags create `view` and `fragment` (Java names) and bind a Button's `on_click`."""
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<LinearLayout xmlns:android="http://schemas.android.com/apk/res/android"'
            ' android:layout_width="match_parent" android:layout_height="match_parent">\n'
            f'  <{view} android:layout_width="10dp" android:layout_height="10dp"/>\n'
            f'  <Button android:layout_width="10dp" android:layout_height="10dp" android:onClick="{on_click}"/>\n'
            f'  <fragment android:name="{fragment}" android:layout_width="10dp" android:layout_height="10dp"/>\n'
            '</LinearLayout>\n')


def jni_library(cls: str) -> bytes:
    """A native library (ELF magic, no section table) holding `cls`'s JNI name as FindClass takes it."""
    return b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + b"Java_init\x00" + cls.replace(".", "/").encode() + b"\x00"


def inflated_view(cls: str, body: str) -> str:
    """A View `cls` (Java name) with the inflater's constructor and an onDraw, both running `body`."""
    desc = "L" + cls.replace(".", "/") + ";"
    return (f".class public {desc}\n.super Landroid/view/View;\n\n"
            ".method public constructor <init>(Landroid/content/Context;Landroid/util/AttributeSet;)V\n"
            "    .registers 4\n    invoke-direct {p0, p1, p2}, Landroid/view/View;-><init>(Landroid/content/Context;"
            f"Landroid/util/AttributeSet;)V\n{body}    return-void\n.end method\n\n"
            + method("onDraw", body, params="Landroid/graphics/Canvas;"))
