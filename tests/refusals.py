"""One rule for the tables of refusals: each mistake gets its own error and its own message.

A table maps a mistake's name to (what to call with, the error type, words of its message). The
row's call must raise exactly that type, with those words and with none of the other rows'
words: a message that names another mistake's cause is worse than a generic one.
"""

from collections.abc import Callable

import pytest


def assert_refused_alone(table: dict, name: str, call: Callable[[object], object]) -> BaseException:
    """call(row's first item) raises the row's error type, with its words and no other row's."""
    what, error, words = table[name]
    with pytest.raises(error) as info:
        call(what)
    message = str(info.value)
    assert type(info.value) is error and words in message, message
    assert not [w for n, (_, _, w) in table.items() if n != name and w in message], message
    return info.value
