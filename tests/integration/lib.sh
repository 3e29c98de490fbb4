# shellcheck shell=bash
# Helpers for the shell integration tests: run a command, check its exit code
# and output. Source it; call `finish` at the end. Each failure is reported with
# the command, what was expected and what came out.
set -u
DTWIN=${DTWIN:?DTWIN must point at the dtwin binary}
DTW_SOURCE_DIR=${DTW_SOURCE_DIR:?}
DTW_TEST_DATA=${DTW_TEST_DATA:-$DTW_SOURCE_DIR/tests/data}
n_pass=0
n_fail=0
out_file=$(mktemp)
trap 'rm -f "$out_file"' EXIT

# with_background: a scratch directory in $tmp, and the background processes
# the test adds to pids (pids+=($!)) stopped with SIGINT and waited for at
# exit; then $tmp and the output file go.
with_background() {
  tmp=$(mktemp -d)
  pids=()
  trap stop_background EXIT
}
stop_background() {
  local p
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$tmp" "$out_file"
}

# expect CODE PATTERN -- command...   PATTERN is an extended regex on stdout+stderr ('' = any)
# A failed command's output: all of it when short, else its start and its end
# (where a build says why it stopped).
show_output() {
  local n
  n=$(wc -l <"$1")
  if ((n <= 40)); then sed 's/^/    /' "$1"; return; fi
  sed -n '1,10s/^/    /p' "$1"
  echo "    ... ($((n - 40)) lines)"
  tail -n 30 "$1" | sed 's/^/    /'
}

expect() {
  local want_code=$1 pattern=$2
  shift 3
  "$@" >"$out_file" 2>&1
  local code=$?
  if [[ $code -ne $want_code ]]; then
    echo "FAIL: $* -> exit $code, expected $want_code"; show_output "$out_file"
    n_fail=$((n_fail + 1)); return 1
  fi
  if [[ -n "$pattern" ]] && ! grep -Eq -- "$pattern" "$out_file"; then
    echo "FAIL: $* -> output does not match /$pattern/"; show_output "$out_file"
    n_fail=$((n_fail + 1)); return 1
  fi
  echo "ok: $*"
  n_pass=$((n_pass + 1))
}

# expect_within ATTEMPTS DELAY_S CODE REGEX -- cmd...: as expect, but the command
# may take up to ATTEMPTS tries DELAY_S apart (a health check on a loaded machine
# is judged the way a container runtime judges it: by retries). Only the last
# attempt's failure is reported.
expect_within() {
  local attempts=$1 delay=$2 want_code=$3 pattern=$4 i code
  shift 5
  for ((i = 1; i <= attempts; i++)); do
    "$@" >"$out_file" 2>&1
    code=$?
    if [[ $code -eq $want_code ]] && { [[ -z "$pattern" ]] || grep -Eq -- "$pattern" "$out_file"; }; then
      echo "ok: $* (attempt $i of $attempts)"
      n_pass=$((n_pass + 1)); return 0
    fi
    ((i < attempts)) && sleep "$delay"
  done
  echo "FAIL: $* -> exit $code after $attempts attempts, expected $want_code${pattern:+ and /$pattern/}"
  sed 's/^/    /' "$out_file" | head -20
  n_fail=$((n_fail + 1)); return 1
}

# The same conventions as the C tests' harness (tests/common/harness.h): a
# node runs with --set dtwin.http_port=0 and its URL is read from the line
# "metrics and health at http://..." it prints; a wait is for a condition with
# a generous timeout, never a fixed sleep; a test that cannot run here prints
# "SKIP: <why>" and exits 77 (ctest's SKIP_RETURN_CODE).

# wait_until SECONDS COMMAND...: retry the command every 0.1 s until it succeeds
# (a last try once SECONDS have passed decides)
wait_until() {
  local end=$((SECONDS + $1))
  shift
  while ((SECONDS < end)); do "$@" && return 0; sleep 0.1; done
  "$@"
}

# url_of LOGFILE [SECONDS]: the endpoint a dtwin node printed ('' after SECONDS, default 60)
url_of() {
  local url="" i
  for ((i = 0; i < ${2:-60} * 10; i++)); do
    url=$(grep -o 'metrics and health at http://[0-9.:]*' "$1" 2>/dev/null | head -1 | sed 's/.* at //')
    [[ -n $url ]] && break
    sleep 0.1
  done
  echo "$url"
}

# metric URL SERIES: the value of one series (its exact text before the value) in
# URL/metrics; '' if absent
metric() {
  curl -s --max-time 5 "$1/metrics" | grep -F "$2 " | head -1 | awk '{print $NF}'
}

finish() {
  echo "$n_pass passed, $n_fail failed"
  [[ $n_fail -eq 0 ]]
}
