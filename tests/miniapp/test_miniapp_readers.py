"""The readers on real corpus packages and on hostile synthetic ones."""

from __future__ import annotations

import hashlib
import struct
import zipfile
from pathlib import Path

import pytest

from hegui.errors import InputError
from hegui.miniapp import open_miniapp
from hegui.miniapp.declarations import Plugin, RequestedPermission, read_declarations

PARTY_APPID = "wx6e24c691f9a50e44"


def _wxapkg(entries: list[tuple[bytes, bytes]], count: int | None = None) -> bytes:
    """A plain wxapkg built the way WeChat lays it out."""
    index = b"".join(struct.pack(">I", len(n)) + n + b"\0" * 8 for n, _ in entries)
    index_len = 4 + len(index)
    body, offsets, pos = b"", [], 14 + index_len
    for _, data in entries:
        offsets.append(pos)
        body += data
        pos += len(data)
    index = b"".join(struct.pack(">I", len(n)) + n + struct.pack(">II", off, len(d))
                     for (n, d), off in zip(entries, offsets, strict=True))
    head = struct.pack(">BIIIB", 0xBE, 0, index_len, len(body), 0xED)
    return head + struct.pack(">I", len(entries) if count is None else count) + index + body


def test_plain_wxapkg_lists_its_files(miniapps):
    pkg = open_miniapp(miniapps / "sec_wx0a2ae0a4fdfa03a6.wxapkg")
    assert (pkg.kind, pkg.problems) == ("wxapkg", [])
    assert pkg.names == ["i/calendar.png", "i/calendar_active.png", "i/left_white.png", "i/right_white.png",
                         "i/team.png", "i/team_active.png", "app-config.json", "app-service.js",
                         "pages/index/index.html", "pages/logs/logs.html", "wxParse/wxParse.html", "page-frame.html"]
    assert pkg.size_of("app-service.js") == 52174


def test_pc_encrypted_wxapkg_decrypts_to_the_plain_package(miniapps):
    pkg = open_miniapp(miniapps / "party18___APP__.V1MMWX.wxapkg", appid=PARTY_APPID)
    plain = (miniapps / "party18___APP__.dec.wxapkg").read_bytes()
    assert pkg.decrypted and hashlib.sha256(pkg._blob).hexdigest() == hashlib.sha256(plain).hexdigest()
    assert len(pkg.names) == 65


def test_pc_encrypted_wxapkg_without_appid_says_what_to_give(miniapps):
    with pytest.raises(InputError, match=r"^PC-encrypted wxapkg \(V1MMWX\): give its appid with --appid"):
        open_miniapp(miniapps / "party18___APP__.V1MMWX.wxapkg")


def test_pc_encrypted_wxapkg_with_a_wrong_appid_is_refused(miniapps):
    with pytest.raises(InputError, match="does not decrypt with appid wx0000000000000000: wrong appid"):
        open_miniapp(miniapps / "party18___APP__.V1MMWX.wxapkg", appid="wx0000000000000000")


def test_broken_wxapkg_gives_one_line(miniapps):
    with pytest.raises(InputError) as err:
        open_miniapp(miniapps / "sec_BROKEN__home_-out.wxapkg")
    assert str(err.value) == "not a wxapkg: first byte 0xfa, expected 0xbe"


def test_huge_file_count_is_refused(tmp_path):
    path = tmp_path / "huge.wxapkg"
    path.write_bytes(_wxapkg([(b"/app.js", b"x")], count=0x7FFFFFFF))
    with pytest.raises(InputError, match=r"^index claims 2147483647 files, more than its 23 bytes can hold$"):
        open_miniapp(path)


def test_dot_dot_name_is_refused(tmp_path):
    path = tmp_path / "escape.wxapkg"
    path.write_bytes(_wxapkg([(b"/../../etc/passwd", b"root")]))
    with pytest.raises(InputError, match=r"^entry name '/../../etc/passwd' escapes the package$"):
        open_miniapp(path)


def test_entry_outside_the_file_is_skipped_and_noted(tmp_path):
    data = bytearray(_wxapkg([(b"/a.js", b"1"), (b"/b.js", b"2")]))
    # the second entry's size field → far past the end
    pos = data.rfind(b"/b.js") + 5 + 4
    data[pos:pos + 4] = struct.pack(">I", 1 << 30)
    path = tmp_path / "short.wxapkg"
    path.write_bytes(bytes(data))
    pkg = open_miniapp(path)
    assert pkg.names == ["a.js"]
    assert pkg.problems == [f"entry 'b.js': {1 << 30} bytes at {len(data) - 1} lie outside the file data, skipped"]


def test_index_longer_than_the_file_is_refused(tmp_path):
    path = tmp_path / "long.wxapkg"
    path.write_bytes(struct.pack(">BIIIBI", 0xBE, 0, 10_000, 0, 0xED, 1))
    with pytest.raises(InputError, match=r"^index of 10000 bytes runs past the end of the file \(18 bytes\)$"):
        open_miniapp(path)


