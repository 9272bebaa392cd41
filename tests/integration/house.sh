#!/bin/sh
# house.sh: the architecture rules on the source tree (which folder may
# include which, function and file lengths); tests/integration/house.py
# says what each rule is and prints "file:line: what" for each broken one.
set -u
TOP=${TOP:-$(pwd)}
export TOP
command -v python3 >/dev/null || { echo "FAIL: python3 missing"; exit 1; }
exec python3 "$TOP/tests/integration/house.py"
