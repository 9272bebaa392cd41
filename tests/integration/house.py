#!/usr/bin/env python3
"""house.py: the architecture rules of docs ARCHITECTURE.md "Layout" and
STYLE.md, checked on the source tree so a change cannot quietly break them.

One line per broken rule, "file:line: what", then a summary; exit 1 if any
rule is broken. Run from the top of the tree (tests/run.sh does).

Rules:
  - ui/, cm/, ipc/, common/, gui/ include no "server/..." header;
  - server/, cm/ and ui/ include none of each other's headers; gui/
    includes neither "cm/..." nor "ui/...";
  - common/ includes only "common/...", generated "*.pb-c.h" and system
    headers; ipc/ only "common/...", "ipc/...", "*.pb-c.h" and system ones;
  - server/ includes no GTK/GLib header; cm/, ui/ and gui/ no libevent,
    libav* or libvpx header;
  - server/helper/ (the file helper, a process of its own running as the
    desktop user) includes only "common/...", "ipc/...", its own headers
    and "*.pb-c.h", and no libevent header;
  - no function outside tests/ is longer than MAX_FUNC lines (style(9):
    the name at column 0 followed by '(', the body ending at a '}' in
    column 0; counted from the name line to that brace inclusive);
  - server/conn/conn.c is under MAX_CONN lines;
  - a comment citing PROTOCOL.md, HOST.md or STYLE.md names a section
    that exists in the copy under docs/ (STYLE.md's "§6.4" is item 4 of
    its section 6, so only the section is checked there).
"""

import os
import re
import sys

MAX_FUNC = 120
MAX_CONN = 1100
CONN = "server/conn/conn.c"

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
FUNC_NAME = re.compile(r'^([A-Za-z_][A-Za-z0-9_]*)\(')

GLIB = re.compile(r'^(gtk|gdk|glib|gio|gobject|gmodule|pango|cairo|atk)'
                  r'([-/.]|$)')
MEDIA = re.compile(r'^(event2|libav[a-z]*|libsw[a-z]*|vpx)/')
CITE = re.compile(r'\b(PROTOCOL|HOST|STYLE)\.md\s*\u00a7\s*([0-9]+(?:\.[0-9]+)*)')
HEADING = re.compile(r'^#+\s+([0-9]+(?:\.[0-9]+)*)[.\s]')

# Folder of a file -> the quoted prefixes it must not include, and why.
FORBIDDEN = {
    "common": (("server/", "cm/", "ui/", "gui/", "ipc/"),
               "common/ includes nothing above it"),
    "ipc": (("server/", "cm/", "ui/", "gui/"),
            "ipc/ includes only common/ and ipc/"),
    "cm": (("server/", "ui/"), "cm/ includes no server/ or ui/ header"),
    "ui": (("server/", "cm/"), "ui/ includes no server/ or cm/ header"),
    "gui": (("server/", "cm/", "ui/"),
            "gui/ includes no server/, cm/ or ui/ header"),
    "server": (("cm/", "ui/", "gui/"),
               "server/ includes no cm/, ui/ or gui/ header"),
}
# The file helper's folder: what it may include (quoted), besides *.pb-c.h.
HELPER = "server/helper/"
HELPER_ALLOWED = ("common/", "ipc/", "server/helper/")
# Folders whose quoted includes must all start with one of these prefixes
# (or be a generated *.pb-c.h).
ALLOWED_ONLY = {
    "common": ("common/",),
    "ipc": ("common/", "ipc/"),
}


def source_files(top):
    """Every .c and .h file of the tree outside tests/, build folders and
    hidden folders, as paths relative to top, sorted."""
    out = []
    for root, dirs, files in os.walk(top):
        rel = os.path.relpath(root, top)
        if rel == ".":
            dirs[:] = [d for d in dirs if d != "tests" and
                       not d.startswith(("build", "."))]
        for f in files:
            if f.endswith((".c", ".h")):
                out.append(os.path.normpath(os.path.join(rel, f)))
    return sorted(out)


