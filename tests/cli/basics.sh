#!/bin/sh
# Version, help texts, and command-line errors of the lutsr tool.
. tests/cli/common.inc "$@"

ok --version
grep -q -E '^lutsr [0-9]+\.[0-9]+\.[0-9]+$' "$T/ok.out" || fail "--version: $(cat "$T/ok.out")"

ok help
for c in upscale info eval bench make-model; do
    grep -q "^  $c " "$T/ok.out" || fail "help lacks $c"
done

# Every option of upscale is listed, with the defaults.
ok help upscale
for o in -m -i -o --threads --cpu --ensemble --size -q --help; do
    grep -q -e "$o" "$T/ok.out" || fail "help upscale lacks $o"
done
grep -q 'default: auto' "$T/ok.out" || fail "help upscale lacks the --cpu default"
ok upscale --help
for c in info eval bench make-model; do
    ok "$c" --help
    grep -q "^usage: lutsr $c" "$T/ok.out" || fail "$c --help"
done
ok make-model --help
grep -q -- '--interval-bits K .*(default: 4)' "$T/ok.out" || fail "make-model defaults"

expect_error 'unknown command' frobnicate
expect_error 'unknown command' help frobnicate
expect_error "unknown option '--frobnicate'" upscale --frobnicate
expect_error "unknown option '-Z'" upscale -Z
expect_error 'Invalid argument "abc" for option --threads; should be an integer 1\.\.256' \
    upscale --threads abc -m bicubic -i a.png -o b.png
expect_error 'Invalid argument "0" for option --threads' upscale --threads 0 -m bicubic -i a.png -o b.png
expect_error 'Invalid argument "257" for option --threads' bench -m bicubic --threads 257
expect_error 'Invalid argument "avx9" for option --cpu' upscale --cpu avx9 -m bicubic -i a.png -o b.png
expect_error 'Invalid argument "4" for option --ensemble; should be one of 1, 8' \
    upscale --ensemble 4 -m bicubic -i a.png -o b.png
expect_error 'Invalid argument "x8" for option --ensemble' eval --ensemble x8 -m bicubic --hr .
expect_error 'Invalid argument "0" for option --ensemble' bench --ensemble 0 -m bicubic
expect_error 'Invalid argument "12" for option --size' upscale --size 12 -m bicubic -i a.raw -o b.raw
expect_error 'Invalid argument "0x5" for option --size' upscale --size 0x5 -m bicubic -i a.raw -o b.raw
expect_error 'option --model needs an argument' upscale -i a.png -o b.png -m
expect_error 'missing required option --model' upscale -i a.png -o b.png
expect_error 'missing required option --input' upscale -m bicubic -o b.png
expect_error 'missing required option --output' make-model --kind srlut
expect_error 'Invalid argument "5" for option --scale' make-model --scale 5 -o "$T/m.lsr"
expect_error 'Invalid argument "cubic" for option --function; should be one of nearest, bilinear, random' \
    make-model --function cubic -o "$T/m.lsr"
expect_error 'interval-bits applies to srlut and mulut only' make-model --kind eclut --interval-bits 3 -o "$T/m.lsr"
[ ! -e "$T/m.lsr" ] || fail "a failed make-model left a file"
expect_error 'missing MODEL' info
exit 0
