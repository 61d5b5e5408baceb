"""The actor runtime: mailboxes, ``ask``/``tell`` and a supervisor.

An actor is a task that owns some state and reads messages from its :class:`Mailbox`,
a bounded ``trio`` memory channel. Nobody else touches the state; they send messages.

* :func:`tell` / :func:`tell_nowait` send a message and do not wait for an answer.
  ``tell_nowait`` raises :class:`MailboxFull` instead of waiting: that is how
  back-pressure reaches the HTTP layer (collect answers 503 + Retry-After).
* :func:`ask` sends a message carrying a one-shot :class:`Reply` and awaits it. The
  answer travels as an ``outcome``: an error raised for the asker is re-raised in the
  asker's own task. A message may be *forwarded* down a pipeline; whichever actor holds
  it last answers (RateLimiter → Enricher → Buffer, one round trip per request).
* :class:`Supervisor` starts each actor with ``nursery.start`` (so the caller knows it
  is ready), restarts one that raised, with exponential back-off, and escalates by
  re-raising when an actor crashes too often. The mailbox outlives restarts, so queued
  messages survive; the replies a crashed actor held are failed with
  :class:`ActorUnavailable` so no asker waits forever.

Errors (who raises them, what to do)::

    ActorError
    ├── MailboxFull        tell_nowait on a full mailbox        → shed load (503)
    ├── ActorStopped       the mailbox was closed (shutdown)    → stop sending
    ├── ActorUnavailable   the actor crashed holding your reply → retry later (503)
    ├── AskTimeout         no reply within the ask's timeout    → retry later (503)
    └── ActorEscalation    crashed too often: the process stops
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import outcome
import trio

log = logging.getLogger("sparklytics.actors")

M = TypeVar("M")


class ActorError(Exception):
    """Base of every error the runtime raises."""


class MailboxFull(ActorError):
    """Raised by :func:`tell_nowait` when the mailbox is at capacity."""


class ActorStopped(ActorError):
    """Raised when sending to a mailbox that was closed: the actor is shutting down."""


class StartupError(Exception):
    """An actor cannot start and retrying will not help (a damaged file, a folder it may
    not write): its supervisor raises it at once instead of restarting, and the
    ``sparklytics`` command prints the message as one line and exits 2. The message says
    which file and what to do."""


class ActorUnavailable(ActorError):
    """Given to an asker whose message was held by an actor that crashed."""


class AskTimeout(ActorError):
    """Raised by :func:`ask` when no reply arrived within ``timeout`` seconds."""


class ActorEscalation(ActorError):
    """Raised by the supervisor when an actor crashed too often: the process stops."""


class Reply:
    """A one-shot answer slot carried inside a message.

    The actor holding the message answers it exactly once with :meth:`send` or
    :meth:`fail`; later answers are ignored. The runtime remembers which mailbox
    received the message last, so a crash of that actor can fail it.

    Why not a memory channel: a reply is made for every request, and parking the
    waiting task directly (``trio.lowlevel``) costs a fraction of building a channel.
    """

    __slots__ = ("_result", "_waiter", "_owner", "answered")

    def __init__(self) -> None:
        self._result: outcome.Outcome | None = None
        self._waiter: trio.lowlevel.Task | None = None
        self._owner: Mailbox[Any] | None = None
        self.answered = False

    def send(self, value: Any) -> None:
        self._answer(outcome.Value(value))

    def fail(self, error: BaseException) -> None:
        self._answer(outcome.Error(error))

    async def wait(self) -> Any:
        if self.answered:
            await trio.lowlevel.checkpoint()
        else:
            self._waiter = trio.lowlevel.current_task()

            def abort(_: Any) -> trio.lowlevel.Abort:
                self._waiter = None
                return trio.lowlevel.Abort.SUCCEEDED

            await trio.lowlevel.wait_task_rescheduled(abort)
        assert self._result is not None
        return self._result.unwrap()

    def _answer(self, result: outcome.Outcome) -> None:
        if self.answered:
            return
        self.answered = True
        self._result = result
        if self._owner is not None:
            self._owner._held.discard(self)
            self._owner = None
        if self._waiter is not None:
            waiter, self._waiter = self._waiter, None
            trio.lowlevel.reschedule(waiter)

    def _received_by(self, mailbox: Mailbox[Any]) -> None:
        if self._owner is not None:
            self._owner._held.discard(self)
        self._owner = mailbox
        mailbox._held.add(self)


@dataclass(frozen=True, slots=True)
class MailboxStatistics:
    name: str
    depth: int
    capacity: int
    held_replies: int


class Mailbox(Generic[M]):
    """A bounded inbox. Iterate it (``async for msg in mailbox``) to receive.

    Closing it is the shutdown signal: the actor drains what is queued and its loop ends.
    """

    def __init__(self, name: str, capacity: int) -> None:
        self.name = name
        self.capacity = capacity
        self._send, self._receive = trio.open_memory_channel[M](capacity)
        self._held: set[Reply] = set()

    async def send(self, message: M) -> None:
        try:
            await self._send.send(message)
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            raise ActorStopped(f"{self.name} is stopped") from None

    def send_nowait(self, message: M) -> None:
        try:
            self._send.send_nowait(message)
        except trio.WouldBlock:
            raise MailboxFull(f"{self.name} mailbox is full ({self.capacity})") from None
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            raise ActorStopped(f"{self.name} is stopped") from None

    def receive_nowait(self) -> M:
        """Take a queued message without waiting; raises ``trio.WouldBlock`` if none."""
        message = self._receive.receive_nowait()
        self._track(message)
        return message

    def close(self) -> None:
        self._send.close()

    def fail_held(self, error: BaseException) -> int:
        """Fail every reply this mailbox's actor received but did not answer or pass on."""
        held = list(self._held)
        for reply in held:
            reply.fail(error)
        return len(held)

    def statistics(self) -> MailboxStatistics:
        stats = self._send.statistics()
        return MailboxStatistics(self.name, stats.current_buffer_used, self.capacity, len(self._held))

    async def __aiter__(self) -> AsyncIterator[M]:
        async for message in self._receive:
            self._track(message)
            yield message

    def _track(self, message: M) -> None:
        reply = getattr(message, "reply", None)
        if isinstance(reply, Reply) and not reply.answered:
            reply._received_by(self)


