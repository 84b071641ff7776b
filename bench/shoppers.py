"""N shoppers on WebSockets, speaking Engine.IO v4 / Socket.IO v5 by hand (as wx.connectSocket
does), in one asyncio process (aiohttp on uvloop).

Wire format, namespace /shopper (see tests/raw_socketio.py):
    0{"sid",...} open   2 ping -> we answer 3   40/shopper,{"token"} connect   40/shopper,{"sid"} accepted
    44/shopper,{...} refused   42/shopper,["event",{...}] event   42/shopper,7["shake",{...}] -> 43/shopper,7[{...}]

Every incoming frame is timestamped with time.perf_counter() as it is read; fan-out is
that stamp minus the stamp taken just before the arrival request was sent.
"""
from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field

import aiohttp

NS = "/shopper"
CONNECT_TIMEOUT = 30.0


@dataclass
class Shopper:
    index: int
    token: str
    ws: aiohttp.ClientWebSocketResponse | None = None
    acks: dict = field(default_factory=dict)
    next_ack: int = 0
    heard: dict = field(default_factory=dict)  # (event, round_id or None) -> first perf_counter stamp
    closed: bool = False


class Crowd:
    """All the shoppers, their sockets and reader tasks, and the events they heard."""

    def __init__(self, base_url: str, tokens: list[str]):
        self.url = base_url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        self.shoppers = [Shopper(n, t) for n, t in enumerate(tokens)]
        self.session: aiohttp.ClientSession | None = None
        self.readers: list[asyncio.Task] = []
        self.pings = 0
        self.problems: Counter = Counter()  # connect failures, unexpected closes, parse errors
        self.waiters: dict = {}  # (event, round_id) -> (target count, asyncio.Event)
        self.counts: Counter = Counter()

    async def __aenter__(self):
        connector = aiohttp.TCPConnector(limit=0, force_close=True)
        self.session = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=None))
        return self

    async def __aexit__(self, *exc):
        await self.close()

    @property
    def connected(self) -> list[Shopper]:
        return [s for s in self.shoppers if s.ws is not None and not s.closed]

    async def connect(self, shoppers: list[Shopper], concurrency: int) -> list[float]:
        """Open the sockets (at most `concurrency` handshakes at a time); seconds each took."""
        gate = asyncio.Semaphore(concurrency)
        took: list[float] = []

        async def one(shopper: Shopper):
            async with gate:
                started = time.perf_counter()
                try:
                    await asyncio.wait_for(self.handshake(shopper), CONNECT_TIMEOUT)
                except Exception as error:  # counted, reported; the run goes on with the others
                    self.problems[f"connect: {type(error).__name__}: {str(error)[:80]}"] += 1
                    if shopper.ws is not None:
                        await shopper.ws.close()
                    shopper.ws = None
                    return
                took.append(time.perf_counter() - started)
                self.readers.append(asyncio.create_task(self.read(shopper)))

        await asyncio.gather(*(one(s) for s in shoppers))
        return took

    async def handshake(self, shopper: Shopper) -> None:
        shopper.ws = await self.session.ws_connect(self.url, autoping=True, compress=0, max_msg_size=0)
        opening = await shopper.ws.receive_str()
        if not opening.startswith("0"):
            raise RuntimeError(f"expected Engine.IO open, got {opening[:60]!r}")
        await shopper.ws.send_str(f"40{NS}," + json.dumps({"token": shopper.token}))
        while True:
            text = await shopper.ws.receive_str()
            if text == "2":
                self.pings += 1
                await shopper.ws.send_str("3")
            elif text.startswith(f"40{NS},"):
                return
            elif text.startswith(f"44{NS},"):
                raise RuntimeError(f"connect refused: {text[:120]}")

    async def read(self, shopper: Shopper) -> None:
        """The shopper's reader: answer pings, stamp events, resolve acks."""
        ws = shopper.ws
        try:
            async for message in ws:
                stamp = time.perf_counter()
                if message.type != aiohttp.WSMsgType.TEXT:
                    if message.type in (aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSE):
                        break
                    continue
                text = message.data
                if text == "2":
                    self.pings += 1
                    await ws.send_str("3")
                elif text.startswith(f"42{NS},"):
                    self.on_event(shopper, stamp, json.loads(text[len(NS) + 3:]))
                elif text.startswith(f"43{NS},"):
                    body = text[len(NS) + 3:]
                    bracket = body.index("[")
                    future = shopper.acks.pop(int(body[:bracket]), None)
                    if future is not None and not future.done():
                        future.set_result((stamp, json.loads(body[bracket:])[0]))
                elif text == "1":
                    break
        except Exception as error:
            self.problems[f"reader: {type(error).__name__}"] += 1
        finally:
            if not shopper.closed:
                shopper.closed = True
                self.problems["socket closed by the server"] += 1
            for future in shopper.acks.values():
                if not future.done():
                    future.set_exception(ConnectionError("socket closed"))

    def on_event(self, shopper: Shopper, stamp: float, packet) -> None:
        name, payload = packet[0], (packet[1] if len(packet) > 1 else None)
        key = (name, payload.get("round_id") if isinstance(payload, dict) else None)
        if key not in shopper.heard:
            shopper.heard[key] = stamp
            self.counts[key] += 1
            waiter = self.waiters.get(key)
            if waiter and self.counts[key] >= waiter[0]:
                waiter[1].set()

    async def until_heard(self, event: str, round_id: int, count: int, timeout: float) -> bool:
        """Wait until `count` shoppers heard `event` for this round (True), or timeout (False)."""
        key = (event, round_id)
        ready = asyncio.Event()
        self.waiters[key] = (count, ready)
        if self.counts[key] >= count:
            return True
        try:
            await asyncio.wait_for(ready.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False

    def heard_at(self, event: str, round_id: int) -> list[float]:
        return [s.heard[(event, round_id)] for s in self.shoppers if (event, round_id) in s.heard]

    async def call(self, shopper: Shopper, event: str, payload: dict, timeout: float):
        """Emit with an ack id; (send stamp, ack stamp, ack body)."""
        shopper.next_ack += 1
        ack_id = shopper.next_ack
        future = asyncio.get_running_loop().create_future()
        shopper.acks[ack_id] = future
        sent = time.perf_counter()
        await shopper.ws.send_str(f"42{NS},{ack_id}" + json.dumps([event, payload]))
        try:
            got, body = await asyncio.wait_for(future, timeout)
        finally:
            shopper.acks.pop(ack_id, None)
        return sent, got, body

    async def close(self) -> None:
        for shopper in self.shoppers:
            if shopper.ws is not None and not shopper.closed:
                shopper.closed = True
                try:
                    await asyncio.wait_for(shopper.ws.close(), 2)
                except Exception:
                    pass
        for task in self.readers:
            task.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)
        if self.session is not None:
            await self.session.close()


