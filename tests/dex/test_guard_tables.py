"""The consent-guard analysis finds the boolean-returning method references from the raw method_ids table; they
are exactly the references whose proto returns Z."""

from __future__ import annotations

import pytest

from hegui.apk import open_apk
from hegui.dex import DexIndex
from hegui.dex.guards.analysis import _boolean_refs

APPS = ("com.mob.moblink.demo.apk", "com.xuexiang.xgdemo.apk", "co.mide.md5er.apk")


@pytest.mark.corpus
@pytest.mark.parametrize("app", APPS)
def test_boolean_references_are_those_whose_proto_returns_z(corpus, app):
    apk = open_apk(corpus / "github-cn-apks" / "apks" / app)
    index = DexIndex.build((name, apk.archive.read(name)) for name in apk.dex_names)
    for dex in index.dex_files:
        by_proto = {i for i, (_c, _n, proto) in enumerate(index.method_refs(dex)) if proto.endswith(")Z")}
        assert by_proto and _boolean_refs(dex) == by_proto
    apk.close()