def test_quick_app_without_manifest_is_refused(tmp_path):
    path = tmp_path / "x.rpk"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("app.js", "1")
    with pytest.raises(InputError, match=r"^no manifest.json in the archive: not a quick app package$"):
        open_miniapp(path)


def test_folder_reader_ignores_links_out_of_the_folder(tmp_path):
    (tmp_path / "app.json").write_text('{"pages": ["pages/index/index"]}')
    outside = tmp_path.parent / "secret.txt"
    outside.write_text("s")
    (tmp_path / "link.js").symlink_to(outside)
    pkg = open_miniapp(tmp_path)
    assert (pkg.kind, pkg.names) == ("miniapp_dir", ["app.json"])


def test_mini_program_declarations_of_zhixing(miniapps):
    d = read_declarations(open_miniapp(miniapps / "zhixing__APP__.wxapkg"))
    assert d.scopes == {"scope.userLocation": "您的位置信息将用于定位您的当前所在城市"}
    assert d.required_private_infos == ["getLocation"]
    assert d.plugins == [Plugin("routePlan", "wx50b5593e81dd937a", "1.0.12", "pages/flight/"),
                         Plugin("chatGroupPlugin", "wx4d2deeab3aed6e5a", "1.0.5", "pages/activity/train/"),
                         Plugin("mercPlugin", "wx87ebb56764fea681", "2.5.3", "pages/activity/train/")]
    assert (len(d.pages), len(d.subpackages), d.use_privacy_check) == (313, 29, None)
    assert d.entry_page == "pages/home/index"


def test_mini_program_declarations_of_party_history(miniapps):
    d = read_declarations(open_miniapp(miniapps / "party18___APP__.dec.wxapkg"))
    assert (d.name, d.scopes, d.required_private_infos, d.use_privacy_check) == ("一起学党史", {}, [], None)
    assert d.plugins == [Plugin("tencentvideo", "wxa75efa648b60994b", "1.2.4", None)]
    assert (len(d.pages), len(d.subpackages)) == (25, 2)


def test_subpackage_without_config_declares_nothing(miniapps):
    d = read_declarations(open_miniapp(miniapps / "zhixing_pages_newpay_.wxapkg"))
    assert (d.config_file, d.scopes, d.plugins) == (None, {}, [])


@pytest.mark.parametrize(("name", "features"), [
    ("Enmeng+DiDiByQuickApp.rpk", ["system.prompt", "system.router", "system.shortcut", "system.barcode",
                                   "system.file", "system.fetch", "system.websocketfactory", "service.share"]),
    ("RubyLouvre+quickdemo.rpk", ["system.prompt", "system.router", "system.shortcut", "system.share",
                                  "system.notification", "system.vibrator", "system.request", "system.media"]),
    ("WangCao+rice-ui.rpk", ["system.prompt", "system.router", "system.shortcut"]),
    ("hahalidaxin+quick-app-douban.rpk", ["system.prompt", "system.router", "system.shortcut", "system.fetch",
                                          "system.webview"]),
    ("poetries+quickapp-template.rpk", ["system.prompt", "system.router", "system.shortcut", "system.fetch",
                                        "system.webview", "system.storage", "system.clipboard", "system.share"]),
])
def test_quick_app_features(miniapps, name, features):
    d = read_declarations(open_miniapp(miniapps / name))
    assert (d.package, d.features) == ("com.application.demo", features)


def test_hap_permissions_with_reasons_resolved_from_resources_index(miniapps):
    d = read_declarations(open_miniapp(miniapps / "SoloPi.hap"))
    assert (d.package, d.name, d.problems) == ("com.alipay.hulu", "SoloPi", [])
    assert d.permissions == [
        RequestedPermission("ohos.permission.SYSTEM_FLOAT_WINDOW", "$string:reason_float_windown",
                            "need float windown", False, "always", ("EntryAbility",)),
        RequestedPermission("ohos.permission.GET_BUNDLE_INFO", "$string:get_bundle_info", "get installed app list",
                            False, None),
        RequestedPermission("ohos.permission.INTERNET", "$string:get_internet_promiss", "get internet promiss",
                            False, None),
        RequestedPermission("ohos.permission.GET_WIFI_INFO", "$string:get_wifi_info", "get wifi info", False, None),
        RequestedPermission("ohos.permission.GET_NETWORK_INFO", "$string:app_name", "SoloPi", True, None),
    ]


@pytest.mark.parametrize(("name", "bundle", "permissions"), [
    ("helloworld-demo.hap", "com.example.helloworld", []),
    ("HarmonyOS-WChat.hap", "com.example.wechat", []),
    ("Network-Music-Player.hap", "com.example.hmnetworkmusicplayer", ["ohos.permission.INTERNET"]),
    ("memorandum_entry.hap", "com.example.myapplication", []),
])
def test_hap_bundles(miniapps, name, bundle, permissions):
    d = read_declarations(open_miniapp(miniapps / name))
    assert (d.package, [p.name for p in d.permissions]) == (bundle, permissions)


