#!/bin/sh
# make demo: upscale a sample image x2 with the built-in bicubic and with a
# generated SR-LUT model, and print what was done. (Trained models come
# with the training pipeline; until then the LUT model is generated.)
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
model=$OUT/srlut-x2-generated.lsr
"$LUTSR" make-model --kind srlut --scale 2 --function bilinear -o "$model"
"$LUTSR" info "$model"
echo
echo "-- upscaling $sample x2 --"
"$LUTSR" upscale -m bicubic -i "$sample" -o "$OUT/sample-bicubic-x2.png"
"$LUTSR" upscale -m "$model" -i "$sample" -o "$OUT/sample-srlut-x2.png"
echo
echo "-- quality on Set5 x2 (standard protocol) --"
"$LUTSR" eval -m bicubic --hr "$data/val/Set5" | tail -n 1
"$LUTSR" eval -m "$model" --hr "$data/val/Set5" | tail -n 1
echo
echo "-- speed, 1920x1080 luma x2 --"
"$LUTSR" bench -m "$model" -s 1920x1080 --threads 2
echo
echo "outputs: $OUT/sample-bicubic-x2.png $OUT/sample-srlut-x2.png"
