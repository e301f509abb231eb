#!/usr/bin/env bash
# Cross-process benchmark: each echo server runs in its own process, driven by the load generator in
# another, both pinned to the same core (taskset -c CORE, default 0), over 127.0.0.1 only.
#
# Usage: tests/Ocean.Benchmarks/cross-process.sh [options]
#   --runs R          runs; every run measures every variant of every workload once, the variants'
#                     order rotating from run to run (default 3)
#   --seconds S       measured seconds per variant per run (default 5)
#   --warmup S        unmeasured warm-up seconds before each measurement (default 1)
#   --workloads LIST  comma-separated, from: pingpong, pipelined, sweep-pipelined, sweep-pingpong, udp,
#                     or "all" (default all)
#   --variants LIST   only these server kinds (comma-separated; the baseline raw/raw-udp is always run)
#   --core N          the core both processes are pinned to (default 0)
#   --out DIR         keep the raw results (results.tsv, one loadgen JSON line per measurement) and
#                     server logs here (default: a temporary directory, removed at exit)
#   --client MODE     the load generator's I/O: inline (async with inline socket completions, the
#                     cheapest per message, default), async, or blocking (a thread per connection)
#   --no-build        use the existing Release build
#
# Workloads (payload 64 B unless swept; TCP messages are a 4-byte big-endian length + payload, the
# line server's are payload + LF):
#   pingpong          TCP, 1 connection, 1 in flight
#   pipelined         TCP, 8 connections x 32 in flight
#   sweep-pipelined   TCP, 4 connections x 8 in flight, payloads 64 B, 1 KiB, 4 KiB, 16 KiB
#   sweep-pingpong    TCP, 1 connection x 1 in flight, the same payloads
#   udp               UDP echo, 1 socket, 1 datagram in flight
#   (Workload names in the table: tcp-pingpong-1x1-64B, tcp-pipelined-8x32-64B, sweep-pipelined-4x8-<P>B,
#   sweep-pingpong-1x1-<P>B, udp-pingpong-1x1-64B)
#
# Server kinds (Ocean.Benchmarks serve --kind K): raw (the TCP baseline), raw-inline, ocean-transport,
# ocean-framing-lp, ocean-framing-line, kestrel; raw-udp (the UDP baseline), ocean-udp-socket,
# ocean-udp-framing. See tests/Ocean.Benchmarks/README.md.
#
# Prints a markdown table: per workload and variant, the median over runs of messages/s, of the ratio
# to the baseline measured in the same run, of p50/p99/p99.9 latency, and of the server's CPU time per
# message (user+system from /proc, whole run including warm-up, so it tracks cost against payload),
# and of the bytes it allocated per message (both per message over the whole load), plus the errors
# summed over runs. Exits 1 if any measurement counted errors or failed.
#
# Every server started is killed on exit (trap), failure or not; every load generator run is bounded
# by `timeout`; every server also stops itself after --max-seconds.
#
# Example (a quiet machine): tests/Ocean.Benchmarks/cross-process.sh --runs 3 --seconds 5
# Smoke test:               tests/Ocean.Benchmarks/cross-process.sh --runs 1 --seconds 1 --warmup 0.5
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dll="$here/bin/Release/net10.0/Ocean.Benchmarks.dll"

runs=3
seconds=5
warmup=1
workloads=all
variants_filter=""
core=0
out=""
build=1
client=inline
drain=5

die() { echo "cross-process.sh: $*" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs="${2:?}"; shift 2 ;;
    --seconds) seconds="${2:?}"; shift 2 ;;
    --warmup) warmup="${2:?}"; shift 2 ;;
    --workloads) workloads="${2:?}"; shift 2 ;;
    --variants) variants_filter="${2:?}"; shift 2 ;;
    --core) core="${2:?}"; shift 2 ;;
    --out) out="${2:?}"; shift 2 ;;
    --client) client="${2:?}"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
[[ "$seconds" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--seconds must be a number"
[[ "$warmup" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--warmup must be a number"
[[ "$core" =~ ^[0-9]+$ ]] || die "--core must be a core number"
case "$client" in
  inline) client_env=(env DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1); client_args=(--client async) ;;
  async) client_env=(env -u DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS); client_args=(--client async) ;;
  blocking) client_env=(env -u DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS); client_args=(--client blocking) ;;
  *) die "--client must be inline, async or blocking" ;;
esac
[[ "$workloads" == all ]] && workloads="pingpong,pipelined,sweep-pipelined,sweep-pingpong,udp"
command -v taskset >/dev/null || die "taskset is needed"
command -v python3 >/dev/null || die "python3 is needed for the table"

