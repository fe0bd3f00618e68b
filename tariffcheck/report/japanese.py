"""The Japanese forms of the sentences the lower layers give as plain English text: why a solver
search stopped (`reason`), and the notes on an order (a former name read through a rename, the
contracts a repair adds or links). Those layers keep one language, so that JSON results stay
stable; a text report under `--lang ja` shows each through `in_japanese`.

Each form is a pattern over the English sentence: what it quotes (ids, names in backticks, days,
numbers, Z3's own word for why it stopped) is carried over as it is. A sentence no pattern knows
is shown as it is; tests/test_hardening_spec.py runs every command under `--lang ja` so that a
new English sentence does not go unnoticed.
"""

from __future__ import annotations

import re

_FORMS: list[tuple[re.Pattern, str]] = [(re.compile(p + r"\Z", re.S), ja) for p, ja in [
    # solver reasons (smt/, analyse/); a reason with a suffix first
    (r"(?P<reason>.+) \(ordering equal repairs\)", "{reason} (同等の修正案の順序付け中)"),
    (r"the solver gave up: the time limit of (?P<ms>\d+) ms ran out",
     "ソルバーが打ち切りました: 制限時間 {ms} ミリ秒を超えました"),
    (r"the solver gave up: (?P<why>.+)", "ソルバーが打ち切りました (`{why}`)"),
    (r"stopped at the limit of (?P<n>\d+) conflicts?", "上限の {n} 件で止めました"),
    (r"the order is invalid as it stands; these conflicts come before the question",
     "この注文はこのままでは無効です。問いの前にこれらの矛盾があります"),
    (r"(?P<path>`[^`]*`) has no least value", "{path} に最小の値がありません"),
    (r"internal: the first of the equal repairs was not settled",
     "内部エラー: 同等の修正案のうち最初のものが定まりませんでした"),
    (r"internal: the order's values contradict the encoding's axioms",
     "内部エラー: 注文の値が符号化の公理と矛盾します"),
    (r"internal: a repair failed the concrete validator's check(?P<rest>.*)",
     "内部エラー: 修正案が具体的な検証を通りませんでした{rest}"),
    # notes on an order (orders/decode.py, smt/links.py, smt/repair.py)
    (r"(?P<path>\S+): (?P<old>`[^`]*`) is the former name of (?P<new>`[^`]*`) \(renamed on (?P<day>[\d-]+)"
     r"(?:, (?P<cite>.*))?\)",
     "{path}: {old} は {new} の旧名称です ({day} 変更{cite_ja})"),
    (r"a new (?P<label>.+) (?P<id>`[^`]*`) under (?P<parent>`[^`]*`); its choices are the least the rules "
     r"allow, for the customer to make",
     "{parent} の下に新しい{label} {id} を加えます。その選択は規定が許す最小限で、顧客が決めます"),
    (r"contract (?P<id>`[^`]*`) names (?P<parent>`[^`]*`) as its parent contract",
     "契約 {id} は {parent} を親たる契約とします"),
    (r"contract (?P<id>`[^`]*`) has a new parent contract (?P<parent>`[^`]*`)",
     "契約 {id} に新しい親たる契約 {parent} を加えます"),
    (r"contract (?P<id>`[^`]*`) is left out of the order", "契約 {id} を注文から外します"),
    # why tariff diff could not compare a shape of order, and what to do (analyse/diff.py)
    (r"contract kind (?P<k>`[^`]*`) is only in the new version", "契約種別 {k} は新しい版にしかありません"),
    (r"contract kind (?P<k>`[^`]*`) is only in the old version", "契約種別 {k} は古い版にしかありません"),
    (r"contract kind (?P<k>`[^`]*`) has (?:parent (?P<pn>`[^`]*`)|no parent) in the new version and "
     r"(?:parent (?P<po>`[^`]*`)|no parent) in the old",
     "契約種別 {k} の親たる契約は、新しい版では {pn_ja}、古い版では {po_ja} です"),
    (r"(?P<a>`[^`]*`) \(old version\) and (?P<b>`[^`]*`) \(new version\) have the same official name; if they "
     r"are one contract kind, keep the id (?P<keep>`[^`]*`), or pair them in the new version's history: "
     r"(?P<rename>`rename .*`)",
     "{a} (古い版) と {b} (新しい版) は正式名称が同じです。同じ契約種別であれば id {keep} を保つか、"
     "新しい版の history で対応付けてください: {rename}"),
    (r"the witness cannot be written: (?P<why>.+)", "例となる注文を書けません: {why}"),
    (r"the concrete validators do not confirm this witness", "具体検証器はこの例となる注文を確認しません"),
    (r"the witness does not decode in both versions", "例となる注文を両方の版で読み取れません"),
    # notes on a name that changed between versions (analyse/diff_names.py), each part of `a; b`
    (r"the old version's (?P<twin>`[^`]*`) has this official name, but no 附則 `rename` pairs them",
     "古い版の {twin} が同じ正式名称ですが、附則の `rename` で対応付けられていません"),
    (r"was (?P<id>`[^`]*`)", "旧 id {id}"),
    (r"by a supplementary provision \(附則\) of (?P<day>[\d-]+)", "{day} の附則による"),
    (r"counted", "数を指定するようになりました"),
    (r"no longer counted", "数を指定しなくなりました"),
]]

_REQUESTS_JA = {"new": "新規", "change": "変更", "cancellation": "解約"}


def shape_in_japanese(label: str) -> str:
    """A shape of order (`new service under unit`, analyse/space.py) in Japanese: `新規 service (親: unit)`."""
    request, _, who = label.partition(" ")
    kinds = who.split(" under ")
    text = f"{_REQUESTS_JA.get(request, request)} {kinds[0]}"
    return text + "".join(f" (親: {k})" for k in kinds[1:])


def in_japanese(text: str | None) -> str | None:
    """The Japanese form of one of the sentences above; any other text as it is."""
    if not text:
        return text
    for pattern, form in _FORMS:
        m = pattern.match(text)
        if m is not None:
            groups = {k: v or "" for k, v in m.groupdict().items()}
            if "reason" in groups:
                groups["reason"] = in_japanese(groups["reason"])
            groups["cite_ja"] = f", {groups['cite']}" if groups.get("cite") else ""
            for side in ("pn", "po"):
                groups[f"{side}_ja"] = groups.get(side) or "なし"
            return form.format(**groups)
    return text


def localised(text: str | None, lang: str) -> str | None:
    return in_japanese(text) if lang == "ja" else text
