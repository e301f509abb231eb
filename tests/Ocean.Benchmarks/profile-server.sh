#!/usr/bin/env bash
# Where one echo server's time goes under load: starts `Ocean.Benchmarks serve --kind KIND` with perf maps on,
# drives it with the load generator from another process (both pinned to one core, as cross-process.sh does),
# records the server with `perf record` after the warm-up, and prints its CPU by library and its top symbols
# (JIT-compiled .NET methods by name), plus the system calls and context switches per message.
#
# Usage: tests/Ocean.Benchmarks/profile-server.sh KIND [--core N] [--seconds S] [--warmup S] [--top N] [-- LOADGEN ARGS...]
#   KIND          a server kind (see `Ocean.Benchmarks serve --help`), e.g. ocean-framing-lp
#   --core N      the core both processes are pinned to (default 0)
#   --seconds S   recorded seconds (default 5); --warmup S unrecorded seconds before (default 3)
#   --top N       how many symbols to print (default 40)
#   LOADGEN ARGS  passed to `loadgen`, default: --mode pipelined --connections 8 --depth 32 --payload 64; for an
#                 rpc kind (rpc-*), passed to `rpcload --kind KIND`, default: --method add --callers 1 (per message
#                 then means per call)
# Needs perf (and root, or perf_event_paranoid <= 1). Traffic stays on 127.0.0.1.
# Example: tests/Ocean.Benchmarks/profile-server.sh ocean-framing-lp -- --mode pingpong --connections 1
#          tests/Ocean.Benchmarks/profile-server.sh rpc-ocean-udp --warmup 12 -- --method add --callers 8
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dll="$here/bin/Release/net10.0/Ocean.Benchmarks.dll"
die() { echo "profile-server.sh: $*" >&2; exit 2; }

[[ $# -ge 1 && "$1" != -* ]] || die "the first argument is the server kind (see --help in the script's header)"
kind="$1"; shift
core=0; seconds=5; warmup=3; top=40
while [[ $# -gt 0 ]]; do
  case "$1" in
    --core) core="${2:?}"; shift 2 ;;
    --seconds) seconds="${2:?}"; shift 2 ;;
    --warmup) warmup="${2:?}"; shift 2 ;;
    --top) top="${2:?}"; shift 2 ;;
    --) shift; break ;;
    *) die "unknown option '$1'" ;;
  esac
done
loadgen_args=("$@")
rpc=0
[[ "$kind" == rpc-* ]] && rpc=1
if [[ ${#loadgen_args[@]} -eq 0 ]]; then
  if [[ $rpc == 1 ]]; then loadgen_args=(--method add --callers 1); else loadgen_args=(--mode pipelined --connections 8 --depth 32 --payload 64); fi
fi
command -v perf >/dev/null || die "perf is needed"
[[ -f "$dll" ]] || dotnet build -c Release "$here/Ocean.Benchmarks.csproj" --nologo -v quiet -clp:NoSummary >&2

work="$(mktemp -d)"
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill -TERM "$server_pid" 2>/dev/null || true
  [[ -n "$server_pid" ]] && { timeout 10 tail --pid="$server_pid" -f /dev/null 2>/dev/null || kill -KILL "$server_pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT

server_env=(env DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0)
[[ "$kind" == raw-inline ]] && server_env+=(DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1)
protocol=tcp
[[ "$kind" == *udp* ]] && protocol=udp
mkfifo "$work/port"
"${server_env[@]}" taskset -c "$core" dotnet "$dll" serve --kind "$kind" --port 0 --max-seconds $((seconds + warmup + 120)) > "$work/port" 2> "$work/server.err" &
server_pid=$!
read -r port < "$work/port" || die "the server did not start: $(cat "$work/server.err")"

stat_events="task-clock,context-switches,syscalls:sys_enter_recvfrom,syscalls:sys_enter_sendto,syscalls:sys_enter_sendmsg,syscalls:sys_enter_recvmsg,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_futex"
(
  sleep "$warmup"
  perf record -F 2999 -g -p "$server_pid" -o "$work/perf.data" -- sleep "$seconds" > /dev/null 2>&1 &
  perf stat -e "$stat_events" -p "$server_pid" -o "$work/stat.txt" -- sleep "$seconds" > /dev/null 2>&1
  wait
) &
recorder=$!
if [[ $rpc == 1 ]]; then
  json="$(DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 timeout $((seconds + warmup + 60)) taskset -c "$core" dotnet "$dll" rpcload \
    --kind "$kind" --port "$port" "${loadgen_args[@]}" --seconds "$((seconds + 1))" --warmup "$warmup" 2> "$work/loadgen.err")" || true
else
  json="$(DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 timeout $((seconds + warmup + 60)) taskset -c "$core" dotnet "$dll" loadgen \
    --target "$protocol://127.0.0.1:$port" "${loadgen_args[@]}" --seconds "$((seconds + 1))" --warmup "$warmup" 2> "$work/loadgen.err")" || true
fi
wait "$recorder" || true
tail -n 1 "$work/loadgen.err"
rate="$(python3 -c 'import json,sys; j = json.loads(sys.argv[1]); print(j.get("msgPerSec", j.get("callsPerSec", 0)))' "$json" 2>/dev/null || echo 0)"

echo
echo "## per message (over the $seconds recorded seconds, $rate msg/s)"
python3 - "$work/stat.txt" "$rate" "$seconds" <<'PY'
import re, sys
path, rate, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
messages = max(rate * seconds, 1)
for line in open(path):
    m = re.match(r"\s*([\d,.]+)\s+(?:msec\s+)?(\S+)", line)
    if not m or m.group(2).startswith("#") or m.group(2) in ("seconds", "msec"):
        continue
    value = float(m.group(1).replace(",", ""))
    name = m.group(2)
    if name == "task-clock":
        print(f"  server CPU          {value * 1000 / messages:8.2f} us")
    else:
        print(f"  {name.replace('syscalls:sys_enter_', 'syscall '):<19} {value / messages:8.2f}")
PY

echo
echo "## server CPU by library"
perf report -i "$work/perf.data" --no-children --sort dso -g none --percent-limit 1 2>/dev/null | grep -E '^ +[0-9]'
echo
echo "## top symbols"
perf report -i "$work/perf.data" --no-children --sort sym -g none 2>/dev/null | grep -E '^ +[0-9]' | head -n "$top" | cut -c1-200
