"""Bounded work on hostile SDK packages: every limit stops reading with one line, and a scan still reports.

A few kilobytes of AAR can declare millions of methods or calls (abstract methods cost 8 bytes, a call 3);
these tests pin the limits that keep such a package inside the scan's time and memory budget.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from classbytes import INVOKE_SELF, RETURN, class_file  # noqa: E402

from hegui.apk import aar  # noqa: E402
from hegui.errors import BudgetExceeded  # noqa: E402
from hegui.jvm import parse_class, read_program  # noqa: E402
from hegui.jvm.program import CHECK_EVERY, MAX_PROBLEMS, Allowance  # noqa: E402
from hegui.pipeline import scan_path  # noqa: E402

MANIFEST = ('<?xml version="1.0" encoding="utf-8"?>\n<manifest xmlns:android="http://schemas.android.com/apk/res/'
            'android" package="com.evil.sdk"><application/></manifest>\n')


def _zip(entries: dict[str, bytes | str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return out.getvalue()


def _abstract_classes(count: int, methods: int, package: str = "com/evil/sdk") -> dict[str, bytes]:
    return {f"{package}/C{i}.class": class_file(f"{package}/C{i}", [None] * methods) for i in range(count)}


def _errors(path: Path, report_validator) -> list[tuple[str, str]]:
    report = scan_path(path)
    report_validator(report.model_dump(mode="json"))
    return [(e.stage, e.message) for e in report.errors]


# --- the class-file reader --------------------------------------------------------------------------------


def test_every_call_of_one_pool_entry_shares_one_reference():
    # a new object per instruction made memory grow with the code: 35 KB of AAR reached 6 GB
    method = parse_class(class_file("T", [INVOKE_SELF * 1000 + RETURN])).methods[0]
    assert len(method.invokes) == 1000
    assert len({id(use) for use in method.invokes}) == 1


def test_a_program_stops_at_its_method_limit_with_one_line():
    entries = list(_abstract_classes(3, 2).items())
    program = read_program("x.jar", entries, Allowance(max_methods=5))
    assert len(program.classes) == 2
    assert program.problems == ["x.jar: com/evil/sdk/C2.class and the class files after it not read: the code would "
                                "hold more than 5 methods"]


def test_a_program_stops_at_its_reference_limit_with_one_line():
    entries = [("T.class", class_file("T", [INVOKE_SELF * 3 + RETURN])), ("U.class", class_file("U", [INVOKE_SELF * 3 + RETURN]))]
    program = read_program("x.jar", entries, Allowance(max_references=5))
    assert len(program.classes) == 1
    assert program.problems == ["x.jar: U.class and the class files after it not read: the code would hold more "
                                "than 5 references"]


def test_one_allowance_bounds_all_the_programs_that_share_it():
    shared = Allowance(max_classes=3)
    first = read_program("a.jar", list(_abstract_classes(2, 1, "a").items()), shared)
    second = read_program("b.jar", list(_abstract_classes(2, 1, "b").items()), shared)
    assert (len(first.classes), len(second.classes)) == (2, 1)
    assert second.problems == ["b.jar: b/C1.class and the class files after it not read: the code would hold more "
                               "than 3 classes"]


def test_the_scan_budget_is_checked_between_classes():
    stages: list[str] = []
    read_program("x.jar", list(_abstract_classes(2 * CHECK_EVERY, 1).items()), Allowance(check=stages.append))
    assert stages == ["reading x.jar", "reading x.jar"]


def test_a_spent_scan_budget_stops_the_reading():
    def check(stage: str) -> None:
        raise BudgetExceeded(f"time budget of 60 s ran out during {stage}")

    with pytest.raises(BudgetExceeded, match="^time budget of 60 s ran out during reading x.jar$"):
        read_program("x.jar", list(_abstract_classes(CHECK_EVERY, 1).items()), Allowance(check=check))


def test_unreadable_class_files_are_listed_up_to_a_limit():
    entries = [(f"B{i}.class", b"\xca\xfe\xba\xbe") for i in range(MAX_PROBLEMS + 20)]
    problems = read_program("x.jar", entries).problems
    assert len(problems) == MAX_PROBLEMS + 1
    assert problems[0] == "x.jar: B0.class: truncated at byte 4"
    assert problems[-1] == f"x.jar: further unreadable class files are not listed (only the first {MAX_PROBLEMS})"


# --- the package ------------------------------------------------------------------------------------------


def test_class_files_beyond_the_package_byte_budget_are_one_line(tmp_path, monkeypatch, report_validator):
    classes = _abstract_classes(4, 100)  # 894 bytes each
    monkeypatch.setattr(aar, "MAX_CLASS_BYTES", 3000)
    path = tmp_path / "big.aar"
    path.write_bytes(_zip({"AndroidManifest.xml": MANIFEST, "classes.jar": _zip(classes),
                           "libs/more.jar": _zip(_abstract_classes(1, 1, "com/more"))}))
    assert _errors(path, report_validator) == [
        ("aar", "classes.jar: entry 'com/evil/sdk/C3.class' declares 894 bytes, above the limit of 318; no more code "
                "is read (the class files of one package may hold 3000 bytes together)")]
    package = aar.open_package(path)
    assert [len(list(package.class_entries(jar))) for jar in package.jar_names] == [3, 0]


def test_jars_beyond_the_per_package_limit_are_one_line(tmp_path, report_validator):
    libs = {f"libs/l{i}.jar": _zip(_abstract_classes(1, 1, f"com/l{i}")) for i in range(aar.MAX_JARS + 1)}
    path = tmp_path / "many.aar"
    path.write_bytes(_zip({"AndroidManifest.xml": MANIFEST, "classes.jar": _zip(_abstract_classes(1, 1)), **libs}))
    assert _errors(path, report_validator) == [
        ("aar", f"code: 2 of {aar.MAX_JARS + 2} JARs not read (libs/l3.jar, libs/l4.jar): one package is read for "
                f"at most {aar.MAX_JARS}")]


def test_notes_on_a_nested_jar_are_listed_up_to_a_limit(tmp_path, report_validator):
    hostile = {f"../e{i}.class": class_file(f"com/evil/sdk/E{i}", []) for i in range(aar.MAX_PROBLEMS + 20)}
    path = tmp_path / "names.aar"
    path.write_bytes(_zip({"AndroidManifest.xml": MANIFEST, "classes.jar": _zip(hostile)}))
    errors = _errors(path, report_validator)
    assert len(errors) == aar.MAX_PROBLEMS + 1
    assert errors[0] == ("aar", "classes.jar: suspicious entry name '../e0.class' (control character, absolute or "
                                "parent path); listed, never used as a path")
    assert errors[-1] == ("aar", f"further problems reading the code are not listed (only the first "
                                 f"{aar.MAX_PROBLEMS})")


def test_a_text_manifest_above_its_limit_is_one_line_and_the_code_is_scanned(tmp_path, report_validator):
    # expat hands a long text over in pieces; the manifest parser's cost grows with their count squared
    padding = "".join(f"<!-- {i:07d} -->\n" for i in range(aar.MAX_AAR_MANIFEST_BYTES // 16))
    manifest = MANIFEST.replace("<application/>", "<application/>" + padding)
    path = tmp_path / "fat.aar"
    path.write_bytes(_zip({"AndroidManifest.xml": manifest, "classes.jar": _zip(_abstract_classes(1, 1))}))
    report = scan_path(path)
    report_validator(report.model_dump(mode="json"))
    assert [(e.stage, e.message) for e in report.errors] == [
        ("aar", f"manifest: entry 'AndroidManifest.xml' declares {len(manifest.encode())} bytes, above the limit of "
                f"{aar.MAX_AAR_MANIFEST_BYTES}")]
    assert report.app.package == "com.evil.sdk"  # the common package of the code
