#!/bin/sh
# vf_lutsr writes exactly the bytes `lutsr upscale` writes, for every shipped
# model, every -filter_threads value and every SIMD level.
. tests/ffmpeg/common.inc "$@"

clip "$T/in.y4m" 96 64 6
for model in x2 $(cd models && ls *.lsr | sed 's/\.lsr$//'); do
    "$LUTSR" upscale -q -m "$model" -i "$T/in.y4m" -o "$T/cli.y4m" || fail "lutsr upscale -m $model"
    md5s "$T/cli.y4m" > "$T/cli.md5"
    [ "$(wc -l < "$T/cli.md5")" = 6 ] || fail "$model: CLI output has $(wc -l < "$T/cli.md5") frames, expected 6"
    vf_md5s "$T/in.y4m" "lutsr=model=$model" > "$T/ff.md5"
    same "$T/cli.md5" "$T/ff.md5" "$model: -vf lutsr differs from lutsr upscale"
    echo "$model: filter == CLI on 6 frames"
done

# Slice threading and SIMD level never change the bytes.
vf_md5s "$T/in.y4m" lutsr > "$T/ref.md5"
for th in 1 2 3 5; do
    vf_md5s "$T/in.y4m" lutsr -filter_threads "$th" > "$T/th.md5"
    same "$T/ref.md5" "$T/th.md5" "-filter_threads $th changes the output"
done
for cpu in c sse41 avx2; do
    vf_md5s "$T/in.y4m" "lutsr=cpu=$cpu" -filter_threads 2 > "$T/cpu.md5"
    same "$T/ref.md5" "$T/cpu.md5" "cpu=$cpu changes the output"
done
echo "filter_threads 1/2/3/5 and cpu c/sse41/avx2: identical"

# The x8 self-ensemble: a LUT and a CNN, any thread count, equal to the CLI's.
for model in mulut-x2 esr-max-x2; do
    "$LUTSR" upscale -q -m "$model" --ensemble 8 -i "$T/in.y4m" -o "$T/cli8.y4m" || fail "upscale --ensemble 8"
    md5s "$T/cli8.y4m" > "$T/cli8.md5"
    "$LUTSR" upscale -q -m "$model" -i "$T/in.y4m" -o "$T/cli1.y4m" || fail "upscale -m $model"
    md5s "$T/cli1.y4m" > "$T/cli1.md5"
    ! cmp -s "$T/cli1.md5" "$T/cli8.md5" || fail "$model: --ensemble 8 gives the plain output"
    for th in 1 3; do
        vf_md5s "$T/in.y4m" "lutsr=model=$model:ensemble=8" -filter_threads "$th" > "$T/ff8.md5"
        same "$T/cli8.md5" "$T/ff8.md5" "$model: lutsr=ensemble=8 (filter_threads $th) differs from --ensemble 8"
    done
done
echo "ensemble=8: filter == CLI (mulut-x2, esr-max-x2; filter_threads 1 and 3)"

# The default model is the x2 short name, and the output is twice the size.
"$FFPROBE" -v error -f lavfi -i "movie=$T/in.y4m,lutsr" -show_entries stream=width,height -of csv=p=0 \
    > "$T/size.txt" 2>&1 || { cat "$T/size.txt" >&2; fail "ffprobe lavfi"; }
[ "$(cat "$T/size.txt")" = "192,128" ] || fail "default lutsr output size $(cat "$T/size.txt"), expected 192,128"