if [[ -z "$out" ]]; then
  out="$(mktemp -d)"
  keep_out=0
else
  mkdir -p "$out"
  keep_out=1
fi

# Every server we start, so that the trap can end them whatever happens.
server_pids=()
cleanup() {
  local pid
  for pid in "${server_pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  for pid in "${server_pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    wait "$pid" 2>/dev/null || true
  done
  [[ $keep_out == 1 ]] || rm -rf "$out"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ $build == 1 ]]; then
  echo "building Release..." >&2
  dotnet build -c Release "$here/Ocean.Benchmarks.csproj" --nologo -v quiet -clp:NoSummary >&2
fi
[[ -f "$dll" ]] || die "no build at $dll"

# workload name | protocol | loadgen arguments | variants (the first is the baseline)
tcp_variants="raw raw-inline ocean-transport ocean-framing-lp ocean-framing-line kestrel"
sweep_variants="raw raw-inline ocean-transport ocean-framing-lp kestrel"
udp_variants="raw-udp ocean-udp-socket ocean-udp-framing"
specs=()
IFS=',' read -r -a wanted <<< "$workloads"
for w in "${wanted[@]}"; do
  case "$w" in
    pingpong) specs+=("tcp-pingpong-1x1-64B|tcp|--mode pingpong --connections 1 --payload 64|$tcp_variants") ;;
    pipelined) specs+=("tcp-pipelined-8x32-64B|tcp|--mode pipelined --connections 8 --depth 32 --payload 64|$tcp_variants") ;;
    sweep-pipelined) for p in 64 1024 4096 16384; do specs+=("sweep-pipelined-4x8-${p}B|tcp|--mode pipelined --connections 4 --depth 8 --payload $p|$sweep_variants"); done ;;
    sweep-pingpong) for p in 64 1024 4096 16384; do specs+=("sweep-pingpong-1x1-${p}B|tcp|--mode pingpong --connections 1 --payload $p|$sweep_variants"); done ;;
    udp) specs+=("udp-pingpong-1x1-64B|udp|--mode pingpong --connections 1 --payload 64|$udp_variants") ;;
    *) die "unknown workload '$w'" ;;
  esac
done

clk_tck="$(getconf CLK_TCK)"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
server_lifetime=$(python3 -c "print(int(($seconds + $warmup + $drain) * 4 + 60))")
loadgen_timeout=$(python3 -c "print(int($seconds + $warmup + $drain + 30))")

results="$out/results.tsv"
printf 'run\tworkload\tvariant\tbaseline\trc\tjson\tserver_cpu_ticks\tserver_allocated\n' > "$results"

# measure RUN WORKLOAD PROTOCOL "LOADGEN ARGS" KIND BASELINE
measure() {
  local run="$1" workload="$2" proto="$3" args="$4" kind="$5" baseline="$6"
  local log="$out/serve-$run-$workload-$kind"
  # Only raw-inline's process gets inline completions; no other server inherits them from our environment.
  local -a env_prefix=(env -u DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS)
  [[ "$kind" == raw-inline ]] && env_prefix=(env DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1)
  local -a extra=()
  [[ "$kind" == ocean-framing-line ]] && extra=(--framing line)

  "${env_prefix[@]}" taskset -c "$core" dotnet "$dll" serve --kind "$kind" --port 0 --max-seconds "$server_lifetime" \
    > "$log.out" 2> "$log.err" < /dev/null &
  local pid=$!
  server_pids+=("$pid")
  local port=""
  for _ in $(seq 300); do
    port="$(head -n 1 "$log.out" 2>/dev/null || true)"
    [[ "$port" =~ ^[0-9]+$ ]] && break
    kill -0 "$pid" 2>/dev/null || break
    port=""
    sleep 0.1
  done

  local rc json ticks=0
  if [[ -z "$port" ]]; then
    rc=99
    json='{"errors":1,"firstError":"server did not start"}'
    echo "  $kind: server did not start: $(tail -n 3 "$log.err" | tr '\n' ' ')" >&2
  else
    local before after
    before="$(cpu_ticks "$pid")"
    # shellcheck disable=SC2086 # $args is a list of options
    set +e
    json="$("${client_env[@]}" timeout "$loadgen_timeout" taskset -c "$core" dotnet "$dll" loadgen --target "$proto://127.0.0.1:$port" \
      $args "${extra[@]}" "${client_args[@]}" --seconds "$seconds" --warmup "$warmup" --drain-timeout "$drain" 2> "$log.loadgen.err" < /dev/null)"
    rc=$?
    set -e
    after="$(cpu_ticks "$pid")"
    ticks=$((after - before))
    [[ -n "$json" ]] || json='{"errors":1,"firstError":"load generator printed nothing"}'
    echo "  $kind: $(tail -n 1 "$log.loadgen.err")" >&2
  fi

  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local allocated
  allocated="$(sed -n 's/^allocated \([0-9][0-9]*\)$/\1/p' "$log.out" 2>/dev/null)"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "$workload" "$kind" "$baseline" "$rc" "$json" "$ticks" "${allocated:--1}" >> "$results"
}

