#!/bin/sh
# `lutsr eval` end to end: the engine's bicubic must reproduce the published
# bicubic numbers (Set5 x2 33.66, x4 28.42, Set14 x2 30.24 dB) within
# 0.02 dB; output format, CSV, and argument errors. Skips without the data.
. tests/cli/common.inc "$@"
DATA=${LUTSR_DATA_DIR:-../shared/data/val}
[ -d "$DATA/Set5" ] && [ -d "$DATA/Set14" ] || { echo "no $DATA/Set5, $DATA/Set14: skipping"; exit 77; }

# check SET MODEL TARGET: the CSV's mean PSNR is within 0.02 dB of TARGET.
check() {
    ok eval -m "$2" --hr "$DATA/$1" --csv "$T/$1.csv"
    grep -q -E "^mean: PSNR [0-9]+\.[0-9]{2} dB  SSIM 0\.[0-9]{4}  \([0-9]+ images, scale [234], model $2\)$" \
        "$T/ok.out" || fail "mean line: $(tail -n 1 "$T/ok.out")"
    psnr=$(awk -F, '$1 == "mean" { print $4 }' "$T/$1.csv")
    awk -v p="$psnr" -v t="$3" 'BEGIN { d = p - t; exit !(d <= 0.02 && d >= -0.02) }' ||
        fail "$1 $2: mean PSNR $psnr, published $3"
    echo "$1 $2: $psnr dB (published $3)"
}
check Set5 bicubic 33.66
check Set5 bicubic-x4 28.42
check Set14 bicubic 30.24

# One line per image, sorted by name, then the mean; CSV likewise.
ok eval -m bicubic-x3 --hr "$DATA/Set5" --csv "$T/s5.csv" --threads 1
[ "$(grep -c ' PSNR .* dB  SSIM ' "$T/ok.out")" = 6 ] || fail "expected 5 image lines + mean"
sed -n '2,6p' "$T/ok.out" | awk '{ print $1 }' > "$T/names"
ls "$DATA/Set5" | grep '\.png$' | LC_ALL=C sort > "$T/names.want"
cmp -s "$T/names" "$T/names.want" || fail "images not listed in name order"
[ "$(head -n 1 "$T/s5.csv")" = "image,width,height,psnr,ssim" ] || fail "CSV header"
[ "$(wc -l < "$T/s5.csv")" = 7 ] || fail "CSV rows"
grep -q '^baby.png,510,510,' "$T/s5.csv" || fail "modcrop size in CSV: $(sed -n 2p "$T/s5.csv")"

# Threads do not change scores; a nearest model scores below bicubic; the
# full-colour path runs and lands close to the Y path.
ok eval -m bicubic-x3 --hr "$DATA/Set5" --csv "$T/s5b.csv" --threads 3 -q
cmp "$T/s5.csv" "$T/s5b.csv" || fail "scores depend on --threads"
ok make-model --kind srlut --scale 3 --function nearest -o "$T/near3.lsr"
ok eval -m "$T/near3.lsr" --hr "$DATA/Set5" --csv "$T/near.csv" -q
awk -F, 'FNR == 1 { f++ } $1 == "mean" { m[f] = $4 } END { exit !(m[2] < m[1] - 1) }' \
    "$T/s5.csv" "$T/near.csv" || fail "nearest does not score clearly below bicubic"
ok eval -m bicubic --hr "$DATA/Set5" --rgb -q
grep -q -E '^mean: PSNR 33\.[56][0-9] dB' "$T/ok.out" || fail "RGB path: $(cat "$T/ok.out")"

expect_error '--scale 4 does not match model bicubic, which is x2' eval -m bicubic --scale 4 --hr "$DATA/Set5"
expect_error 'missing required option --hr' eval -m bicubic
mkdir "$T/empty"
expect_error 'no \*\.png images' eval -m bicubic --hr "$T/empty"
expect_error 'cannot read the folder' eval -m bicubic --hr "$T/nope"
exit 0
