#!/usr/bin/env python3
"""A TCP relay that adds a fixed one-way delay to each direction: WAN latency
for tests on kernels without the netem qdisc (CONFIG_NET_SCH_NETEM unset, as
on this project's CI machines). Bytes are forwarded unchanged and in order,
each piece released `delay` after it arrived, so TLS runs end to end through
it and a request/response pays 2 x delay.

Usage: delay_relay.py --listen HOST:PORT --to HOST:PORT --delay-ms 100
                      [--ready-file F] [--max-connections 64]
Writes {"port": N, "pid": P} to the ready file once listening (PORT 0 picks).
Bounded: at most --max-connections at once; each direction buffers at most
16 MiB (reading pauses beyond that).
"""
import argparse
import asyncio
import json
import os
import time

MAX_BUFFER = 16 << 20


async def pump(reader, writer, delay):
    queue = asyncio.Queue()
    buffered = 0
    done = asyncio.Event()

    async def release():
        nonlocal buffered
        while True:
            item = await queue.get()
            if item is None:
                break
            at, data = item
            wait = at + delay - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            buffered -= len(data)
            try:
                await writer.drain()
            except ConnectionError:
                break
        try:
            writer.close()
        except Exception:
            pass
        done.set()

    task = asyncio.create_task(release())
    try:
        while True:
            while buffered > MAX_BUFFER:
                await asyncio.sleep(0.01)
            data = await reader.read(65536)
            if not data:
                break
            buffered += len(data)
            queue.put_nowait((time.monotonic(), data))
    except ConnectionError:
        pass
    queue.put_nowait(None)
    await done.wait()
    await task


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--to", required=True)
    ap.add_argument("--delay-ms", type=int, required=True)
    ap.add_argument("--ready-file")
    ap.add_argument("--max-connections", type=int, default=64)
    a = ap.parse_args()
    lhost, lport = a.listen.rsplit(":", 1)
    thost, tport = a.to.rsplit(":", 1)
    delay = a.delay_ms / 1000.0
    slots = asyncio.Semaphore(a.max_connections)

    async def handle(client_reader, client_writer):
        async with slots:
            try:
                up_reader, up_writer = await asyncio.open_connection(thost, int(tport))
            except OSError:
                client_writer.close()
                return
            await asyncio.gather(pump(client_reader, up_writer, delay),
                                 pump(up_reader, client_writer, delay))

    server = await asyncio.start_server(handle, lhost, int(lport))
    port = server.sockets[0].getsockname()[1]
    if a.ready_file:
        tmp = a.ready_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"port": port, "pid": os.getpid()}, f)
        os.rename(tmp, a.ready_file)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
