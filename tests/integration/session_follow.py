#!/usr/bin/python3
"""Script user switches, a log-out to the login screen, a Wayland session
and nobody on python3-dbusmock's logind, and check that the real server
(run as root) follows with capture, input, clipboard, the CM and its
logins while a peer stays connected.

Run by session_follow.sh, which starts the private system bus, the mock,
the users (UA, UB, UC), their X servers (DA red 640x480, DB blue 800x600
with B's cookie in AUTH_B, DG green 1024x768: root's, for C's greeter),
A's and B's session leaders, and exports them."""
import os
import pwd
import re
import subprocess
import sys
import time

import dbus

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lines  # noqa: E402

E = os.environ
LOGIN1 = 'org.freedesktop.login1'
PROPS = 'org.freedesktop.DBus.Properties'
SEAT = 'org.freedesktop.login1.Seat'
SESSION = 'org.freedesktop.login1.Session'
SEAT0 = '/org/freedesktop/login1/seat/seat0'
TIMEOUT = 20
GRACE = 3


SERVER_LOG = []
SERVER = []
CMS = []	# the CMs the server started: ended with the test


def fail(msg):
    """Say what went wrong, with the end of the server's log."""
    print(f'FAIL: {msg}')
    if SERVER and SERVER[0].poll() is not None:
        print(f'  the server exited with {SERVER[0].returncode}')
    for line in SERVER_LOG[-30:]:
        if ' debug: ' not in line:
            print(f'  server: {line}')
    sys.exit(1)


def follow(stream):
    """The lines of stream (lines.py), failing with fail()."""
    return lines.Lines(stream, fail, TIMEOUT, 40)


