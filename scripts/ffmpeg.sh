#!/bin/sh
# Fetches, patches and builds FFmpeg with the lutsr filter (libavfilter_sr/).
#
#   scripts/ffmpeg.sh source SERIES        Debian's FFmpeg SERIES source (5.1, 7.1, 8.1, 9.0),
#                                          patched, in build/ffmpeg/src-SERIES
#   scripts/ffmpeg.sh static [SRCDIR]      static ffmpeg + ffprobe with lutsr -> build/bin/
#                                          (default source: Debian bookworm's 5.1)
#   scripts/ffmpeg.sh dropin               libavfilter.so.8 with lutsr, built from Debian
#                                          bookworm's 5.1 source -> build/lib/ffmpeg-dropin/,
#                                          and the build/bin/lutsr-env wrapper
#   scripts/ffmpeg.sh compile-check SERIES configure SERIES with lutsr and build libavfilter
#
# Everything lives under build/ffmpeg (kept by `make clean`; `make distclean`
# removes it). Builds are out of tree and go through ccache, so a rebuild
# after a change to vf_lutsr.c or liblutsr is seconds. Needs liblutsr built
# first (build/lib/liblutsr.a). The Debian sources come from a private apt
# configuration (build/ffmpeg/apt), the system's sources are not touched.
set -e
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FF=$ROOT/build/ffmpeg
JOBS=${JOBS:-$(nproc)}
LUTSR_LIB=$ROOT/build/lib/liblutsr.a
export CCACHE_BASEDIR="$ROOT"

say() { echo "ffmpeg.sh: $*"; }
die() { echo "ffmpeg.sh: error: $*" >&2; exit 1; }

# --- Debian sources ---------------------------------------------------------

suite_of() {
    case "$1" in
    5.1) echo bookworm ;;
    7.1) echo trixie ;;
    8.1) echo sid ;;
    9.0) echo experimental ;;
    *) die "unknown FFmpeg series '$1' (5.1, 7.1, 8.1 or 9.0)" ;;
    esac
}

# apt-get/apt-cache with the private source list.
apt_private() {
    tool=$1; shift
    "$tool" -o Dir::Etc::SourceList="$FF/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null \
        -o Dir::State::Lists="$FF/apt/lists" -o Dir::Cache="$FF/apt/cache" \
        -o APT::Sandbox::User=root -o Debug::NoLocking=1 "$@"
}

