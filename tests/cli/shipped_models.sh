#!/bin/sh
# Each shipped model (models/*.lsr) loads, is found by its short name, and
# still scores within 0.05 dB of the Set5 PSNR recorded for it in
# models/expected-psnr.tsv (written when the model was exported and
# measured with `lutsr eval`). Skips without the validation data.
. tests/cli/common.inc "$@"
DATA=${LUTSR_DATA_DIR:-../shared/data/val}
TABLE=models/expected-psnr.tsv
ls models/*.lsr >/dev/null 2>&1 || { echo "no shipped models: skipping"; exit 77; }
[ -f "$TABLE" ] || fail "$TABLE is missing"
for m in models/*.lsr; do
    name=$(basename "$m" .lsr)
    grep -q "^$name	" "$TABLE" || fail "$name has no row in $TABLE"
done
[ -d "$DATA/Set5" ] || { echo "no $DATA/Set5: skipping the PSNR checks"; exit 77; }
grep -v '^#' "$TABLE" | while IFS='	' read -r name set psnr; do
    [ -f "models/$name.lsr" ] || fail "$TABLE lists $name, but models/$name.lsr is missing"
    ok info "$name"   # by short name, through the models/ search path
    ok eval -m "models/$name.lsr" --hr "$DATA/$set" -q --csv "$T/$name.csv"
    got=$(awk -F, '$1 == "mean" { print $4 }' "$T/$name.csv")
    awk -v g="$got" -v w="$psnr" 'BEGIN { d = g - w; exit !(d <= 0.05 && d >= -0.05) }' ||
        fail "$name: $set PSNR $got dB, recorded $psnr dB"
    echo "$name: $set $got dB (recorded $psnr)"
done || exit 1
exit 0
