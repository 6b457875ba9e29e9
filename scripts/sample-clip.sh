#!/bin/sh
# Makes the sample clips used by `make demo` and `make bench-ffmpeg` (cached
# in build/sample): a 3-second 1920x1080 30 fps H.264 clip that pans across
# a real photograph (a training-set image: a slow diagonal camera move, the
# kind of motion real footage has), and its 960x540 version.
#   scripts/sample-clip.sh FFMPEG  -> prints the folder
set -e
FFMPEG=${1:-build/bin/ffmpeg}
DATA=${LUTSR_DATA_DIR:-../shared/data}
OUT=build/sample
photo=$DATA/train/Photos/lomiri-wallpapers-16.04__picosdeeuropa_by_Aitzol_Berasategi.png
[ -f "$photo" ] || photo=$(ls "$DATA"/train/Photos/*.png 2>/dev/null | head -n 1)
[ -f "$photo" ] || { echo "sample-clip: no photo under $DATA/train/Photos (set LUTSR_DATA_DIR)" >&2; exit 1; }
mkdir -p "$OUT"
if [ ! -s "$OUT/clip-1080p.mp4" ] || [ "$photo" -nt "$OUT/clip-1080p.mp4" ]; then
    # The photo is 2048x1536: scale to 2048 wide if not, then pan a
    # 1920x1080 window over 90 frames.
    "$FFMPEG" -nostdin -hide_banner -loglevel error -y -loop 1 -framerate 30 -i "$photo" \
        -vf "scale=2048:-2:flags=lanczos,crop=1920:1080:x='min(n*1.4,iw-1920)':y='min(n*4,ih-1080)',format=yuv420p" \
        -frames:v 90 -c:v libx264 -preset medium -crf 16 -tune film "$OUT/clip-1080p.mp4"
    "$FFMPEG" -nostdin -hide_banner -loglevel error -y -i "$OUT/clip-1080p.mp4" \
        -vf "scale=960:540:flags=lanczos" -c:v libx264 -preset medium -crf 16 "$OUT/clip-540p.mp4"
fi
echo "$OUT"