apt_setup() {
    mkdir -p "$FF/apt/lists/partial" "$FF/apt/cache/archives/partial"
    key=/usr/share/keyrings/debian-archive-keyring.gpg
    mirror=${LUTSR_DEBIAN_MIRROR:-http://deb.debian.org/debian}
    {
        for s in bookworm trixie sid experimental; do
            echo "deb-src [signed-by=$key] $mirror $s main"
        done
        echo "deb-src [signed-by=$key] ${mirror%/debian}/debian-security bookworm-security main"
    } > "$FF/apt/sources.list.new"
    # Refresh the lists when the list changed or they are a day old.
    if ! cmp -s "$FF/apt/sources.list.new" "$FF/apt/sources.list" ||
       [ -z "$(find "$FF/apt/lists" -name '*Sources' -mtime -1 2>/dev/null | head -n 1)" ]; then
        mv "$FF/apt/sources.list.new" "$FF/apt/sources.list"
        say "updating the private apt source lists (bookworm, trixie, sid, experimental)"
        apt_private apt-get -qq update || die "apt-get update failed (is deb.debian.org reachable?)"
    else
        rm -f "$FF/apt/sources.list.new"
    fi
}

# Newest Debian version of the ffmpeg source package in SERIES.
debian_version() {
    apt_private apt-cache showsrc ffmpeg 2>/dev/null | sed -n 's/^Version: //p' |
        grep "^[0-9]*:$1\.\|^$1\." | sort -V | tail -n 1
}

# Unpacks Debian's source for SERIES into $FF/src-SERIES (patched for lutsr).
cmd_source() {
    series=$1
    suite=$(suite_of "$series")
    dest=$FF/src-$series
    if [ -f "$dest/.lutsr-patched" ]; then
        sync_filter "$dest"
        return 0
    fi
    command -v dpkg-source >/dev/null || die "dpkg-source not found (apt-get install dpkg-dev)"
    apt_setup
    ver=$(debian_version "$series")
    [ -n "$ver" ] || die "no ffmpeg $series source in Debian $suite"
    say "fetching Debian's ffmpeg $ver source ($suite)"
    dl=$FF/dl/$series
    rm -rf "$dl" "$dest"
    mkdir -p "$dl"
    upstream=${ver#*:}
    upstream=${upstream%-*}
    if (cd "$dl" && apt_private apt-get -qq source --download-only "ffmpeg=$ver" >/dev/null 2>&1) &&
       [ -f "$dl"/ffmpeg_*.dsc ]; then
        dpkg-source -q -x "$dl"/ffmpeg_*.dsc "$dest" >/dev/null
        say "unpacked ffmpeg $ver with Debian's patches"
    elif [ -f "$dl/ffmpeg_$upstream.orig.tar.xz" ]; then
        # Seen with experimental: the mirror had the upstream tarball but
        # not the .dsc/.debian.tar of the same version.
        mkdir -p "$dest"
        tar -xJf "$dl/ffmpeg_$upstream.orig.tar.xz" -C "$dest" --strip-components=1
        say "Debian's packaging for $ver is missing on the mirror; unpacked the upstream ffmpeg $upstream tarball"
    else
        die "could not download ffmpeg $ver (apt-get source failed)"
    fi
    apply_patch "$dest" "$series"
}

# Applies patches/ffmpeg-SERIES-lutsr.patch and copies the filter in.
apply_patch() {
    tree=$1; series=$2
    patch=$ROOT/patches/ffmpeg-$series-lutsr.patch
    [ -f "$patch" ] || die "no patch for FFmpeg $series ($patch)"
    (cd "$tree" && patch -p1 -s --forward < "$patch") || die "$patch does not apply to $tree"
    sync_filter "$tree"
    touch "$tree/.lutsr-patched"
    say "patched $tree with $(basename "$patch")"
}

# Copies vf_lutsr.c into the tree only when it changed (keeps make's timestamps).
sync_filter() {
    cmp -s "$ROOT/libavfilter_sr/vf_lutsr.c" "$1/libavfilter/vf_lutsr.c" ||
        cp "$ROOT/libavfilter_sr/vf_lutsr.c" "$1/libavfilter/vf_lutsr.c"
}

# Series of an FFmpeg tree, from libavfilter's major version.
series_of_tree() {
    major=$(sed -n 's/^#define LIBAVFILTER_VERSION_MAJOR *//p' "$1"/libavfilter/version*.h | head -n 1)
    case "$major" in
    8) echo 5.1 ;; 10) echo 7.1 ;; 11) echo 8.1 ;; 12) echo 9.0 ;;
    *) die "$1: libavfilter major version '$major' is not one lutsr has a patch for (8, 10, 11, 12)" ;;
    esac
}

# --- liblutsr as FFmpeg sees it ---------------------------------------------

# A pkg-config folder whose lutsr.pc points at a folder holding only the
# static library, so FFmpeg links lutsr in (also into libavfilter.so).
lutsr_pc() {
    [ -f "$LUTSR_LIB" ] || die "$LUTSR_LIB not built (run make first)"
    mkdir -p "$FF/lutsr/lib" "$FF/lutsr/pkgconfig"
    if ! cmp -s "$LUTSR_LIB" "$FF/lutsr/lib/liblutsr.a"; then
        cp "$LUTSR_LIB" "$FF/lutsr/lib/liblutsr.a"
        LUTSR_CHANGED=1
    fi
    version=$(sed -n 's/^#define LUTSR_API_VERSION_\(MAJOR\|MINOR\|PATCH\) *//p' \
              "$ROOT/include/lutsr/lutsr.h" | paste -sd.)
    cat > "$FF/lutsr/pkgconfig/lutsr.pc.new" <<EOF
Name: lutsr
Description: lutsr (uninstalled, static, for the FFmpeg build)
Version: $version
Libs: -L$FF/lutsr/lib -llutsr -lpthread -lm
Cflags: -I$ROOT/include
EOF
    cmp -s "$FF/lutsr/pkgconfig/lutsr.pc.new" "$FF/lutsr/pkgconfig/lutsr.pc" ||
        mv "$FF/lutsr/pkgconfig/lutsr.pc.new" "$FF/lutsr/pkgconfig/lutsr.pc"
    rm -f "$FF/lutsr/pkgconfig/lutsr.pc.new"
    export PKG_CONFIG_PATH="$FF/lutsr/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
}

