"""Vietnamese text: NFC for storage, a diacritic-free key for search."""

import unicodedata

_D_STROKE = str.maketrans({"đ": "d", "Đ": "d"})


def nfc(text: str) -> str:
    """Store Vietnamese in NFC: the same word typed on two phones compares equal."""
    return unicodedata.normalize("NFC", text).strip()


def search_key(text: str) -> str:
    """Lower-case, no diacritics, single spaces: 'Xã An Viễn' -> 'xa an vien'."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D_STROKE))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def like_pattern(query: str) -> str:
    """A LIKE pattern for ``search_key`` columns, with LIKE wildcards escaped away."""
    key = search_key(query).replace("%", "").replace("_", "")
    return f"%{key}%"


def has_words(query: str, text: str) -> bool:
    """Every word of ``query`` appears in ``text``, diacritics and case ignored:
    'may tinh an vien' finds 'Mua máy tính cho Xã An Viễn'."""
    haystack = search_key(text)
    return all(word in haystack for word in search_key(query).split())
