#!/usr/bin/python3
"""Run as the desk's user W on W's session bus (session_wayland.sh): the
CM (pid $CM_PID) shows the desk notice in its window, and the main window
(pid $UI_PID) in its status line, saying that remote control of a Wayland
session is refused and how to allow it."""
import os
import sys
import time

import gi
gi.require_version("Atspi", "2.0")
from gi.repository import Atspi  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cm_atspi import fail, find, wait_text  # noqa: E402



def app(pid, what):
    """The application of process pid on the accessibility bus."""
    end = time.time() + 20
    while time.time() < end:
        desk = Atspi.get_desktop(0)
        for i in range(desk.get_child_count()):
            a = desk.get_child_at_index(i)
            try:
                if a is not None and a.get_process_id() == pid:
                    return a
            except Exception:
                continue
        time.sleep(0.2)
    fail("the %s is not on W's accessibility bus" % what)


cm = app(int(os.environ["CM_PID"]), "CM")
label = find(cm, "Desk notice", "label", timeout=15)
wait_text(label, "This desktop is a Wayland session")
wait_text(label, "GNOME on Xorg")
if not label.get_state_set().contains(Atspi.StateType.SHOWING):
    fail("the desk notice is not showing")
print("CM: " + label.get_text(0, label.get_character_count()))
ui = app(int(os.environ["UI_PID"]), "main window")
status = find(ui, "Service status", "label", timeout=15)
wait_text(status, "This desktop is a Wayland session")
wait_text(status, "GNOME on Xorg")
print("main window: " + status.get_text(0, status.get_character_count()))
