#!/usr/bin/env bash
# `make lint` (shellcheck, yamllint, promtool rules) passes: the workflow's lint
# job runs the same target, so a script or manifest it would reject fails here.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$DTW_SOURCE_DIR" || exit 1
for tool in shellcheck yamllint promtool; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed (scripts/install-deps.sh)"; exit 1; }
done
expect 0 '' -- make --no-print-directory lint
# and it does reject: a script with an unquoted expansion shellcheck warns about
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$out_file"' EXIT
# shellcheck disable=SC2016 # the $ is meant literally
printf '#!/usr/bin/env bash\nrm -rf $1/*\n' >"$tmp/bad.sh"
expect 1 'SC2115|SC2086' -- shellcheck -S warning "$tmp/bad.sh"
finish
