"""uvicorn's HTTP protocol with TCP_NODELAY on every connection, for ``--workers N``.

With several workers uvicorn binds the listening socket itself, with protocol number 0,
and asyncio only turns Nagle's algorithm off for sockets that say IPPROTO_TCP. Responses
go out as two writes (head, then body), so the body waited for the client's delayed ACK:
+40 ms on every request over a kept-alive connection (measured: /healthz 1 ms with one
worker, 44 ms with two; uvicorn issue Kludex/uvicorn#3149, still open). Use it with
``uvicorn web.app:create_app --factory --workers 2 --http web.nodelay:HTTP``.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.auto import AutoHTTPProtocol


class HTTP(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)  # type: ignore[arg-type]
