"""The actor runtime: mailboxes, ask/tell, supervision."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
import trio
import trio.testing

from actors.runtime import (
    Actor,
    ActorEscalation,
    ActorStopped,
    ActorUnavailable,
    AskTimeout,
    Mailbox,
    MailboxFull,
    Reply,
    Supervisor,
    ask,
    ask_nowait,
    backoff_delay,
    tell,
    tell_nowait,
)


@dataclass(frozen=True)
class Echo:
    text: str
    reply: Reply = field(default_factory=Reply)


@dataclass(frozen=True)
class Boom:
    reply: Reply = field(default_factory=Reply)


@dataclass(frozen=True)
class Record:
    text: str


class EchoActor(Actor):
    """Echoes, records, and crashes on ``Boom`` (only the first ``crash_times`` times)."""

    def __init__(self, capacity: int = 8, crash_times: int = 1_000) -> None:
        super().__init__("echo", capacity)
        self.seen: list[str] = []
        self.starts = 0
        self.crash_times = crash_times

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        self.starts += 1
        task_status.started()
        async for msg in self.inbox:
            match msg:
                case Echo(text, reply):
                    reply.send(text.upper())
                case Record(text):
                    self.seen.append(text)
                case Boom():
                    if self.crash_times > 0:
                        self.crash_times -= 1
                        raise RuntimeError("boom")


async def test_ask_returns_the_reply() -> None:
    actor = EchoActor()
    async with trio.open_nursery() as nursery:
        await Supervisor().start(nursery, actor)
        assert await ask(actor.inbox, Echo("hi"), timeout=1) == "HI"
        actor.inbox.close()


async def test_tell_delivers_in_order() -> None:
    actor = EchoActor()
    async with trio.open_nursery() as nursery:
        await Supervisor().start(nursery, actor)
        await tell(actor.inbox, Record("a"))
        tell_nowait(actor.inbox, Record("b"))
        await trio.testing.wait_all_tasks_blocked()
        assert actor.seen == ["a", "b"]
        actor.inbox.close()


async def test_tell_nowait_on_a_full_mailbox_raises_mailbox_full() -> None:
    mailbox: Mailbox[Record] = Mailbox("tiny", 1)
    tell_nowait(mailbox, Record("a"))
    with pytest.raises(MailboxFull, match=r"^tiny mailbox is full \(1\)$"):
        tell_nowait(mailbox, Record("b"))
    with pytest.raises(MailboxFull):
        await ask_nowait(mailbox, Echo("x"), timeout=1)


async def test_sending_to_a_closed_mailbox_raises_actor_stopped() -> None:
    mailbox: Mailbox[Record] = Mailbox("closed", 1)
    mailbox.close()
    with pytest.raises(ActorStopped, match=r"^closed is stopped$"):
        await tell(mailbox, Record("a"))


async def test_ask_times_out(autojump_clock: trio.abc.Clock) -> None:
    mailbox: Mailbox[Echo] = Mailbox("silent", 4)
    with pytest.raises(AskTimeout, match=r"^silent did not answer within 2 s$"):
        await ask(mailbox, Echo("x"), timeout=2)


async def test_errors_travel_back_to_the_asker() -> None:
    reply = Reply()
    reply.fail(ValueError("bad"))
    with pytest.raises(ValueError, match="^bad$"):
        await reply.wait()


async def test_a_crashed_actor_is_restarted_and_keeps_its_queue(autojump_clock: trio.abc.Clock) -> None:
    actor = EchoActor(crash_times=1)
    supervisor = Supervisor(backoff_initial=0.5)
    async with trio.open_nursery() as nursery:
        await supervisor.start(nursery, actor)
        await tell(actor.inbox, Boom())
        await tell(actor.inbox, Record("queued while restarting"))
        assert await ask(actor.inbox, Echo("after"), timeout=10) == "AFTER"
        assert actor.starts == 2
        assert actor.restarts == 1
        assert actor.seen == ["queued while restarting"]
        assert actor.statistics().last_error == "RuntimeError: boom"
        assert not supervisor.degraded
        actor.inbox.close()


async def test_the_asker_of_a_crashing_message_gets_actor_unavailable(autojump_clock: trio.abc.Clock) -> None:
    actor = EchoActor(crash_times=1)
    async with trio.open_nursery() as nursery:
        await Supervisor().start(nursery, actor)
        with pytest.raises(ActorUnavailable, match=r"^echo crashed: RuntimeError: boom$"):
            await ask(actor.inbox, Boom(), timeout=10)
        actor.inbox.close()


async def test_supervisor_reports_degraded_while_restarting(autojump_clock: trio.abc.Clock) -> None:
    actor = EchoActor(crash_times=1)
    supervisor = Supervisor(backoff_initial=5)
    async with trio.open_nursery() as nursery:
        await supervisor.start(nursery, actor)
        await tell(actor.inbox, Boom())
        await trio.testing.wait_all_tasks_blocked()
        assert supervisor.degraded
        await trio.sleep(6)
        assert not supervisor.degraded
        actor.inbox.close()


async def test_backoff_doubles_between_restarts(autojump_clock: trio.abc.Clock) -> None:
    actor = EchoActor(crash_times=3)
    supervisor = Supervisor(backoff_initial=1, backoff_max=10)
    async with trio.open_nursery() as nursery:
        await supervisor.start(nursery, actor)
        start = trio.current_time()
        for _ in range(3):
            await tell(actor.inbox, Boom())
        assert await ask(actor.inbox, Echo("x"), timeout=60) == "X"
        assert trio.current_time() - start == pytest.approx(1 + 2 + 4)
        actor.inbox.close()


async def test_repeated_crashes_escalate(autojump_clock: trio.abc.Clock) -> None:
    actor = EchoActor()
    supervisor = Supervisor(max_restarts=2, window=60, backoff_initial=0.1)
    with pytest.RaisesGroup(pytest.RaisesExc(ActorEscalation, match=r"^echo crashed too often: RuntimeError: boom$")):
        async with trio.open_nursery() as nursery:
            await supervisor.start(nursery, actor)
            for _ in range(3):
                await tell(actor.inbox, Boom())


def test_backoff_delay_doubles_then_stays_at_the_cap() -> None:
    delays = [backoff_delay(n, base=0.2, cap=5, max_attempts=8) for n in range(12)]
    assert delays[:5] == [0.2, 0.4, 0.8, 1.6, 3.2]
    assert delays[5:] == [5] * 7
