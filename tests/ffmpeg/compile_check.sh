#!/bin/sh
# vf_lutsr.c and patches/ffmpeg-SERIES-lutsr.patch configure and compile
# (without warnings) against Debian's FFmpeg 7.1 (trixie), 8.1 (sid) and 9.0
# (experimental) sources; 5.1 is built in full by the other tests.
. tests/ffmpeg/common.inc "$@"
for s in 7.1 8.1 9.0; do
    sh scripts/ffmpeg.sh compile-check "$s" > "$T/log" 2>&1 || { tail -n 30 "$T/log" >&2; fail "FFmpeg $s"; }
    tail -n 1 "$T/log"
done