# Runs FFmpeg's configure in build folder $1 for source $2 with the rest as
# flags, only when the flags or the source changed.
ff_configure() {
    bdir=$1; src=$2; shift 2
    cc="gcc"
    command -v ccache >/dev/null && cc="ccache gcc"
    mkdir -p "$bdir"
    flags="--cc=$cc $*"
    if [ -f "$bdir/ffbuild/config.mak" ] && [ "$(cat "$bdir/.lutsr-flags" 2>/dev/null)" = "$src $flags" ]; then
        return 0
    fi
    say "configuring $(basename "$bdir") (log: $bdir/configure.log)"
    # shellcheck disable=SC2086
    (cd "$bdir" && "$src/configure" --cc="$cc" "$@" > configure.log 2>&1) || {
        tail -n 20 "$bdir/ffbuild/config.log" >&2 2>/dev/null
        die "FFmpeg configure failed in $bdir (see $bdir/configure.log and ffbuild/config.log)"
    }
    echo "$src $flags" > "$bdir/.lutsr-flags"
}

ff_make() {
    bdir=$1; shift
    say "building $(basename "$bdir"): $* (log: $bdir/make.log)"
    start=$(date +%s)
    if ! make -C "$bdir" -j"$JOBS" "$@" > "$bdir/make.log" 2>&1; then
        grep -B2 -A8 -m 5 'error' "$bdir/make.log" >&2 || tail -n 30 "$bdir/make.log" >&2
        die "FFmpeg build failed in $bdir (see $bdir/make.log)"
    fi
    say "built $(basename "$bdir") in $(( $(date +%s) - start )) s"
    # FFmpeg builds without -Werror; hold our own file to the project's rule.
    if grep -q 'vf_lutsr\.c.*warning' "$bdir/make.log"; then
        grep -A4 'vf_lutsr\.c.*warning' "$bdir/make.log" >&2
        rm -f "$bdir/libavfilter/vf_lutsr.o"
        die "vf_lutsr.c compiles with warnings in $bdir"
    fi
}

# The codecs, formats and filters of the static ffmpeg: what users feed a
# real-time upscaler (H.264/HEVC/VP9/AV1 files and streams, y4m pipes,
# images), not every codec FFmpeg has, to keep the build short.
STATIC_COMPONENTS="
--disable-everything --enable-filters
--enable-decoder=h264,hevc,vp8,vp9,mpeg1video,mpeg2video,mpeg4,msmpeg4v3,h263,mjpeg,png,bmp,gif,rawvideo,prores,ffv1,ffvhuff,huffyuv,theora,vc1,wmv3,dvvideo
--enable-decoder=aac,aac_latm,mp3,mp3float,mp2,opus,vorbis,flac,ac3,eac3,alac,pcm_s16le,pcm_s16be,pcm_s24le,pcm_f32le,pcm_u8,wmav2
--enable-encoder=libx264,rawvideo,png,ffv1,mjpeg,wrapped_avframe,aac,flac,pcm_s16le
--enable-demuxer=mov,matroska,mpegts,mpegps,avi,flv,asf,yuv4mpegpipe,image2,image2pipe,png_pipe,rawvideo,wav,mp3,ogg,aac,h264,hevc,ivf,m4v,mpegvideo,concat,nut,webm_dash_manifest,flac
--enable-muxer=mp4,mov,matroska,webm,mpegts,avi,flv,nut,yuv4mpegpipe,framemd5,md5,framecrc,crc,null,rawvideo,image2,image2pipe,wav,ivf,h264,hevc
--enable-parser=h264,hevc,vp8,vp9,mpeg4video,mpegvideo,mpegaudio,aac,aac_latm,ac3,opus,vorbis,flac,png,mjpeg,av1,vc1,h263
--enable-bsf=h264_mp4toannexb,hevc_mp4toannexb,aac_adtstoasc,vp9_superframe,extract_extradata,null
--enable-protocol=file,pipe,tcp,udp,rtp,http,hls,crypto,data,concat
--enable-indev=lavfi
"

