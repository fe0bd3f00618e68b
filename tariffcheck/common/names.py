"""How official names are matched.

The tariff texts themselves space names differently (`IT 資産管理:タイプ L` and
`IT資産管理:タイプL`, `セキュア App コネク トオプション`), and order-entry systems copy them
with full-width or half-width characters. Two names are the same when they agree after
Unicode NFKC folding and with all white space removed; case is kept, because the texts
do not vary it.
"""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")


def name_key(name: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", name))
