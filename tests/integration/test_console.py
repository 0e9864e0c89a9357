"""process.terminal: the pty master goes to --console-socket (SCM_RIGHTS), or,
for `run` in the foreground without one, the runtime proxies it itself."""

import array
import os
import pty
import select
import socket
import time


def _read_until(fd, needle, timeout=10):
    buf = b""
    deadline = time.time() + timeout
    while needle not in buf and time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
    return buf


def test_console_socket_gets_the_pty_master(cinch, bundle, cid, tmp_path):
    b = bundle(["sh", "-c", "tty; test -t 0 && test -t 1 && echo both-ttys; read line; echo got-$line"],
               terminal=True)
    sock_path = str(tmp_path / "console.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock_path)
    srv.listen(1)
    try:
        cinch.run("create", "--bundle", b.path, "--console-socket", sock_path, cid)
        conn, _ = srv.accept()
        fds = array.array("i")
        msg, anc, _, _ = conn.recvmsg(1024, socket.CMSG_LEN(fds.itemsize))
        conn.close()
        level, kind, data = anc[0]
        assert (level, kind) == (socket.SOL_SOCKET, socket.SCM_RIGHTS)
        fds.frombytes(data[:fds.itemsize])
        master = fds[0]
        cinch.run("start", cid)
        out = _read_until(master, b"both-ttys")
        assert b"/dev/pts/" in out and b"both-ttys" in out, out
        os.write(master, b"ping\n")
        assert b"got-ping" in _read_until(master, b"got-ping")
        os.close(master)
    finally:
        srv.close()


def test_foreground_run_proxies_the_terminal(cinch, bundle, cid):
    b = bundle(["sh", "-c", "test -t 0 && echo tty-inside; read x; echo echo-$x; exit 7"], terminal=True)
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(cinch.bin, [cinch.bin, "--root", cinch.root, "run", "--bundle", str(b.path), cid])
    out = _read_until(fd, b"tty-inside")
    os.write(fd, b"pong\n")
    out += _read_until(fd, b"echo-pong")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert b"tty-inside" in out and b"echo-pong" in out, out
    assert os.waitstatus_to_exitcode(status) == 7


def test_terminal_without_console_socket_when_detached_is_refused(cinch, bundle, cid):
    b = bundle(["true"], terminal=True)
    p = cinch.run("run", "-d", "--bundle", b.path, cid, check=False)
    assert p.returncode != 0 and "console" in p.stderr.lower()
    assert cid not in cinch.ids()
    p = cinch.run("create", "--bundle", b.path, cid, check=False)
    assert p.returncode != 0 and "console" in p.stderr.lower()
