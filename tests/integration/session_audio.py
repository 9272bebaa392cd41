#!/usr/bin/python3
"""Script log-ins and a user switch on python3-dbusmock's logind and check
that the sound reaching a peer is the session user's (its loudest tone),
recorded by the real server run as root.

Run by session_audio.sh, which starts the private system bus, the mock,
the users (UA, UB, UC), their X servers (DA, DB, DC), their PulseAudio
servers with tones (A 500 Hz, B 1200 Hz; the server's own plays 800 Hz),
their session leaders (C's names B's runtime folder), and exports them."""
import os
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
SESSION = 'org.freedesktop.login1.Session'
TIMEOUT = 20
SERVER_LOG = []


def fail(msg):
    """Say what went wrong, with the end of the server's log."""
    print(f'FAIL: {msg}')
    for line in SERVER_LOG[-30:]:
        if ' debug: ' not in line:
            print(f'  server: {line}')
    sys.exit(1)


def follow(stream):
    """The lines of stream (lines.py), failing with fail()."""
    return lines.Lines(stream, fail, TIMEOUT, 20)


def tone(peer, since, hz, what):
    """Waits for TONE lines of hz (within 20 Hz) and loud, three in a row:
    the sound of one server, not a passing mix."""
    run = [0]

    def pred(line):
        m = re.match(r'TONE (\d+) (\d+)$', line)
        if not m:
            return False
        ok = abs(int(m[1]) - hz) <= 20 and int(m[2]) > 50
        run[0] = run[0] + 1 if ok else 0
        return run[0] >= 3
    return peer.wait(pred, what, since)


def current_otp(d):
    """The server's one-time password, asked over the IPC."""
    end = time.monotonic() + TIMEOUT
    while time.monotonic() < end:
        r = subprocess.run([E['CDESK'], '--config', d, '--get-temp-password'],
                           capture_output=True, text=True)
        if r.returncode == 0 and r.stdout.strip():
            return r.stdout.strip()
        time.sleep(0.05)
    fail('no one-time password')


bus = dbus.SystemBus()
end = time.monotonic() + TIMEOUT
while not bus.name_has_owner(LOGIN1):
    if time.monotonic() > end:
        fail('the logind mock did not start')
    time.sleep(0.05)
mock = dbus.Interface(bus.get_object(LOGIN1, '/org/freedesktop/login1'),
                      'org.freedesktop.DBus.Mock')


def add_session(sid, uid, name, display, leader):
    """A log-in: the template makes the new session seat0's active one."""
    mock.AddSession(sid, 'seat0', dbus.UInt32(uid), name, True)
    p = dbus.Interface(bus.get_object(
        LOGIN1, f'/org/freedesktop/login1/session/{sid}'), PROPS)
    p.Set(SESSION, 'Type', 'x11')
    p.Set(SESSION, 'Class', 'user')
    p.Set(SESSION, 'Leader', dbus.UInt32(leader))
    p.Set(SESSION, 'Display', display)


d = E['DIR']
port = int(open(os.path.join(d, 'port')).read())
env = dict(E)
env.pop('DISPLAY', None)
env.pop('XAUTHORITY', None)
srv = subprocess.Popen([E['CDESK'], '--config', d, '-v', '--server'],
                       stdout=open(os.path.join(d, 'out'), 'w'),
                       stderr=subprocess.PIPE, env=env, text=True)
log = follow(srv.stderr)
SERVER_LOG = log.lines
peer = None
try:
    log.wait(lambda l: 'displays none' in l, 'the server starts')
    otp = current_otp(d)

    # A logs in: A's 500 Hz reaches the peer, not the server's own 800.
    m = log.mark()
    add_session('c1', E['UID_A'], E['UA'], E['DA'], E['LEADER_A'])
    log.wait(lambda l: f'desk: sharing {E["DA"]}' in l, "A's display", m)
    log.wait(lambda l: f'audio: recording from unix:{E["RUN_A"]}/pulse/'
             f'native, run by {E["UA"]}' in l, "A's sound server", m)
    t0 = time.monotonic()
    peer = subprocess.Popen(
        [E['PEER'], '-p', str(port), '-w', otp, '-t', '120000', 'session'],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    out = follow(peer.stdout)
    out.wait(lambda l: l == 'AUDIOFORMAT 48000 2', 'AudioFormat')
    tone(out, 0, 500, "A's 500 Hz tone")
    print(f"A's tone at the peer {time.monotonic() - t0:.2f} s after the "
          f"login")

    # B logs in (a user switch): B's 1200 Hz, the peer still connected.
    m = log.mark()
    pm = out.mark()
    t0 = time.monotonic()
    add_session('c2', E['UID_B'], E['UB'], E['DB'], E['LEADER_B'])
    log.wait(lambda l: f'audio: recording from unix:{E["RUN_B"]}/pulse/'
             f'native, run by {E["UB"]}' in l, "B's sound server", m)
    tone(out, pm, 1200, "B's 1200 Hz tone after the switch")
    print(f"B's tone at the peer {time.monotonic() - t0:.2f} s after "
          f"logind switched")

    # C's session names B's sound server, with B's cookie: the server
    # says it runs as B, so nothing is recorded there.
    m = log.mark()
    add_session('c3', E['UID_C'], E['UC'], E['DC'], E['LEADER_C'])
    log.wait(lambda l: f'runs as {E["UB"]}, not {E["UC"]}: not recorded'
             in l, "B's server refused for C", m)
    pm = out.mark()
    time.sleep(1.5)
    # One report may still cover frames that were on their way.
    late = [l for l in out.lines[pm:] if l.startswith('TONE 1')]
    if len(late) > 1:
        fail(f"B's sound reached the peer in C's session: {late}")
    if any(l.startswith('CLOSED') or l == 'EOF' for l in out.lines):
        fail('the peer was closed')
finally:
    if peer is not None:
        try:
            peer.stdin.write('quit\n')
            peer.stdin.flush()
            peer.wait(timeout=TIMEOUT)
        except (BrokenPipeError, subprocess.TimeoutExpired):
            peer.kill()
    srv.terminate()
    try:
        rc = srv.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        srv.kill()
        rc = -9
    with open(os.path.join(d, 'log'), 'w') as f:
        f.write('\n'.join(log.lines) + '\n')
if rc != 0:
    fail(f'the server exited with {rc}')
print('ok')
