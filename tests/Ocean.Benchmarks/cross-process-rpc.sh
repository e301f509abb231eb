#!/usr/bin/env bash
# Cross-process remote call benchmark (issue 12): each server runs in its own process
# (`Ocean.Benchmarks serve --kind K`), driven by the rpc load generator (`Ocean.Benchmarks rpcload`) in
# another, both pinned to the same core (taskset -c CORE, default 0), over 127.0.0.1 only.
#
# Usage: tests/Ocean.Benchmarks/cross-process-rpc.sh [options]
#   --runs R          runs; every run measures every kind for every workload once, the kinds' order
#                     rotating from run to run (default 3)
#   --seconds S       measured seconds per kind per workload per run (default 5)
#   --warmup S        unmeasured warm-up seconds before each measurement (default 15: with client, server and the
#                     JIT's tiering thread sharing one core, Ocean.Remoting's code reaches tier 1 only after ~10 s)
#   --methods LIST    comma-separated, from: add, echo (default add,echo)
#   --callers LIST    comma-separated caller counts, each 1 to 1024 (default 1,8)
#   --variants LIST   only these kinds (comma-separated; the baseline rpc-raw always runs, and so does rpc-raw-udp
#                     when a UDP kind is chosen); a kind this script does not know is an error
#   --core N          the core both processes are pinned to (default 0)
#   --out DIR         keep the raw results (results.tsv, one rpcload JSON line per measurement) and the
#                     server logs here (default: a temporary directory, removed at exit)
#   --client MODE     the load generator's socket completions: inline (default, as cross-process.sh) or async
#   --no-build        use the existing Release build
#
# Workloads: method x callers. add: Task<int> AddAsync(int, int); echo: Task<string> EchoAsync(string) of
# 64 ASCII characters. N callers are N concurrent async loops sharing ONE client (one call in flight each);
# for rpc-raw and the Ocean kinds that is one connection, for rpc-http (HTTP/1.1, no multiplexing) up to N.
#
# Kinds (serve --kind K and rpcload --kind K): rpc-raw (the baseline: hand-written request-reply over raw
# sockets, the limit), rpc-http (ASP.NET Core minimal API + HttpClient, HTTP/1.1), the Ocean.Remoting kinds over TCP
# (rpc-ocean-cdr, rpc-ocean-cdr-inline, rpc-ocean-graph) and over UDP (issue 14): rpc-raw-udp (the UDP baseline: one
# request datagram, one reply datagram), rpc-ocean-udp (at-most-once AddAsync/EchoAsync), rpc-ocean-udp-idem (the
# same calls to [Idempotent] methods: no reply cache). See README.md.
#
# Prints a markdown table: per workload and kind, the median over runs of calls/s, of the ratio to rpc-raw
# measured in the same run, for the UDP kinds also of the ratio to rpc-raw-udp measured in the same run, of p50/p99 latency, of the client's allocated bytes per call (over the measured
# window), of the server's (over the whole load, warm-up and connection set-up included, divided by the calls
# the server counted), of their sum, and of the server's CPU time per call; plus the errors summed over runs.
# Exits 1 if any measurement counted errors or failed.
#
# Every server started is killed on exit (trap), failure or not; every load generator run is bounded
# by `timeout`; every server also stops itself after --max-seconds.
#
# Example (a quiet machine): tests/Ocean.Benchmarks/cross-process-rpc.sh --runs 3 --seconds 5
# Smoke test:               tests/Ocean.Benchmarks/cross-process-rpc.sh --runs 1 --seconds 1 --warmup 0.5
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dll="$here/bin/Release/net10.0/Ocean.Benchmarks.dll"

# The kinds this script runs, the baseline first (a new kind goes in ServeCommand.Kinds, RpcClients.Kinds and here).
# The UDP kinds (names containing -udp) also get a ratio to udp_baseline, which runs whenever one of them does.
kinds="rpc-raw rpc-ocean-cdr rpc-ocean-cdr-inline rpc-ocean-graph rpc-http rpc-raw-udp rpc-ocean-udp rpc-ocean-udp-idem"
baseline=rpc-raw
udp_baseline=rpc-raw-udp

