"""Measure hegui's policy analysis on real, independently labelled Chinese policies.

    python3 benchmarks/policy_eval.py [--split test|dev|all] [--corpus DIR] [--json]

Corpora (in ../shared/corpus, read in place, never copied):
- viodroid-finder/labelled_dataset.csv: 4,985 sentences labelled with compliance rules CR1..CR26. Sentence-level
  precision/recall/F1 of each element we can map to a CR (table `CR_TO_ELEMENT`).
- appch/manual_annotation: 93 policies with inline permission-group labels (three annotators). Per permission
  group (the PI types and permissions we find, mapped to APPCH's nine Android permission groups): line-level and
  document-level P/R/F1.
- ca4p-483/annotation_data: 100 policies with character spans labelled 数据 (data). Mention-level precision of
  our PI-type mentions (does a mention fall inside a human-labelled data span?) per PI type, and the share of
  data spans we recognise (many spans name data outside the PI-type catalog: 昵称, 订单信息 …).

- data/policy_eval (hegui's own set, see its README.md): real Chinese policies from public repositories outside the
  three corpora, labelled by hand before hegui was run on them (element verdicts, the sentences that prove each
  element, declared SDKs as sets of acceptable catalog ids, declared PI types). Reported by the `split` of each
  document in sources.json — `dev` (looked at while the lexicon was tuned) and `heldout` (never tuned on before its
  first run; that first run is in the set's README) — and for all: element micro P/R/F1, the share of excerpts of
  correct verdicts that contain a labelled proving sentence, declared-SDK P/R/F1 (SDKs the catalog does not know
  are counted apart) and declared-PI-type P/R/F1.

For the three corpora the split is fixed up front by a hash (sha1 of the sentence or file name, 30 % test), so the
lexicon is tuned on `dev` and reported on `test`; `--split dev` exists only for development. The own set is always
reported on both of its splits.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

from hegui.errors import InputError
from hegui.policy.analyse import (
    _pi_mentions,
    mention_types,
    sentence_elements,
    sentence_permissions,
    sentence_pi_types,
)
from hegui.policy.extract import decode_text
from hegui.policy.lexicon import lexicon

DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
OWN_SET = Path(__file__).resolve().parent / "data" / "policy_eval"
TEST_SHARE = 3  # of 10 hash buckets

# VioDroid-Finder compliance rules → our elements (README_VioDroid-Finder.md). CRs without a counterpart
# (CR2 scope, CR6 consent before collection, CR15 security measures, CR17 incidents, CR23-26 cross-border,
# CR12 personalised display) are not measured.
CR_TO_ELEMENT: dict[str, tuple[str, ...]] = {
    "policy_change_notice": ("CR1", "CR7"),
    "operator_identity": ("CR3", "CR4"),
    "minors_rules": ("CR5",),
    "consent_withdrawal": ("CR8",),
    "personalized_push_optout": ("CR9",),
    "user_rights": ("CR10",),
    "pi_inventory_by_function": ("CR11", "CR13"),  # the element is PI *with* its purpose per function
    "retention": ("CR14",),
    "sensitive_pi_notice": ("CR16",),
    "third_party_sharing": ("CR18", "CR19", "CR20", "CR21", "CR22"),
}

# APPCH permission groups → our PI types (a policy naming any of them declares the group).
GROUP_PI_TYPES: dict[str, tuple[str, ...]] = {
    "CALENDAR": ("calendar",),
    "CAMERA": ("camera", "face_biometric"),
    "CONTACTS": ("contacts", "accounts"),
    "LOCATION": ("location_precise", "location_coarse", "cell_info", "wifi_info", "ip_address", "media_location"),
    "MICROPHONE": ("microphone", "voiceprint"),
    "PHONE": ("imei", "meid", "imsi", "iccid", "android_id", "oaid", "hardware_serial", "phone_number", "call_log",
              "call_state", "mac_address"),
    "SENSORS": ("activity_health",),  # BODY_SENSORS: body data, not the motion sensors apps read freely
    "SMS": ("sms",),
    "STORAGE": ("media_files",),
}
# APPCH's README table: Android permission → the group it labels.
PERMISSION_GROUP: dict[str, str] = {
    "android.permission.READ_CALENDAR": "CALENDAR", "android.permission.WRITE_CALENDAR": "CALENDAR",
    "android.permission.CAMERA": "CAMERA",
    "android.permission.READ_CONTACTS": "CONTACTS", "android.permission.WRITE_CONTACTS": "CONTACTS",
    "android.permission.GET_ACCOUNTS": "CONTACTS",
    "android.permission.ACCESS_FINE_LOCATION": "LOCATION", "android.permission.ACCESS_COARSE_LOCATION": "LOCATION",
    "android.permission.RECORD_AUDIO": "MICROPHONE",
    "android.permission.READ_PHONE_STATE": "PHONE", "android.permission.CALL_PHONE": "PHONE",
    "android.permission.READ_CALL_LOG": "PHONE", "android.permission.WRITE_CALL_LOG": "PHONE",
    "android.permission.PROCESS_OUTGOING_CALLS": "PHONE",
    "android.permission.BODY_SENSORS": "SENSORS",
    "android.permission.SEND_SMS": "SMS", "android.permission.RECEIVE_SMS": "SMS", "android.permission.READ_SMS": "SMS",
    "android.permission.RECEIVE_MMS": "SMS",
    "android.permission.READ_EXTERNAL_STORAGE": "STORAGE", "android.permission.WRITE_EXTERNAL_STORAGE": "STORAGE",
}
_APPCH_TAG = re.compile(r"\[@(.+?)#([^\]*]+)\*\]", re.S)


def in_test(key: str) -> bool:
    return int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16) % 10 < TEST_SHARE


def keep(key: str, split: str) -> bool:
    return split == "all" or (split == "test") == in_test(key)


class Score:
    def __init__(self) -> None:
        self.tp = self.fp = self.fn = 0

    def add(self, predicted: bool, gold: bool) -> None:
        if predicted and gold:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif gold:
            self.fn += 1

    def prf(self) -> tuple[float, float, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return p, r, f

    def row(self) -> dict[str, float | int]:
        p, r, f = self.prf()
        return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3), "support": self.tp + self.fn}


def micro(scores: dict[str, Score]) -> Score:
    total = Score()
    for s in scores.values():
        total.tp += s.tp
        total.fp += s.fp
        total.fn += s.fn
    return total


def eval_viodroid(corpus: Path, split: str) -> dict[str, Score]:
    lex = lexicon()
    scores = {e: Score() for e in CR_TO_ELEMENT}
    with (corpus / "viodroid-finder" / "labelled_dataset.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh):
            if len(row) < 3 or not keep(row[0], split):
                continue
            labels = set(row[2].split("#")) - {""}
            found = sentence_elements(row[0], lex)
            for element, crs in CR_TO_ELEMENT.items():
                scores[element].add(element in found, bool(labels & set(crs)))
    return scores


def _group_of(pi_types: set[str], permissions: set[str] = frozenset()) -> set[str]:
    """Permission groups a policy (or line) declares: through the PI types it names or the permissions."""
    groups = {g for g, types in GROUP_PI_TYPES.items() if pi_types & set(types)}
    return groups | {PERMISSION_GROUP[p] for p in permissions if p in PERMISSION_GROUP}


def eval_appch(corpus: Path, split: str) -> tuple[dict[str, Score], dict[str, Score]]:
    from hegui.policy import analyse_policy, extract_policy

    lex = lexicon()
    line_scores = {g: Score() for g in GROUP_PI_TYPES}
    doc_scores = {g: Score() for g in GROUP_PI_TYPES}
    for path in sorted((corpus / "appch" / "manual_annotation").glob("*/*.ann")):
        if not keep(path.name, split) or path.name.startswith("._"):  # skip macOS resource forks in the set
            continue
        try:
            raw, _encoding = decode_text(path.read_bytes())  # some originals are GBK: detected, not assumed
        except InputError:
            continue
        doc_gold: set[str] = set()
        clean_lines: list[str] = []
        for line in raw.splitlines():
            gold = {m.group(2).split()[-1].upper() for m in _APPCH_TAG.finditer(line)}
            gold &= set(GROUP_PI_TYPES)
            clean = _APPCH_TAG.sub(lambda m: m.group(1), line)
            clean_lines.append(clean)
            doc_gold |= gold
            predicted = _group_of(sentence_pi_types(clean, lex), sentence_permissions(clean, lex))
            for g in GROUP_PI_TYPES:
                line_scores[g].add(g in predicted, g in gold)
        try:
            analysis = analyse_policy(extract_policy("\n".join(clean_lines).encode("utf-8"), path.name))
        except InputError:  # a few annotation files are empty
            continue
        doc_pred = _group_of(set(analysis.declared_pi_types), set(analysis.declared_permissions))
        for g in GROUP_PI_TYPES:
            doc_scores[g].add(g in doc_pred, g in doc_gold)
    return line_scores, doc_scores


def eval_ca4p(corpus: Path, split: str) -> tuple[dict[str, Score], Score]:
    lex = lexicon()
    by_type: dict[str, Score] = defaultdict(Score)
    spans_found = Score()
    for path in sorted((corpus / "ca4p-483" / "annotation_data").glob("*.json")):
        if not keep(path.name, split):
            continue
        items = json.loads(path.read_text(encoding="utf-8"))
        paragraphs = {(a["start"], a["end"]): a["text"] for a in items if not a["classId_name"]}
        data_spans = [(a["start"], a["end"]) for a in items if a["classId_name"] == "数据"]
        hit_spans: set[tuple[int, int]] = set()
        for (p_start, _p_end), text in paragraphs.items():
            offset = 0
            for sentence in re.split(r"(?<=[。！？；;\n])", text):
                for pos, term in _pi_mentions(sentence, lex):
                    start = p_start + offset + pos
                    end = start + len(term)
                    inside = [s for s in data_spans if s[0] <= start and end <= s[1]]
                    hit_spans.update(inside)
                    for pi in mention_types(sentence, pos, term, lex):
                        by_type[pi].add(True, bool(inside))
                offset += len(sentence)
        for span in set(data_spans):
            spans_found.add(span in hit_spans, True)
    return dict(by_type), spans_found


def _squash(text: str) -> str:
    """Compare sentences without whitespace and Markdown emphasis (converters break lines and spaces freely)."""
    return re.sub(r"[\s*_]+", "", text)


def _is_proof(excerpt_text: str | None, proofs: list[str]) -> bool:
    if not excerpt_text:
        return False
    squashed = _squash(excerpt_text)
    return any(_squash(p) in squashed for p in proofs)


def eval_own(directory: Path = OWN_SET, split: str | None = None) -> dict[str, object]:
    """hegui's own hand-labelled set: elements, proving excerpts, declared SDKs and PI types.

    `split`: "dev" (the 30 documents looked at while improving the lexicon, both labelling rounds),
    "heldout" (labelled later, before hegui was run on them; not tuned on) or None for all."""
    from hegui.policy import analyse_policy, extract_policy

    entries = json.loads((directory / "sources.json").read_text(encoding="utf-8"))
    sources = {s["id"]: s["file"] for s in entries if split is None or s["split"] == split}
    labels = {k: v for k, v in json.loads((directory / "labels.json").read_text(encoding="utf-8")).items()
              if k in sources}
    elements: dict[str, Score] = defaultdict(Score)
    sdk, pi = Score(), Score()
    proofs_ok = proofs_total = 0
    unknown_sdks = 0
    misses: list[str] = []
    for pid, gold in sorted(labels.items()):
        analysis = analyse_policy(extract_policy((directory / sources[pid]).read_bytes(), sources[pid]))
        for eid, present in gold["elements"].items():
            hit = analysis.elements.get(eid)
            predicted = bool(hit and hit.present)
            elements[eid].add(predicted, present)
            if predicted != present:
                misses.append(f"{pid}: {eid} {'missed' if present else 'wrongly found'}"
                              + (f" ({hit.excerpt[:80]})" if hit and hit.excerpt and predicted else ""))
            elif present and gold["proofs"].get(eid):
                proofs_total += 1
                if _is_proof(hit.excerpt if hit else None, gold["proofs"][eid]):
                    proofs_ok += 1
                else:
                    misses.append(f"{pid}: {eid} excerpt is no proof ({(hit.excerpt or '')[:80]})")
        declared = set(analysis.declared_sdks)
        known = [set(ids) for ids in gold["declared_sdks"] if not all(i.startswith("name:") for i in ids)]
        unknown_sdks += len(gold["declared_sdks"]) - len(known)
        for ids in known:
            sdk.add(bool(declared & ids), True)
            if not declared & ids:
                misses.append(f"{pid}: SDK {sorted(ids)} missed")
        acceptable = set().union(*known) if known else set()
        for extra in sorted(declared - acceptable):
            sdk.add(True, False)
            misses.append(f"{pid}: SDK {extra} wrongly declared ({analysis.sdk_excerpts.get(extra, '')[:60]})")
        if gold["declared_pi_types"] is not None:
            gold_pi = set(gold["declared_pi_types"])
            found = set(analysis.declared_pi_types)
            for t in gold_pi | found:
                pi.add(t in found, t in gold_pi)
                if (t in found) != (t in gold_pi):
                    misses.append(f"{pid}: PI {t} {'wrongly declared (' + analysis.pi_excerpts.get(t, '')[:60] + ')' if t in found else 'missed'}")
    return {"policies": len(labels), "elements": dict(elements), "proofs": (proofs_ok, proofs_total), "sdk": sdk,
            "sdk_not_in_catalog": unknown_sdks, "pi": pi, "misses": misses}


def _table(title: str, scores: dict[str, Score]) -> list[str]:
    lines = [title, f"  {'':28} {'P':>6} {'R':>6} {'F1':>6} {'n':>6}"]
    for name, s in sorted(scores.items()):
        p, r, f = s.prf()
        lines.append(f"  {name:28} {p:6.3f} {r:6.3f} {f:6.3f} {s.tp + s.fn:6d}")
    p, r, f = micro(scores).prf()
    lines.append(f"  {'micro average':28} {p:6.3f} {r:6.3f} {f:6.3f}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("test", "dev", "all"), default="test")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="list every disagreement on the own set")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    vio = eval_viodroid(args.corpus, args.split)
    appch_lines, appch_docs = eval_appch(args.corpus, args.split)
    ca4p_types, ca4p_spans = eval_ca4p(args.corpus, args.split)
    own_splits = {r: eval_own(split=r) for r in ("heldout", "dev", None)}
    if args.json:
        print(json.dumps({
            "split": args.split,
            "viodroid_elements": {k: v.row() for k, v in vio.items()} | {"micro": micro(vio).row()},
            "appch_line_groups": {k: v.row() for k, v in appch_lines.items()} | {"micro": micro(appch_lines).row()},
            "appch_doc_groups": {k: v.row() for k, v in appch_docs.items()} | {"micro": micro(appch_docs).row()},
            "ca4p_mention_precision": {k: v.row()["precision"] for k, v in ca4p_types.items()},
            "ca4p_data_span_recall": ca4p_spans.row()["recall"],
            "own_set": {r or "all": {
                "policies": own["policies"],
                "elements": {k: v.row() for k, v in own["elements"].items()} | {"micro": micro(own["elements"]).row()},
                "excerpt_proof_share": round(own["proofs"][0] / own["proofs"][1], 3) if own["proofs"][1] else None,
                "declared_sdks": own["sdk"].row(), "sdks_not_in_catalog": own["sdk_not_in_catalog"],
                "declared_pi_types": own["pi"].row(),
            } for r, own in own_splits.items()},
        }, ensure_ascii=False, indent=1))
        return 0
    out = [f"split: {args.split} (30% of items by sha1 hash are test; the lexicon was developed on dev)", ""]
    out += _table("VioDroid-Finder, sentence level, elements (CR mapping in CR_TO_ELEMENT):", vio) + [""]
    out += _table("APPCH, line level, permission groups from declared PI types and permissions:", appch_lines) + [""]
    out += _table("APPCH, document level, permission groups from declared PI types and permissions:", appch_docs) + [""]
    out.append("CA4P-483, mention precision per PI type (mention inside a human 数据 span):")
    for name, s in sorted(ca4p_types.items()):
        out.append(f"  {name:28} {s.prf()[0]:6.3f} {s.tp + s.fp:6d} mentions")
    out.append(f"  {'all mentions':28} {micro(ca4p_types).prf()[0]:6.3f}")
    out.append(f"CA4P-483, share of 数据 spans containing a PI-type mention: {ca4p_spans.prf()[1]:.3f} "
               f"of {ca4p_spans.tp + ca4p_spans.fn}")
    own = own_splits["heldout"]
    out += [""] + _table(f"Own set, held-out split ({own['policies']} policies labelled before hegui was run on them, "
                         "not tuned on; every --split), elements:", own["elements"])
    out.append(f"  {'':28} {'P':>6} {'R':>6} {'F1':>6} {'n':>6}   excerpts that prove")
    for r, o in own_splits.items():
        ok, total = o["proofs"]
        el_p, el_r, el_f = micro(o["elements"]).prf()
        out.append(f"  {(r or 'all') + ', ' + str(o['policies']) + ' policies':28}"
                   f" {el_p:6.3f} {el_r:6.3f} {el_f:6.3f} {'':6}   {ok}/{total} = {ok / total if total else 0:.3f}")
        for name, score in (("  declared SDKs", o["sdk"]), ("  declared PI types", o["pi"])):
            p, rr, f = score.prf()
            out.append(f"  {name:28} {p:6.3f} {rr:6.3f} {f:6.3f} {score.tp + score.fn:6d}")
        out.append(f"  {'  SDKs not in the catalog':28} {o['sdk_not_in_catalog']:>27d} (listed, not scored)")
    if args.verbose:
        for r, o in own_splits.items():
            out += ["", f"Own set, {r or 'all'} split, every disagreement:"] + [f"  {m}" for m in o["misses"]]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