def test_unknown_suffix_is_not_a_miniapp(tmp_path: Path):
    path = tmp_path / "x.bin"
    path.write_bytes(b"1")
    with pytest.raises(InputError, match="^not a mini-program, quick app or HarmonyOS package$"):
        open_miniapp(path)


def _calls(pkg_path, receiver: str | None = "wx") -> dict[str, int]:
    from collections import Counter

    from hegui.detect.miniapp import open_types, wanted_names
    from hegui.miniapp.code import read_code

    pkg = open_miniapp(pkg_path)
    code = read_code(pkg, read_declarations(pkg), wanted_names(), open_types())
    return dict(Counter(c.name for c in code.calls if receiver is None or c.receiver == receiver))


# wx.<api>( call counts as manifest.tsv gives them (its first number), for the APIs of knowledge/miniapp_apis.yaml;
# where the manifest counted text, the parse counts calls: zhixing's other four "wx.getUserProfile" are a typeof
# test, a `wx && wx.getUserProfile ?` guard and two error strings; sec_wx0c2f53b9d1b5429c's second
# "wx.chooseAddress" is the `wx.chooseAddress ?` guard before the call.
@pytest.mark.parametrize(("name", "calls"), [
    ("sec_wx0a2ae0a4fdfa03a6.wxapkg", {"getClipboardData": 1, "getSystemInfo": 1}),
    ("sec_wx0a41d4a71b396524.wxapkg", {"getLocation": 3, "chooseLocation": 3, "getUserProfile": 1, "getUserInfo": 1,
                                       "getSystemInfo": 5, "createCameraContext": 1}),
    ("sec_wx0c2d8160744bc7c3.wxapkg", {"getLocation": 6, "chooseLocation": 4, "getUserInfo": 1, "chooseImage": 4,
                                       "startRecord": 3, "getRecorderManager": 1}),
    ("sec_wx0c2f53b9d1b5429c.wxapkg", {"getLocation": 5, "chooseAddress": 1, "getUserInfo": 2, "chooseImage": 2,
                                       "getSystemInfo": 12, "getSystemInfoSync": 11}),
    ("zhixing__APP__.wxapkg", {"getUserProfile": 1}),
])
def test_wx_call_counts_match_the_corpus_manifest(miniapps, name, calls):
    assert _calls(miniapps / name) == calls


def test_promisified_platform_function_is_a_wrapper_call(miniapps):
    # t.wxPromisify(wx.getSystemInfo)().then(…) in a component's ready()
    assert _calls(miniapps / "sec_wx0a39d1e0141eefce.wxapkg", receiver="wrapper") == {"getSystemInfo": 1}


def test_hap_shows_the_pi_modules_its_bytecode_imports(miniapps):
    from hegui.pipeline import ScanOptions, scan_path

    report = scan_path(miniapps / "SoloPi.hap", ScanOptions())
    assert [(c.pi_type, c.api) for c in report.sensitive_calls] == [("wifi_info", "ohos.wifiManager#import")]
    assert report.findings == []


def test_mini_game_declarations_come_from_game_json(tmp_path):
    (tmp_path / "game.json").write_text('{"deviceOrientation": "portrait", "requiredPrivateInfos": ["getLocation"], '
                                        '"permission": {"scope.userLocation": {"desc": "用于匹配同城玩家"}}}',
                                        encoding="utf-8")
    d = read_declarations(open_miniapp(tmp_path))
    assert (d.config_file, d.required_private_infos, d.scopes) == (
        "game.json", ["getLocation"], {"scope.userLocation": "用于匹配同城玩家"})


def test_quick_app_entry_named_out_of_the_package_is_noted_never_used(tmp_path):
    from hegui.pipeline import ScanOptions, scan_path

    path = tmp_path / "evil.rpk"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("manifest.json", '{"package": "com.example.evil", "features": []}')
        z.writestr("../../evil.js", "var x = 1;")
    report = scan_path(path, ScanOptions())
    assert [(e.stage, e.message) for e in report.errors] == [
        ("miniapp", "suspicious entry name '../../evil.js' (control character, absolute or parent path); listed, "
                    "never used as a path")]


def test_oversized_javascript_is_not_inflated(tmp_path):
    from hegui.pipeline import ScanOptions, scan_path

    path = tmp_path / "bomb.rpk"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", '{"package": "com.example.bomb", "features": []}')
        z.writestr("app.js", b" " * (40 * 2**20))
    report = scan_path(path, ScanOptions())
    assert [(e.stage, e.message) for e in report.errors] == [
        ("code", f"app.js: {40 * 2**20} bytes of JavaScript past the limits: not parsed")]
