#!/bin/sh
# make demo: upscale a sample image x2 with the built-in bicubic and with the
# default shipped x2 model (models/, short name "x2"), and print what was
# done. Without a shipped model it falls back to a generated SR-LUT.
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
