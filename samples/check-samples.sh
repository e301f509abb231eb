#!/usr/bin/env bash
# Runs the samples as samples/README.md describes them, on loopback and ports the OS picks, and checks what
# they print and how they exit: echo pairs, the line echo server's limits, IPv6 endpoints in brackets, remote calls,
# calls over UDP under injected loss, callbacks (the remote Transcript), options
# refused where they do not apply, and Ctrl+C stopping a server gracefully. Prints one line per check and ends
# with "N passed, N failed". Needs only bash (the line checks use bash's /dev/tcp, not netcat).
# Usage: bash samples/check-samples.sh [--no-build]
set -uo pipefail
set -m # each server in its own process group, so SIGINT reaches it as a terminal's Ctrl+C would
cd "$(dirname "$0")/.."
samples=(TcpEchoServer TcpEchoClient LineEchoServer CdrPersonServer CdrPersonClient CalculatorServer CalculatorClient TranscriptServer TranscriptClient UdpEchoServer UdpEchoClient MulticastPeer Ocean.Demo)
if [ "${1:-}" != "--no-build" ]; then # CI has just built the solution
    for sample in "${samples[@]}"; do
        dotnet build "samples/$sample" -c Release -v q -nologo >/dev/null || { echo "build of $sample failed"; exit 1; }
    done
    dotnet build src/Ocean.Tool -c Release -v q -nologo >/dev/null || { echo "build of the ocean tool failed"; exit 1; }
fi

bin() { echo "samples/$1/bin/Release/net10.0/$1"; }
ocean() { timeout 60 dotnet src/Ocean.Tool/bin/Release/net10.0/Ocean.Tool.dll "$@"; } # the ocean tool, as a user runs it
export -f ocean
log=$(mktemp -d)
server=
background= # a client running in the background, if any
trap '[ -n "$server" ] && kill -KILL -- "-$server" 2>/dev/null; [ -n "$background" ] && kill -KILL -- "-$background" 2>/dev/null; rm -rf "$log"' EXIT
passed=0
failed=0
check() { # check NAME CONDITION-COMMAND...
    local name=$1
    shift
    if "$@"; then echo "ok: $name"; passed=$((passed + 1)); else echo "FAILED: $name"; failed=$((failed + 1)); fi
}

# start OUT SAMPLE ARGS...: runs a server and waits (bounded) for its "listening on" line; sets $server and $port.
start() {
    local out=$1 sample=$2
    shift 2
    "$(bin "$sample")" "$@" >"$out" 2>&1 &
    server=$!
    for _ in $(seq 1 300); do grep -qs 'listening on' "$out" && break; sleep 0.1; done
    port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$out" | head -n1)
}

# stop: Ctrl+C, then wait (bounded) for the server to exit; returns its exit code, or 124 if it did not stop.
stop() {
    kill -INT -- "-$server"
    for _ in $(seq 1 150); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$server" 2>/dev/null; then kill -KILL -- "-$server"; wait "$server"; server=; return 124; fi
    wait "$server"
    local rc=$?
    server=
    return $rc
}

# line_exchange PORT INPUT: sends INPUT (printf format) over bash's /dev/tcp and prints the first reply line.
line_exchange() {
    exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
    printf "$2" >&3
    local reply=
    IFS= read -r -t 10 reply <&3
    exec 3<&-
    printf '%s' "$reply"
}

# TCP echo: the README's pair, then IPv6, then options that do not apply.
start "$log/tcp" TcpEchoServer --port 0
check "TCP echo client gets its message back" bash -c "'$(bin TcpEchoClient)' --port $port --message 'hello' | grep -qx 'received: hello'"
check "TCP echo server prints the message" grep -q '"hello"' "$log/tcp"
check "TCP echo client refuses --pin without --tls" bash -c "out=\$('$(bin TcpEchoClient)' --port $port --pin AB 2>&1); [ \$? -ne 0 ] && [ \"\$out\" = 'error: --pin applies only with --tls.' ]"
stop
check "TCP echo server exits 0 on Ctrl+C" test $? -eq 0
check "TCP echo server refuses --message" bash -c "! timeout 20 '$(bin TcpEchoServer)' --port 0 --message x 2>/dev/null"
check "UDP echo server refuses --interface" bash -c "! timeout 20 '$(bin UdpEchoServer)' --port 0 --interface lo 2>/dev/null"
check "demo refuses options" bash -c "! timeout 20 '$(bin Ocean.Demo)' --port 1 2>/dev/null"

