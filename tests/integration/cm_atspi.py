#!/usr/bin/env python3
"""Drive the real connection manager through AT-SPI against cmlink.

A fake server (tests/bin/cm_fake_server: the real cmlink with scripted
connections) starts the CM itself when a connection waits. The test clicks
Accept and Dismiss, toggles Keyboard, chats both ways, kills the CM and
checks a restarted CM shows the sessions again, that its window can only be
minimized or end the sessions when closed, then opens the main window.
Screenshots go to $CDESK_SHOTS (default: $WORK).
"""
import os
import queue
import signal
import subprocess
import sys
import threading
import time

import gi
gi.require_version("Atspi", "2.0")
from gi.repository import Atspi  # noqa: E402

TOP = os.environ.get("TOP", os.getcwd())
B = os.environ.get("B", "build")
WORK = os.environ.get("WORK", "/tmp")
SHOTS = os.environ.get("CDESK_SHOTS", WORK)
FAKE = os.path.join(TOP, B, "tests/bin/cm_fake_server")
GUI = os.path.join(TOP, B, "tests/bin/cm_gui")
RUN = os.path.join(WORK, "cm-run")


def fail(msg):
    print("FAIL: " + msg, flush=True)
    # What the screen showed, for the log reader.
    subprocess.run(["import", "-window", "root",
                    os.path.join(WORK, "failure.png")])
    sys.exit(1)


