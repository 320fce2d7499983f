#!/usr/bin/env bash
# How fast would list_groups be if the reads plugin's shaping cost nothing?
# Builds, in a temporary git worktree of HEAD with tests/load/reads-only.patch
# applied, a reads plugin whose list_groups runs the real `summarize` up to
# its reads and lookup (the same six statements), stops before shaping, and
# returns the trivial fixture's fixed page (the same 31 KB): the floor plus
# the reads.
# The plugin folder it writes, target/reads-only-plugins/, is meant as a
# baseline for the other two scripts (their list_groups row is the one that
# differs; the other rows are the same plugin):
#   BASELINE_PLUGINS=target/reads-only-plugins tests/load/instructions.sh
#   BASELINE_PLUGINS=target/reads-only-plugins tests/load/run.sh 8
# Run `.ci/build` first. The first run compiles the plugin's dependencies
# into target/reads-only/ (under a minute here). If the patch no longer
# applies, list_groups or the lookup changed: make it again from the diff.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
[ -d target/plugins ] || { echo "run .ci/build first" >&2; exit 1; }
WT=$(mktemp -d)
trap 'git -C "$ROOT" worktree remove --force "$WT" 2>/dev/null || { rm -rf "$WT"; git -C "$ROOT" worktree prune; }' EXIT
git worktree add --quiet --detach "$WT" HEAD
git -C "$WT" apply "$ROOT/tests/load/reads-only.patch"
(cd "$WT" && CARGO_TARGET_DIR="$ROOT/target/reads-only" \
  cargo build --release --target wasm32-wasip2 -p access-reads)
out=target/reads-only-plugins
rm -rf "$out"
mkdir -p "$out"
cp target/plugins/* "$out/"
cp target/reads-only/wasm32-wasip2/release/access_reads.wasm "$out/access-reads.wasm"
echo "wrote $out: target/plugins with the reads-only access-reads"
