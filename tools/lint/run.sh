#!/usr/bin/env bash
# `npm run lint`: every static check, each reported on its own, non-zero exit if any fails.
# Needs no build: ESLint reads the sources with their tsconfigs, madge and folder-cycles read imports.
#
#   eslint (projects)   nx run-many -t lint: one inferred `eslint .` per Nx project (@nx/eslint/plugin),
#                       type-checked, with @nx/enforce-module-boundaries; cached by Nx when nothing changed
#   eslint (workspace)  the files outside any project: tools/, root config files
#   file cycles         madge --circular over apps/api/src, apps/dashboard/src and libs/
#   folder cycles       tools/lint/folder-cycles.mjs: no cycle between the top-level folders of apps/api/src
#   boundaries          tools/lint/check-boundaries.sh: a planted @nestjs/common import in libs/detection fails
#   format              prettier --check (npx prettier --write . fixes it)
#   types               tsc --noEmit on every project's tsconfigs (jest transpiles without type-checking)
set -uo pipefail
cd "$(dirname "$0")/../.."
export NX_DAEMON=false NX_NO_CLOUD=true

results=()
failed=0
step() {
  local name="$1"; shift
  echo "== lint: $name"
  local start=$SECONDS
  "$@"
  local rc=$?
  local took=$((SECONDS - start))
  if [ $rc -eq 0 ]; then results+=("pass  ${took}s  $name"); else results+=("FAIL  ${took}s  $name"); failed=1; fi
}

step "eslint (projects)" npx nx run-many -t lint --parallel=2 --output-style=static --max-warnings=0
step "eslint (workspace)" npx eslint --max-warnings=0 tools eslint.config.mjs jest.config.ts jest.preset.js
step "file cycles (madge)" npx madge --circular --extensions ts --ts-config tsconfig.base.json apps/api/src apps/dashboard/src libs
step "folder cycles (apps/api/src)" node tools/lint/folder-cycles.mjs apps/api/src
step "boundaries (planted import)" tools/lint/check-boundaries.sh
typecheck() {
  local rc=0 config
  for config in apps/*/tsconfig.app.json apps/*/tsconfig.spec.json apps/*/tsconfig.e2e.json libs/*/tsconfig.lib.json libs/*/tsconfig.spec.json; do
    [ -f "$config" ] || continue
    npx tsc -p "$config" --noEmit || { echo "type errors in $config"; rc=1; }
  done
  return $rc
}
step "types (tsc --noEmit)" typecheck
step "format (prettier --check)" npx prettier --check --log-level warn .

echo "== lint summary"
printf '  %s\n' "${results[@]}"
exit $failed
