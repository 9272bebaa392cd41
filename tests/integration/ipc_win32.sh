#!/bin/sh
# ipc_win32.sh: the named-pipe transport compiles for Windows (mingw-w64).
# It is not run: there is no Windows here.
set -u
CC_W=x86_64-w64-mingw32-gcc
command -v $CC_W >/dev/null || { echo "$CC_W missing (packaging/deps.sh)"; exit 77; }
out=$(mktemp /tmp/cdesk-win32.XXXXXX)
trap 'rm -f "$out"' EXIT
$CC_W -std=c11 -Wall -Wextra -Wmissing-prototypes -Wstrict-prototypes \
    -Wshadow -Werror -I. -c ipc/ipc_win32.c -o "$out" || exit 1
echo "ok"
