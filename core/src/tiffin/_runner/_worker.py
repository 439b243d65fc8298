"""The loop of one runner worker process: build the runnable, then answer calls one at a time.

A worker is forked by the fork server (:mod:`._forkserver`) from the service's process image,
so it starts with every module the server had imported (numpy, the framework, the service's own code): no re-import, and a
runnable class made on the fly (as framework adapters make them) needs no pickling. It talks
to the server over one end of a unix socket pair, with the frames of :mod:`._wire`, and exits
when the server's end closes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
from typing import Any

import orjson

from tiffin._runner import _wire

__all__ = ["worker_main"]


def _recv_exact(sock: socket.socket, n: int) -> bytearray:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = sock.recv_into(view[got:], n - got)
        if k == 0:
            raise EOFError
        got += k
    return buf


def recv_frame(sock: socket.socket) -> tuple[dict[str, Any], list[bytearray]]:
    head = _recv_exact(sock, 4)
    header = orjson.loads(_recv_exact(sock, _wire.header_length(bytes(head))))
    return header, [_recv_exact(sock, n) for n in header.get("lens", ())]


def send_frame(sock: socket.socket, header: dict[str, Any], buffers: list[Any] = ()) -> None:  # type: ignore[assignment]
    pieces = _wire.pack_frame(header, buffers)
    small = sum(memoryview(p).nbytes for p in pieces) <= 65536
    if small:
        sock.sendall(b"".join(bytes(p) if not isinstance(p, bytes) else p for p in pieces))
    else:
        for piece in pieces:
            sock.sendall(piece)


def worker_main(
    sock: socket.socket, runnable_class: type, init_params: dict[str, Any], method_names: list[str]
) -> None:
    """Runs in the forked child; never returns (the caller exits with ``os._exit``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with contextlib.suppress(ValueError):
        signal.set_wakeup_fd(-1)
    try:
        instance = runnable_class(**init_params)
        funcs = {name: getattr(instance, name) for name in method_names}
    except BaseException as exc:
        header, buffers = _wire.encode_error(exc)
        send_frame(sock, header, buffers)
        return
    send_frame(sock, {"kind": "ready", "pid": os.getpid()})
    while True:
        try:
            header, buffers = recv_frame(sock)
        except (EOFError, ConnectionError, OSError):
            return  # the server is gone
        try:
            values = _wire.decode_values(header["args"], buffers)
            n_pos = header["n_pos"]
            kwargs = dict(zip(header["keys"], values[n_pos:], strict=True))
            result = funcs[header["method"]](*values[:n_pos], **kwargs)
            metas, out = _wire.encode_values([result])
            reply, reply_buffers = {"kind": "result", "values": metas}, out
        except BaseException as exc:
            reply, reply_buffers = _wire.encode_error(exc)
        try:
            send_frame(sock, reply, reply_buffers)
        except (ConnectionError, OSError):
            return
