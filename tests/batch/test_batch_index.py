"""index.json: append-only, fsync'd JSON Lines that survive a crash mid-write."""

from __future__ import annotations

import json

from hegui.batch.index import IndexLine, IndexWriter, read_index


def _line(name: str, status: str = "done") -> IndexLine:
    return IndexLine(path=f"/data/{name}.apk", status=status, sha256=name * 8, size=1, mtime_ns=2)


def test_lines_round_trip_and_the_last_line_for_a_path_wins(tmp_path):
    path = tmp_path / "index.json"
    with IndexWriter(path) as writer:
        writer.append(_line("a", "failed"))
        writer.append(_line("b"))
        writer.append(_line("a"))
    state = read_index(path)
    assert state.lines == 3
    assert {k: v.status for k, v in state.by_path.items()} == {"/data/a.apk": "done", "/data/b.apk": "done"}


def test_a_torn_last_line_is_ignored_and_cut_before_the_next_append(tmp_path):
    path = tmp_path / "index.json"
    whole = _line("a").to_json() + "\n"
    path.write_text(whole + '{"path":"/data/b.apk","sta', encoding="utf-8")
    state = read_index(path)
    assert state.torn_tail and list(state.by_path) == ["/data/a.apk"]
    with IndexWriter(path) as writer:
        writer.append(_line("c"))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["path"] for x in lines] == ["/data/a.apk", "/data/c.apk"]


def test_a_complete_last_line_missing_only_its_newline_is_kept(tmp_path):
    path = tmp_path / "index.json"
    path.write_text(_line("a").to_json(), encoding="utf-8")
    assert list(read_index(path).by_path) == ["/data/a.apk"]
    with IndexWriter(path) as writer:
        writer.append(_line("b"))
    assert [json.loads(x)["path"] for x in path.read_text(encoding="utf-8").splitlines()] == [
        "/data/a.apk", "/data/b.apk"]


def test_a_missing_index_is_an_empty_state(tmp_path):
    state = read_index(tmp_path / "index.json")
    assert (state.lines, state.by_path, state.torn_tail) == (0, {}, False)
