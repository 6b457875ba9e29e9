#!/bin/sh
# Runs each test program given as an argument, then the script tests in
# $SCRIPT_TESTS (default tests/cli), each as `sh X.sh BUILD`.
# Exit 77 from a test means "skipped". Prints one summary line
# "N passed, N failed, N skipped" and exits non-zero if anything failed.
pass=0; fail=0; skip=0; failed=""
run_one() {
    name=$1; shift
    out=$("$@" 2>&1); rc=$?
    if [ $rc = 0 ]; then pass=$((pass+1)); echo "PASS $name"
    elif [ $rc = 77 ]; then skip=$((skip+1)); echo "SKIP $name"; echo "$out" | tail -n 3 | sed 's/^/    /'
    else fail=$((fail+1)); failed="$failed $name"; echo "FAIL $name (exit $rc)"; echo "$out" | tail -n 40 | sed 's/^/    /'
    fi
}
for t in "$@"; do
    run_one "$(basename "$t")" "$t"
done
for t in ${SCRIPT_TESTS:-tests/cli}/*.sh; do
    [ -f "$t" ] || continue
    run_one "$(basename "$t")" sh "$t" "${BUILD:-build}"
done
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed, $skip skipped"
echo "$pass passed, $fail failed, $skip skipped" > "${SUMMARY:-${BUILD:-build}/test-summary.txt}"
[ $fail = 0 ]
