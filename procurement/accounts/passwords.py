"""Password hashing and the password rules. Pure: no database, no web framework.

Hashing is argon2id (argon2-cffi). Its cost is a setting read from the environment;
the defaults are RFC 9106's "second recommended option" (argon2-cffi's
``RFC_9106_LOW_MEMORY``: 64 MiB, 3 passes, 4 lanes; about 150 ms here). A hash
carries its own parameters, so hashes made with other costs still verify, and a
successful log-in re-hashes a password whose hash is not at the current cost.

Hashing is CPU-bound: it runs in its own worker threads (argon2-cffi releases the
GIL), at most ``ARGON2_WORKERS`` at once (default: one core less than the machine
has, at least one), with at most ``ARGON2_QUEUE`` more waiting; beyond that a log-in
is refused at once (``HashingBusy``, answered 429 with Retry-After) so that a burst
of log-ins never holds the event loop. On Linux the hashing threads also run at a
lower scheduling priority (``ARGON2_NICE``, default 10), so that the thread serving
requests gets the CPU first when both want it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import unicodedata
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from procurement.core.errors import DomainError, TooManyAttempts
from procurement.core.heavy import lower_thread_priority


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


@dataclass(frozen=True)
class PasswordSettings:
    # argon2id cost. Defaults: RFC 9106 section 4, second recommended option (64 MiB, t=3, p=4).
    time_cost: int = field(default_factory=lambda: _env_int("ARGON2_TIME_COST", 3))
    memory_kib: int = field(default_factory=lambda: _env_int("ARGON2_MEMORY_KIB", 64 * 1024))
    parallelism: int = field(default_factory=lambda: _env_int("ARGON2_PARALLELISM", 4))
    # Hashes computed at once (threads) and log-ins allowed to wait for one; beyond: 429.
    workers: int = field(default_factory=lambda: _env_int("ARGON2_WORKERS", max(1, (os.cpu_count() or 1) - 1)))
    queue: int = field(default_factory=lambda: _env_int("ARGON2_QUEUE", 16))
    nice: int = field(default_factory=lambda: _env_int("ARGON2_NICE", 10))
    # NIST SP 800-63B-4 (2025) section 3.1.1.2: at least 15 characters for a password used
    # alone, at least 8 with a second factor; 12 here (the choice), raise it by setting.
    min_length: int = field(default_factory=lambda: _env_int("PASSWORD_MIN_LENGTH", 12))
    # SP 800-63B-4 asks verifiers to accept at least 64 characters.
    max_length: int = 200


SETTINGS = PasswordSettings()

_hasher = PasswordHasher(
    time_cost=SETTINGS.time_cost, memory_cost=SETTINGS.memory_kib, parallelism=SETTINGS.parallelism
)
# Verified for unknown user names, so that timing does not tell which names exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class HashingBusy(TooManyAttempts):
    """Too many log-ins are being checked at once; the caller should retry shortly."""

    def __init__(self) -> None:
        super().__init__("Máy chủ đang kiểm tra nhiều lượt đăng nhập. Vui lòng thử lại sau ít giây.", 2)
        self.code = "busy"


class _Gate:
    """At most ``workers`` hashes at once in threads; at most ``queue`` more waiting."""

    def __init__(self, workers: int, queue: int) -> None:
        self.capacity = workers + queue
        self.inside = 0
        self.pool = ThreadPoolExecutor(
            workers, thread_name_prefix="argon2", initializer=lower_thread_priority, initargs=(SETTINGS.nice,)
        )

    @contextlib.asynccontextmanager
    async def ticket(self) -> AsyncIterator[None]:
        """Refuse at once (``HashingBusy``) when the gate is full, else hold a place."""
        if self.inside >= self.capacity:
            raise HashingBusy()
        self.inside += 1
        try:
            yield
        finally:
            self.inside -= 1


GATE = _Gate(SETTINGS.workers, SETTINGS.queue)


async def _in_thread(function, *args):
    return await asyncio.get_running_loop().run_in_executor(GATE.pool, partial(function, *args))


def hash_password_now(password: str) -> str:
    """Blocking: for scripts and tests. Request handlers use ``hash_password``."""
    return _hasher.hash(password)


async def hash_password(password: str) -> str:
    return await _in_thread(_hasher.hash, password)


def _verify(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; ``None`` (no such user) costs the same and is False.
    Call inside ``GATE.ticket()`` so that a burst is refused rather than queued forever."""
    return await _in_thread(_verify, stored_hash, password)


