"""lines.py: the output of a process the session tests watch, a line at a
time, gathered by a thread, waited for with a predicate (imported by
session_audio.py, session_follow.py and session_logind.py)."""
import threading
import time


class Lines:
    """The lines a process writes to a file-like, gathered by a thread.
    fail(msg) is called (and must not return) when a wait times out;
    timeout is the default wait, tail the lines shown then (0: all)."""

    def __init__(self, stream, fail, timeout, tail=0):
        self.lines = []
        self.cond = threading.Condition()
        self.fail = fail
        self.timeout = timeout
        self.tail = tail
        threading.Thread(target=self._read, args=(stream,),
                         daemon=True).start()

    def _read(self, stream):
        for line in stream:
            with self.cond:
                self.lines.append(line.rstrip('\n'))
                self.cond.notify_all()

    def mark(self):
        with self.cond:
            return len(self.lines)

    def wait(self, pred, what, since=0, timeout=None):
        """The first line from index since on that pred accepts."""
        timeout = self.timeout if timeout is None else timeout
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines[since:]:
                    if pred(line):
                        return line
                left = end - time.monotonic()
                if left <= 0:
                    shown = self.lines[since:]
                    if self.tail:
                        shown = shown[-self.tail:]
                    self.fail(f'{what}: not seen in {timeout} s; lines:\n  '
                              + '\n  '.join(shown))
                self.cond.wait(left)
