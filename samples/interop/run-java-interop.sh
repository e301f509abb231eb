#!/usr/bin/env bash
# Checks that Ocean's writeUTF echo samples and Java's DataInputStream/DataOutputStream interoperate in
# both directions, on loopback and ephemeral ports. Needs a JDK (java 11+). Prints one line per check.
set -euo pipefail
cd "$(dirname "$0")/../.."
message='Hello from both sides: café 日本 😀'
dotnet build samples/TcpEchoServer -v q -nologo >/dev/null
dotnet build samples/TcpEchoClient -v q -nologo >/dev/null
log=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$log"' EXIT

port_of() { for _ in $(seq 1 600); do grep -q 'listening on' "$1" 2>/dev/null && break; sleep 0.1; done; sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$1" | head -n1; }

dotnet run --project samples/TcpEchoServer --no-build -- --port 0 >"$log/ocean-server" 2>&1 &
java samples/interop/JavaPeers.java client 127.0.0.1 "$(port_of "$log/ocean-server")" "$message"
echo "ok: Java client -> Ocean server"

java samples/interop/JavaPeers.java server 0 >"$log/java-server" 2>&1 &
dotnet run --project samples/TcpEchoClient --no-build -- --port "$(port_of "$log/java-server")" --message "$message"
echo "ok: Ocean client -> Java server"
