"""One Java-name ⇄ descriptor conversion, used by the readers and the detectors alike."""

from __future__ import annotations

import pytest

from hegui import names
from hegui.detect.apis import class_descriptor, java_type_to_descriptor
from hegui.dex import descriptor_to_java, java_to_descriptor


@pytest.mark.parametrize(("java", "desc"), [("com.a.B", "Lcom/a/B;"), ("com.a.B$C", "Lcom/a/B$C;"),
                                            ("Top", "LTop;")])
def test_java_names_and_class_descriptors_convert_both_ways(java: str, desc: str) -> None:
    assert (java_to_descriptor(java), descriptor_to_java(desc)) == (desc, java)


def test_the_readers_and_the_detectors_use_the_one_conversion_of_hegui_names() -> None:
    assert (descriptor_to_java, java_to_descriptor, class_descriptor) == (
        names.descriptor_to_java, names.java_to_descriptor, names.java_to_descriptor)
    assert [java_type_to_descriptor(t) for t in ("int", "java.lang.String[][]", "android.net.Uri")] == [
        "I", "[[Ljava/lang/String;", "Landroid/net/Uri;"]


def test_arrays_and_primitives_stay_descriptors() -> None:
    assert [descriptor_to_java(d) for d in ("I", "[Ljava/lang/String;")] == ["I", "[Ljava/lang/String;"]