async def ask(mailbox: Mailbox[M], message: M, *, timeout: float) -> Any:
    """Send ``message`` (which has a ``reply`` field) and wait for its answer.

    Raises :class:`AskTimeout` after ``timeout`` seconds, :class:`ActorStopped` if the
    mailbox is closed, or whatever error the answering actor put in the reply.
    """
    reply: Reply = message.reply  # type: ignore[attr-defined]
    with trio.move_on_after(timeout) as scope:
        await mailbox.send(message)
        return await reply.wait()
    assert scope.cancelled_caught
    raise AskTimeout(f"{mailbox.name} did not answer within {timeout:g} s")


async def ask_nowait(mailbox: Mailbox[M], message: M, *, timeout: float) -> Any:
    """Like :func:`ask`, but raise :class:`MailboxFull` instead of waiting for room."""
    reply: Reply = message.reply  # type: ignore[attr-defined]
    mailbox.send_nowait(message)
    with trio.move_on_after(timeout):
        return await reply.wait()
    raise AskTimeout(f"{mailbox.name} did not answer within {timeout:g} s")


async def tell(mailbox: Mailbox[M], message: M) -> None:
    """Send without waiting for an answer (waits for room in the mailbox)."""
    await mailbox.send(message)


def tell_nowait(mailbox: Mailbox[M], message: M) -> None:
    """Send without waiting at all; raises :class:`MailboxFull` when there is no room."""
    mailbox.send_nowait(message)


@dataclass(frozen=True, slots=True)
class ActorStatistics:
    name: str
    restarts: int
    restarting: bool
    last_error: str | None
    mailbox: MailboxStatistics


