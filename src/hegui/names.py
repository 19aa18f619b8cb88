"""Java names ⇄ DEX descriptors: the one conversion every layer shares (readers, knowledge, detectors).

It lives below all of them (tests/test_layering.py counts it with the foundation) so knowledge, which may
import no reader, spells no second copy.
"""

from __future__ import annotations


def descriptor_to_java(desc: str) -> str:
    """``Lcom/a/B$C;`` → ``com.a.B$C``; arrays and primitives are returned unchanged."""
    if desc.startswith("L") and desc.endswith(";"):
        return desc[1:-1].replace("/", ".")
    return desc


def java_to_descriptor(name: str) -> str:
    """``com.a.B$C`` → ``Lcom/a/B$C;``"""
    return "L" + name.replace(".", "/") + ";"
