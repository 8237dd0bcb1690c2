"""Two "machines" on one box: Linux network namespaces joined to the host by veth pairs,
and TCP forwarders that bridge the host's loopback-only services (PostgreSQL, Redis) to
the host's end of each pair. Traffic never leaves the box."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import threading
from contextlib import suppress


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


class Namespace:
    """A namespace ``kb<hex>`` whose address ``address`` reaches the host at ``gateway``."""

    def __init__(self, subnet: int, index: int) -> None:
        self.name = f"kb{secrets.token_hex(4)}"
        self.gateway = f"10.{subnet}.{index}.1"
        self.address = f"10.{subnet}.{index}.2"
        self._host_end = f"{self.name}h"

    def create(self) -> None:
        """Raises CalledProcessError when namespaces are not permitted (no CAP_NET_ADMIN)."""
        ip("netns", "add", self.name)
        inside = f"{self.name}n"
        ip("link", "add", self._host_end, "type", "veth", "peer", "name", inside)
        ip("link", "set", inside, "netns", self.name)
        ip("addr", "add", f"{self.gateway}/30", "dev", self._host_end)
        ip("link", "set", self._host_end, "up")
        ip("netns", "exec", self.name, "ip", "addr", "add", f"{self.address}/30", "dev", inside)
        ip("netns", "exec", self.name, "ip", "link", "set", inside, "up")
        ip("netns", "exec", self.name, "ip", "link", "set", "lo", "up")

    def delete(self) -> None:
        with suppress(subprocess.CalledProcessError):
            ip("netns", "del", self.name)  # takes the veth pair with it
        with suppress(subprocess.CalledProcessError):
            ip("link", "del", self._host_end)

    @property
    def exec_prefix(self) -> list[str]:
        return ["ip", "netns", "exec", self.name]


class Forwarder:
    """Accepts on ``(host, port 0)`` and pipes each connection to ``target``: how a
    namespace reaches a service that listens on the host's 127.0.0.1 only."""

    def __init__(self, host: str, target: tuple[str, int]) -> None:
        self.host = host
        self.target = target
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Forwarder:
        self._thread.start()
        assert self._ready.wait(10), "forwarder did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._serve, self.host, 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with suppress(Exception):
            writer.close()
