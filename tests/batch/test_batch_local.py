"""The local engine on real APKs: reports, index, resume rules and the batch summary."""

from __future__ import annotations

import csv
import fcntl
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from hegui.batch import BatchError, BatchResult, collect_inputs, run_batch
from hegui.pipeline import ScanOptions

pytestmark = pytest.mark.corpus

OPTIONS = ScanOptions()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(folder: Path, out: Path, **kw) -> BatchResult:
    kw.setdefault("formats", ["json"])
    kw.setdefault("quiet", True)
    return run_batch(collect_inputs([folder]), out, options=OPTIONS, **kw)


def test_a_folder_with_broken_files_goes_on_past_them(mixed_folder, tmp_path, index_lines, by_name,
                                                      report_validator):
    out = tmp_path / "out"
    result = _run(mixed_folder, out, jobs=2)

    assert result == BatchResult(total=5, done=3, failed=2, skipped_existing=0, max_severity=4)
    lines = by_name(index_lines(out))
    assert sorted(lines) == ["bugly.apk", "empty.apk", "garbage.apk", "small.apk", "truncated.apk"]
    assert {n: line["status"] for n, line in lines.items()} == {
        "bugly.apk": "done", "small.apk": "done", "truncated.apk": "done", "empty.apk": "failed",
        "garbage.apk": "failed"}
    for name in ("empty.apk", "garbage.apk"):
        error = lines[name]["error"]
        assert error and "\n" not in error and lines[name]["report"] is None
    assert "empty" in lines["empty.apk"]["error"]
    for name, line in lines.items():
        source = mixed_folder / ("sub/" + name if name == "bugly.apk" else name)
        assert line["path"] == str(source.absolute())
        assert line["sha256"] == _sha256(source)
        if line["status"] != "done":
            continue
        assert line["report"] == f"{line['sha256']}.json" and line["reports"] == [line["report"]]
        report = json.loads((out / line["report"]).read_text(encoding="utf-8"))
        report_validator(report)
        assert report["input"]["sha256"] == line["sha256"]
        assert line["findings"] == len(report["findings"])
        assert line["sdks"] == sorted({s["id"] for s in report["sdks"]})
        assert sum(line["rules"].values()) == len(report["findings"])
    assert "bugly" in lines["bugly.apk"]["sdks"]
    truncated = json.loads((out / lines["truncated.apk"]["report"]).read_text(encoding="utf-8"))
    assert truncated["errors"], "a partly unreadable APK keeps its read errors in the report"
    assert list((out / ".partial").iterdir()) == []


