"""sdks.yaml is well-formed: the rules every SDK entry must follow (see the header of the file)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest

from hegui.detect.sdks import ancestors, sdk_catalog
from hegui.knowledge import KnowledgeError, load_yaml, pi_types

RAW = load_yaml("sdks.yaml")["sdks"]
CATALOG = sdk_catalog()
DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$-]*)*")
# Namespaces that hold many unrelated products: never one SDK.
NOT_AN_SDK = {"com", "cn", "org", "io", "android", "androidx", "java", "javax", "kotlin", "com.google", "com.google.android",
              "com.tencent", "com.baidu", "com.alibaba", "com.taobao", "com.facebook", "com.bytedance", "com.huawei",
              "com.xiaomi", "com.android", "com.ss.android", "com.qq", "com.sina", "com.netease", "com.microsoft",
              "com.amazon", "com.samsung", "cn.com"}
# εxodus files Tencent's location SDK (com.tencent.map.geolocation) and WeChat's location plugin under one name.
SHARED_ALIASES = {"wechat location"}


# an entry of sdks.yaml as the file spells it (the edits below change one of its lines), and its index
FIRST = "  - id: 360dialog\n    name_zh: 360Dialog\n    name_en: 360Dialog\n    company: null\n    category: location\n"
AT = next(i for i, e in enumerate(RAW) if e["id"] == "360dialog")


def _catalog_error(load_from: Callable[[Path], None], root: Path) -> list[str]:
    """The messages of loading the SDK catalog from the knowledge folder `root`."""
    load_from(root)
    with pytest.raises(KnowledgeError) as caught:
        sdk_catalog()
    return caught.value.messages


def test_a_misspelt_key_fails_at_load_naming_file_entry_and_the_expected_keys(edited, load_from) -> None:
    root = edited("sdks.yaml", FIRST, FIRST.replace("name_en:", "name_eng:"))
    assert _catalog_error(load_from, root) == [
        f"knowledge/sdks.yaml: sdks[{AT}] (360dialog).name_en: missing",
        f"knowledge/sdks.yaml: sdks[{AT}] (360dialog): unknown key 'name_eng' (expected: aliases, category, collects, "
        "company, components, hot_update, id, keep_alive, library, meta_data, name_en, name_zh, native_libs, "
        "obfuscated_in, packages, parent, policy_url)"]


def test_an_id_that_is_not_lowercase_fails_at_load(edited, load_from) -> None:
    root = edited("sdks.yaml", FIRST, FIRST.replace("id: 360dialog", "id: 3Dialog"))
    assert _catalog_error(load_from, root) == [
        f"knowledge/sdks.yaml: sdks[{AT}] (3Dialog).id: String should match pattern '^[a-z0-9][a-z0-9_.-]*$' "
        "(got '3Dialog')"]


def test_a_duplicate_id_fails_at_load(edited, load_from) -> None:
    root = edited("sdks.yaml", "  - id: aarki\n", "  - id: 360dialog\n")
    assert _catalog_error(load_from, root) == ["knowledge/sdks.yaml: top level: duplicate ids: 360dialog"]


def test_a_flag_that_is_not_a_boolean_fails_at_load(edited, load_from) -> None:
    root = edited("sdks.yaml", FIRST, FIRST + "    keep_alive: sometimes\n")
    assert _catalog_error(load_from, root) == [
        f"knowledge/sdks.yaml: sdks[{AT}] (360dialog).keep_alive: Input should be a valid boolean, unable to interpret "
        "input (got 'sometimes')"]


def test_an_empty_signature_fails_at_load(edited, load_from) -> None:
    # an empty package prefix would claim every class of the DEX for the SDK
    root = edited("sdks.yaml", FIRST, FIRST + "    native_libs: ['']\n")
    assert _catalog_error(load_from, root) == [
        f"knowledge/sdks.yaml: sdks[{AT}] (360dialog).native_libs[0]: String should have at least 1 character (got '')"]


def test_a_category_sdk_categories_yaml_lacks_fails_at_load(edited, load_from) -> None:
    root = edited("sdks.yaml", FIRST, FIRST.replace("category: location", "category: locaton"))
    assert _catalog_error(load_from, root) == [
        f"knowledge/sdks.yaml: sdks[{AT}] (360dialog): unknown category 'locaton' (sdk_categories.yaml)"]


def test_the_catalog_holds_every_entry_once() -> None:
    assert list(CATALOG) == [e["id"] for e in RAW]


def test_collects_are_catalog_pi_types() -> None:
    known = set(pi_types())
    assert {i: s.collects for i, s in CATALOG.items() if not set(s.collects) <= known} == {}


def test_every_sdk_has_a_signature() -> None:
    assert [i for i, s in CATALOG.items() if not (s.packages or s.components or s.meta_data or s.native_libs)] == []


def test_package_prefixes_are_dotted_names_and_never_a_whole_vendor_namespace() -> None:
    bad = {i: p for i, s in CATALOG.items() for p in s.packages if not DOTTED.fullmatch(p) or p in NOT_AN_SDK}
    assert bad == {}
    # a one-segment prefix is only acceptable for a development library (okhttp3, dagger…) or a vendor whose
    # code really lives in a one-word root package (时光相册's "everphoto")
    one_word = {i: p for i, s in CATALOG.items() for p in s.packages if "." not in p and not s.library}
    assert one_word == {"everphoto": "everphoto"}


def test_native_libs_are_so_file_names() -> None:
    assert {i: n for i, s in CATALOG.items() for n in s.native_libs
            if "/" in n or not n.startswith("lib") or not n.endswith(".so")} == {}


@pytest.mark.parametrize("field", ["packages", "components", "meta_data", "native_libs"])
def test_a_signature_belongs_to_one_sdk_only(field: str) -> None:
    owners: dict[str, list[str]] = defaultdict(list)
    for sdk_id, info in CATALOG.items():
        for value in getattr(info, field):
            owners[value].append(sdk_id)
    assert {v: ids for v, ids in owners.items() if len(ids) > 1} == {}


def test_parents_exist_and_form_no_cycle() -> None:
    for sdk_id, info in CATALOG.items():
        assert set(info.parents) <= set(CATALOG), sdk_id
        assert sdk_id not in ancestors(sdk_id), sdk_id


def _is_class_name(signature: str) -> bool:
    return signature.rpartition(".")[2][:1].isupper()


def test_a_prefix_inside_another_sdks_prefix_names_that_sdk_as_parent_or_ancestor() -> None:
    """RULE: when SDK B's prefix lies inside SDK A's prefix, A and B are related through parents (either way: the
    Alipay SDK ships mPaaS's RPC annotations, com.alipay.mobile.framework.service.annotation, inside mPaaS's
    namespace). A full class name claims one class only and may sit anywhere (Play services ships
    com.google.firebase.FirebaseException)."""
    owner = {p: i for i, s in CATALOG.items() for p in s.packages}
    violations = []
    for sdk_id, info in CATALOG.items():
        for prefix in info.packages:
            if _is_class_name(prefix):
                continue
            parts = prefix.split(".")
            for n in range(len(parts) - 1, 0, -1):
                outer = owner.get(".".join(parts[:n]))
                if outer is not None:
                    if outer != sdk_id and outer not in ancestors(sdk_id) and sdk_id not in ancestors(outer):
                        violations.append((sdk_id, prefix, outer))
                    break
    assert violations == []


def test_obfuscated_in_names_a_vendor_namespace_claimed_once() -> None:
    owners: dict[str, list[str]] = defaultdict(list)
    for sdk_id, info in CATALOG.items():
        for vendor in info.obfuscated_in:
            owners[vendor].append(sdk_id)
    assert {v: ids for v, ids in owners.items() if len(ids) > 1 or not DOTTED.fullmatch(v)} == {}
    assert owners == {"com.facebook": ["facebook_core"], "com.huawei": ["huawei_hms"]}


def test_an_alias_names_one_sdk() -> None:
    names: dict[str, set[str]] = defaultdict(set)
    for sdk_id, info in CATALOG.items():
        for name in {info.name_zh, info.name_en, *info.aliases}:
            names[re.sub(r"\s+", " ", name).strip().lower()].add(sdk_id)
    assert {n: ids for n, ids in names.items() if len(ids) > 1 and n not in SHARED_ALIASES} == {}


def test_display_name_shows_both_languages() -> None:
    assert CATALOG["umeng_analytics"].name == "友盟+ 统计 (Umeng Analytics)"
    assert CATALOG["growingio"].name == "GrowingIO"


def test_flags_of_known_keep_alive_and_hot_update_sdks() -> None:
    keep_alive = {i for i, s in CATALOG.items() if s.keep_alive}
    hot_update = {i for i, s in CATALOG.items() if s.hot_update}
    assert {"getui", "jpush", "jiguang", "tencent_tpns", "aliyun_push", "baidu_push", "umeng_push"} <= keep_alive
    assert {"tinker", "bugly_beta", "sophix", "robust", "andfix", "nuwa", "amigo", "replugin", "qigsaw"} <= hot_update
    assert all(CATALOG[i].category == "push" for i in keep_alive)
