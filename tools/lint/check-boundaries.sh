#!/usr/bin/env bash
# Proves the engine boundary is enforced, not just configured: plants a framework import in a temporary
# file inside the engine library, runs ESLint on it, and fails unless ESLint rejects it for the right
# reasons. The plant is removed on exit, whatever happens (trap).
#
# Expected from eslint.config.mjs, for a project tagged type:engine:
#   import '@nestjs/common'  -> @nx/enforce-module-boundaries ("tagged with "type:engine" is not allowed")
#                               (this also proves the Nx rule had a project graph: without one it is
#                               silently skipped, and the check would pass for the wrong reason)
#   import 'node:http'       -> no-restricted-imports (the Nx rule cannot see Node built-ins)
#
# Usage: tools/lint/check-boundaries.sh [engine-dir ...]     default: libs/detection
# A missing directory is skipped with a message (libs/detection lands in a separate change).
set -euo pipefail
cd "$(dirname "$0")/../.."
export NX_DAEMON=false NX_NO_CLOUD=true

dirs=("$@")
[ ${#dirs[@]} -gt 0 ] || dirs=(libs/detection)

plants=()
cleanup() {
  for p in "${plants[@]:-}"; do
    if [ -n "$p" ]; then rm -f "$p"; fi
  done
}
trap cleanup EXIT INT TERM

status=0
for dir in "${dirs[@]}"; do
  if [ ! -d "$dir" ]; then
    echo "check-boundaries: $dir does not exist yet, skipped"
    continue
  fi
  if ! grep -q '"type:engine"' "$dir/project.json" 2>/dev/null; then
    echo "check-boundaries: FAIL $dir/project.json does not carry the tag type:engine" >&2
    status=1
    continue
  fi
  src="$dir/src"; [ -d "$src" ] || src="$dir"
  plant="$src/__boundary-plant-$$.ts"
  plants+=("$plant")
  cat > "$plant" <<'EOF'
// Planted by tools/lint/check-boundaries.sh; deleted when the check ends. ESLint must reject both lines.
import '@nestjs/common';
import 'node:http';
EOF
  # A fresh project graph, so a library added since the last nx command is known to the Nx rule.
  npx nx show projects >/dev/null
  set +e
  out=$(npx eslint --no-warn-ignored "$plant" 2>&1)
  rc=$?
  set -e
  rm -f "$plant"
  missing=""
  grep -q 'tagged with "type:engine" is not allowed to import "@nestjs/common".*enforce-module-boundaries' <<<"$out" || missing="$missing @nx/enforce-module-boundaries(@nestjs/common)"
  grep -q "'node:http' import is restricted.*no-restricted-imports" <<<"$out" || missing="$missing no-restricted-imports(node:http)"
  if [ "$rc" -eq 1 ] && [ -z "$missing" ]; then
    echo "check-boundaries: ok, $dir rejects @nestjs/common and node:http"
  else
    echo "check-boundaries: FAIL $dir: eslint exit $rc; expected errors missing:${missing:- none}" >&2
    echo "$out" >&2
    status=1
  fi
done
exit $status