def test_the_summary_counts_statuses_rules_and_sdk_prevalence(mixed_folder, tmp_path, index_lines):
    out = tmp_path / "out"
    _run(mixed_folder, out, jobs=2)
    lines = index_lines(out)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))

    assert summary["by_status"] == {"done": 3, "failed": 2} and summary["apps"] == 3
    assert sum(summary["apps_by_max_severity"].values()) == 3
    assert sum(r["inputs"] for r in summary["top_failure_reasons"]) == 2
    bugly = next(s for s in summary["sdk_prevalence"] if s["id"] == "bugly")
    assert (bugly["apps"], bugly["share"]) == (1, round(1 / 3, 4))
    assert "Bugly" in bugly["name"]
    expected_rules: dict[str, int] = {}
    for line in lines:
        for rule_id in line.get("rules", {}):
            expected_rules[rule_id] = expected_rules.get(rule_id, 0) + 1
    assert {r["rule_id"]: r["apps"] for r in summary["findings_by_rule"]} == expected_rules

    raw = (out / "sdk_prevalence.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM so Excel reads Chinese"
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert {r["sdk_id"]: int(r["apps"]) for r in rows} == {s["id"]: s["apps"] for s in summary["sdk_prevalence"]}
    rules_csv = (out / "findings_by_rule.csv").read_bytes()
    assert rules_csv.startswith(b"\xef\xbb\xbf")
    rule_rows = list(csv.DictReader(rules_csv.decode("utf-8-sig").splitlines()))
    assert {r["rule_id"]: int(r["apps"]) for r in rule_rows} == expected_rules
    assert all(r["title_zh"] for r in rule_rows)


def test_a_rerun_skips_everything_finished_and_writes_nothing(mixed_folder, tmp_path):
    out = tmp_path / "out"
    _run(mixed_folder, out, jobs=2)
    index_before = (out / "index.json").read_bytes()
    stamps = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.glob("*.json") if len(p.stem) == 64}

    result = _run(mixed_folder, out, jobs=2)

    assert result == BatchResult(total=5, done=0, failed=0, skipped_existing=5, max_severity=4)
    assert (out / "index.json").read_bytes() == index_before
    assert {p.name: (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in out.glob("*.json") if len(p.stem) == 64} == stamps


def test_failed_inputs_are_scanned_again_only_when_asked(mixed_folder, tmp_path, index_lines, by_name):
    out = tmp_path / "out"
    _run(mixed_folder, out)
    first = len(index_lines(out))

    retried = _run(mixed_folder, out, retry_failed=True)

    assert retried == BatchResult(total=5, done=0, failed=2, skipped_existing=3, max_severity=4)
    appended = index_lines(out)[first:]
    assert sorted(Path(line["path"]).name for line in appended) == ["empty.apk", "garbage.apk"]


def test_a_changed_file_is_scanned_again_and_its_new_line_wins(mixed_folder, tmp_path, corpus, index_lines):
    out = tmp_path / "out"
    _run(mixed_folder, out)
    target = mixed_folder / "empty.apk"
    shutil.copy(corpus / "droidbench/apks/Threading/AsyncTask1.apk", target)

    result = _run(mixed_folder, out)

    assert (result.done, result.failed, result.skipped_existing) == (1, 0, 4)
    lines = [line for line in index_lines(out) if line["path"] == str(target.absolute())]
    assert [line["status"] for line in lines] == ["failed", "done"]
    assert lines[-1]["sha256"] == _sha256(target)


def test_identical_content_under_two_paths_is_scanned_once(tmp_path, corpus, index_lines, by_name):
    folder = tmp_path / "apks"
    folder.mkdir()
    for name in ("a.apk", "b.apk"):
        shutil.copy(corpus / "droidbench/apks/Threading/JavaThread1.apk", folder / name)
    out = tmp_path / "out"

    result = _run(folder, out, jobs=1)

    assert (result.done, result.failed) == (2, 0)
    lines = by_name(index_lines(out))
    assert "duplicate_of" not in lines["a.apk"]
    assert lines["b.apk"]["duplicate_of"] == str((folder / "a.apk").absolute())
    assert lines["b.apk"]["report"] == lines["a.apk"]["report"]
    assert lines["b.apk"]["findings"] == lines["a.apk"]["findings"]
    assert len([p for p in out.glob("*.json") if len(p.stem) == 64]) == 1
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["apps"] == 1


def test_every_requested_format_is_written_per_input(tmp_path, corpus, index_lines):
    folder = tmp_path / "apks"
    folder.mkdir()
    shutil.copy(corpus / "droidbench/apks/Threading/JavaThread1.apk", folder / "a.apk")
    out = tmp_path / "out"

    _run(folder, out, formats=["json", "html", "sarif"])

    (line,) = index_lines(out)
    sha = line["sha256"]
    assert line["reports"] == [f"{sha}.json", f"{sha}.html", f"{sha}.sarif"]
    assert all((out / name).stat().st_size > 0 for name in line["reports"])


def test_an_unknown_format_or_a_busy_output_directory_stops_the_batch_before_it_starts(tmp_path):
    apk = tmp_path / "a.apk"
    apk.write_bytes(b"x")
    with pytest.raises(BatchError, match="unknown report format 'docx'"):
        run_batch([apk], tmp_path / "out", options=OPTIONS, formats=["docx"], quiet=True)
    busy = tmp_path / "busy"
    busy.mkdir()
    with (busy / ".hegui-batch.lock").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(BatchError, match="in use by another hegui batch"):
            run_batch([apk], busy, options=OPTIONS, formats=["json"], quiet=True)
    assert not (busy / "index.json").exists()


def test_exit_status_follows_the_contract():
    assert BatchResult(3, 0, 3, 0, 0).exit_status() == 2
    assert BatchResult(3, 1, 2, 0, 3).exit_status("high") == 1
    assert BatchResult(3, 1, 2, 0, 3).exit_status("critical") == 0
    assert BatchResult(3, 0, 0, 3, 4).exit_status() == 0


def test_a_done_input_whose_report_was_lost_is_scanned_again(mixed_folder, tmp_path, index_lines, by_name):
    out = tmp_path / "out"
    _run(mixed_folder, out)
    lost = by_name(index_lines(out))["small.apk"]["report"]
    (out / lost).unlink()

    result = _run(mixed_folder, out)

    assert (result.done, result.failed, result.skipped_existing) == (1, 0, 4)
    assert (out / lost).is_file()
