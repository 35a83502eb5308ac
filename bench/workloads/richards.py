"""Martin Richards' operating-system simulation: tasks, packets and a scheduler.

Attribute access, method calls and small objects: the interpreter's own
speed. Each run must count 9297 holds and 23246 queued packets.
"""

from __future__ import annotations

IDLE, WORKER, HANDLER_A, HANDLER_B, DEVICE_A, DEVICE_B = range(1, 7)
KIND_DEVICE, KIND_WORK = 1000, 1001
BUFSIZE = 4
ITERATIONS = 36


class Packet:
    def __init__(self, link: Packet | None, ident: int, kind: int) -> None:
        self.link = link
        self.ident = ident
        self.kind = kind
        self.datum = 0
        self.data = [0] * BUFSIZE

    def append_to(self, queue: Packet | None) -> Packet:
        self.link = None
        if queue is None:
            return self
        last = queue
        while last.link is not None:
            last = last.link
        last.link = self
        return queue


class Scheduler:
    def __init__(self) -> None:
        self.tasks: list[Task | None] = [None] * 10
        self.first: Task | None = None
        self.holds = 0
        self.queued = 0

    def run(self) -> None:
        task = self.first
        while task is not None:
            idle = task.holding or (not task.pending and task.waiting)
            task = task.link if idle else task.run()


class Task:
    def __init__(
        self, sched: Scheduler, ident: int, priority: int, queue: Packet | None, state: str
    ) -> None:
        self.sched = sched
        self.link = sched.first
        self.ident = ident
        self.priority = priority
        self.queue = queue
        # state: "running", "waiting", or "waiting with packet"
        self.pending = state == "waiting with packet"
        self.waiting = state != "running"
        self.holding = False
        sched.first = self
        sched.tasks[ident] = self

    def fn(self, packet: Packet | None) -> Task | None:
        raise NotImplementedError

    def run(self) -> Task | None:
        packet = None
        if self.pending and self.waiting and not self.holding:
            packet = self.queue
            assert packet is not None
            self.queue = packet.link
            self.pending = self.queue is not None
            self.waiting = False
        return self.fn(packet)

    def add_packet(self, packet: Packet, old: Task) -> Task:
        if self.queue is None:
            self.queue = packet
            self.pending = True
            if self.priority > old.priority:
                return self
        else:
            packet.append_to(self.queue)
        return old

    def wait(self) -> Task:
        self.waiting = True
        return self

    def hold(self) -> Task | None:
        self.sched.holds += 1
        self.holding = True
        return self.link

    def release(self, ident: int) -> Task:
        task = self.find(ident)
        task.holding = False
        return task if task.priority > self.priority else self

    def send(self, packet: Packet) -> Task:
        task = self.find(packet.ident)
        self.sched.queued += 1
        packet.link = None
        packet.ident = self.ident
        return task.add_packet(packet, self)

    def find(self, ident: int) -> Task:
        task = self.sched.tasks[ident]
        if task is None:
            raise LookupError(f"no task {ident}")
        return task


class IdleTask(Task):
    control = 1
    count = 10_000

    def fn(self, packet: Packet | None) -> Task | None:
        self.count -= 1
        if self.count == 0:
            return self.hold()
        if self.control & 1 == 0:
            self.control //= 2
            return self.release(DEVICE_A)
        self.control = (self.control // 2) ^ 0xD008
        return self.release(DEVICE_B)


class WorkerTask(Task):
    destination = HANDLER_A
    count = 0

    def fn(self, packet: Packet | None) -> Task | None:
        if packet is None:
            return self.wait()
        self.destination = HANDLER_B if self.destination == HANDLER_A else HANDLER_A
        packet.ident = self.destination
        packet.datum = 0
        for i in range(BUFSIZE):
            self.count = self.count % 26 + 1
            packet.data[i] = ord("A") + self.count - 1
        return self.send(packet)


class HandlerTask(Task):
    work: Packet | None = None
    devices: Packet | None = None

    def fn(self, packet: Packet | None) -> Task | None:
        if packet is not None:
            if packet.kind == KIND_WORK:
                self.work = packet.append_to(self.work)
            else:
                self.devices = packet.append_to(self.devices)
        work = self.work
        if work is None:
            return self.wait()
        if work.datum >= BUFSIZE:
            self.work = work.link
            return self.send(work)
        device = self.devices
        if device is None:
            return self.wait()
        self.devices = device.link
        device.datum = work.data[work.datum]
        work.datum += 1
        return self.send(device)


class DeviceTask(Task):
    waiting_packet: Packet | None = None

    def fn(self, packet: Packet | None) -> Task | None:
        if packet is None:
            packet = self.waiting_packet
            if packet is None:
                return self.wait()
            self.waiting_packet = None
            return self.send(packet)
        self.waiting_packet = packet
        return self.hold()


def packets(ident: int, kind: int, n: int) -> Packet | None:
    queue = None
    for _ in range(n):
        queue = Packet(queue, ident, kind)
    return queue


def once() -> tuple[int, int]:
    sched = Scheduler()
    IdleTask(sched, IDLE, 1, None, "running")
    WorkerTask(sched, WORKER, 1000, packets(0, KIND_WORK, 2), "waiting with packet")
    for ident, priority, device in ((HANDLER_A, 2000, DEVICE_A), (HANDLER_B, 3000, DEVICE_B)):
        HandlerTask(sched, ident, priority, packets(device, KIND_DEVICE, 3), "waiting with packet")
    DeviceTask(sched, DEVICE_A, 4000, None, "waiting")
    DeviceTask(sched, DEVICE_B, 5000, None, "waiting")
    sched.run()
    return sched.holds, sched.queued


def bench() -> str:
    counts = {once() for _ in range(ITERATIONS)}
    if counts != {(9297, 23246)}:
        raise AssertionError(f"wrong counts {counts}")
    return "9297 23246"