async def shake_all(crowd: Crowd, round_id: int, shakes_each: int, inflight: int, deadline: float,
                    timeout: float = 60.0) -> dict:
    """Every connected shopper shakes `shakes_each` times, one after another; at most
    `inflight` shakes outstanding across the crowd (0: no cap, every shopper at once).
    Each ack is awaited `timeout` s at most, the whole phase `deadline` s at most."""
    gate = asyncio.Semaphore(inflight) if inflight > 0 else None
    latencies: list[float] = []
    outcomes: Counter = Counter()
    first, last = [], []

    async def one(shopper: Shopper):
        for k in range(shakes_each):
            payload = {"round_id": round_id, "shake_id": f"s{shopper.index}-{k}-r{round_id}"}
            try:
                if gate:
                    async with gate:
                        sent, got, body = await crowd.call(shopper, "shake", payload, timeout)
                else:
                    sent, got, body = await crowd.call(shopper, "shake", payload, timeout)
            except asyncio.TimeoutError:
                outcomes["error: ack timeout"] += 1
                continue
            except Exception as error:
                outcomes[f"error: {type(error).__name__}"] += 1
                continue
            first.append(sent)
            last.append(got)
            latencies.append(got - sent)
            if isinstance(body, dict) and "error" in body:
                outcomes[f"error: {body['error'].get('code')}"] += 1
            else:
                outcomes[body.get("result", "?") if isinstance(body, dict) else "?"] += 1

    started = time.perf_counter()
    shoppers = crowd.connected
    try:
        await asyncio.wait_for(asyncio.gather(*(one(s) for s in shoppers)), deadline)
    except asyncio.TimeoutError:
        outcomes["error: not answered by the phase deadline"] += (
            len(shoppers) * shakes_each - sum(outcomes.values()))
    span = (max(last) - min(first)) if latencies else time.perf_counter() - started
    return {"latencies": latencies, "outcomes": dict(outcomes), "seconds": span, "answered": len(latencies)}


async def shake_at_rate(crowd: Crowd, round_id: int, rate: float, seconds: float, timeout: float = 30.0) -> dict:
    """Open loop: `rate` shakes a second for `seconds`, from the connected shoppers in turn, each
    sent on schedule whether or not earlier ones are answered (a crowd does not wait for the
    server). What a burst at that rate feels like: latency p50/p99 and what was answered."""
    latencies: list[float] = []
    outcomes: Counter = Counter()
    shoppers = crowd.connected
    total = int(rate * seconds)

    async def one(n: int):
        shopper = shoppers[n % len(shoppers)]
        payload = {"round_id": round_id, "shake_id": f"p{n}-r{round_id}"}
        try:
            sent, got, body = await crowd.call(shopper, "shake", payload, timeout)
        except asyncio.TimeoutError:
            outcomes["error: ack timeout"] += 1
            return
        latencies.append(got - sent)
        if isinstance(body, dict) and "error" in body:
            outcomes[f"error: {body['error'].get('code')}"] += 1
        else:
            outcomes[body.get("result", "?") if isinstance(body, dict) else "?"] += 1

    tasks, started, sent = [], time.perf_counter(), 0
    while sent < total:
        due = min(total, int((time.perf_counter() - started) * rate) + 1)
        tasks += [asyncio.create_task(one(n)) for n in range(sent, due)]
        sent = due
        await asyncio.sleep(0.002)
    sending = time.perf_counter() - started
    await asyncio.gather(*tasks)
    return {"latencies": latencies, "outcomes": dict(outcomes), "sent": total, "sending_seconds": sending,
            "seconds": time.perf_counter() - started, "answered": len(latencies)}


class LoopLag:
    """How late this event loop wakes a 5 ms sleeper: if the client were saturated, it would show."""

    def __init__(self, period: float = 0.005):
        self.period, self.samples, self.task = period, [], None

    async def run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.period)
            self.samples.append(time.perf_counter() - before - self.period)

    def start(self) -> None:
        self.task = asyncio.create_task(self.run())

    def take(self) -> list[float]:
        samples, self.samples = self.samples, []
        return samples

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
