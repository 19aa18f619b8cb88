"""The framework hierarchy shipped as knowledge: built from the API stubs, and right on known facts."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from hegui import knowledge
from hegui.detect.startup import framework_hierarchy
from hegui.dex.framework import FrameworkHierarchy

TOOL = Path(__file__).resolve().parents[2] / "tools" / "build_framework_hierarchy.py"


def _tool():
    spec = importlib.util.spec_from_file_location("build_framework_hierarchy", TOOL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_file_is_what_the_generator_makes_from_the_pinned_stubs():
    tool = _tool()
    stubs = tool.installed_stubs()
    if stubs is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must install the dev extra ({tool.SOURCE})")
        pytest.skip(f"{tool.SOURCE} not installed")
    shipped = knowledge.framework_hierarchy_data()
    assert shipped["source"] == tool.SOURCE
    assert shipped["classes"] == tool.build(stubs)


def test_activity_inherits_context_through_both_wrappers():
    h = framework_hierarchy()
    assert list(h.superclasses("Landroid/app/Activity;")) == [
        "Landroid/view/ContextThemeWrapper;", "Landroid/content/ContextWrapper;", "Landroid/content/Context;",
        "Ljava/lang/Object;"]
    assert list(h.superclasses("Landroid/app/Service;")) == [
        "Landroid/content/ContextWrapper;", "Landroid/content/Context;", "Ljava/lang/Object;"]
    assert h.superclass("Landroid/app/Application;") == "Landroid/content/ContextWrapper;"
    assert h.superclass("Landroid/content/ContentProvider;") == "Ljava/lang/Object;"
    assert set(h.interfaces("Landroid/content/ContentProvider;")) == {"Landroid/content/ComponentCallbacks2;"}
    assert h.superclass("Landroid/widget/Button;") == "Landroid/widget/TextView;"


def test_start_service_is_declared_by_context_and_overridden_by_context_wrapper_only():
    h = framework_hierarchy()
    assert h.declaring("Landroid/app/Activity;", "startService") == (
        "Landroid/content/ContextWrapper;", "Landroid/content/Context;")
    assert h.declaring("Landroid/app/Activity;", "onCreate") == ("Landroid/app/Activity;",)


def test_interfaces_keep_their_own_methods_and_their_super_interfaces():
    h = framework_hierarchy()
    assert h.methods("Landroid/text/TextWatcher;") == {"afterTextChanged", "beforeTextChanged", "onTextChanged"}
    assert h.methods("Landroid/view/View$OnClickListener;") == {"onClick"}
    assert h.interfaces("Landroid/content/ComponentCallbacks2;") == ("Landroid/content/ComponentCallbacks;",)
    # a method of a super-interface is found from the sub-interface
    assert h.declaring("Landroid/content/ComponentCallbacks2;", "onLowMemory") == ("Landroid/content/ComponentCallbacks;",)


def test_a_type_outside_the_hierarchy_declares_nothing():
    h = framework_hierarchy()
    assert "Lcom/android/internal/Hidden;" not in h
    assert h.declaring("Lcom/android/internal/Hidden;", "onCreate") == ()
    assert FrameworkHierarchy({}).declaring("Landroid/app/Activity;", "onCreate") == ()


def test_malformed_hierarchy_data_is_refused():
    with pytest.raises(ValueError, match="classes"):
        FrameworkHierarchy.from_data({"source": "x", "classes": []})
