#!/usr/bin/env bash
# Build the libFuzzer targets (fuzz/fuzz_*.c) with clang and run each for
# SECONDS (default 60) on its seed corpus (fuzz/corpus/<name>/). Findings are
# written to fuzz-out/<name>/; a crash makes this script fail.
# When $DTW_ROBOT_CORPUS (default ../shared/robots) exists, the published robots
# are seeds too, copied at run time into fuzz-out/<name>/seeds/ (never into the
# repository): their .xacro files for fuzz_xacro, .urdf/.xml for fuzz_model.
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
robots=${DTW_ROBOT_CORPUS:-$PWD/../shared/robots}
# seeds TARGET FIND-ARGS...: copy the corpus files FIND-ARGS select as TARGET's seeds
seeds() {
  local target=$1 x rel; shift
  rm -rf "fuzz-out/$target/seeds" && mkdir -p "fuzz-out/$target/seeds"
  while IFS= read -r -d '' x; do
    rel=${x#"$robots"/}
    cp "$x" "fuzz-out/$target/seeds/${rel//\//_}"
  done < <(find "$robots" "$@" -print0)
}
if [[ -d "$robots" ]]; then
  seeds xacro -name '*.xacro'
  seeds model \( -name '*.urdf' -o -name '*.xml' \) ! -name package.xml
fi
status=0
for f in build-fuzz/fuzz/fuzz_*; do
  [[ -x "$f" ]] || continue
  name=$(basename "$f"); name=${name#fuzz_}
  [[ -n "${FUZZ_TARGETS:-}" && " $FUZZ_TARGETS " != *" $name "* ]] && continue
  mkdir -p "fuzz-out/$name/corpus"
  corpus=()
  [[ -d "fuzz/corpus/$name" ]] && corpus+=("fuzz/corpus/$name")
  max_len=8192
  if [[ -d "fuzz-out/$name/seeds" ]]; then
    corpus+=("fuzz-out/$name/seeds")
    max_len=65536 # the published robots are 10-60 kB
  fi
  echo "== fuzz_$name for ${seconds}s"
  if ! "$f" -max_total_time="$seconds" -max_len="$max_len" -artifact_prefix="fuzz-out/$name/" \
      "fuzz-out/$name/corpus" "${corpus[@]}" 2>"fuzz-out/$name/log.txt"; then
    echo "fuzz_$name found a problem: see fuzz-out/$name/" >&2
    status=1
  fi
  tail -n 2 "fuzz-out/$name/log.txt"
done
exit $status