class Peer:
    """tests/peer `session`: commands in, events out."""

    def __init__(self, port, otp):
        self.p = subprocess.Popen(
            [E['PEER'], '-p', str(port), '-w', otp, '-t', '120000',
             'session'], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        self.out = follow(self.p.stdout)

    def send(self, line):
        self.p.stdin.write(line + '\n')
        self.p.stdin.flush()

    def close(self):
        try:
            self.send('quit')
        except BrokenPipeError:
            pass
        self.p.wait(timeout=TIMEOUT)


def login(port, otp=None, kind=None):
    """One `peer login`; its result line."""
    cmd = [E['PEER'], '-p', str(port), '-t', '4000']
    if otp:
        cmd += ['-w', otp]
    if kind:
        cmd += ['-k', kind]
    r = subprocess.run(cmd + ['login'], capture_output=True, text=True,
                       timeout=TIMEOUT)
    return r.stdout.strip()


def video_of(line):
    """(w, h, (r, g, b)) of a VIDEO line."""
    m = re.search(r' (\d+)x(\d+) key=\d rgb=(\d+),(\d+),(\d+)', line)
    return (int(m[1]), int(m[2]), (int(m[3]), int(m[4]), int(m[5])))


def is_colour(rgb, want):
    """rgb is near the pure colour want ('red', 'green', 'blue')."""
    i = ('red', 'green', 'blue').index(want)
    return all((v > 180) if k == i else (v < 70) for k, v in enumerate(rgb))


def picture(peer, since, w, h, colour, what):
    """Waits for a decoded picture of w x h in colour."""
    def pred(line):
        if not line.startswith('VIDEO '):
            return False
        vw, vh, rgb = video_of(line)
        return vw == w and vh == h and is_colour(rgb, colour)
    return peer.out.wait(pred, what, since)


def pointer(display, auth=None):
    """(x, y) of the pointer on display."""
    env = dict(E, DISPLAY=display)
    if auth:
        env['XAUTHORITY'] = auth
    out = subprocess.run(['xdotool', 'getmouselocation'], env=env,
                         capture_output=True, text=True).stdout
    m = re.search(r'x:(\d+) y:(\d+)', out)
    return (int(m[1]), int(m[2])) if m else None


def wait_pointer(display, want, auth=None):
    end = time.monotonic() + TIMEOUT
    while time.monotonic() < end:
        if pointer(display, auth) == want:
            return
        time.sleep(0.1)
    fail(f'pointer on {display} is {pointer(display, auth)}, want {want}')


def clipboard(display, auth=None):
    env = dict(E, DISPLAY=display)
    if auth:
        env['XAUTHORITY'] = auth
    return subprocess.run(['xclip', '-o', '-selection', 'clipboard'],
                          env=env, capture_output=True, text=True,
                          timeout=TIMEOUT).stdout


def wait_clipboard(display, want, auth=None):
    end = time.monotonic() + TIMEOUT
    while time.monotonic() < end:
        if clipboard(display, auth) == want:
            return
        time.sleep(0.2)
    fail(f'clipboard on {display}: {clipboard(display, auth)!r}')


bus = dbus.SystemBus()
end = time.monotonic() + TIMEOUT
while not bus.name_has_owner(LOGIN1):
    if time.monotonic() > end:
        fail('the logind mock did not start')
    time.sleep(0.05)
mock = dbus.Interface(bus.get_object(LOGIN1, '/org/freedesktop/login1'),
                      'org.freedesktop.DBus.Mock')


def add_session(sid, uid, name, display, stype='x11', sclass='user',
                leader=None):
    """A log-in: the template makes the new session seat0's active one."""
    mock.AddSession(sid, 'seat0', dbus.UInt32(uid), name, True)
    p = dbus.Interface(bus.get_object(
        LOGIN1, f'/org/freedesktop/login1/session/{sid}'), PROPS)
    p.Set(SESSION, 'Type', stype)
    p.Set(SESSION, 'Class', sclass)
    if leader is not None:
        p.Set(SESSION, 'Leader', dbus.UInt32(leader))
    p.Set(SESSION, 'Display', display)


def activate(sid):
    """A user switch (sid None: nobody, as after a log-out)."""
    seat = dbus.Interface(bus.get_object(LOGIN1, SEAT0), PROPS)
    path = f'/org/freedesktop/login1/session/{sid}' if sid else '/'
    seat.Set(SEAT, 'ActiveSession',
             dbus.Struct((sid or '', dbus.ObjectPath(path)),
                         signature='so'))


def cm_started(log, since, uid, what):
    """The pid of the CM the log says was started as uid."""
    line = log.wait(lambda l: re.search(
        rf'cm: started \S+ as uid {uid} \(pid (\d+)\)', l), what, since)
    pid = int(re.search(r'\(pid (\d+)\)', line)[1])
    CMS.append(pid)
    return pid


def proc_uid(pid):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('Uid:'):
                return int(line.split()[1])
    return None


def gone(pid):
    end = time.monotonic() + TIMEOUT
    while time.monotonic() < end:
        try:
            with open(f'/proc/{pid}/stat') as f:
                if f.read().split(') ')[1].startswith('Z'):
                    return
        except FileNotFoundError:
            return
        time.sleep(0.1)
    fail(f'pid {pid} still runs')


def current_otp(d, old=None):
    """The server's one-time password, asked over the IPC (it prints it
    only to a terminal); with old, the next one (the server draws a new
    one when a session ends)."""
    end = time.monotonic() + TIMEOUT
    otp = None
    while time.monotonic() < end:
        r = subprocess.run([E['CDESK'], '--config', d, '--get-temp-password'],
                           capture_output=True, text=True)
        otp = r.stdout.strip() if r.returncode == 0 else None
        if otp and otp != old:
            return otp
        time.sleep(0.05)
    fail(f'no one-time password after {old}: last answer {otp!r}')


# --- the server, as root, with no display of its own ---------------------
d = E['DIR']
port = int(open(os.path.join(d, 'port')).read())
env = dict(E, CDESK_DESK_GRACE_S=str(GRACE))
env.pop('DISPLAY', None)
env.pop('XAUTHORITY', None)
srv = subprocess.Popen([E['CDESK'], '--config', d, '-v', '--server'],
                       stdout=open(os.path.join(d, 'out'), 'w'),
                       stderr=subprocess.PIPE, env=env, text=True)
log = follow(srv.stderr)
SERVER_LOG = log.lines
SERVER.append(srv)
try:
    log.wait(lambda l: 'displays none' in l,
             'the server starts with no display')
    otp = current_otp(d)
    uid_a, uid_b, uid_c = E['UID_A'], E['UID_B'], E['UID_C']
    da, db, dg, auth_b = E['DA'], E['DB'], E['DG'], E['AUTH_B']

    # Nobody: remote control is refused with a clear text.
    r = login(port, otp)
    if r != ('ERROR The host has no desktop session to share: nobody is '
             'logged in on its screen'):
        fail(f'login with nobody: {r}')

    # A logs in: the peer sees A's red 640x480 screen; its mouse and
    # clipboard reach A's display.
    m = log.mark()
    add_session('c1', uid_a, E['UA'], da, leader=E['LEADER_A'])
    log.wait(lambda l: f'desk: sharing {da}' in l, "A's display", m)
    peer = Peer(port, otp)
    peer.out.wait(lambda l: l.startswith('PEERINFO') and
                  'display0=640x480' in l and f'username={E["UA"]} ' in l,
                  "PeerInfo of A's display")
    picture(peer, 0, 640, 480, 'red', "A's red screen")
    peer.send('mouse 0 600 400')
    wait_pointer(da, (600, 400))
    peer.send('clip to-a')
    wait_clipboard(da, 'to-a')

    # A click-login: the CM starts as A.
    m = log.mark()
    r = login(port)
    cm_a = cm_started(log, m, uid_a, 'the CM as A')
    if proc_uid(cm_a) != int(uid_a):
        fail(f'CM pid {cm_a} runs as uid {proc_uid(cm_a)}')

    # A download from A's home runs (slowly) as the user switches: it
    # ends with a clear error, A's file helper stopped.
    src = os.path.join(pwd.getpwnam(E['UA']).pw_dir, 'follow.bin')
    with open(src, 'wb') as f:
        f.write(os.urandom(32 << 20))
    os.chown(src, int(uid_a), -1)
    fx = subprocess.Popen(
        [E['PEER'], '-p', str(port), '-w', otp, '-t', '60000', 'files',
         'get', src, os.path.join(d, 'follow.bin'), 'rate=4000000'],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    fxo = follow(fx.stdout)
    fxo.wait(lambda l: l.startswith('LIST 1 '), "A's download starts")

    # B logs in (a user switch): the peer stays, sees B's blue 800x600
    # screen (B's X server wants B's cookie); input and clipboard follow;
    # A's CM is stopped; the next click-login starts one as B.
    m = log.mark()
    pm = peer.out.mark()
    t0 = time.monotonic()
    add_session('c2', uid_b, E['UB'], db, leader=E['LEADER_B'])
    log.wait(lambda l: f'desk: sharing {db}' in l, "B's display", m)
    log.wait(lambda l: f'stopping the CM of uid {uid_a} (pid {cm_a})' in l,
             "A's CM told to go", m)
    gone(cm_a)
    peer.out.wait(lambda l: l.startswith('PEERINFO') and
                  'display0=800x600' in l and f'username={E["UB"]} ' in l,
                  "a new PeerInfo for B's display", pm)
    peer.out.wait(lambda l: l == 'SWITCH 0 800x600+0+0',
                  "SwitchDisplay to B's size", pm)
    picture(peer, pm, 800, 600, 'blue', "B's blue screen")
    print(f'user switch: the peer decoded B\'s screen '
          f'{time.monotonic() - t0:.2f} s after logind switched')
    fxo.wait(lambda l: l == 'ERROR 0 connection manager error: the '
             'desktop session changed', "A's download ended by the switch")
    fx.wait(timeout=TIMEOUT)
    otp = current_otp(d, otp)	# a new one after every session
    peer.send('mouse 0 700 550')
    wait_pointer(db, (700, 550), auth_b)
    peer.send('clip to-b')
    wait_clipboard(db, 'to-b', auth_b)
    m = log.mark()
    r = login(port)
    cm_b = cm_started(log, m, uid_b, 'the CM as B')
    if proc_uid(cm_b) != int(uid_b):
        fail(f'CM pid {cm_b} runs as uid {proc_uid(cm_b)}')

    # B logs out to the login screen (C's greeter on root's X server):
    # remote control goes on there; file transfer and terminal are
    # refused with their own texts.
    m = log.mark()
    pm = peer.out.mark()
    add_session('c4', uid_c, E['UC'], dg, sclass='greeter')
    log.wait(lambda l: f'desk: sharing {dg}' in l, "the greeter's display",
             m)
    peer.out.wait(lambda l: l.startswith('PEERINFO') and
                  'display0=1024x768' in l, "PeerInfo of the greeter", pm)
    picture(peer, pm, 1024, 768, 'green', "the greeter's green screen")
    peer.send('mouse 0 1000 700')
    wait_pointer(dg, (1000, 700))
    r = login(port, otp, 'file')
    if r != 'ERROR File transfer is not available on the login screen':
        fail(f'file transfer on the login screen: {r}')
    r = login(port, otp, 'terminal')
    if r != 'ERROR Terminal is not available on the login screen':
        fail(f'terminal on the login screen: {r}')
    r = login(port, otp)
    if not r.startswith('PEERINFO') or 'display0=1024x768' not in r:
        fail(f'remote control on the login screen: {r}')
    otp = current_otp(d, otp)

    # A Wayland session: said plainly to a new peer; the connected one
    # waits the grace time, then hears why and is closed.
    m = log.mark()
    pm = peer.out.mark()
    add_session('c5', uid_a, E['UA'], '', stype='wayland')
    log.wait(lambda l: 'desk: sharing nothing' in l, 'no desk on Wayland', m)
    log.wait(lambda l: 'Wayland session' in l, 'Wayland said in the log', m)
    r = login(port, otp)
    if r != 'ERROR Unsupported display server type wayland, x11 expected':
        fail(f'login on Wayland: {r}')
    peer.out.wait(lambda l: l == 'CLOSED Unsupported display server type '
                  'wayland, x11 expected', 'the peer closed after the grace',
                  pm, GRACE + TIMEOUT)
    peer.p.wait(timeout=TIMEOUT)
    otp = current_otp(d, otp)

    # Back to B within the grace: a peer left without a desk stays.
    activate('c2')
    log.wait(lambda l: f'desk: sharing {db}' in l, 'back to B', m)
    peer = Peer(port, otp)
    picture(peer, 0, 800, 600, 'blue', "B's screen again")
    pm = peer.out.mark()
    m = log.mark()
    activate(None)
    log.wait(lambda l: 'desk: sharing nothing' in l, 'nobody', m)
    time.sleep(1)
    activate('c2')
    log.wait(lambda l: f'desk: sharing {db}' in l, 'B again', m)
    time.sleep(GRACE + 1)
    if any(l.startswith('CLOSED') for l in peer.out.lines[pm:]):
        fail('a peer was closed within the grace')
    picture(peer, pm, 800, 600, 'blue', "B's screen after nobody")
    peer.close()
finally:
    srv.terminate()
    try:
        rc = srv.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        srv.kill()
        rc = -9
    with open(os.path.join(d, 'log'), 'w') as f:
        f.write('\n'.join(log.lines) + '\n')
    # The CM outlives a server stopped by hand (systemd ends it with the
    # unit): end ours, so their users can be removed.
    for pid in CMS:
        try:
            os.kill(pid, 15)
        except ProcessLookupError:
            pass
if rc != 0:
    fail(f'server exited with {rc}')
print('ok')
