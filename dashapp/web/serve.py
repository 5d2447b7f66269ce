"""The web server of ``feedbackwall run``: waitress with limits, so no one client starves the rest.

gunicorn (docs/deploy.md) is the multi-worker alternative; this is the one-process
default, and what it bound to decides whether the local demo may sign in.
"""

from __future__ import annotations

import errno
import logging
import resource
import socket

from flask import Flask
from waitress.adjustments import Adjustments
from waitress.server import BaseWSGIServer, MultiSocketServer, TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher

from dashapp.web.api import MAX_BODY_BYTES

log = logging.getLogger(__name__)

#: Request threads of `feedbackwall run`; each wall screen's poll holds one briefly.
WEB_THREADS = 16
#: Open connections the server keeps in all (waitress's default of 100 let one client
#: holding 100 idle or half-sent connections shut everyone else out), and per client
#: address, so that no one address can take them all. A browser opens at most 6.
CONNECTION_LIMIT = 1000
PER_CLIENT_CONNECTIONS = 100
#: The server's settings: an idle connection (a kept-alive one, or one whose request
#: stopped arriving) is closed after CHANNEL_TIMEOUT seconds (a polling screen is never
#: idle that long), looked for every few seconds; a body over the API's limit is refused
#: from its Content-Length before it is read (waitress refuses at >=, Flask at >).
SERVER_OPTIONS: dict[str, object] = {
    "threads": WEB_THREADS,
    "connection_limit": CONNECTION_LIMIT,
    "channel_timeout": 30,
    "cleanup_interval": 5,
    "max_request_body_size": MAX_BODY_BYTES + 1,
    "max_request_header_size": 64 * 1024,
    # select() cannot watch descriptors above 1023: poll() can, for the connection limit.
    "asyncore_use_poll": True,
    "ident": "feedbackwall",
    # Keep proxy headers (waitress drops them by default): the app decides what to
    # trust (FEEDBACKWALL_PROXY_HOPS), and the demo sign-in must see that a proxy is there.
    "clear_untrusted_proxy_headers": False,
}


class _FairServer(TcpWSGIServer):
    """Waitress's server, refusing a client's connections beyond PER_CLIENT_CONNECTIONS."""

    def accept(self) -> tuple[socket.socket, object] | None:
        """The next connection, or None when there is none to serve (closed at once)."""
        try:
            pair: tuple[socket.socket, object] | None = super().accept()
        except OSError as exc:
            if exc.errno not in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                raise
            # Out of descriptors: waitress would close its listening socket for good;
            # leave the connection in the backlog until some are free again.
            log.warning("cannot accept a connection: %s", exc.strerror)
            return None
        if pair is None:
            return None
        conn, addr = pair
        peer = addr[0] if isinstance(addr, tuple) else addr
        held = sum(1 for ch in self.active_channels.values() if _peer(ch) == peer)
        if held >= PER_CLIENT_CONNECTIONS:
            conn.close()
            return None
        return pair


def _peer(channel: object) -> object:
    addr = getattr(channel, "addr", None)
    return addr[0] if isinstance(addr, tuple) else addr


def make_server(app: Flask, host: str, port: int) -> TcpWSGIServer | MultiSocketServer:
    """A waitress server for *app* bound to *host*:*port* with SERVER_OPTIONS; call ``run()``."""
    _raise_open_files(CONNECTION_LIMIT + 1000)
    adj = Adjustments(host=host, port=port, **SERVER_OPTIONS)
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    socket_map: dict[int, object] = {}
    # As waitress.create_server does, with the fairer server class: one per address
    # *host* resolves to (``localhost`` is two), sharing one socket map and threads.
    servers = [
        _FairServer(app, socket_map, dispatcher=dispatcher, adj=adj, sockinfo=info)
        for info in adj.listen
    ]
    if len(servers) == 1:
        server: TcpWSGIServer | MultiSocketServer = servers[0]
    else:
        listening = [(s.effective_host, s.effective_port) for s in servers]
        server = MultiSocketServer(socket_map, adj, listening, dispatcher, servers[-1].log_info)
    return server


def _raise_open_files(wanted: int) -> None:
    """Allow this process *wanted* open files if the hard limit permits (often 1024 soft)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def bound_addresses(web: TcpWSGIServer | MultiSocketServer) -> list[str]:
    """The IP addresses a waitress server's listening sockets are bound to, numeric, as the
    sockets themselves say (one server, or several for a name like "localhost")."""
    servers = [web] if isinstance(web, BaseWSGIServer) else list(web.map.values())
    # waitress's own effective_host may be a reverse-DNS name; the socket's is the address.
    return [str(s.socket.getsockname()[0]) for s in servers if isinstance(s, BaseWSGIServer)]