start "$log/tcp6" TcpEchoServer --host ::1 --port 0
check "IPv6 endpoint printed in brackets" grep -qE '^listening on \[::1\]:[0-9]+$' "$log/tcp6"
check "TCP echo over IPv6" bash -c "'$(bin TcpEchoClient)' --host ::1 --port $port | grep -qx 'received: Hello, Ocean'"
stop
start "$log/cdr6" CdrPersonServer --host ::1 --port 0
check "IPv6 endpoint in brackets from the CDR server too" grep -qE '^listening on \[::1\]:[0-9]+$' "$log/cdr6"
stop

# TLS: the client pins the fingerprint the server prints.
start "$log/tls" TcpEchoServer --port 0 --tls
pin=$(sed -n 's/^tls certificate sha256 \([0-9A-F]*\)$/\1/p' "$log/tls")
check "TLS echo with the pinned certificate" bash -c "'$(bin TcpEchoClient)' --port $port --tls --pin $pin | grep -qx 'received: Hello, Ocean'"
check "TLS client refuses a wrong pin" bash -c "! '$(bin TcpEchoClient)' --port $port --tls --pin 00 >/dev/null 2>&1"
stop

# Line echo: what netcat and telnet send.
start "$log/line" LineEchoServer --port 0
check "line echo answers an LF line" test "$(line_exchange "$port" 'hi\n')" = 'echo: hi'
check "line echo answers a CR LF line" test "$(line_exchange "$port" 'GET /x\r\n')" = 'echo: GET /x'
check "line echo shows a CR inside a line as \\r" test "$(line_exchange "$port" 'x\ry\n')" = 'echo: x\ry'
long=$(printf 'a%.0s' $(seq 1 4096))
check "line echo answers a 4,096-byte line" test "$(line_exchange "$port" "$long\n")" = "echo: $long"
check "line echo drops a 4,097-byte line" test -z "$(line_exchange "$port" "${long}a\n")"
# nc -N: the client half-closes right after an unfinished last line; the complete lines before it are still answered.
half_close() {
    python3 - "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"a\nb\nc")
s.shutdown(socket.SHUT_WR)
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
sys.stdout.write(data.decode())
PY
}
check "line echo answers complete lines before an unfinished one at half-close" test "$(half_close "$port")" = $'echo: a\necho: b'
check "line echo says why it dropped the long line" grep -q 'longer than the maximum of 4096' "$log/line"
stop

# CDR, UDP.
start "$log/cdr" CdrPersonServer --port 0
check "CDR Person round trip" bash -c "'$(bin CdrPersonClient)' --port $port --message 'Smith,London,1934' | grep -q '^received Person { Name = Smith, Place = London, Year = 1934 }$'"
stop