class Actor:
    """Base for actors: owns a mailbox; subclasses write ``run``.

    ``run(task_status=...)`` prepares the state, calls ``task_status.started()`` once it
    can serve, then loops ``async for msg in self.inbox`` until the inbox is closed.
    """

    def __init__(self, name: str, capacity: int) -> None:
        self.name = name
        self.inbox: Mailbox[Any] = Mailbox(name, capacity)
        self.restarts = 0
        self.restarting = False
        self.last_error: str | None = None
        self.finished = trio.Event()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        raise NotImplementedError

    def statistics(self) -> ActorStatistics:
        """How the actor is doing; an actor with figures of its own returns a subclass
        of :class:`ActorStatistics` that adds them (``WriterStatistics``, …)."""
        return ActorStatistics(*self._actor_statistics())

    def _actor_statistics(self) -> tuple[str, int, bool, str | None, MailboxStatistics]:
        """The :class:`ActorStatistics` fields, in order, for a subclass's record."""
        return self.name, self.restarts, self.restarting, self.last_error, self.inbox.statistics()


@dataclass
class Supervisor:
    """Runs actors, restarts the ones that crash, escalates when one keeps crashing.

    Back-off doubles from ``backoff_initial`` to ``backoff_max``; more than
    ``max_restarts`` crashes of one actor within ``window`` seconds escalates.
    """

    max_restarts: int = 5
    window: float = 60.0
    backoff_initial: float = 0.05
    backoff_max: float = 5.0
    actors: list[Actor] = field(default_factory=list)

    async def start(self, nursery: trio.Nursery, actor: Actor) -> None:
        """Start ``actor`` under supervision; returns once it is ready to serve."""
        self.actors.append(actor)
        await nursery.start(self._supervise, actor)

    @property
    def degraded(self) -> bool:
        return any(actor.restarting for actor in self.actors)

    def statistics(self) -> list[ActorStatistics]:
        return [actor.statistics() for actor in self.actors]

    async def _supervise(self, actor: Actor, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        try:
            await self._keep_running(actor, task_status)
        finally:
            actor.finished.set()

    async def _keep_running(self, actor: Actor, task_status: trio.TaskStatus[None]) -> None:
        crashes: deque[float] = deque()
        backoff = self.backoff_initial
        ready = False
        while True:
            try:
                async with trio.open_nursery() as nursery:
                    await nursery.start(_run_actor, actor)
                    if not ready:
                        ready = True
                        task_status.started()
                    actor.restarting = False
                return
            except Exception as exc:  # Cancelled is a BaseException: never caught here.
                if not ready and _is_startup_error(exc):
                    raise
                error = _describe(exc)
                actor.last_error = error
                failed = actor.inbox.fail_held(ActorUnavailable(f"{actor.name} crashed: {error}"))
                now = time.monotonic()
                crashes.append(now)
                while crashes and crashes[0] < now - self.window:
                    crashes.popleft()
                if len(crashes) == 1:
                    backoff = self.backoff_initial
                if len(crashes) > self.max_restarts:
                    log.critical(
                        "actor %s crashed %d times within %g s, giving up: %s",
                        actor.name, len(crashes), self.window, error,
                    )
                    raise ActorEscalation(f"{actor.name} crashed too often: {error}") from exc
                actor.restarting = True
                actor.restarts += 1
                log.error(
                    "actor %s crashed (%s); %d waiting replies failed; restarting in %.2f s",
                    actor.name, error, failed, backoff, exc_info=exc,
                )
                await trio.sleep(backoff)
                backoff = min(backoff * 2, self.backoff_max)


async def _run_actor(actor: Actor, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
    await actor.run(task_status=task_status)


def _is_startup_error(exc: BaseException) -> bool:
    if isinstance(exc, BaseExceptionGroup):
        return exc.subgroup(StartupError) is not None
    return isinstance(exc, StartupError)


def _describe(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}"


def backoff_delay(attempt: int, *, base: float, cap: float, max_attempts: int) -> float:
    """Delay before retry number ``attempt`` (0-based): doubling, capped, then flat."""
    exponent = min(attempt, max_attempts)
    return min(cap, base * math.pow(2, exponent))
