#!/usr/bin/env bash
# The whole test suite, from a fresh machine: system tools, the package with its extras, lint, tests.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
declare -A package_of=([javac]=default-jdk-headless [pdftoppm]=poppler-utils)  # Debian package of a tool, when not named after it
for tool in apktool aapt apksigner dexdump javac pdftoppm; do
  command -v "$tool" >/dev/null 2>&1 || need_apt+=("${package_of[$tool]:-$tool}")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "warning: ${need_apt[*]} missing and not root: fixture-building tests will be skipped" >&2
  fi
fi
if [ -x scripts/test-services.sh ]; then scripts/test-services.sh; fi

python3 -m pip install -q -e '.[dev]'
python3 -m ruff check src tests benchmarks tools
python3 -m pytest -n 2 -q "$@"
