"""The DEX index records exactly the references the bytecode makes, and survives hostile bytes."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from apkbuild import build_apk, manifest, smali_class
from hegui.dex import DexFile, DexFormatError, DexIndex
from hegui.dex.index import descriptor_to_java

PAYLOADS = """
.method public static pick(I)Ljava/lang/String;
    .registers 3
    packed-switch p0, :pswitch
    sparse-switch p0, :sswitch
    const/4 v0, 0x3
    new-array v0, v0, [I
    fill-array-data v0, :array
    const-string v1, "before-payloads"
    invoke-static {v1}, Landroid/util/Log;->isLoggable(Ljava/lang/String;I)Z
    const-string/jumbo v1, "jumbo-string"
    invoke-static {}, Landroid/os/Build;->getSerial()Ljava/lang/String;
    sget-object v1, Landroid/os/Build;->SERIAL:Ljava/lang/String;
    return-object v1
    :pswitch
    .packed-switch 0x1
        :a
        :b
    .end packed-switch
    :sswitch
    .sparse-switch
        0x5 -> :a
        0x50 -> :b
    .end sparse-switch
    :array
    .array-data 4
        0x1
        0x2
        0x3
    .end array-data
    :a
    invoke-static {}, Ljava/lang/System;->currentTimeMillis()J
    :b
    const/4 v1, 0x0
    return-object v1
.end method
"""


@pytest.fixture(scope="module")
def payload_index(tmp_path_factory) -> DexIndex:
    tmp = tmp_path_factory.mktemp("dex")
    apk = build_apk(tmp, manifest("com.demo.dex", ""), {"com.demo.dex.Payloads": smali_class("com.demo.dex.Payloads", PAYLOADS)})
    with zipfile.ZipFile(apk) as z:
        return DexIndex.build([("classes.dex", z.read("classes.dex"))])


@pytest.mark.apktool
def test_invokes_after_switch_and_array_payloads_are_found_in_order(payload_index):
    cls = payload_index.classes["Lcom/demo/dex/Payloads;"]
    method = payload_index.methods[cls.methods[("pick", "(I)Ljava/lang/String;")]]
    calls = [f"{descriptor_to_java(c)}#{n}" for (c, n, _p), _op in payload_index.invokes(method)]
    assert calls == ["android.util.Log#isLoggable", "android.os.Build#getSerial", "java.lang.System#currentTimeMillis"]


@pytest.mark.apktool
def test_const_strings_including_jumbo_and_field_reads_are_recorded(payload_index):
    cls = payload_index.classes["Lcom/demo/dex/Payloads;"]
    method = payload_index.methods[cls.methods[("pick", "(I)Ljava/lang/String;")]]
    assert payload_index.strings(method) == ["before-payloads", "jumbo-string"]
    assert payload_index.field_reads(method) == [("Landroid/os/Build;", "SERIAL")]


@pytest.mark.apktool
def test_superclass_chain_ends_at_the_first_framework_class(tmp_path):
    smali = {
        "com.demo.A": smali_class("com.demo.A", "", super_="Landroid/app/Activity;"),
        "com.demo.B": smali_class("com.demo.B", "", super_="Lcom/demo/A;"),
    }
    apk = build_apk(tmp_path, manifest("com.demo", ""), smali)
    with zipfile.ZipFile(apk) as z:
        index = DexIndex.build([("classes.dex", z.read("classes.dex"))])
    assert list(index.superclasses("Lcom/demo/B;")) == ["Lcom/demo/A;", "Landroid/app/Activity;"]
    assert index.framework_owner("Lcom/demo/B;") == "Landroid/app/Activity;"


def test_bytes_that_are_not_dex_are_rejected_with_a_reason():
    with pytest.raises(DexFormatError, match="bad magic"):
        DexFile(b"PK\x03\x04" + b"\0" * 200)


def test_an_unreadable_dex_is_a_problem_not_a_crash_and_other_dex_files_still_count(corpus):
    data = _first_dex(corpus / "droidbench/apks/Callbacks/Button1.apk")
    index = DexIndex.build([("classes.dex", b"dex\n035\0" + b"\xff" * 300), ("classes2.dex", data)])
    assert index.problems and index.problems[0].startswith("classes.dex: ")
    assert "Lde/ecspride/Button1;" in index.classes


@pytest.mark.corpus
@pytest.mark.parametrize("cut", [0.1, 0.5, 0.9, 0.99])
def test_a_truncated_dex_yields_problems_never_an_exception(corpus, cut):
    data = _first_dex(corpus / "exodus-core/apks/blooddonation.apk")
    index = DexIndex.build([("classes.dex", data[: int(len(data) * cut)])])
    assert index.problems  # something was reported, and the call returned


def _first_dex(apk: Path) -> bytes:
    with zipfile.ZipFile(apk) as z:
        return z.read("classes.dex")


_DEXDUMP_INVOKE = re.compile(r"\|[0-9a-f]{4}: invoke-[\w/-]+ \{[^}]*\}, (\[*(?:L[^;]+;|[A-Z]))\.([^:]+):(\([^)]*\)\S+) // method@")


@pytest.mark.corpus
@pytest.mark.skipif(shutil.which("dexdump") is None, reason="Debian dexdump not installed")
@pytest.mark.parametrize("apk", [
    "exodus-core/apks/instapaper.apk",
    "bugly-demo/apks/BuglyHotfixDemo_tinker1.9.14.apk",
    "droidbench/apks/Reflection/Reflection1.apk",
])
def test_every_invoke_agrees_with_debian_dexdump(corpus, tmp_path, apk):
    dex = tmp_path / "classes.dex"
    dex.write_bytes(_first_dex(corpus / apk))
    dump = subprocess.run(["dexdump", "-d", str(dex)], capture_output=True, check=True).stdout.decode("utf-8", "replace")
    expected = Counter(m.groups() for m in _DEXDUMP_INVOKE.finditer(dump))
    index = DexIndex.build([("classes.dex", dex.read_bytes())])
    got = Counter(key for m in index.methods for key, _op in index.invokes(m))
    assert sum(expected.values()) > 1000 or "Reflection" in apk
    assert got == expected


@pytest.mark.corpus
def test_resolve_answers_what_the_classes_added_so_far_define(corpus):
    """`resolve` keeps its answers for the call graph; adding a DEX that defines the class changes them."""
    index = DexIndex()
    index.add("classes.dex", _first_dex(corpus / "exodus-core/apks/blooddonation.apk"))
    call = ("Lde/ecspride/Button1;", "onCreate", "(Landroid/os/Bundle;)V")
    assert index.resolve(*call) is None
    index.add("classes2.dex", _first_dex(corpus / "droidbench/apks/Callbacks/Button1.apk"))
    target = index.resolve(*call)
    assert (target.key if target else None, index.resolve(*call) is target) == (call, True)