runs=3
seconds=5
warmup=15
methods=add,echo
callers_list=1,8
variants_filter=""
core=0
out=""
build=1
client=inline
drain=5

die() { echo "cross-process-rpc.sh: $*" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs="${2:?}"; shift 2 ;;
    --seconds) seconds="${2:?}"; shift 2 ;;
    --warmup) warmup="${2:?}"; shift 2 ;;
    --methods) methods="${2:?}"; shift 2 ;;
    --callers) callers_list="${2:?}"; shift 2 ;;
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
  inline) client_env=(env DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1) ;;
  async) client_env=(env -u DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS) ;;
  *) die "--client must be inline or async" ;;
esac
IFS=',' read -r -a method_list <<< "$methods"
for m in "${method_list[@]}"; do [[ "$m" == add || "$m" == echo ]] || die "unknown method '$m' (add, echo)"; done
IFS=',' read -r -a caller_counts <<< "$callers_list"
for c in "${caller_counts[@]}"; do [[ "$c" =~ ^[1-9][0-9]*$ && "$c" -le 1024 ]] || die "bad caller count '$c' (1 to 1024)"; done
chosen=()
if [[ -n "$variants_filter" ]]; then
  IFS=',' read -r -a wanted <<< "$variants_filter"
  for v in "${wanted[@]}"; do [[ " $kinds " == *" $v "* ]] || die "unknown kind '$v' (known: $kinds)"; done
fi
udp_chosen=0
if [[ -z "$variants_filter" || ",$variants_filter," == *-udp* ]]; then udp_chosen=1; fi
for k in $kinds; do
  if [[ -z "$variants_filter" || "$k" == "$baseline" || ( "$k" == "$udp_baseline" && $udp_chosen == 1 ) || ",$variants_filter," == *",$k,"* ]]; then chosen+=("$k"); fi
done
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

clk_tck="$(getconf CLK_TCK)"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
server_lifetime=$(python3 -c "print(int(($seconds + $warmup + $drain) * 4 + 60))")
loadgen_timeout=$(python3 -c "print(int($seconds + $warmup + $drain + 30))")

results="$out/results.tsv"
printf 'run\tworkload\tvariant\tbaseline\trc\tjson\tserver_cpu_ticks\tserver_allocated\tserver_calls\n' > "$results"

# measure RUN WORKLOAD METHOD CALLERS KIND
measure() {
  local run="$1" workload="$2" method="$3" callers="$4" kind="$5"
  local log="$out/serve-$run-$workload-$kind"
  # No server inherits inline completions from our environment.
  env -u DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS taskset -c "$core" dotnet "$dll" serve --kind "$kind" --port 0 --max-seconds "$server_lifetime" \
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
    set +e
    json="$("${client_env[@]}" timeout "$loadgen_timeout" taskset -c "$core" dotnet "$dll" rpcload --kind "$kind" --port "$port" \
      --method "$method" --callers "$callers" --seconds "$seconds" --warmup "$warmup" --drain-timeout "$drain" 2> "$log.rpcload.err" < /dev/null)"
    rc=$?
    set -e
    after="$(cpu_ticks "$pid")"
    ticks=$((after - before))
    [[ -n "$json" ]] || json='{"errors":1,"firstError":"load generator printed nothing"}'
    echo "  $kind: $(tail -n 1 "$log.rpcload.err")" >&2
  fi

  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local allocated calls
  allocated="$(sed -n 's/^allocated \([0-9][0-9]*\)$/\1/p' "$log.out" 2>/dev/null)"
  calls="$(sed -n 's/^calls \([0-9][0-9]*\)$/\1/p' "$log.out" 2>/dev/null)"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "$workload" "$kind" "$baseline" "$rc" "$json" "$ticks" "${allocated:--1}" "${calls:--1}" >> "$results"
}