cmd_static() {
    src=$1
    if [ -z "$src" ]; then
        cmd_source 5.1
        src=$FF/src-5.1
        series=5.1
    else
        src=$(cd "$src" && pwd) || die "FFmpeg source '$1' not found"
        [ -f "$src/configure" ] && [ -d "$src/libavfilter" ] || die "$src is not an FFmpeg source tree"
        series=$(series_of_tree "$src")
        if [ ! -f "$src/libavfilter/vf_lutsr.c" ] || ! grep -q liblutsr "$src/configure"; then
            # The user's tree stays untouched: patch a copy.
            say "copying $src to $FF/src-custom to patch it for FFmpeg $series"
            rm -rf "$FF/src-custom"
            mkdir -p "$FF/src-custom"
            (cd "$src" && tar -cf - --exclude=.git .) | (cd "$FF/src-custom" && tar -xf -)
            src=$FF/src-custom
            apply_patch "$src" "$series"
        else
            sync_filter "$src"
        fi
    fi
    LUTSR_CHANGED=0
    lutsr_pc
    bdir=$FF/static-$series
    [ "$src" = "$FF/src-custom" ] && bdir=$FF/static-custom
    # shellcheck disable=SC2086
    ff_configure "$bdir" "$src" --enable-gpl --enable-libx264 --enable-liblutsr --enable-zlib \
        --disable-autodetect --disable-doc --disable-ffplay --disable-shared --enable-static \
        --pkg-config-flags=--static --extra-version=lutsr $STATIC_COMPONENTS
    # FFmpeg's makefiles do not know about liblutsr.a: relink when it changed.
    [ "$LUTSR_CHANGED" = 1 ] && rm -f "$bdir/ffmpeg" "$bdir/ffmpeg_g" "$bdir/ffprobe" "$bdir/ffprobe_g"
    ff_make "$bdir" ffmpeg ffprobe
    mkdir -p "$ROOT/build/bin"
    cp "$bdir/ffmpeg" "$bdir/ffprobe" "$ROOT/build/bin/"
    say "static ffmpeg: build/bin/ffmpeg ($("$ROOT/build/bin/ffmpeg" -hide_banner -version | head -n 1))"
}

cmd_dropin() {
    cmd_source 5.1
    src=$FF/src-5.1
    LUTSR_CHANGED=0
    lutsr_pc
    bdir=$FF/dropin-5.1
    # Same source and version as Debian bookworm's libavfilter8, so Debian's
    # ffmpeg, ffprobe and mpv run with it; external-library filters Debian
    # enables (drawtext, subtitles, zscale, ...) are not built in.
    ff_configure "$bdir" "$src" --enable-gpl --enable-liblutsr --enable-zlib --disable-autodetect \
        --disable-doc --disable-programs --enable-shared --disable-static \
        --disable-everything --enable-filters
    [ "$LUTSR_CHANGED" = 1 ] && rm -f "$bdir"/libavfilter/libavfilter.so*
    ff_make "$bdir" libavfilter/libavfilter.so.8
    out=$ROOT/build/lib/ffmpeg-dropin
    mkdir -p "$out" "$ROOT/build/bin"
    cp "$bdir/libavfilter/libavfilter.so.8" "$out/"
    cat > "$ROOT/build/bin/lutsr-env" <<EOF
#!/bin/sh
# Runs a program (Debian's ffmpeg, ffprobe, mpv, ...) with lutsr's drop-in
# libavfilter.so.8, which adds the lutsr filter to Debian bookworm's FFmpeg 5.1:
#   lutsr-env ffmpeg -i in.mp4 -vf lutsr=model=x2 out.mp4
#   lutsr-env mpv --vf=lavfi=[lutsr=model=x2] in.mp4
LD_LIBRARY_PATH="$out\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH
[ \$# -gt 0 ] || { echo "usage: lutsr-env PROGRAM [ARGS...]" >&2; exit 2; }
exec "\$@"
EOF
    chmod +x "$ROOT/build/bin/lutsr-env"
    say "drop-in libavfilter: build/lib/ffmpeg-dropin/libavfilter.so.8, wrapper build/bin/lutsr-env"
}

cmd_compile_check() {
    series=$1
    cmd_source "$series"
    lutsr_pc
    bdir=$FF/check-$series
    ff_configure "$bdir" "$FF/src-$series" --enable-gpl --enable-liblutsr --disable-autodetect \
        --disable-doc --disable-programs --disable-everything \
        --enable-filter=lutsr,null,format,scale,buffer,buffersink
    ff_make "$bdir" libavfilter/libavfilter.a
    nm "$bdir/libavfilter/libavfilter.a" 2>/dev/null | grep -q ' [DR] ff_vf_lutsr$' ||
        die "FFmpeg $series: libavfilter.a has no ff_vf_lutsr"
    say "FFmpeg $series: vf_lutsr.c and the patch compile (libavfilter.a has ff_vf_lutsr)"
}

case "$1" in
source) [ -n "$2" ] || die "usage: $0 source SERIES"; cmd_source "$2" ;;
static) cmd_static "$2" ;;
dropin) cmd_dropin ;;
compile-check) [ -n "$2" ] || die "usage: $0 compile-check SERIES"; cmd_compile_check "$2" ;;
*) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
