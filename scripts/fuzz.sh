#!/usr/bin/env bash
# Build the libFuzzer targets (fuzz/fuzz_*.c) with clang and run each for
# SECONDS (default 60) on its seed corpus (fuzz/corpus/<name>/; fuzz_xacro also gets
# the robot corpus's .xacro files, $DTW_ROBOT_CORPUS or ../shared/robots). Findings
# are written to fuzz-out/<name>/; a crash makes this script fail.
# FUZZ_TARGETS="xacro model" runs only those.
set -euo pipefail
seconds=${1:-60}
cd "$(dirname "$0")/.."
cmake -S . -B build-fuzz -DDTW_FUZZ=ON -DCMAKE_C_COMPILER=clang \
  -DDTW_BUILD_TESTS=OFF -DDTW_BUILD_BENCH=OFF >build-fuzz.configure.log
targets=()
for src in fuzz/fuzz_*.c; do
  name=$(basename "$src" .c)
  [[ -n "${FUZZ_TARGETS:-}" && " $FUZZ_TARGETS " != *" ${name#fuzz_} "* ]] && continue
  targets+=(--target "$name")
done
cmake --build build-fuzz -j "$(nproc)" "${targets[@]}"
# Extra seeds for fuzz_xacro: the published robot descriptions of the corpus (copied
# into the work dir at run time, never into the repository).
robots=${DTW_ROBOT_CORPUS:-$PWD/../shared/robots}
if [[ -d "$robots" ]]; then
  rm -rf fuzz-out/xacro/seeds && mkdir -p fuzz-out/xacro/seeds
  while IFS= read -r -d '' x; do
    rel=${x#"$robots"/}
    cp "$x" "fuzz-out/xacro/seeds/${rel//\//_}"
  done < <(find "$robots" -name '*.xacro' -print0)
fi
status=0
for f in build-fuzz/fuzz/fuzz_*; do
  [[ -x "$f" ]] || continue
  name=$(basename "$f"); name=${name#fuzz_}
  [[ -n "${FUZZ_TARGETS:-}" && " $FUZZ_TARGETS " != *" $name "* ]] && continue
  mkdir -p "fuzz-out/$name/corpus"
  corpus=()
  [[ -d "fuzz/corpus/$name" ]] && corpus+=("fuzz/corpus/$name")
  [[ -d "fuzz-out/$name/seeds" ]] && corpus+=("fuzz-out/$name/seeds")
  echo "== fuzz_$name for ${seconds}s"
  if ! "$f" -max_total_time="$seconds" -max_len=8192 -artifact_prefix="fuzz-out/$name/" \
      "fuzz-out/$name/corpus" "${corpus[@]}" 2>"fuzz-out/$name/log.txt"; then
    echo "fuzz_$name found a problem: see fuzz-out/$name/" >&2
    status=1
  fi
  tail -n 2 "fuzz-out/$name/log.txt"
done
exit $status
