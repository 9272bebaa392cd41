#!/usr/bin/python3
"""Drive python3-dbusmock's logind template and check that the session
source (tests/bin/session_watch) and the real server follow it.

Run by session_logind.sh, which starts the private system bus, the mock,
the users (UA, UB, UC), their X servers (DA, DB; DR is root's) and A's
session leader (LEADER_A), and exports them."""
import os
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
MANAGER = 'org.freedesktop.login1.Manager'
SEAT0 = '/org/freedesktop/login1/seat/seat0'
TIMEOUT = 10


def follow(stream):
    """The lines of stream (lines.py), failing with fail()."""
    return lines.Lines(stream, fail, TIMEOUT, 0)


def fail(msg):
    print(f'FAIL: {msg}')
    sys.exit(1)


def fields(line):
    """A SESSION line's key=value pairs."""
    return dict(w.split('=', 1) for w in line.split()[1:] if '=' in w)


def session_is(**want):
    """A predicate: a SESSION line with these fields."""
    def pred(line):
        if not line.startswith('SESSION '):
            return False
        f = fields(line)
        return all(f.get(k) == str(v) for k, v in want.items())
    return pred


bus = dbus.SystemBus()
end = time.monotonic() + TIMEOUT
while not bus.name_has_owner(LOGIN1):
    if time.monotonic() > end:
        fail('the logind mock did not start')
    time.sleep(0.05)
login1 = bus.get_object(LOGIN1, '/org/freedesktop/login1')
mock = dbus.Interface(login1, 'org.freedesktop.DBus.Mock')


def session_props(sid):
    return dbus.Interface(
        bus.get_object(LOGIN1, f'/org/freedesktop/login1/session/{sid}'),
        PROPS)


def add_session(sid, uid, name, display, stype='x11', sclass='user',
                leader=None):
    """A log-in: the template makes the new session seat0's active one."""
    mock.AddSession(sid, 'seat0', dbus.UInt32(uid), name, True)
    p = session_props(sid)
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


uid_a, uid_b, uid_c = E['UID_A'], E['UID_B'], E['UID_C']
da, db, dr = E['DA'], E['DB'], E['DR']

# --- the session source --------------------------------------------------
watch = subprocess.Popen([E['WATCH'], '-v'], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
out = follow(watch.stdout)
err = follow(watch.stderr)

# No seat0 yet: nobody, found by logind.
out.wait(session_is(uid=-1, how='logind'), 'nobody at start')
err.wait(lambda l: 'following logind' in l, 'the logind backend')

# A logs in on DA: A's session, its environment from its leader.
m = out.mark()
add_session('c1', uid_a, E['UA'], da, leader=E['LEADER_A'])
out.wait(session_is(uid=uid_a, id='c1', display=da, type='x11',
                    **{'class': 'user'}, xpid=E['XPID_A'],
                    xauthority=E['HOME_A'] + '/session.auth',
                    dbus='unix:path=/tmp/cdesk-a-bus', seat='seat0',
                    leader=E['LEADER_A']), "A's session", m)

# B logs in (the seat switches to B), then a switch back to A.
m = out.mark()
add_session('c2', uid_b, E['UB'], db)
out.wait(session_is(uid=uid_b, id='c2', display=db, xpid=E['XPID_B']),
         "B's session", m)
m = out.mark()
activate('c1')
out.wait(session_is(uid=uid_a, id='c1', display=da), 'switch back to A', m)

# A session of A whose display B serves: a squatter, refused once.
m = out.mark()
add_session('c3', uid_a, E['UA'], db)
out.wait(session_is(uid=-1, id='c3', display=db, xpid=E['XPID_B']),
         'the squatted session is nobody', m)
err.wait(lambda l: 'squatter' in l and f'uid {E["UID_B"]}' in l,
         'the squatter logged')
session_props('c3').Set(SESSION, 'State', 'active')
time.sleep(1)
n = sum('squatter' in l for l in err.lines)
if n != 1:
    fail(f'the squatter was logged {n} times')

# A greeter (user C) on root's display: reported as a greeter.
m = out.mark()
add_session('c4', uid_c, E['UC'], dr, sclass='greeter')
out.wait(session_is(uid=uid_c, id='c4', display=dr, **{'class': 'greeter'}),
         'the greeter', m)

# A Wayland session: reported as Wayland.
m = out.mark()
add_session('c5', uid_a, E['UA'], '', stype='wayland')
out.wait(session_is(uid=uid_a, id='c5', type='wayland', display='-'),
         'the Wayland session', m)

# Log-out: nobody.
m = out.mark()
activate(None)
mock.EmitSignal(MANAGER, 'SessionRemoved', 'so',
                ['c5', dbus.ObjectPath('/org/freedesktop/login1/session/c5')])
out.wait(session_is(uid=-1, id='-'), 'nobody after the log-out', m)
watch.stdin.close()
if watch.wait(timeout=TIMEOUT) != 0:
    fail(f'session_watch exited with {watch.returncode}')

# --- the real server, as root ------------------------------------------------
d = E['DIR']
env = dict(E, DISPLAY=dr)
srv_out = open(os.path.join(d, 'out'), 'w')
srv_log = open(os.path.join(d, 'log'), 'w')
srv = subprocess.Popen([E['CDESK'], '--config', d, '-v', '--server'],
                       stdout=srv_out, stderr=subprocess.PIPE, env=env,
                       text=True)
log = follow(srv.stderr)
log.wait(lambda l: 'session: nobody' in l and '(logind)' in l,
         'the server starts with nobody')
m = log.mark()
activate('c1')
log.wait(lambda l: f'session changed: uid {uid_a} ({E["UA"]}): x11 user '
         f'session c1 at seat0, display {da} served by pid {E["XPID_A"]}'
         in l, 'the server follows the switch to A', m)
m = log.mark()
activate('c2')
log.wait(lambda l: f'session changed: uid {uid_b} ({E["UB"]})' in l,
         'the server follows the switch to B', m)
m = log.mark()
activate('c3')
log.wait(lambda l: 'squatter' in l, 'the server refuses the squatter', m)
log.wait(lambda l: 'session changed: nobody' in l,
         'the server shares nobody', m)
log.wait(lambda l: 'no desktop session to share' in l,
         'the server says what nobody means', m)
# logind goes away (nobody), then the system bus itself.
m = log.mark()
activate('c1')
log.wait(lambda l: f'session changed: uid {uid_a} ' in l, 'back to A', m)
m = log.mark()
os.kill(int(E['MOCK_PID']), 15)
log.wait(lambda l: 'session changed: nobody (logind)' in l,
         'the server shares nobody without logind', m)
os.kill(int(E['BUS_PID']), 15)
log.wait(lambda l: 'system bus connection was lost' in l,
         'the server notices the lost bus', m)
time.sleep(0.5)
if srv.poll() is not None:
    fail(f'server died with {srv.returncode} after the bus went away')
srv.terminate()
rc = srv.wait(timeout=TIMEOUT)
srv_log.write('\n'.join(log.lines) + '\n')
if rc != 0:
    fail(f'server exited with {rc}')
print('ok')
