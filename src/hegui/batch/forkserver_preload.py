"""Imported once by the Ray engine's forkserver: warms the scanner for every scan it forks afterwards."""

from __future__ import annotations

from hegui.batch.warm import warm_up

warm_up()
