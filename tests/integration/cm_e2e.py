#!/usr/bin/env python3
"""End to end: a real cdesk --server, the test peer, and the real CM window
the server starts, driven through AT-SPI.

approve-mode click: the peer waits ("No Password Access"); Accept in the CM
-> the peer gets PeerInfo; Keyboard off -> the peer gets
PermissionInfo{Keyboard, false}; chat both ways; the CM killed -> the session
lives on and a restarted CM shows it; Dismiss -> the peer gets the stock
refusal.
"""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cm_atspi as at  # noqa: E402
from cm_atspi import Atspi, click, fail, find, wait_text  # noqa: E402

CDESK = os.environ["CDESK"]
PEER = os.environ["PEER"]
DIR = os.environ["DIR"]
PORT = os.environ["PORT"]


def cdesk_apps():
    """(pid, accessible) of every `cdesk` GUI on the accessibility bus."""
    return at.gui_apps("cdesk")


def cm_app(skip=(), timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        for p, a in cdesk_apps():
            if p not in skip:
                at.STARTED.add(p)
                return a
        time.sleep(0.2)
    fail("the server's CM never showed up on the accessibility bus")


def Peer(*args):
    return at.Peer(PORT, *args)


def main():
    old = set(p for p, _ in cdesk_apps())
    peer = Peer()
    peer.expect("ERROR No Password Access")
    cm = cm_app(skip=old)
    p1 = find(cm, "Connection 1", timeout=15)
    accept = find(p1, "Accept", "push button")
    time.sleep(1.3)  # past the guard against clicks in the first moments
    click(accept)
    peer.expect("PEERINFO displays=1")

    click(find(p1, "Keyboard", "check box"))
    peer.expect("PERMISSION 0 0")

    peer.send("chat hello from the peer")
    wait_text(find(p1, "Chat history"), "hello from the peer")
    entry = find(p1, "Message", "text")
    entry.set_text_contents("hello from the desk")
    click(find(p1, "Send", "push button"))
    peer.expect("CHAT hello from the desk")

    # The CM dies: the session goes on; a new CM shows it again.
    pid1 = cm.get_process_id()
    os.kill(pid1, signal.SIGKILL)
    peer.quiet(2.0)
    env = dict(os.environ, CDESK_IPC_DIR=DIR)
    cm2p = subprocess.Popen([CDESK, "--config", DIR, "--cm"], env=env)
    at.STARTED.add(cm2p.pid)
    cm2 = cm_app(skip=old | {pid1})
    p1 = find(cm2, "Connection 1", timeout=15)
    kb = find(p1, "Keyboard", "check box")
    if kb.get_state_set().contains(Atspi.StateType.CHECKED):
        fail("restarted CM lost the keyboard permission state")
    peer.send("chat still here")
    wait_text(find(p1, "Chat history"), "still here")

    # A second peer, dismissed.
    peer2 = Peer()
    peer2.expect("ERROR No Password Access")
    p2 = find(cm2, "Connection 2", timeout=15)
    time.sleep(1.3)
    click(find(p2, "Dismiss", "push button"))
    peer2.expect("CLOSED Closed manually by the peer")

    # Disconnect the first from the CM.
    click(find(p1, "Disconnect", "push button"))
    peer.expect("CLOSED Closed manually by the peer")
    peer2.stop()
    peer.stop()
    print("ok", flush=True)


if __name__ == "__main__":
    at.run(main)