for ((run = 1; run <= runs; run++)); do
  for spec in "${specs[@]}"; do
    IFS='|' read -r workload proto args variant_list <<< "$spec"
    read -r -a all_variants <<< "$variant_list"
    baseline="${all_variants[0]}"
    chosen=()
    for v in "${all_variants[@]}"; do
      if [[ -z "$variants_filter" || "$v" == "$baseline" || ",$variants_filter," == *",$v,"* ]]; then chosen+=("$v"); fi
    done
    # Rotate the order from run to run so that no variant always goes first (or last).
    n=${#chosen[@]}
    echo "run $run/$runs, $workload:" >&2
    for ((i = 0; i < n; i++)); do
      measure "$run" "$workload" "$proto" "$args" "${chosen[$(((i + run - 1) % n))]}" "$baseline"
    done
  done
done

python3 - "$results" "$clk_tck" "$runs" "$seconds" "$warmup" "$core" <<'PY'
import csv, json, statistics, sys
path, clk, runs, seconds, warmup, core = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
rows = []
with open(path) as f:
    for r in csv.DictReader(f, delimiter='\t', quoting=csv.QUOTE_NONE):
        try:
            r['j'] = json.loads(r['json'])
        except ValueError:
            r['j'] = {'errors': 1, 'firstError': 'unparsable load generator output'}
        rows.append(r)

def rate(r): return float(r['j'].get('msgPerSec', 0) or 0)
def med(xs): return statistics.median(xs) if xs else float('nan')

order = []
for r in rows:
    key = (r['workload'], r['variant'])
    if key not in order: order.append(key)
base = {(r['run'], r['workload']): rate(r) for r in rows if r['variant'] == r['baseline']}

clients = sorted({r['j'].get('client', '?') for r in rows if 'client' in r['j']})
print(f"Cross-process echo, server and load generator pinned to core {core}; {runs} run(s) x {seconds} s (+{warmup} s warm-up); medians over runs; load generator I/O: {', '.join(clients)}.")
print("Ratio: variant msg/s / baseline msg/s in the same run. Server CPU and allocation: the server process's user+system time and allocated bytes per message over the whole load, warm-up and connection set-up included.")
print()
print("| workload | variant | msg/s | ratio | p50 µs | p99 µs | p99.9 µs | server CPU µs/msg | server alloc B/msg | wire B/msg | errors |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
failed = False
for workload, variant in order:
    rs = [r for r in rows if r['workload'] == workload and r['variant'] == variant]
    errors = sum(int(r['j'].get('errors', 1)) for r in rs) + sum(1 for r in rs if r['rc'] not in ('0', '1'))
    failed |= errors > 0 or any(r['rc'] != '0' for r in rs)
    ratios = [rate(r) / base[(r['run'], workload)] for r in rs if base.get((r['run'], workload), 0) > 0]
    cpu = [int(r['server_cpu_ticks']) / clk * 1e6 / r['j']['totalMessages'] for r in rs if r['j'].get('totalMessages')]
    alloc = [int(r['server_allocated']) / r['j']['totalMessages'] for r in rs if r['j'].get('totalMessages') and int(r['server_allocated']) >= 0]
    def m(field): return med([float(r['j'][field]) for r in rs if field in r['j'] and r['j'].get('messages')])
    bpm = rs[0]['j'].get('bytesPerMessage', '')
    print(f"| {workload} | {variant} | {med([rate(r) for r in rs]):,.0f} | {med(ratios):.2f}x | {m('p50Us'):.1f} | {m('p99Us'):.1f} | {m('p999Us'):.1f} | {med(cpu):.2f} | {med(alloc):.2f} | {bpm} | {errors} |")
errs = [r for r in rows if r['j'].get('firstError')]
if errs:
    print()
    for r in errs:
        print(f"- run {r['run']} {r['workload']} {r['variant']}: {r['j']['firstError']}")
sys.exit(1 if failed else 0)
PY