def check_include(path, lineno, quote, name, errs):
    """Append to errs what is wrong with one #include line of path."""
    part = path.split("/")[0] if "/" in path else ""
    where = "%s:%d: " % (path, lineno)
    if path.startswith(HELPER):
        if quote == "<" and name.startswith("event2/"):
            errs.append(where + "server/helper/ includes <%s>" % name)
        elif quote == '"' and not name.endswith(".pb-c.h") and \
                not name.startswith(HELPER_ALLOWED):
            errs.append(where + 'server/helper/ may include only %s and '
                        '*.pb-c.h: includes "%s"' %
                        (", ".join(HELPER_ALLOWED), name))
    if quote == "<":
        if part == "server" and GLIB.match(name):
            errs.append(where + "server/ includes GTK/GLib <%s>" % name)
        if part in ("cm", "ui", "gui") and MEDIA.match(name):
            errs.append(where + "%s/ includes <%s> (libevent/libav/vpx)" %
                        (part, name))
        return
    if part in FORBIDDEN:
        prefixes, why = FORBIDDEN[part]
        if name.startswith(prefixes):
            errs.append(where + '%s: includes "%s"' % (why, name))
            return
    if part in ALLOWED_ONLY and not name.endswith(".pb-c.h") and \
            not name.startswith(ALLOWED_ONLY[part]):
        errs.append(where + '%s/ may include only %s and *.pb-c.h: '
                    'includes "%s"' %
                    (part, ", ".join(ALLOWED_ONLY[part]), name))


def check_functions(path, lines, errs):
    """Append to errs every function of path longer than MAX_FUNC lines.
    A name at column 0 followed by '(' starts a definition when a '{' in
    column 0 comes before any line ending in ';' (a prototype or a macro
    call); the next '}' in column 0 ends it."""
    i = 0
    n = len(lines)
    while i < n:
        m = FUNC_NAME.match(lines[i])
        if not m:
            i += 1
            continue
        start = i
        j = i
        while j < n and not lines[j].startswith("{") and \
                not lines[j].rstrip().endswith(";"):
            j += 1
        if j >= n or not lines[j].startswith("{"):
            i = j + 1
            continue
        while j < n and not lines[j].startswith("}"):
            j += 1
        length = j - start + 1
        if length > MAX_FUNC:
            errs.append("%s:%d: %s() is %d lines (limit %d)" %
                        (path, start + 1, m.group(1), length, MAX_FUNC))
        i = j + 1


def doc_sections(top):
    """The numbered sections of each cited document under docs/, as
    {"PROTOCOL": {"1", "1.2", ...}, ...}; a missing document has none."""
    out = {}
    for doc in ("PROTOCOL", "HOST", "STYLE"):
        secs = set()
        path = os.path.join(top, "docs", doc + ".md")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    m = HEADING.match(line)
                    if m:
                        secs.add(m.group(1))
        out[doc] = secs
    return out


def check_citations(path, lines, secs, errs):
    """Append to errs every citation in path of a section that its
    document under docs/ does not have."""
    for k, line in enumerate(lines):
        for m in CITE.finditer(line):
            doc, sec = m.group(1), m.group(2)
            if doc == "STYLE":
                sec = sec.split(".")[0]
            if sec not in secs[doc]:
                errs.append("%s:%d: cites %s.md \u00a7%s, which docs/%s.md "
                            "does not have" % (path, k + 1, doc, sec, doc))


def main():
    """Check every rule on the tree under the current folder; print what
    is broken and return the exit status."""
    top = os.environ.get("TOP", ".")
    errs = []
    files = source_files(top)
    secs = doc_sections(top)
    for path in files:
        with open(os.path.join(top, path), encoding="utf-8",
                  errors="replace") as f:
            lines = f.read().split("\n")
        for k, line in enumerate(lines):
            m = INCLUDE.match(line)
            if m:
                check_include(path, k + 1, m.group(1), m.group(2), errs)
        if path.endswith(".c"):
            check_functions(path, lines, errs)
        check_citations(path, lines, secs, errs)
    if CONN in files:
        with open(os.path.join(top, CONN), encoding="utf-8",
                  errors="replace") as f:
            count = sum(1 for _ in f)
        if count >= MAX_CONN:
            errs.append("%s:%d: %d lines (must stay under %d)" %
                        (CONN, count, count, MAX_CONN))
    else:
        errs.append("%s: missing (the rules name it)" % CONN)
    for e in errs:
        print(e)
    print("house: %d files checked, %d rule%s broken" %
          (len(files), len(errs), "" if len(errs) == 1 else "s"))
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
