"""A TCP proxy on 127.0.0.1 that a test can cut and restore, to make a service unreachable
without stopping it for everyone else."""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import time


class TcpProxy:
    """Forwards 127.0.0.1:<port> to ``target``.

    ``cut()`` drops every open connection and refuses new ones (the service is "down");
    ``blackhole()`` also drops open connections but then accepts new ones and never answers,
    like a host that vanished from the network; ``restore()`` forwards again. With
    ``upload_rate`` (bytes a second), what clients send is forwarded no faster: a slow link.
    """

    def __init__(self, target: tuple[str, int], *, upload_rate: int | None = None) -> None:
        self.target = target
        self._upload_rate = upload_rate
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._mode = "forward"
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._closed = False
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                mode = self._mode
                self._sockets.add(client)
            if mode == "cut":
                self._drop(client)
            elif mode == "forward":
                threading.Thread(target=self._pipe, args=(client,), daemon=True).start()
            # blackhole: keep the socket open and never read from it

    def _pipe(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            self._drop(client)
            return
        with self._lock:
            self._sockets.add(upstream)
        selector = selectors.DefaultSelector()
        selector.register(client, selectors.EVENT_READ, upstream)
        selector.register(upstream, selectors.EVENT_READ, client)
        try:
            while True:
                for key, _ in selector.select(timeout=1):
                    upload = key.fileobj is client and self._upload_rate is not None
                    data = key.fileobj.recv(4096 if upload else 65536)
                    if not data:
                        return
                    key.data.sendall(data)
                    if upload:
                        time.sleep(len(data) / self._upload_rate)
        except OSError:
            return
        finally:
            selector.close()
            self._drop(client)
            self._drop(upstream)

    def _drop(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def _drop_all(self) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            self._drop(sock)

    def cut(self) -> None:
        with self._lock:
            self._mode = "cut"
        self._drop_all()

    def blackhole(self) -> None:
        with self._lock:
            self._mode = "blackhole"
        self._drop_all()

    def restore(self) -> None:
        with self._lock:
            self._mode = "forward"
        self._drop_all()  # blackholed connections never carried anything

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        self._drop_all()
