#!/usr/bin/env python3
"""Voice calls end to end (tests/integration/voice.sh sets the scene).

The peer logs in with the password; the server starts its CM. Call 1 is
accepted through AT-SPI: the peer's 1000 Hz must sound on the desk's
default sink (recorded from voice_out.monitor) and the desk's microphone
(440 Hz) must reach the peer; "Stop voice call" in the CM hangs up and the
desk's own sound (a 1500 Hz tone played into voice_out) comes back to the
peer. Call 2 is declined: accepted=0 and the peer keeps the desk's sound.
Call 3 is hung up by the peer. Call 4 floods the host faster than real
time (bounded: the server's memory barely moves) and ends with the
connection.
"""
import math
import os
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cm_atspi as at  # noqa: E402
from cm_atspi import Atspi, click, fail, find  # noqa: E402

PORT = os.environ["PORT"]
RATE = 48000


def parent(pid):
    """pid's parent, 0 when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def cm_app(timeout=20):
    """The CM this test's server started (not one an earlier test left
    on the accessibility bus)."""
    server = int(os.environ["SERVER_PID"])
    end = time.time() + timeout
    while time.time() < end:
        for p, a in at.gui_apps("cdesk"):
            if parent(p) != server:
                continue
            at.STARTED.add(p)
            return a
        time.sleep(0.2)
    fail("the server's CM never showed up on the accessibility bus")


def usable(acc, timeout=10):
    """Wait until acc shows and takes clicks (past the CM's guard)."""
    end = time.time() + timeout
    while time.time() < end:
        st = acc.get_state_set()
        if st.contains(Atspi.StateType.SHOWING) and \
                st.contains(Atspi.StateType.SENSITIVE):
            return acc
        time.sleep(0.1)
    fail("%r never became clickable" % acc.get_name())


def hidden(acc, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        if not acc.get_state_set().contains(Atspi.StateType.SHOWING):
            return
        time.sleep(0.1)
    fail("%r still shows" % acc.get_name())


def tone_of(samples):
    """The strongest frequency (100..2000 Hz, 10 Hz steps) and RMS."""
    n = len(samples)
    rms = math.sqrt(sum(v * v for v in samples) / n) if n else 0
    best, best_p = 0, -1.0
    for hz in range(100, 2001, 10):
        k = 2 * math.cos(2 * math.pi * hz / RATE)
        s1 = s2 = 0.0
        for v in samples:
            s1, s2 = v + k * s1 - s2, s1
        p = s1 * s1 + s2 * s2 - k * s1 * s2
        if p > best_p:
            best, best_p = hz, p
    return best, rms


def desk_hears(want_hz, timeout=15):
    """Record the desk's default sink until it plays want_hz."""
    rec = subprocess.Popen(["parec", "-d", "voice_out.monitor", "--raw",
                            "--format=s16le", "--rate=%d" % RATE,
                            "--channels=1", "--latency-msec=20"],
                           stdout=subprocess.PIPE)
    got = None
    end = time.time() + timeout
    try:
        while time.time() < end:
            # 100 ms windows, as the sound arrives.
            buf = rec.stdout.read(4800 * 2)
            if len(buf) < 4800 * 2:
                break
            samples = struct.unpack("<4800h", buf)
            hz, rms = tone_of(samples)
            got = (hz, int(rms))
            if abs(hz - want_hz) <= 20 and rms > 300:
                print("desk hears %d Hz (rms %d)" % got, flush=True)
                return
    finally:
        rec.kill()
        rec.wait()
    fail("the desk never heard %d Hz (last %r)" % (want_hz, got))


def peer_hears(peer, want_hz, timeout=15):
    """Wait for the peer's decoder to report want_hz loud enough."""
    end = time.time() + timeout
    while time.time() < end:
        line = peer.expect("TONE", timeout=max(0.5, end - time.time()))
        _, hz, level = line.split()
        if abs(int(hz) - want_hz) <= 20 and int(level) > 20:
            return
    fail("the peer never heard %d Hz" % want_hz)


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def answer(pg, name):
    click(usable(find(pg, name, "push button")))


def main():
    peer = at.Peer(PORT, "-w", "Secret-42")
    peer.expect("PEERINFO")
    cm = cm_app()
    pg = find(cm, "Connection 1", timeout=15)
    stop = find(pg, "Stop voice call", "push button")

    # Call 1: accepted in the CM; a tone each way; hung up in the CM.
    peer.send("call 1000")
    answer(pg, "Accept voice call")
    line = peer.expect("VOICE ")
    if line != "VOICE accepted=1 ts=ok ack=1":
        fail("call 1: %r" % line)
    peer.expect("VOICESENT 100")
    desk_hears(1000)
    peer_hears(peer, 440)
    click(usable(stop))
    peer.expect("VOICE closed")
    hidden(stop)
    # The desk's own sound again: a tone into the default sink.
    noise = subprocess.Popen(
        ["/usr/bin/python3", "-c",
         "import math,struct,sys\n"
         "one=b''.join(struct.pack('<hh',v,v) for v in (int(12000*math."
         "sin(2*math.pi*1500*i/48000)) for i in range(48000)))\n"
         "while True: sys.stdout.buffer.write(one)"],
        stdout=subprocess.PIPE)
    pacat = subprocess.Popen(["pacat", "--raw", "--format=s16le",
                              "--rate=48000", "--channels=2",
                              "--latency-msec=50", "-d", "voice_out"],
                             stdin=noise.stdout)
    try:
        peer_hears(peer, 1500)

        # Call 2: declined; nothing switches.
        peer.send("call 1000")
        answer(pg, "Dismiss voice call")
        line = peer.expect("VOICE ")
        if line != "VOICE accepted=0 ts=ok ack=1":
            fail("call 2: %r" % line)
        peer_hears(peer, 1500)
    finally:
        pacat.kill()
        noise.kill()
        pacat.wait()
        noise.wait()

    # Call 3: accepted, then the peer hangs up.
    peer.send("call 800")
    answer(pg, "Accept voice call")
    line = peer.expect("VOICE ")
    if line != "VOICE accepted=1 ts=ok ack=1":
        fail("call 3: %r" % line)
    desk_hears(800)
    peer.send("hangup")
    hidden(stop)

    # Call 4: a peer faster than real time; then the connection closes.
    peer.send("call 600")
    answer(pg, "Accept voice call")
    peer.expect("VOICE accepted=1")
    peer.expect("VOICESENT")
    pid = int(os.environ["SERVER_PID"])
    before = rss_kb(pid)
    for _ in range(5):
        peer.send("flood 1000")
        peer.expect("FLOODED 1000")
    peer.send("ping 7")
    peer.expect("PONG 7", timeout=30)
    grown = rss_kb(pid) - before
    print("server RSS grew %d KiB over 5000 flooded frames" % grown,
          flush=True)
    if grown > 8 * 1024:
        fail("the server grew %d KiB under a flood" % grown)
    peer.stop()
    print("ok", flush=True)


if __name__ == "__main__":
    at.run(main)
