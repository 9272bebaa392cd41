#!/usr/bin/env python3
"""tests/bench/smaps.py PID [LABEL]: where a process's resident memory is,
from /proc/PID/smaps, on one summary line and a few detail lines.

Anonymous mappings are told apart by shape, as glibc lays them out on
x86-64: the heap of the main thread ([heap]), a thread's malloc arena (a
64 MiB reservation whose used head is rw and the rest ---p, aligned to
64 MiB), a thread's stack (8 MiB rw under a one-page guard), and the
rest: chunks large enough to be mappings of their own (frame buffers,
encoder state: glibc's mmap threshold). File mappings are summed per file.
Figures are KiB of Rss (resident) and Pss (shared pages divided among
the processes that map them)."""
import sys

ARENA = 64 * 1024 * 1024
STACK = 8 * 1024 * 1024


def parse(pid):
    maps = []
    cur = None
    with open("/proc/%s/smaps" % pid) as f:
        for line in f:
            head = line.split(None, 5)
            if "-" in head[0] and len(head) >= 5 and ":" not in head[0]:
                lo, hi = (int(x, 16) for x in head[0].split("-"))
                cur = {"lo": lo, "hi": hi, "perm": head[1],
                       "name": head[5].strip() if len(head) > 5 else ""}
                maps.append(cur)
            elif head[0].endswith(":") and len(head) >= 2 and cur is not None:
                try:
                    cur[head[0][:-1]] = int(head[1])
                except ValueError:
                    pass
    return maps


def classify(maps):
    """Label each mapping: heap, stack, arena, thread-stack, anon, file."""
    for i, m in enumerate(maps):
        n = m["name"]
        if n == "[heap]":
            m["cls"] = "heap"
        elif n == "[stack]":
            m["cls"] = "stack"
        elif n.startswith("["):
            m["cls"] = "other"
        elif n:
            m["cls"] = "file"
        else:
            m["cls"] = "anon"
    for i, m in enumerate(maps):
        if m["cls"] != "anon" or not m["perm"].startswith("rw"):
            continue
        size = m["hi"] - m["lo"]
        nxt = maps[i + 1] if i + 1 < len(maps) else None
        prev = maps[i - 1] if i > 0 else None
        # arena: rw head at a 64 MiB boundary, ---p tail up to 64 MiB.
        if m["lo"] % ARENA == 0:
            tail = 0
            if nxt and nxt["cls"] == "anon" and nxt["perm"].startswith("---") \
                    and nxt["lo"] == m["hi"]:
                tail = nxt["hi"] - nxt["lo"]
            if size + tail == ARENA:
                m["cls"] = "arena"
                continue
        # thread stack: 8 MiB rw right above a guard page.
        if size == STACK and prev and prev["perm"].startswith("---") \
                and prev["hi"] == m["lo"] and prev["hi"] - prev["lo"] <= 65536:
            m["cls"] = "tstack"
    return maps


def main():
    pid = sys.argv[1]
    label = sys.argv[2] if len(sys.argv) > 2 else "pid " + pid
    maps = classify(parse(pid))
    tot = {"Rss": 0, "Pss": 0}
    cls = {}
    files = {}
    for m in maps:
        r, p = m.get("Rss", 0), m.get("Pss", 0)
        tot["Rss"] += r
        tot["Pss"] += p
        c = cls.setdefault(m["cls"], [0, 0, 0])
        c[0] += r
        c[1] += 1 if r else 0
        c[2] += m.get("Private_Dirty", 0)
        if m["cls"] == "file":
            f = files.setdefault(m["name"], [0, 0, 0])
            f[0] += r
            f[1] += p
            f[2] += m.get("Private_Dirty", 0)
    mb = lambda k: "%.1f" % (k / 1024.0)
    anon = sum(v[0] for k, v in cls.items() if k not in ("file",))
    print("%s: RSS %s MB, PSS %s MB = anon %s MB + files %s MB (%d files)" % (
        label, mb(tot["Rss"]), mb(tot["Pss"]), mb(anon),
        mb(cls.get("file", [0])[0]), len(files)))
    names = [("heap", "main heap"), ("arena", "thread arenas"),
             ("anon", "own mappings (large chunks)"),
             ("tstack", "thread stacks"), ("stack", "main stack"),
             ("other", "vdso etc.")]
    parts = []
    for k, text in names:
        if k in cls:
            parts.append("%s %s MB (%d)" % (text, mb(cls[k][0]), cls[k][1]))
    print("  anon: " + ", ".join(parts))
    top = sorted(files.items(), key=lambda kv: -kv[1][0])[:6]
    print("  files: dirty %s MB; largest: %s" % (
        mb(sum(v[2] for v in files.values())),
        ", ".join("%s %s" % (k.rsplit("/", 1)[-1], mb(v[0])) for k, v in top)))
    big = sorted((m for m in maps if m["cls"] in ("anon", "arena")),
                 key=lambda m: -m.get("Rss", 0))[:5]
    print("  largest anon: " + ", ".join(
        "%s %s MB" % (m["cls"], mb(m.get("Rss", 0))) for m in big))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