def needs_rehash(stored_hash: str) -> bool:
    """The hash was made with other parameters than the current settings."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


# --- the password rules -------------------------------------------------------------------
# NIST SP 800-63B-4 section 3.1.1.2: a minimum length, a generous maximum, every printable
# character and space allowed, no composition rules (no "one digit, one capital"), and a
# check against passwords known to be common, expected or compromised, including words of
# the context (the user name, the service). TCVN 11930:2017 asks a level-2 system for a
# password policy without fixing these numbers.

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
# Words of this service and of the demo, refused as a whole password too.
CONTEXT_WORDS = ("demo-2025", "demo2025", "commune-assets", "taisan", "tai-san", "quanlytaisan", "thietbi")


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def _folded(text: str) -> str:
    """Lower case without diacritics or separators: "Mật-Khẩu 123" -> "matkhau123"."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return re.sub(r"[\W_]+", "", "".join(c for c in decomposed if not unicodedata.combining(c)))


def password_problem(password: str, username: str = "") -> str | None:
    """Why ``password`` is refused, in Vietnamese, or None when it is acceptable."""
    if len(password) < SETTINGS.min_length:
        return f"Mật khẩu quá ngắn: cần ít nhất {SETTINGS.min_length} ký tự (nên dùng một câu dễ nhớ)."
    if len(password) > SETTINGS.max_length:
        return f"Mật khẩu quá dài: tối đa {SETTINGS.max_length} ký tự."
    folded = _folded(password)
    name = _folded(username)
    if name and len(name) >= 3 and name in folded:
        return "Mật khẩu không được chứa tên đăng nhập."
    if len(set(folded)) <= 2:
        return "Mật khẩu quá đơn giản: chỉ lặp lại một vài ký tự."
    if _is_sequence(folded):
        return "Mật khẩu quá đơn giản: là một dãy ký tự liên tiếp."
    if _is_common(folded) or password.lower() in common_passwords():
        return "Mật khẩu này quá phổ biến, dễ bị đoán; hãy chọn mật khẩu khác."
    period = _period(folded)
    # A unit shorter than the minimum, repeated, is no stronger than the unit itself.
    if period < len(folded) and (period < SETTINGS.min_length or _is_common(folded[:period])):
        return "Mật khẩu quá đơn giản: lặp lại một đoạn ngắn."
    return None


def _is_common(folded: str) -> bool:
    common = common_passwords()
    context = {_folded(w) for w in CONTEXT_WORDS}
    stem = folded.rstrip("0123456789")
    return folded in common or folded in context or (bool(stem) and (stem in common or stem in context))


def _period(text: str) -> int:
    """Length of the shortest unit that ``text`` repeats ("abcabc" -> 3; no repeat -> len)."""
    for size in range(1, len(text) // 2 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return size
    return len(text)


def _is_sequence(text: str) -> bool:
    """A run like "abcdef", "fedcba", "1234567890" or "9876543210" (digits wrap around)."""
    if len(text) < 4:
        return False
    if text.isdigit():
        steps = {(int(b) - int(a)) % 10 for a, b in zip(text, text[1:], strict=False)}
        return steps in ({1}, {9})
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:], strict=False)}
    return steps in ({1}, {-1})


def check_password(password: str, username: str = "") -> None:
    """Raise a DomainError on the field ``password`` when the rules refuse it."""
    problem = password_problem(password, username)
    if problem:
        raise DomainError(problem, field="password", code="weak_password")
