#!/usr/bin/env bash
# Runs the tests of category NetNs (IPv6 multicast across a veth pair) inside the namespace made by
# .ci/setup-netns. Needs root. Extra arguments go to dotnet test (e.g. --logger trx).
set -euo pipefail
cd "$(dirname "$0")/.."
.ci/setup-netns
exec ip netns exec ocean-mc6 env OCEAN_NETNS_IPV6_SENDER=oc6a OCEAN_NETNS_IPV6_RECEIVER=oc6b \
  dotnet test tests/Ocean.Transport.Tests -c "${CONFIGURATION:-Release}" --filter "Category=NetNs" "$@"
