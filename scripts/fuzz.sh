#!/usr/bin/env bash
# Build the libFuzzer targets (fuzz/fuzz_*.c) with clang and run each for
# SECONDS (default 60) on its seed corpus (fuzz/corpus/<name>/). Findings are
# written to fuzz-out/<name>/; a crash makes this script fail.
# The model target also gets the published robots as seeds when
# $DTW_ROBOT_CORPUS (default ../shared/robots) exists: copied at run time into
# fuzz-out/model/seeds/, never into the repository.
set -euo pipefail
seconds=${1:-60}
cd "$(dirname "$0")/.."
cmake -S . -B build-fuzz -DDTW_FUZZ=ON -DCMAKE_C_COMPILER=clang \
  -DDTW_BUILD_TESTS=OFF -DDTW_BUILD_BENCH=OFF >build-fuzz.configure.log
targets=()
for src in fuzz/fuzz_*.c; do targets+=(--target "$(basename "$src" .c)"); done
cmake --build build-fuzz -j "$(nproc)" "${targets[@]}"
export DTW_ROBOT_CORPUS=${DTW_ROBOT_CORPUS:-$PWD/../shared/robots}
if [[ -d "$DTW_ROBOT_CORPUS" ]]; then
  mkdir -p fuzz-out/model/seeds
  while IFS= read -r -d '' seed; do
    cp "$seed" "fuzz-out/model/seeds/$(echo "${seed#"$DTW_ROBOT_CORPUS"/}" | tr / _)"
  done < <(find "$DTW_ROBOT_CORPUS" \( -name '*.urdf' -o -name '*.xml' \) ! -name package.xml -print0)
fi
status=0
for f in build-fuzz/fuzz/fuzz_*; do
  [[ -x "$f" ]] || continue
  name=$(basename "$f"); name=${name#fuzz_}
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
