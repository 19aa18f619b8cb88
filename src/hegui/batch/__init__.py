"""National-scale batch scanning: many inputs, worker processes or a Ray cluster, resumable after any stop.

    result = run_batch(collect_inputs([Path("/data/apks")]), Path("results"), options=ScanOptions(),
                       formats=["json"], jobs=8)

Inputs: files, folders (every ``*.apk`` and ``*.aar`` below), http(s) URLs and ``@LIST`` files of URLs or paths
(`hegui.batch.inputs`):

    hegui scan https://bucket.example/a.apk?X-Amz-Signature=… @urls.txt --output results/

A URL (a presigned S3/OSS/COS/MinIO URL is a plain HTTPS GET) is fetched inside the isolated scan, on the
node that runs it, into a private temporary file that is always removed, with a size cap, timeouts and at
most 3 redirects (`hegui.batch.download`). Its query string is a secret (the signature): the index, the
reports (``input.path``), progress and errors name the URL without query, user info or fragment, and
that redacted URL is the input's key for resuming. A failed download is a ``failed`` index line with a
one-line reason; on Ray, a transient one (timeout, refused, HTTP 429/5xx) is retried first.

Output directory (``CONTRACT.md``): one report per input named ``<sha256>.<ext>`` (sha256 of the input
file, or of the downloaded bytes), ``index.json`` (JSON Lines, one line per finished input, see
`hegui.batch.index`), and at the end ``summary.json``, ``sdk_prevalence.csv``, ``findings_by_rule.csv``
(see `hegui.batch.summary`).

Each scan runs in its own child process with the time limit ``options.time_budget_s`` and the
address-space limit ``options.memory_budget_mb``; one that runs out of either, crashes its process or
cannot be read is recorded ``failed`` with a one-line reason and the batch goes on.

Resuming: run the same command again. Finished inputs (same path, size and mtime, report present; for a
URL, the same redacted URL with its report present) are skipped, identical content under another path
is not scanned twice, failed inputs are skipped unless ``retry_failed`` (CLI ``--retry-failed``) is set.
See `hegui.batch.plan` for the exact rules.
"""

from __future__ import annotations

from hegui.batch.download import UrlInput, is_url, redact_url
from hegui.batch.inputs import INPUT_SUFFIXES, collect_inputs, expand_arguments
from hegui.batch.runner import BatchError, BatchResult, run_batch

__all__ = ["INPUT_SUFFIXES", "BatchError", "BatchResult", "UrlInput", "collect_inputs", "expand_arguments",
           "is_url", "redact_url", "run_batch"]
