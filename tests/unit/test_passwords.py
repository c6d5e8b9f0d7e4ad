"""The password rules and the hashing settings (pure: no app, no database)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from procurement.accounts import passwords
from procurement.accounts.passwords import PasswordSettings, password_problem


@pytest.mark.parametrize(
    ("password", "username"),
    [
        ("ngan-qua", "lan"),  # too short
        ("matkhau12345", "lan"),  # common, with digits after it
        ("Mật-Khẩu-2025!", "lan"),  # common once diacritics and separators are gone
        ("Password-2025", "lan"),
        ("lan.anvien-2025", "lan.anvien"),  # contains the user name
        ("111111111111", "lan"),
        ("abcdefghijklm", "lan"),  # a run of letters
        ("987654321098", "lan"),
        ("demo-2025-demo-2025", "lan"),  # the demo password, repeated
        ("hoa-sen-hoa-sen-hoa-sen", "lan"),  # a short unit repeated
    ],
)
def test_weak_passwords_are_refused_with_a_vietnamese_reason(password, username):
    problem = password_problem(password, username)
    assert problem and problem.startswith("Mật khẩu")


@pytest.mark.parametrize(
    "password",
    ["ca-phe-sua-da-sang", "ngựa vằn ăn cỏ non", "Tr0ng-xa-la-nui-bac", "correct horse battery staple"],
)
def test_passphrases_are_accepted(password):
    assert password_problem(password, "lan.anvien") is None


def test_the_hashing_cost_and_length_are_settings(monkeypatch):
    monkeypatch.setenv("ARGON2_TIME_COST", "2")
    monkeypatch.setenv("ARGON2_MEMORY_KIB", "4096")
    monkeypatch.setenv("ARGON2_PARALLELISM", "2")
    monkeypatch.setenv("PASSWORD_MIN_LENGTH", "15")
    settings = PasswordSettings()
    assert (settings.time_cost, settings.memory_kib, settings.parallelism, settings.min_length) == (2, 4096, 2, 15)
    for name in ("ARGON2_TIME_COST", "ARGON2_MEMORY_KIB", "ARGON2_PARALLELISM", "PASSWORD_MIN_LENGTH"):
        monkeypatch.delenv(name)
    # Unset: the production defaults of RFC 9106 (64 MiB, 3 passes, 4 lanes) and 12 characters.
    defaults = PasswordSettings()
    assert (defaults.time_cost, defaults.memory_kib, defaults.parallelism, defaults.min_length) == (3, 65536, 4, 12)


def test_hashes_of_any_cost_verify_and_those_of_another_cost_need_a_rehash():
    other = PasswordHasher(time_cost=1, memory_cost=2048, parallelism=2).hash("ca-phe-sua-da-sang")
    assert passwords._verify(other, "ca-phe-sua-da-sang")
    assert not passwords._verify(other, "ca-phe-sua-da-trua")
    assert not passwords._verify(None, "ca-phe-sua-da-sang")  # unknown user: checked, never true
    assert passwords.needs_rehash(other)
    assert not passwords.needs_rehash(passwords.hash_password_now("ca-phe-sua-da-sang"))
