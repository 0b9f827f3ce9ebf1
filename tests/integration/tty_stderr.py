#!/usr/bin/env python3
"""tty_stderr.py - runs a command with its stderr on a pseudo-terminal, for tests of what a user sees.

  tty_stderr.py OUT PIDFILE CMD...

The dtask CLI draws its progress line only when stderr is a terminal. This gives the command a pty
as stderr (stdin and stdout are /dev/null), copies everything written to it into OUT as it comes,
writes the command's PID into PIDFILE (so a test can signal it), and exits with the command's exit
code (128 + N when signal N ended it). SIGINT is reset to its default in the command, as in an
interactive shell. The command is killed after 300 s: a test must never hang on it.
"""

import os
import pty
import select
import signal
import subprocess
import sys
import time

LIMIT_S = 300


def main():
    out_path, pid_path, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
    master_fd, slave_fd = pty.openpty()
    child = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=slave_fd,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    os.close(slave_fd)
    with open(pid_path + ".tmp", "w") as f:
        f.write("%d\n" % child.pid)
    os.replace(pid_path + ".tmp", pid_path)
    deadline = time.monotonic() + LIMIT_S
    with open(out_path, "ab", buffering=0) as out:
        while True:
            ready, _, _ = select.select([master_fd], [], [], 0.1)
            if ready:
                try:
                    data = os.read(master_fd, 65536)
                except OSError:  # EIO: every writer of the pty has gone
                    data = b""
                if not data:
                    break
                out.write(data)
            elif child.poll() is not None:
                break
            if time.monotonic() > deadline:
                child.kill()
                break
    rc = child.wait()
    sys.exit(128 - rc if rc < 0 else rc)


if __name__ == "__main__":
    main()
