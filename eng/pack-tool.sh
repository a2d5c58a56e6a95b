#!/usr/bin/env bash
# Packs the localbatch tool for release, per platform: the pointer package LocalBatch.Cli (which names the others),
# LocalBatch.Cli.<rid> self-contained and compiled ahead of time with the runtime (composite ReadyToRun) for each
# platform, and LocalBatch.Cli.any, portable and framework-dependent, for every other platform. `dotnet tool install -g
# LocalBatch.Cli` then picks the best one for the machine.
# Usage: eng/pack-tool.sh [OUTPUT_DIR] [RID ...]   (default: artifacts/ and every platform the project names)
# Push all of them together: a pointer package whose platform package is missing fails to install there.
set -euo pipefail
cd "$(dirname "$0")/.."
output="${1:-artifacts}"
shift || true
project=src/LocalBatch.Cli/LocalBatch.Cli.csproj
if [ "$#" -gt 0 ]; then
  rids=("$@")
else
  IFS=';' read -r -a rids <<< "$(dotnet msbuild "$project" -p:PackToolPerPlatform=true -getProperty:ToolPackageRuntimeIdentifiers)"
fi

for rid in "${rids[@]}"; do
  dotnet pack "$project" -c Release -o "$output" -p:PackToolPerPlatform=true -r "$rid"
done
dotnet pack "$project" -c Release -o "$output" -p:PackToolPerPlatform=true -p:CreateRidSpecificToolPackages=false -p:IncludeSymbols=false
