#!/usr/bin/env bash
# Build the libFuzzer targets (fuzz/fuzz_*.c) with clang and run each for
# SECONDS (default 60) on its seed corpus (fuzz/corpus/<name>/). Findings are
# written to fuzz-out/<name>/; a crash makes this script fail.
set -euo pipefail
seconds=${1:-60}
cd "$(dirname "$0")/.."
cmake -S . -B build-fuzz -DDTW_FUZZ=ON -DCMAKE_C_COMPILER=clang \
  -DDTW_BUILD_TESTS=OFF -DDTW_BUILD_BENCH=OFF >build-fuzz.configure.log
targets=()
for src in fuzz/fuzz_*.c; do targets+=(--target "$(basename "$src" .c)"); done
cmake --build build-fuzz -j "$(nproc)" "${targets[@]}"
status=0
for f in build-fuzz/fuzz/fuzz_*; do
  [[ -x "$f" ]] || continue
  name=$(basename "$f"); name=${name#fuzz_}
  mkdir -p "fuzz-out/$name/corpus"
  corpus=()
  [[ -d "fuzz/corpus/$name" ]] && corpus+=("fuzz/corpus/$name")
  echo "== fuzz_$name for ${seconds}s"
  if ! "$f" -max_total_time="$seconds" -max_len=8192 -artifact_prefix="fuzz-out/$name/" \
      "fuzz-out/$name/corpus" "${corpus[@]}" 2>"fuzz-out/$name/log.txt"; then
    echo "fuzz_$name found a problem: see fuzz-out/$name/" >&2
    status=1
  fi
  tail -n 2 "fuzz-out/$name/log.txt"
done
exit $status
