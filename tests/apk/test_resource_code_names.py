"""Compiled XML whose string pool holds no class name and no "onClick" names no code, so it is not parsed; the
names found in an APK's resources are exactly those a parse of every XML finds."""

from __future__ import annotations

import pytest

from hegui.apk import code_names, open_apk
from hegui.apk.code_names import _may_name_code, resource_code_names

APP = "github-cn-apks/apks/co.mide.md5er.apk"


@pytest.mark.corpus
def test_an_animation_names_no_code(corpus):
    apk = open_apk(corpus / APP)
    assert _may_name_code(apk.archive.read("res/anim/abc_fade_in.xml")) is False
    apk.close()


@pytest.mark.corpus
def test_a_layout_with_a_library_view_may_name_code(corpus):
    apk = open_apk(corpus / APP)
    assert _may_name_code(apk.archive.read("res/layout/abc_action_menu_layout.xml")) is True
    apk.close()


def test_an_xml_too_short_for_a_pool_is_left_to_the_parser():
    assert _may_name_code(b"\x03\x00\x08\x00\x08\x00\x00\x00") is True


@pytest.mark.corpus
def test_on_real_apps_the_names_are_those_a_parse_of_every_xml_finds(corpus, monkeypatch):
    for path in sorted((corpus / "github-cn-apks" / "apks").glob("*.apk")):
        apk = open_apk(path)
        found = resource_code_names(apk.archive)
        with monkeypatch.context() as patch:
            patch.setattr(code_names, "_may_name_code", lambda _data: True)
            assert resource_code_names(apk.archive) == found, path.name
        apk.close()
