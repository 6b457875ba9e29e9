#!/bin/sh
# lutsr.h compiles alone as strict C11 and as C++ (if a C++ compiler exists).
set -e
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf '#include "lutsr/lutsr.h"\nint main(void){ return 0; }\n' > "$tmp/h.c"
gcc -std=c11 -pedantic -Wall -Wextra -Werror -Iinclude -c "$tmp/h.c" -o "$tmp/h.o"
if command -v g++ >/dev/null 2>&1; then
    cp "$tmp/h.c" "$tmp/h.cpp"
    g++ -std=c++11 -pedantic -Wall -Wextra -Werror -Iinclude -c "$tmp/h.cpp" -o "$tmp/hpp.o"
fi
echo "header: OK"
