#!/bin/sh
# make demo: upscale a sample clip x2 with ffmpeg -vf lutsr (the default
# shipped x2 model), then a sample image with the CLI, and print what was
# done: sizes, speed, quality against the original, where the outputs went.
# Without a shipped model the CLI part falls back to a generated SR-LUT.
set -e
BUILD=${1:-build}
LUTSR=$BUILD/bin/lutsr
OUT=out/demo
mkdir -p "$OUT"
data=${LUTSR_DATA_DIR:-../shared/data}
sample=$data/val/Set14/comic.png
[ -f "$sample" ] || sample=$data/val/Set5/butterfly.png
if [ ! -f "$sample" ]; then
    echo "demo: no sample image found under $data/val; set LUTSR_DATA_DIR" >&2
    exit 1
fi
echo "== lutsr demo =="
"$LUTSR" --version
if "$LUTSR" info x2 >/dev/null 2>&1; then
    model=x2
else
    echo "(no shipped x2 model found: using a generated, untrained SR-LUT)"
    model=$OUT/srlut-x2-generated.lsr
    "$LUTSR" make-model --kind srlut --scale 2 --function bilinear -o "$model"
fi
"$LUTSR" info "$model"
echo
echo "-- upscaling $sample x2 --"
"$LUTSR" upscale -m bicubic -i "$sample" -o "$OUT/sample-bicubic-x2.png"
"$LUTSR" upscale -m "$model" -i "$sample" -o "$OUT/sample-lutsr-x2.png"
echo
echo "-- quality on Set5 x2 (standard protocol) --"
"$LUTSR" eval -m bicubic --hr "$data/val/Set5" | tail -n 1
"$LUTSR" eval -m "$model" --hr "$data/val/Set5" | tail -n 1
echo
echo "-- speed, 1920x1080 luma x2 --"
"$LUTSR" bench -m "$model" -s 1920x1080 --threads 2
echo
echo "outputs: $OUT/sample-bicubic-x2.png $OUT/sample-lutsr-x2.png"

FFMPEG=$BUILD/bin/ffmpeg
FFPROBE=$BUILD/bin/ffprobe
[ -x "$FFMPEG" ] || { echo "demo: $FFMPEG not built (make ffmpeg)" >&2; exit 1; }
echo
echo "== ffmpeg -vf lutsr: a 960x540 clip upscaled to 1920x1080 =="
clips=$(sh scripts/sample-clip.sh "$FFMPEG")
in=$clips/clip-540p.mp4
probe() { "$FFPROBE" -v error -select_streams v:0 -count_frames \
          -show_entries stream=width,height,nb_read_frames,pix_fmt -of csv=p=0 "$1"; }
echo "input:  $in ($(probe "$in" | awk -F, '{print $1 "x" $2 ", " $3 ", " $4 " frames"}'))"
for vf in "lutsr=model=x2" "scale=1920:1080:flags=lanczos"; do
    name=$(echo "$vf" | sed 's/[=:].*//')
    out_file=$OUT/clip-$name-x2.mp4
    start=$(date +%s.%N)
    "$FFMPEG" -nostdin -hide_banner -loglevel error -y -filter_threads 2 -i "$in" -vf "$vf" \
        -c:v libx264 -preset veryfast -crf 16 "$out_file"
    end=$(date +%s.%N)
    frames=$(probe "$out_file" | awk -F, '{print $4}')
    echo "$vf: $out_file ($(probe "$out_file" | awk -F, '{print $1 "x" $2}'), $frames frames," \
         "$(echo "$start $end $frames" | awk '{printf "%.1f", $3 / ($2 - $1)}') fps incl. decode + x264 encode)"
done
echo
echo "-- Y PSNR against the original 1920x1080 clip (higher is better) --"
for vf in "lutsr=model=x2" "scale=1920:1080:flags=lanczos" "scale=1920:1080:flags=bicubic"; do
    psnr=$("$FFMPEG" -nostdin -hide_banner -i "$in" -i "$clips/clip-1080p.mp4" \
           -filter_complex "[0:v]$vf[up];[up][1:v]psnr" -f null - 2>&1 | sed -n 's/.*PSNR y:\([0-9.]*\).*/\1/p')
    echo "$vf: $psnr dB"
done
echo
echo "outputs: $OUT/clip-lutsr-x2.mp4 (lutsr) and $OUT/clip-scale-x2.mp4 (lanczos), from $in"
