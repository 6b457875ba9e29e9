#!/bin/sh
# Bad options and bad models fail filter init with a readable message and a
# non-zero exit; nothing crashes.
. tests/ffmpeg/common.inc "$@"

clip "$T/in.y4m" 32 32 1
# expect_fail PATTERN VF: ffmpeg must exit non-zero (not by a signal) with
# PATTERN in its log.
expect_fail() {
    "$FFMPEG" -nostdin -hide_banner -i "$T/in.y4m" -vf "$2" -f null - > "$T/log" 2>&1
    rc=$?
    [ $rc != 0 ] || fail "-vf $2 succeeded"
    [ $rc -lt 128 ] || fail "-vf $2 died with signal $((rc - 128))"
    grep -q "$1" "$T/log" || { cat "$T/log" >&2; fail "-vf $2: no '$1' in the log"; }
}
expect_fail "cannot load model '$T/none.lsr'.*No such file" "lutsr=model=$T/none.lsr"
expect_fail "no model found" "lutsr=model=srlut-x7"
head -c 1000 models/srlut-x2.lsr > "$T/short.lsr"
expect_fail "cannot load model '$T/short.lsr'" "lutsr=model=$T/short.lsr"
cp models/srlut-x2.lsr "$T/flip.lsr"
printf '\377' | dd of="$T/flip.lsr" bs=1 seek=5000 conv=notrunc 2>/dev/null
expect_fail "CRC32 mismatch.*corrupted" "lutsr=model=$T/flip.lsr"
echo "not a model" > "$T/text.lsr"
expect_fail "cannot load model" "lutsr=model=$T/text.lsr"
expect_fail "scale=4 does not match model 'x2', which upscales x2" "lutsr=model=x2:scale=4"
expect_fail "model is empty" "lutsr=model="
expect_fail "Unable to parse option value \"sharp\"" "lutsr=chroma=sharp"
expect_fail "Option 'bogus' not found" "lutsr=bogus=1"
expect_fail "Value 9.000000 for parameter 'scale' out of range \[0 - 4\]" "lutsr=scale=9"
expect_fail "ensemble=3: use 1 (off) or 8" "lutsr=ensemble=3"
echo "missing, unknown, truncated, corrupt and non-model files, scale mismatch and bad options: clean errors"
