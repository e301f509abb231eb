#!/usr/bin/env bash
# Packs Ocean (dotnet pack, Release) into a fresh folder and builds and runs tests/PackageConsumer against those
# packages, restored into a fresh cache (so nothing stale from ~/.nuget is used). A file missing from a package, or a
# broken dependency between them, fails here. Then installs the ocean tool from its package, as `dotnet tool install`
# does for a user, and runs it. Usage: tests/PackageConsumer/run.sh [--no-build]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
version="0.1.0"

build_flag=()
[ "${1:-}" = "--no-build" ] && build_flag=(--no-build)

echo "== pack"
dotnet pack "$root/Ocean.sln" -c Release -o "$work/packages" "${build_flag[@]}" --nologo -v quiet
for id in Ocean.Transport Ocean.Framing Ocean.Marshalling Ocean.Remoting Ocean.Tool; do
  for ext in nupkg snupkg; do
    [ -f "$work/packages/$id.$version.$ext" ] || { echo "error: $id.$version.$ext was not packed"; exit 1; }
  done
done

echo "== consumer (package references, restored from the packed folder)"
cp -r "$here" "$work/consumer"
rm -rf "$work/consumer/bin" "$work/consumer/obj" "$work/consumer/run.sh"
cat > "$work/consumer/nuget.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="ocean-packed" value="$work/packages" />
  </packageSources>
</configuration>
CONFIG
dotnet restore "$work/consumer/PackageConsumer.csproj" --packages "$work/cache" -p:OceanVersion="$version" --nologo -v quiet
dotnet build "$work/consumer/PackageConsumer.csproj" -c Release --no-restore -p:OceanVersion="$version" --nologo -v quiet
timeout 120 dotnet "$work/consumer/bin/Release/net10.0/PackageConsumer.dll"

echo "== the ocean tool (dotnet tool install from the packed folder)"
dotnet tool install Ocean.Tool --version "$version" --tool-path "$work/tools" --add-source "$work/packages" --ignore-failed-sources >/dev/null
export DOTNET_ROOT="${DOTNET_ROOT:-$(dirname "$(readlink -f "$(command -v dotnet)")")}" # where the tool's launcher finds the runtime
decoded=$(timeout 60 "$work/tools/ocean" cdr decode --compact "struct Person { string name; string place; long year; }" \
  "00000006 536d6974 68000000 00000007 4c6f6e64 6f6e0000 0000078e")
[ "$decoded" = '{"name":"Smith","place":"London","year":1934}' ] || { echo "error: the installed tool decoded '$decoded'"; exit 1; }
echo "tool: ok"
