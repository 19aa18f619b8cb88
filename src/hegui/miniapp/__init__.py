"""Readers for the new app forms the notices name: WeChat mini-programs (.wxapkg or a folder), quick apps (.rpk)
and HarmonyOS modules (.hap). Readers know nothing of rules: they give files, declarations and JS call sites."""

from hegui.miniapp.package import KINDS, MiniPackage, kind_of, open_miniapp

__all__ = ["KINDS", "MiniPackage", "kind_of", "open_miniapp"]
