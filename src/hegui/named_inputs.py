"""The inputs a user names with an option (`--policy`, `--listing`, `--trace`, `--output`): used, or refused out loud.

A scan that silently ignores a named file reports something the user did not ask for: a missing `--policy`
would read as "no policy given", a listing with a typo as "no listing problems". So every named input is read
before the scan starts; one that cannot be read or parsed is a usage error (CONTRACT.md exit status 2, one line
naming the option, the file and the reason), and one that is only partly readable (bad trace lines) is a warning
line. A policy URL is not fetched here (it would be fetched twice): a failure to fetch it during the scan is in
the report's `errors` and is shown as a warning after the scan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from hegui.errors import InputError

if TYPE_CHECKING:
    from hegui.report.header import ReportHeader

MAX_WARNINGS_SHOWN = 10


@dataclass(slots=True)
class NamedInputCheck:
    refusals: list[str] = field(default_factory=list)  # each one line: the scan must not start
    warnings: list[str] = field(default_factory=list)  # each one line: the scan goes on with what was read
    report_header: ReportHeader | None = None  # --report-header, read


def check_named_inputs(*, policy: str | None, listing: Path | None, trace: Path | None, output: Path | None,
                       output_is_file: bool, report_header: Path | None = None) -> NamedInputCheck:
    """Read every input named by an option. `output_is_file`: one input, so `--output` names a report file
    (or an existing folder to put it in); for several inputs it is a folder the batch creates."""
    check = NamedInputCheck()
    if policy is not None and not _is_url(policy):
        _check_policy_file(policy, check)
    if listing is not None:
        from hegui.listing import read_listing

        try:
            read_listing(listing)
        except InputError as exc:
            check.refusals.append(f"--listing {listing}: {exc}")
    if trace is not None:
        _check_trace(trace, check)
    if output is not None:
        _check_output(output, output_is_file, check)
    if report_header is not None:
        from hegui.report.header import read_report_header

        try:
            check.report_header = read_report_header(report_header)
        except InputError as exc:
            check.refusals.append(f"--report-header {report_header}: {exc}")
    return check


def _is_url(text: str) -> bool:
    return text[:8].lower().startswith(("http://", "https://"))


def _check_policy_file(spec: str, check: NamedInputCheck) -> None:
    from hegui.policy import extract_policy, load_policy_source

    try:
        data, source = load_policy_source(spec)
        extract_policy(data, source)
    except InputError as exc:
        check.refusals.append(f"--policy {spec}: {exc}")


def _check_trace(path: Path, check: NamedInputCheck) -> None:
    from hegui.trace.reader import read_trace

    if not path.is_file():
        check.refusals.append(f"--trace {path}: {'not a regular file' if path.exists() else 'no such file'}")
        return
    try:
        result = read_trace(path)
    except InputError as exc:
        check.refusals.append(f"--trace {path}: {exc}")
        return
    if not result.events:
        reason = result.errors[0] if result.errors else "the file holds no event"
        check.refusals.append(f"--trace {path}: no event could be read ({reason}); the trace is JSON Lines, "
                              "one event per line (CONTRACT.md)")
        return
    for problem in result.errors[:MAX_WARNINGS_SHOWN]:
        check.warnings.append(f"--trace {path}: {problem}; that line is not used")
    if len(result.errors) > MAX_WARNINGS_SHOWN:
        check.warnings.append(f"--trace {path}: {len(result.errors) - MAX_WARNINGS_SHOWN} more bad lines")


def _check_output(output: Path, output_is_file: bool, check: NamedInputCheck) -> None:
    if output_is_file:
        if output.is_dir():
            return
        parent = output.parent
        if not parent.is_dir():
            check.refusals.append(f"--output {output}: folder {parent} does not exist")
        elif output.exists() and not output.is_file():
            check.refusals.append(f"--output {output}: exists and is not a regular file")
    elif output.exists() and not output.is_dir():
        check.refusals.append(f"--output {output}: several inputs need a folder, and this is a file")
