"""Fill the operator company of SDK entries that have none, from the public sources in ../shared/corpus.

Sources, in order: the εxodus tracker list's "Ownership" section, LibChecker's rule files (`team`, matched on an
entry's package prefixes, component names or native libraries). Only an unambiguous match is taken; an entry
whose sources disagree is printed and left alone. The company is a fact about the SDK, so it may go into the
project's knowledge; the corpus files themselves stay outside the package.

    python tools/sdk_operators.py            # print what would be filled
    python tools/sdk_operators.py --apply    # rewrite `company: null` in src/hegui/knowledge/sdks.yaml
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SDKS = ROOT / "src" / "hegui" / "knowledge" / "sdks.yaml"
CORPUS = ROOT.parent / "shared" / "corpus"
_OWNERSHIP = re.compile(r"## Ownership\s*\r?\n(.*?)(?:\r?\n\s*\r?\n|\r?\n##|$)", re.S)
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_CITATION = re.compile(r"\[[^\]]*, \d+\]\([^)]*\)")  # "[Recode, 01](https://…)": a reference, not a name
_NOT_A_NAME = re.compile(r"\b(is|was|owned|subsidiary|acquired|self-owned)\b|\(", re.I)


def exodus_owners() -> dict[str, str]:
    """εxodus tracker name → owner, where the tracker's description states one in a short line."""
    data = json.loads((CORPUS / "exodus-trackers" / "exodus_trackers.json").read_text(encoding="utf-8"))
    trackers = next(iter(data.values())) if len(data) == 1 else data
    owners = {}
    for t in trackers.values():
        m = _OWNERSHIP.search(t.get("description") or "")
        if m:
            owner = _LINK.sub(r"\1", _CITATION.sub("", m.group(1))).strip().rstrip(".")
            # Only a bare name: a sentence about ownership ("X is owned by Y") is a judgement to make by hand.
            if owner and len(owner) <= 60 and "\n" not in owner and not _NOT_A_NAME.search(owner):
                owners[t["name"]] = owner
    return owners


def libchecker_teams() -> dict[tuple[str, str], str]:
    """(rule kind, class or library name) → team, from LibChecker's rule files."""
    teams = {}
    for path in (CORPUS / "libchecker-rules").glob("*/*.json"):
        try:
            rule = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(rule, dict) and isinstance(rule.get("team"), str) and rule["team"].strip():
            teams[(path.parent.name, path.stem)] = rule["team"].strip()
    return teams


def proposals() -> tuple[dict[str, tuple[str, str]], dict[str, set[str]]]:
    """SDK id → (company, source) for entries without a company; SDK id → disagreeing candidates."""
    sdks = yaml.safe_load(SDKS.read_text(encoding="utf-8"))["sdks"]
    owners = exodus_owners()
    teams = libchecker_teams()
    found: dict[str, tuple[str, str]] = {}
    conflicts: dict[str, set[str]] = {}
    for sdk in sdks:
        if sdk.get("company"):
            continue
        candidates: dict[str, set[str]] = defaultdict(set)
        if sdk.get("name_en") in owners:
            candidates[owners[sdk["name_en"]]].add("εxodus")
        packages = sdk.get("packages") or []
        components = set(sdk.get("components") or [])
        libs = set(sdk.get("native_libs") or [])
        for (kind, name), team in teams.items():
            hit = (name in libs) if kind == "native-libs" else (
                name in components or any(name == p or name.startswith(p + ".") for p in packages))
            if hit:
                candidates[team].add("LibChecker")
        if len(candidates) == 1:
            company, sources = next(iter(candidates.items()))
            found[sdk["id"]] = (company, "+".join(sorted(sources)))
        elif candidates:
            conflicts[sdk["id"]] = set(candidates)
    return found, conflicts


def apply(found: dict[str, tuple[str, str]]) -> int:
    """Rewrite `company: null` of the found entries in place, keeping every other line as it is."""
    lines = SDKS.read_text(encoding="utf-8").splitlines(keepends=True)
    current = None
    changed = 0
    for i, line in enumerate(lines):
        m = re.match(r"\s*- id: (\S+)", line)
        if m:
            current = m.group(1)
        elif current in found and re.match(r"\s*company: null\s*$", line):
            indent = line[: len(line) - len(line.lstrip())]
            lines[i] = f"{indent}company: {json.dumps(found[current][0], ensure_ascii=False)}\n"
            changed += 1
    SDKS.write_text("".join(lines), encoding="utf-8")
    return changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--apply", action="store_true")
    args = parser.parse_args()
    found, conflicts = proposals()
    for sdk_id, (company, source) in sorted(found.items()):
        print(f"{sdk_id}\t{company}\t{source}")
    for sdk_id, names in sorted(conflicts.items()):
        print(f"# {sdk_id}: sources disagree ({', '.join(sorted(names))}), left alone")
    if args.apply:
        print(f"# {apply(found)} entries filled")


if __name__ == "__main__":
    main()
