"""Property tests for the tag scheme: every single typo and every swap is refused."""

from hypothesis import given
from hypothesis import strategies as st

from labels.tags import (
    ALPHABET,
    TAG_LENGTH,
    TagError,
    display_tag,
    is_valid_tag,
    new_tag,
    parse_tag,
)

tags = st.integers(min_value=0, max_value=2**64).map(
    lambda seed: new_tag(randbelow=__import__("random").Random(seed).randrange)
)


@given(tags)
def test_new_tags_are_valid_and_round_trip_through_display(tag):
    assert len(tag) == TAG_LENGTH
    assert parse_tag(tag) == tag
    assert parse_tag(display_tag(tag).lower()) == tag


@given(tags, st.integers(0, TAG_LENGTH - 1), st.sampled_from(ALPHABET))
def test_any_single_wrong_symbol_is_refused(tag, position, symbol):
    typo = tag[:position] + symbol + tag[position + 1 :]
    if typo != tag:
        assert not is_valid_tag(typo)


@given(tags, st.integers(0, TAG_LENGTH - 1), st.integers(0, TAG_LENGTH - 1))
def test_any_swap_of_two_symbols_is_refused(tag, i, j):
    chars = list(tag)
    chars[i], chars[j] = chars[j], chars[i]
    swapped = "".join(chars)
    if swapped != tag:
        assert not is_valid_tag(swapped)


def test_lookalikes_and_separators_are_folded():
    tag = new_tag()
    typed = " " + display_tag(tag).replace("0", "o").replace("1", "l") + " "
    assert parse_tag(typed) == tag


def test_wrong_length_and_symbols_say_why():
    for text, reason in [("ABC", "length"), ("ABCDEFZ", "symbol"), ("", "length")]:
        try:
            parse_tag(text)
        except TagError as error:
            assert error.reason == reason
        else:
            raise AssertionError(f"{text!r} accepted")