for ((run = 1; run <= runs; run++)); do
  for method in "${method_list[@]}"; do
    for callers in "${caller_counts[@]}"; do
      workload="$method-x$callers"
      # Rotate the order from run to run so that no kind always goes first (or last).
      n=${#chosen[@]}
      echo "run $run/$runs, $workload:" >&2
      for ((i = 0; i < n; i++)); do
        measure "$run" "$workload" "$method" "$callers" "${chosen[$(((i + run - 1) % n))]}"
      done
    done
  done
done

python3 - "$results" "$clk_tck" "$runs" "$seconds" "$warmup" "$core" "$udp_baseline" <<'PY'
import csv, json, statistics, sys
path, clk, runs, seconds, warmup, core, udp_baseline = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
rows = []
with open(path) as f:
    for r in csv.DictReader(f, delimiter='\t', quoting=csv.QUOTE_NONE):
        try:
            r['j'] = json.loads(r['json'])
        except ValueError:
            r['j'] = {'errors': 1, 'firstError': 'unparsable load generator output'}
        rows.append(r)

def rate(r): return float(r['j'].get('callsPerSec', 0) or 0)
def med(xs): return statistics.median(xs) if xs else float('nan')
def server_calls(r): return int(r['server_calls'])
def server_bpc(r): return int(r['server_allocated']) / server_calls(r) if server_calls(r) > 0 and int(r['server_allocated']) >= 0 else None
def client_bpc(r): return float(r['j']['clientAllocatedBytesPerCall']) if r['j'].get('calls') else None

order = []
for r in rows:
    key = (r['workload'], r['variant'])
    if key not in order: order.append(key)
base = {(r['run'], r['workload']): rate(r) for r in rows if r['variant'] == r['baseline']}
udp_base = {(r['run'], r['workload']): rate(r) for r in rows if r['variant'] == udp_baseline}

clients = sorted({r['j'].get('client', '?') for r in rows if 'client' in r['j']})
print(f"Cross-process remote calls, server and load generator pinned to core {core}; {runs} run(s) x {seconds} s (+{warmup} s warm-up); medians over runs; client socket completions: {', '.join(clients)}.")
print("Workload: method x concurrent callers on one client. Ratio: calls/s / rpc-raw's calls/s in the same run (TCP); UDP ratio, for the UDP kinds: calls/s / "
      f"{udp_baseline}'s calls/s in the same run. Client B/call: the load generator process over the measured window / calls in it. "
      "Server B/call and CPU: the server process over the whole load (warm-up and connection set-up included) / the calls it served. Sum: client + server.")
print()
print("| workload | kind | calls/s | ratio | UDP ratio | p50 µs | p99 µs | p99.9 µs | client B/call | server B/call | sum B/call | server CPU µs/call | errors |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
failed = False
for workload, variant in order:
    rs = [r for r in rows if r['workload'] == workload and r['variant'] == variant]
    errors = sum(int(r['j'].get('errors', 1)) for r in rs) + sum(1 for r in rs if r['rc'] not in ('0', '1'))
    failed |= errors > 0 or any(r['rc'] != '0' for r in rs)
    ratios = [rate(r) / base[(r['run'], workload)] for r in rs if base.get((r['run'], workload), 0) > 0]
    udp_ratios = [rate(r) / udp_base[(r['run'], workload)] for r in rs if udp_base.get((r['run'], workload), 0) > 0]
    udp_ratio = f"{med(udp_ratios):.2f}x" if '-udp' in variant and udp_ratios else ''
    cpu = [int(r['server_cpu_ticks']) / clk * 1e6 / server_calls(r) for r in rs if server_calls(r) > 0]
    cb = [x for x in (client_bpc(r) for r in rs) if x is not None]
    sb = [x for x in (server_bpc(r) for r in rs) if x is not None]
    total = [client_bpc(r) + server_bpc(r) for r in rs if client_bpc(r) is not None and server_bpc(r) is not None]
    def m(field): return med([float(r['j'][field]) for r in rs if field in r['j'] and r['j'].get('calls')])
    print(f"| {workload} | {variant} | {med([rate(r) for r in rs]):,.0f} | {med(ratios):.2f}x | {udp_ratio} | {m('p50Us'):.1f} | {m('p99Us'):.1f} | {m('p999Us'):.1f} | {med(cb):.1f} | {med(sb):.1f} | {med(total):.1f} | {med(cpu):.2f} | {errors} |")
errs = [r for r in rows if r['j'].get('firstError')]
if errs:
    print()
    for r in errs:
        print(f"- run {r['run']} {r['workload']} {r['variant']}: {r['j']['firstError']}")
sys.exit(1 if failed else 0)
PY