class Fake:
    """The fake server: commands in, events out."""

    def __init__(self):
        env = dict(os.environ, CDESK_IPC_DIR=RUN)
        self.p = subprocess.Popen([FAKE, RUN, GUI, "--cm"], env=env,
                                  stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True,
                                  bufsize=1)
        self.q = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.expect("READY")

    def _read(self):
        for line in self.p.stdout:
            self.q.put(line.strip())

    def send(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()

    def expect(self, want, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            try:
                line = self.q.get(timeout=0.2)
            except queue.Empty:
                continue
            print("fake: " + line, flush=True)
            if line == want:
                return
        fail("fake server never said %r" % want)

    def quiet(self, secs):
        """Fail if the fake server reports anything within secs."""
        try:
            line = self.q.get(timeout=secs)
        except queue.Empty:
            return
        fail("unexpected %r" % line)

    def stop(self):
        self.p.stdin.close()
        self.p.wait(timeout=10)


class Peer:
    """The test peer (tests/peer) in session mode on port: events out,
    commands in (cm_e2e.py, cm_desk.py)."""

    def __init__(self, port, *args):
        peer = os.environ["PEER"]
        self.p = subprocess.Popen([peer, "-p", str(port), "-t", "60000"] +
                                  list(args) + ["session"],
                                  stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True,
                                  bufsize=1)
        self.q = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.q.put(line.strip())
        self.q.put(None)

    def send(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()

    def expect(self, prefix, timeout=15):
        end = time.time() + timeout
        while time.time() < end:
            try:
                line = self.q.get(timeout=0.2)
            except queue.Empty:
                continue
            print("peer: %s" % line, flush=True)
            if line is None:
                fail("peer ended waiting for %r" % prefix)
            if line.startswith(prefix):
                return line
        fail("peer never said %r" % prefix)

    def quiet(self, secs):
        """Fail on any event but the media that flows all the time."""
        end = time.time() + secs
        while time.time() < end:
            try:
                line = self.q.get(timeout=max(0.01, end - time.time()))
            except queue.Empty:
                return
            if line is None or not line.startswith(
                    ("AUDIO", "TONE", "CLIP", "VIDEO", "SWITCH")):
                fail("peer said %r unexpectedly" % line)

    def stop(self):
        try:
            self.send("quit")
        except Exception:
            pass
        self.p.wait(timeout=10)


def walk(acc, depth=0):
    """Every descendant of acc (depth-first)."""
    if acc is None or depth > 40:
        return
    yield acc
    try:
        n = acc.get_child_count()
    except Exception:
        return
    for i in range(n):
        try:
            child = acc.get_child_at_index(i)
        except Exception:
            continue
        yield from walk(child, depth + 1)


def find(root, name, role=None, timeout=10):
    """The first descendant called name (and of role), waiting for it."""
    end = time.time() + timeout
    while time.time() < end:
        # Stack pages come and go; do not trust a cached child list.
        try:
            root.clear_cache()
        except Exception:
            pass
        for acc in walk(root):
            try:
                if acc.get_name() == name and (
                        role is None or acc.get_role_name() == role):
                    return acc
            except Exception:
                continue
        time.sleep(0.2)
    for acc in walk(root):
        try:
            print("  %s %r" % (acc.get_role_name(), acc.get_name()))
        except Exception:
            pass
    fail("no accessible %r (%s)" % (name, role))


def find_role(root, role, timeout=10):
    """The first descendant with this role, waiting for it."""
    end = time.time() + timeout
    while time.time() < end:
        for acc in walk(root):
            try:
                if acc.get_role_name() == role:
                    return acc
            except Exception:
                continue
        time.sleep(0.2)
    fail("no accessible with role %r" % role)


def gui_apps(name="cm_gui"):
    """(pid, accessible) of every application called name on the a11y bus."""
    desk = Atspi.get_desktop(0)
    out = []
    for i in range(desk.get_child_count()):
        a = desk.get_child_at_index(i)
        try:
            if a is not None and a.get_name() == name:
                out.append((a.get_process_id(), a))
        except Exception:
            continue
    return out


OLD = set()      # cm_gui processes that are not this run's
STARTED = set()  # ours, killed at the end whatever happens


def app(pid=None, timeout=15):
    """The CM or main-window application on the a11y bus."""
    end = time.time() + timeout
    while time.time() < end:
        for p, a in gui_apps():
            if p in OLD or (pid is not None and p != pid):
                continue
            STARTED.add(p)
            return a
        time.sleep(0.2)
    fail("the CM never showed up on the accessibility bus")


def run(main):
    """main(), then kill every GUI process it started, whatever happened."""
    try:
        main()
    finally:
        for p in STARTED:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass


def click(acc):
    acc.do_action(0)


def text_of(acc):
    return acc.get_text(0, acc.get_character_count())


def wait_text(acc, want, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        if want in text_of(acc):
            return
        time.sleep(0.2)
    fail("%r never showed %r (has %r)" % (acc.get_name(), want,
                                          text_of(acc)))


def shot(name):
    path = os.path.join(SHOTS, name)
    # No window manager: the window sits on a black root; trim that.
    subprocess.run(["import", "-window", "root", "-trim", "+repage", path],
                   check=True)
    print("screenshot " + path, flush=True)


def page(cm, conn_id):
    return find(cm, "Connection %d" % conn_id, timeout=10)


def main():
    OLD.update(p for p, _ in gui_apps())
    fake = Fake()
    # 1: a waiting peer; the server starts the CM; Accept -> Authorize.
    fake.send("login 1 123456789 alice 192.0.2.10:50123 0 0")
    cm = app()
    p1 = page(cm, 1)
    accept = find(p1, "Accept", "push button")
    time.sleep(1.3)  # past the guard against clicks in the first moments
    click(accept)
    fake.expect("AUTHORIZE 1")

    # 2: another waiting peer; Dismiss -> Close.
    fake.send("login 2 555444333 bob 198.51.100.7:40000 1 0")
    p2 = page(cm, 2)
    dismiss = find(p2, "Dismiss", "push button")
    time.sleep(1.3)
    click(dismiss)
    fake.expect("CLOSE 2")

    # Keyboard off on the active connection -> SwitchPermission.
    kb = find(p1, "Keyboard", "check box")
    click(kb)
    fake.expect("PERM 1 keyboard 0")

    # Chat both ways.
    fake.send("chat 1 Hello, I am here to fix the printer")
    history = find(p1, "Chat history")
    wait_text(history, "Hello, I am here to fix the printer")
    entry = find(p1, "Message", "text")
    entry.set_text_contents("Thanks, go ahead")
    click(find(p1, "Send", "push button"))
    fake.expect("CHAT 1 Thanks, go ahead")
    wait_text(history, "Me: Thanks, go ahead")
    fake.send("file 1 1 report.pdf 2000000 1300000 0")
    find(p1, "File transfers")
    find(p1, "Send report.pdf — 1.3\u00a0MB of 2.0\u00a0MB", "list item")
    # The speed while it runs; the result when it ends.
    fake.send("file 1 1 report.pdf 2000000 1600000 0 650000")
    row = find(p1, "Send report.pdf — 1.6\u00a0MB of 2.0\u00a0MB, "
               "650.0\u00a0kB/s", "list item")
    # Its progress bar, as a screen reader reads it.
    bar = find_role(row, "progress bar")
    if abs(bar.get_value_iface().get_current_value() - 0.8) > 0.001:
        fail("progress bar at %r, not 0.8" %
             bar.get_value_iface().get_current_value())
    fake.send("file 1 1 report.pdf 2000000 2000000 1 650000")
    find(p1, "Send report.pdf — 2.0\u00a0MB of 2.0\u00a0MB, done",
         "list item")
    if abs(bar.get_value_iface().get_current_value() - 1.0) > 0.001:
        fail("a done job's bar is not full")
    # A job that failed says why, beside the others.
    fake.send("file 1 2 notes.txt 1000 300 3 0 "
              "No space left on device (os error 28)")
    find(p1, "Send notes.txt — 300 bytes of 1.0\u00a0kB, failed: "
         "No space left on device (os error 28)", "list item")
    find(p1, "Send report.pdf — 2.0\u00a0MB of 2.0\u00a0MB, done",
         "list item")

    # A peer clicked just now: a local click is ignored (HOST.md 3.4) and
    # the check box goes back.
    fake.send("click 1 0")
    fake.expect("CLICK 0")
    click(kb)
    fake.quiet(1.0)
    if kb.get_state_set().contains(Atspi.StateType.CHECKED):
        fail("an ignored click left Keyboard checked")
    fake.send("click 1 -1")
    fake.expect("CLICK -1")

    # Two connections, one waiting and one active: the screenshot.
    fake.send("login 3 741852963 carol 203.0.113.5:61000 0 0")
    page(cm, 3)
    time.sleep(1.5)
    shot("cm.png")
    # A chat line brings the active session to the front (unless the
    # local user is at the window: Xvfb starts the pointer on it).
    subprocess.run(["xdotool", "mousemove", "1270", "790"], check=True)
    fake.send("chat 1 The printer works again, thanks!")
    wait_text(history, "The printer works again")
    time.sleep(0.5)
    shot("cm-active.png")
    # Back where Xvfb put it, for the tests after this one.
    subprocess.run(["xdotool", "mousemove", "640", "400"], check=True)

    # Kill the CM: the active session lives on, the waiting one is
    # dismissed; a new CM shows the state again.
    os.kill(cm.get_process_id(), signal.SIGKILL)
    fake.expect("CLOSE 3")
    env = dict(os.environ, CDESK_IPC_DIR=RUN)
    cm2p = subprocess.Popen([GUI, "--cm"], env=env)
    cm2 = app(pid=cm2p.pid)
    p1 = page(cm2, 1)
    name = find(p1, "Peer name", "label")
    if name.get_name() != "Peer name" or text_of(name) != "alice":
        fail("restarted CM shows %r" % text_of(name))
    wait_text(find(p1, "Chat history"), "Me: Thanks, go ahead")
    kb = find(p1, "Keyboard", "check box")
    if kb.get_state_set().contains(Atspi.StateType.CHECKED):
        fail("restarted CM lost the keyboard permission state")
    # Disconnect from the new CM ends the session.
    click(find(p1, "Disconnect", "push button"))
    fake.expect("CLOSE 1")

    # The peer's last chat line went unanswered: the page stays, ended.
    wait_text(find(p1, "Connection state", "label"), "Disconnected.")

    # Closing the window with a live session asks first; confirming ends it.
    fake.send("login 5 369258147 dave 192.0.2.77:41000 0 1")
    fake.send("chat 5 One question before I start")
    page(cm2, 5)
    # approve-mode=password: no Accept button, Dismiss still works.
    fake.send("mode 1 password")
    fake.expect("OPTION approve-mode password")
    fake.send("login 6 258147369 eve 198.51.100.99:1234 0 0")
    p6 = page(cm2, 6)
    acc6 = find(p6, "Accept", "push button")
    end = time.time() + 5
    while acc6.get_state_set().contains(Atspi.StateType.VISIBLE):
        if time.time() > end:
            fail("Accept shown although approve-mode is password")
        time.sleep(0.2)
    time.sleep(1.3)
    click(find(p6, "Dismiss", "push button"))
    fake.expect("CLOSE 6")
    fake.send("mode 1 ")
    fake.expect("OPTION approve-mode")

    # enable-perm-change-in-accept-window N: the toggles are greyed (the
    # server refuses them anyway).
    fake.send("option 1 enable-perm-change-in-accept-window N")
    fake.expect("OPTION enable-perm-change-in-accept-window N")
    fake.send("login 7 147258369 frank 192.0.2.8:1000 0 0")
    p7 = page(cm2, 7)
    box = find(p7, "Keyboard", "check box")
    end = time.time() + 5
    while box.get_state_set().contains(Atspi.StateType.SENSITIVE):
        if time.time() > end:
            fail("a permission toggle usable with the option N")
        time.sleep(0.2)
    time.sleep(1.3)
    click(find(p7, "Dismiss", "push button"))
    fake.expect("CLOSE 7")
    fake.send("closed 7")
    fake.send("option 1 enable-perm-change-in-accept-window")
    fake.expect("OPTION enable-perm-change-in-accept-window")

    # It cannot be closed away while a session runs: Minimize keeps it
    # (and the session), Disconnect ends the session and closes it.
    click(find(cm2, "Close", "push button"))
    ask = find_role(cm2, "alert")
    click(find(ask, "Minimize", "push button"))
    fake.quiet(1.0)
    find(cm2, "dave (369258147)", "label")
    click(find(cm2, "Close", "push button"))
    ask = find_role(cm2, "alert")
    click(find(ask, "Disconnect", "push button"))
    fake.expect("CLOSE 5")
    # The CM exits cleanly (under ASan: without leaks either).
    rc = cm2p.wait(timeout=20)
    if rc != 0:
        fail("the CM exited with %d" % rc)

    # The main window: ID, one-time password (shown), settings, status;
    # a setting the admin's file locks is read-only, with a note.
    fake.send("lock 1 verification-method")
    fake.expect("LOCK verification-method")
    uip = subprocess.Popen([GUI], env=env)
    ui = app(pid=uip.pid)
    idl = find(ui, "ID", "label")
    wait_text(idl, "987 654 321")
    wait_text(find(ui, "Administrator settings", "label"),
              "set by the administrator in /etc/cdesk/cdesk.conf")
    sens = Atspi.StateType.SENSITIVE
    vm = find(ui, "Verification method", "combo box")
    if vm.get_state_set().contains(sens):
        fail("a locked setting can be changed in the main window")
    am = find(ui, "Approve mode", "combo box")
    if not am.get_state_set().contains(sens):
        fail("an unlocked setting is read-only in the main window")
    click(find(ui, "Show password", "toggle button"))
    wait_text(find(ui, "One-time password", "label"), "x7k2qp")
    wait_text(find(ui, "Service status", "label"), "registered")
    time.sleep(0.5)
    shot("main-window.png")
    click(find(ui, "Refresh password", "push button"))
    fake.expect("REFRESH")

    # Two-factor: set up shows the secret (and its QR code); Enable stays
    # off until six digits are typed; a wrong code is said so and the
    # secret stays; the right one turns 2FA on; its trusted devices are
    # removed one, then all; then off again.
    tfa_state = find(ui, "Two-factor authentication state", "label")
    wait_text(tfa_state, "is off")
    click(find(ui, "Set up two-factor authentication", "push button"))
    fake.expect("TFA SETUP")
    wait_text(find(ui, "Secret", "label"), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
    find(ui, "QR code of the secret")
    enable = find(ui, "Enable two-factor authentication", "push button")
    code = find(ui, "Verification code", "text")
    code.set_text_contents("12345")
    time.sleep(0.3)
    if enable.get_state_set().contains(sens):
        fail("Enable is on with five digits")
    code.set_text_contents("111111")
    end = time.time() + 5
    while not enable.get_state_set().contains(sens):
        if time.time() > end:
            fail("Enable stays off with six digits")
        time.sleep(0.1)
    time.sleep(0.5)
    shot("main-window-2fa.png")
    click(enable)
    fake.expect("TFA ENABLE 111111")
    wait_text(find(ui, "Code check", "label"), "wrong code")
    wait_text(tfa_state, "is off")
    code.set_text_contents("123456")
    time.sleep(0.3)
    click(enable)
    fake.expect("TFA ENABLE 123456")
    wait_text(tfa_state, "is on")
    # The trusted devices (upstream's list): one removed by its own
    # button, the other stays until "Remove all".
    wait_text(tfa_state, "2 trusted devices")
    find(ui, "Trusted devices", "list box")
    shot("main-window-2fa-trusted.png")
    click(find(ui, "Remove trusted device 111222333", "push button"))
    fake.expect("TFA UNTRUST KEYaaaaaaaaa")
    wait_text(tfa_state, "1 trusted device)")
    find(ui, "Remove trusted device 444555666", "push button")
    end = time.time() + 5
    while any(a.get_name() == "Remove trusted device 111222333"
              for a in walk(ui)):
        if time.time() > end:
            fail("a removed device is still listed")
        time.sleep(0.2)
    click(find(ui, "Remove all trusted devices", "push button"))
    fake.expect("TFA UNTRUST  all")
    wait_text(tfa_state, "0 trusted devices")
    # A device a peer trusts on its own login is announced to nobody: the
    # window asks again every few seconds.
    fake.send("trust 1")
    fake.expect("TRUSTED")
    wait_text(tfa_state, "2 trusted devices", timeout=15)
    find(ui, "Remove trusted device 111222333", "push button")
    click(find(ui, "Turn off two-factor authentication", "push button"))
    fake.expect("TFA DISABLE")
    wait_text(tfa_state, "is off")
    uip.terminate()
    uip.wait(timeout=10)
    fake.stop()
    print("ok", flush=True)


if __name__ == "__main__":
    run(main)
