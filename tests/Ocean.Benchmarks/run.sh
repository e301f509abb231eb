#!/usr/bin/env bash
# Builds the benchmark runner in Release and runs it with client and servers pinned to one core.
# Usage: tests/Ocean.Benchmarks/run.sh [--scenario tcp-echo] [--rounds 7] [--seconds 1] [--warmup 1]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dotnet build -c Release "$here/Ocean.Benchmarks.csproj" --nologo -v quiet -clp:NoSummary >&2
exec taskset -c 0 dotnet "$here/bin/Release/net10.0/Ocean.Benchmarks.dll" "$@"
