#!/bin/sh
# `lutsr bench` smoke test: a tiny run prints the full table.
. tests/cli/common.inc "$@"

gen_bytes $((16 * 16)) 1 > "$T/x.raw"
ok make-model --kind srlut --scale 2 --function bilinear -o "$T/m.lsr"
ok bench -m "$T/m.lsr" -s 64x36 --threads 2 --frames 2 --reps 3 --cpu none
out="$T/ok.out"
grep -q "model $T/m.lsr (srlut x2), 64x36 -> 128x72, 2 threads, cpu c" "$out" || fail "header: $(cat "$out")"
grep -q -E '^model, synthetic +3x2 +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+x$' "$out" || fail "synthetic row: $(cat "$out")"
grep -q -E '^engine bicubic, synthetic +3x2 .* 1\.00x$' "$out" || fail "bicubic row: $(cat "$out")"
grep -q -E '^real time \(60 fps\) at 64x36: (yes|no)' "$out" || fail "summary line"
# Peak RSS, in MiB: at least the 1 MiB any process has, under 1 GiB here.
grep -q -E '^peak memory: [1-9][0-9]{0,2}\.[0-9] MiB \(process peak RSS' "$out" || fail "memory line: $(cat "$out")"
# The x8 self-ensemble is named in the header.
ok bench -m "$T/m.lsr" -s 16x8 --threads 2 --frames 1 --reps 1 --ensemble 8
grep -q "model $T/m.lsr (srlut x2, x8 self-ensemble), 16x8 -> 32x16" "$T/ok.out" || fail "ensemble header: $(cat "$T/ok.out")"
# A given real image is used (and a missing one is an error).
[ -n "$PY" ] && {
    "$PY" "$PNGTOOL" write 16 16 0 8 "$T/x.png" < "$T/x.raw" || fail pngtool
    ok bench -m bicubic -s 40x30 --frames 1 --reps 1 --image "$T/x.png"
    grep -q -E '^model, x\.png +1x1 ' "$T/ok.out" || fail "real row: $(cat "$T/ok.out")"
}
expect_error 'cannot open' bench -m bicubic -s 40x30 --frames 1 --reps 1 --image "$T/none.png"
exit 0
