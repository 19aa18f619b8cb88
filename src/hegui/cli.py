"""hegui's command line (../shared/CONTRACT.md, "Command line").

Exit status: 0 scan done; 1 done and a finding at or above --fail-on; 2 bad usage or no input readable.
"""

from __future__ import annotations

import dataclasses
import enum
import sys
from pathlib import Path
from typing import Annotated

import typer

from hegui import __version__

app = typer.Typer(
    name="hegui", add_completion=False, no_args_is_help=True,
    help="合规 hegui — find, prove and supervise personal-information violations in Android apps.",
)


class Format(enum.StrEnum):
    json = "json"
    html = "html"
    pdf = "pdf"
    sarif = "sarif"
    xlsx = "xlsx"


class FailOn(enum.StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hegui {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """合规 hegui."""


def _err(message: str) -> None:
    """One line on standard error; APK-controlled text is passed through repr-safe escaping."""
    sys.stderr.write(message.replace("\n", " ").replace("\r", " ") + "\n")


@app.command()
def scan(
    paths: Annotated[list[str], typer.Argument(help="APK, AAR or JAR files, folders scanned recursively (*.apk, "
                                                    "*.aar), http(s) URLs, or @LIST files (one URL or path per "
                                                    "line).", show_default=False)],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Report format.")] = Format.json,
    output: Annotated[Path | None, typer.Option("--output", "-o",
                                                help="Report file (one input) or folder (several).")] = None,
    policy: Annotated[str | None, typer.Option(help="Privacy policy file or URL (overrides the one in the APK).")] = None,
    trace: Annotated[Path | None, typer.Option(help="Runtime trace (JSON Lines, see CONTRACT.md).")] = None,
    category: Annotated[int | None, typer.Option(min=1, max=39,
                                                 help="App type id (1–39) of the 2021 necessary-PI rule.")] = None,
    listing: Annotated[Path | None, typer.Option(help="Store listing (JSON or YAML: store, version_name, "
                                                      "permissions with purposes, policy_url, developer).")] = None,
    fetch_policy: Annotated[bool, typer.Option("--fetch-policy", help="Download a privacy-policy URL found in "
                                               "the APK (public addresses only) when no policy text is inside.")] = False,
    fail_on: Annotated[FailOn | None, typer.Option("--fail-on", help="Exit 1 if a finding is this severe.")] = None,
    jobs: Annotated[int, typer.Option(min=1, help="Parallel scans for several inputs.")] = 1,
    engine: Annotated[str, typer.Option(help="Batch engine: local or ray.")] = "local",
    address: Annotated[str | None, typer.Option(help="Ray cluster address (with --engine ray).")] = None,
    retry_failed: Annotated[bool, typer.Option("--retry-failed", help="On resume, scan failed inputs again.")] = False,
    timeout: Annotated[float, typer.Option(help="Time budget per scan, seconds.")] = 60.0,
    memory: Annotated[int, typer.Option(help="Memory budget per scan, MB.")] = 1024,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
    appid: Annotated[str | None, typer.Option(help="Appid of a PC-encrypted (V1MMWX) .wxapkg, to decrypt it.")] = None,
    report_header: Annotated[Path | None, typer.Option("--report-header", help="Who issues the HTML/PDF report "
                             "(YAML/JSON: testing_body_zh, testing_body_en, number_scheme, report_date, tester, "
                             "reviewer, approver, contact).")] = None,
) -> None:
    """Scan APKs and SDK packages (AAR, JAR); report personal-information violations with evidence. 扫描 APK 与 SDK 包。"""
    from hegui.pipeline import ScanOptions
    from hegui.report.model import SEVERITY_ORDER

    options = ScanOptions(policy=policy, trace=trace, category=category, listing=listing, fetch_policy=fetch_policy,
                          appid=appid, time_budget_s=timeout, memory_budget_mb=memory)
    threshold = SEVERITY_ORDER[fail_on.value] if fail_on else None
    from hegui.batch import BatchError, collect_inputs, expand_arguments, is_url, run_batch

    try:
        arguments = expand_arguments(paths)
    except BatchError as exc:
        _err(f"hegui: {exc}")
        raise typer.Exit(2) from None
    from hegui.pipeline import is_miniapp_dir

    single = len(arguments) == 1 and not is_url(arguments[0]) and (
        not Path(arguments[0]).is_dir() or is_miniapp_dir(Path(arguments[0])))
    per_app = [name for name, given in (("--trace", trace), ("--listing", listing)) if given is not None]
    if per_app and not single:  # a trace or a store page records one app: a batch would misjudge every other one
        verb, pronoun = ("describe", "them") if len(per_app) > 1 else ("describes", "it")
        _err(f"hegui: {' and '.join(per_app)} {verb} one app: give {pronoun} with a single APK, not a batch")
        raise typer.Exit(2)
    from hegui.named_inputs import check_named_inputs

    named = check_named_inputs(policy=policy, listing=listing, trace=trace, output=output, output_is_file=single,
                               report_header=report_header)
    for line in named.refusals:
        _err(f"hegui: {line}")
    if named.refusals:
        raise typer.Exit(2)
    for line in named.warnings:
        _err(f"hegui: warning: {line}")
    if single:
        raise typer.Exit(_scan_one(Path(arguments[0]), fmt.value, output, options, threshold, quiet,
                                   named.report_header))
    if output is None:
        _err("hegui: several inputs (or a folder, or a URL) need --output DIR")
        raise typer.Exit(2)
    if named.report_header is not None:  # every report of the run, each numbered by the header's scheme
        options = dataclasses.replace(options, report_header=named.report_header)
    inputs = collect_inputs(arguments)
    if not inputs:
        _err("hegui: no APK or SDK package found in the given paths")
        raise typer.Exit(2)
    try:
        result = run_batch(inputs, output, options=options, formats=[fmt.value], jobs=jobs, engine=engine,
                           address=address, quiet=quiet, retry_failed=retry_failed)
    except BatchError as exc:
        _err(f"hegui: {exc}")
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        _err(f"hegui: interrupted; finished reports are in {output}, run the same command again to resume")
        raise typer.Exit(130) from None
    if not quiet:
        for line in result.closing_lines():
            _err(f"hegui: {line}")
    raise typer.Exit(result.exit_status(fail_on.value if fail_on else None))


def _scan_one(path: Path, fmt: str, output: Path | None, options, threshold: int | None, quiet: bool,
              header=None) -> int:
    from hegui.batch.isolate import ScanFailed, scan_report_isolated
    from hegui.errors import InputError
    from hegui.report.render import render

    try:
        # In a child under --timeout and --memory as hard limits, as every scan of a batch is: a hostile
        # input that balloons or loops ends this scan with one line, not the machine or the terminal.
        report = scan_report_isolated(path, options)
    except (InputError, ScanFailed) as exc:
        _err(f"{path}: {exc}")
        return 2
    try:
        data = render(report, fmt, header=header)
    except InputError as exc:  # a PDF without WeasyPrint/Pango installed
        _err(f"hegui: --format {fmt}: {exc}")
        return 2
    if output is None:
        if fmt in ("xlsx", "pdf") and sys.stdout.isatty():
            _err(f"hegui: {fmt} is binary; use --output FILE")
            return 2
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        if output.is_dir():
            from hegui.report.render import extension

            output = output / f"{report.input.sha256}.{extension(fmt)}"
        tmp = output.with_name(output.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(output)
        if not quiet:
            _err(f"{output}: {_summary(report)}")
    _warn_partial(path, report)
    return 1 if threshold is not None and report.max_severity() >= threshold else 0


def _warn_partial(path: Path, report) -> None:
    """A report built from a partly read input says so on standard error, not only inside the report."""
    from hegui.named_inputs import MAX_WARNINGS_SHOWN

    for item in report.errors[:MAX_WARNINGS_SHOWN]:
        _err(f"hegui: warning: {path}: {item.stage}: {item.message}")
    if len(report.errors) > MAX_WARNINGS_SHOWN:
        _err(f"hegui: warning: {path}: {len(report.errors) - MAX_WARNINGS_SHOWN} more problems, listed in the "
             "report's errors")


def _summary(report) -> str:
    counts = {sev: sum(1 for f in report.findings if f.severity == sev) for sev in ("critical", "high", "medium", "low")}
    parts = ", ".join(f"{n} {sev}" for sev, n in counts.items() if n)
    return (f"{len(report.findings)} findings ({parts or 'none'}), {len(report.sdks)} SDKs, "
            f"{len(report.sensitive_calls)} sensitive calls / 共 {len(report.findings)} 项问题")


def _register_optional() -> None:
    """Commands of the capture and platform parts; their heavy imports happen inside the commands."""
    import importlib

    for module in ("hegui.trace", "hegui.platform.cli"):
        try:
            importlib.import_module(module).register(app)
        except ImportError as exc:  # that part is not installed in this environment
            if "--help" in sys.argv or "-h" in sys.argv:
                _err(f"hegui: {module} unavailable ({exc})")


def main() -> None:
    _register_optional()
    app()


if __name__ == "__main__":
    main()