# Remote calls: the calculator pair; the client's outcomes and the server's call log.
start "$log/calc" CalculatorServer --port 0 --reflection
check "ocean call lists the calculator server's exports (--reflection)" bash -c "ocean call 127.0.0.1:$port | grep -qx 'calculator: Ocean.Samples.ICalculator' && ocean call 127.0.0.1:$port calculator | grep -qx '  int AddAsync(int a, int b)'"
check "ocean call calls the calculator: AddAsync [2, 3] prints 5" bash -c "[ \"\$(ocean call 127.0.0.1:$port calculator AddAsync '[2, 3]')\" = 5 ]"
check "ocean call shows the remote DivideByZeroException, exit 1" bash -c "out=\$(ocean call 127.0.0.1:$port calculator DivideAsync '[1, 0]' 2>&1); [ \$? -eq 1 ] && [[ \"\$out\" == 'error: ApplicationException (the method ran): System.DivideByZeroException: '* ]]"
timeout 60 "$(bin CalculatorClient)" --port "$port" >"$log/calc-client" 2>&1
client_rc=$?
check "calculator client exits 0 and says every call behaved" bash -c "[ $client_rc -eq 0 ] && grep -qx 'every call behaved as expected' '$log/calc-client'"
check "calculator client gets AddAsync(2, 3) = 5" grep -qx 'AddAsync(2, 3) = 5' "$log/calc-client"
check "calculator client sees the remote DivideByZeroException" grep -q '^DivideAsync(1, 0): status ApplicationException, completion Yes, remote type System.DivideByZeroException' "$log/calc-client"
check "calculator client sees its cancelled call as Cancelled" grep -q '^SlowSumAsync(1000), cancelled after 200 ms, .*: status Cancelled' "$log/calc-client"
check "calculator client sees its late call as DeadlineExceeded" grep -q '^SlowSumAsync(1000) with a 300 ms deadline, .*: status DeadlineExceeded' "$log/calc-client"
for _ in $(seq 1 50); do grep -q 'tenant=blue' "$log/calc" && break; sleep 0.1; done # the server prints a call's line as it ends
check "calculator server logs each call" bash -c "grep -q 'calculator.DivideAsync -> threw DivideByZeroException' '$log/calc' && grep -q 'calculator.SlowSumAsync -> cancelled' '$log/calc' && grep -q 'calculator.SlowSumAsync -> deadline passed' '$log/calc' && grep -q 'calculator.AddAsync tenant=blue -> ok' '$log/calc'"
reply=$(line_exchange "$port" 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
check "calculator server answers HTTP with a refusal" test "${reply%$'\r'}" = 'HTTP/1.1 400 Bad Request'
for _ in $(seq 1 50); do grep -q 'handshake refused' "$log/calc" && break; sleep 0.1; done
check "calculator server says why it refused the HTTP client" grep -q 'handshake refused: a foreign client (Http)' "$log/calc"
check "calculator server refuses --message" bash -c "! timeout 20 '$(bin CalculatorServer)' --port 0 --message x 2>/dev/null"
stop
check "calculator server exits 0 on Ctrl+C" test $? -eq 0
check "calculator client without a server: one error line, exit 1" bash -c "out=\$(timeout 30 '$(bin CalculatorClient)' --port $port 2>&1); [ \$? -eq 1 ] && [ \$(printf '%s\n' \"\$out\" | wc -l) -eq 1 ] && [[ \"\$out\" == error:* ]]"

# Remote calls over UDP: the server serves TCP and UDP; the client retransmits through its own seeded 30% loss.
start "$log/calcudp" CalculatorServer --port 0 --udp
for _ in $(seq 1 50); do grep -qs '^udp on' "$log/calcudp" && break; sleep 0.1; done # printed right after "listening on"
udp_port=$(sed -n 's/^udp on .*:\([0-9]*\)$/\1/p' "$log/calcudp" | head -n1)
check "calculator server --udp prints 'listening on' then 'udp on'" bash -c "sed -n '1p' '$log/calcudp' | grep -qE '^listening on 127\.0\.0\.1:[0-9]+$' && sed -n '2p' '$log/calcudp' | grep -qE '^udp on 127\.0\.0\.1:[0-9]+$'"
timeout 60 "$(bin CalculatorClient)" --port "$udp_port" --udp --calls 5 >"$log/calcudp-client" 2>&1
client_rc=$?
check "calculator client --udp exits 0 with its results" bash -c "[ $client_rc -eq 0 ] && grep -qx 'AddAsync(5, 5) = 10 after 0 retransmissions' '$log/calcudp-client' && grep -qx 'every call behaved as expected' '$log/calcudp-client'"
check "calculator client --udp sees the remote DivideByZeroException" grep -q '^DivideAsync(1, 0) after [0-9]* retransmissions\?: status ApplicationException, completion Yes, remote type System.DivideByZeroException' "$log/calcudp-client"
timeout 120 "$(bin CalculatorClient)" --port "$udp_port" --udp --loss 0.3 --seed 7 >"$log/calcudp-loss" 2>&1
client_rc=$?
check "calculator client --udp --loss 0.3 exits 0, every call answered" bash -c "[ $client_rc -eq 0 ] && grep -qx 'injecting 0.3 loss each way (seed 7)' '$log/calcudp-loss' && [ \$(grep -c '^AddAsync([0-9]*, [0-9]*) = [0-9]* after ' '$log/calcudp-loss') -eq 20 ] && grep -qx 'AddAsync(20, 20) = 40 after [0-9]* retransmissions\?' '$log/calcudp-loss'"
check "calculator client --udp --loss 0.3 retransmitted, and the injector dropped" bash -c "grep -qE '^summary: 22 calls, [1-9][0-9]* retransmissions in all; the injector dropped [1-9][0-9]* of [0-9]+ datagrams sent and [0-9]+ of [0-9]+ received$' '$log/calcudp-loss' && grep -qE ' after [1-9][0-9]* retransmissions?$' '$log/calcudp-loss'"
for _ in $(seq 1 50); do [ "$(grep -c '^udp 127\.0\.0\.1:[0-9]*: calculator\.AddAsync -> ok' "$log/calcudp")" -ge 25 ] && break; sleep 0.1; done
check "calculator server logs UDP calls, each once" bash -c "[ \$(grep -c '^udp 127\.0\.0\.1:[0-9]*: calculator\.AddAsync -> ok' '$log/calcudp') -eq 25 ] && grep -q '^udp .*calculator.DivideAsync -> threw DivideByZeroException' '$log/calcudp'"
check "calculator client refuses --loss without --udp" bash -c "out=\$(timeout 20 '$(bin CalculatorClient)' --port $udp_port --loss 0.3 2>&1); [ \$? -ne 0 ] && [ \$(printf '%s\n' \"\$out\" | wc -l) -eq 1 ] && [ \"\$out\" = 'error: --loss applies only with --udp.' ]"
check "calculator client refuses --calls without --udp" bash -c "out=\$(timeout 20 '$(bin CalculatorClient)' --port $udp_port --calls 3 2>&1); [ \$? -ne 0 ] && [[ \"\$out\" == error:*'--calls'* ]]"
check "calculator client refuses --loss 1.5" bash -c "out=\$(timeout 20 '$(bin CalculatorClient)' --port $udp_port --udp --loss 1.5 2>&1); [ \$? -ne 0 ] && [ \$(printf '%s\n' \"\$out\" | wc -l) -eq 1 ] && [[ \"\$out\" == \"error: --loss must be a number from 0 to 0.9\"* ]]"
check "calculator client refuses --loss abc" bash -c "out=\$(timeout 20 '$(bin CalculatorClient)' --port $udp_port --udp --loss abc 2>&1); [ \$? -ne 0 ] && [[ \"\$out\" == error:*\"'abc'\"* ]]"
stop
check "calculator server --udp exits 0 on Ctrl+C and prints what its UDP side saw" bash -c "[ $? -eq 0 ] && grep -qE '^udp: [0-9]+ datagrams received; calls run 29, duplicates filtered [0-9]+, replies replayed from the cache [0-9]+, malformed 0, ' '$log/calcudp'"

# The remote Transcript: clients register their own transcripts (passed by reference) and the server calls them back.
# wait_for FILE REGEX: waits (bounded, 15 s) until a line of FILE matches.
wait_for() {
    for _ in $(seq 1 150); do grep -qsE "$2" "$1" && return 0; sleep 0.1; done
    return 1
}
transcript_client() { timeout 60 "$(bin TranscriptClient)" --port "$port" "$@"; }
# finish PID: waits (bounded, 15 s) for a client started in the background; returns its exit code, or 124 if it did not end.
finish() {
    for _ in $(seq 1 150); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$1" 2>/dev/null; then kill -KILL -- "-$1"; wait "$1"; return 124; fi
    wait "$1"
}
start "$log/transcript" TranscriptServer --port 0
# In the background without timeout(1), so that Ctrl+C reaches the client once (timeout would pass it on again);
# --wait and the client's call deadlines bound it, and finish does too.
"$(bin TranscriptClient)" --port "$port" --name alice --message 'hello from alice' --wait 50 >"$log/alice" 2>&1 &
alice=$!
background=$alice
wait_for "$log/alice" '^staying registered'
transcript_client --name bob --message 'hello from bob' >"$log/bob" 2>&1
bob_rc=$?
check "transcript client exits 0 once its line came back through its transcript" bash -c "[ $bob_rc -eq 0 ] && grep -qx '\[transcript\] bob: hello from bob' '$log/bob' && grep -qx 'unregistered; this transcript showed 1 line' '$log/bob'"
check "transcript client prints the lines every client sent" bash -c "grep -qx '  alice: hello from alice' '$log/bob' && grep -qx '  bob: hello from bob' '$log/bob'"
check "a waiting transcript client shows another client's line" wait_for "$log/alice" '^\[transcript\] bob: hello from bob$'
kill -INT -- "-$alice" # Ctrl+C ends its wait: it still prints the lines and unregisters
finish "$alice"
alice_rc=$?
background=
check "transcript client stopped waiting by Ctrl+C exits 0 after unregistering" bash -c "[ $alice_rc -eq 0 ] && grep -qx '  bob: hello from bob' '$log/alice' && grep -qx 'unregistered; this transcript showed 2 lines' '$log/alice'"
check "transcript server prints each registration, line and unregistration" bash -c "grep -qE '^alice registered a transcript \(#1\) from 127\.0\.0\.1:[0-9]+; 1 transcript registered$' '$log/transcript' && grep -qx 'bob: hello from bob' '$log/transcript' && grep -q '^bob unregistered its transcript (#2)' '$log/transcript' && grep -q '^alice unregistered its transcript (#1); 0 transcripts registered$' '$log/transcript'"
# A client killed while registered: the server's next call on its transcript fails, and it drops that one only.
"$(bin TranscriptClient)" --port "$port" --name carol --wait 50 >"$log/carol" 2>&1 &
carol=$!
background=$carol
wait_for "$log/carol" '^staying registered'
kill -KILL -- "-$carol"
wait "$carol" 2>/dev/null
background=
transcript_client --name dave --message 'anyone there?' >"$log/dave" 2>&1
dave_rc=$?
check "transcript server drops the transcript of a vanished client" wait_for "$log/transcript" "^dropped carol's transcript \(#3\): "
check "transcript client after a vanished one still exits 0" bash -c "[ $dave_rc -eq 0 ] && grep -qx '\[transcript\] dave: anyone there?' '$log/dave'"
check "transcript server refuses --message" bash -c "! timeout 20 '$(bin TranscriptServer)' --port 0 --message x 2>/dev/null"
check "transcript client refuses --interface" bash -c "out=\$(timeout 20 '$(bin TranscriptClient)' --port $port --interface lo 2>&1); [ \$? -eq 1 ] && [[ \"\$out\" == error:*'--interface'* ]]"
check "transcript client refuses a negative --wait" bash -c "out=\$(timeout 20 '$(bin TranscriptClient)' --port $port --wait -1 2>&1); [ \$? -eq 1 ] && [[ \"\$out\" == error:*'--wait'* ]]"
stop
check "transcript server exits 0 on Ctrl+C" test $? -eq 0
check "transcript client without a server: one error line, exit 1" bash -c "out=\$(timeout 30 '$(bin TranscriptClient)' --port $port 2>&1); [ \$? -eq 1 ] && [ \$(printf '%s\n' \"\$out\" | wc -l) -eq 1 ] && [[ \"\$out\" == error:* ]]"

start "$log/udp" UdpEchoServer --port 0
check "UDP echo" bash -c "'$(bin UdpEchoClient)' --port $port --message 'Hello, Ocean' | grep -qx 'received: Hello, Ocean'"
stop

timeout 60 "$(bin Ocean.Demo)" >"$log/demo" 2>&1
check "demo runs to the end" grep -qx 'demo finished' "$log/demo"
check "demo's calls over UDP through 30% loss all answered, each run once" bash -c "[ \$(grep -c '^client: AddAsync([0-9], [0-9]) = [0-9]* after [0-9]* retransmission(s)$' '$log/demo') -eq 8 ] && grep -qx 'server: ran 8 calls; answered [0-9]* copies from its reply cache without running them again' '$log/demo'"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
