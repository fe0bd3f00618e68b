"""Synthetic tariffs for benchmarks: Secure Endpoint's shape, N times its size, from a seed.

    .venv/bin/python benchmarks/synthetic.py --scale 10 --out /tmp/x10.tariff
    .venv/bin/python benchmarks/synthetic.py --time                # load/compile times, scales 1-1000

    from synthetic import generate, valid_order, invalid_order
    text = generate(scale=10, seed=0)          # the text of a .tariff spec
    order = valid_order(text, seed=1)          # an order JSON dict that every rule accepts
    bad = invalid_order(text, 3, seed=1)       # one built to break 3 rule instances

The real specs stop at Secure Endpoint's size (35 rules, 76 rule instances, 46 options, 9 items),
so they cannot show how loading, compiling and checking grow with a tariff. A synthetic tariff
can, as long as it looks like a real one: one parent and one child contract kind (第4条), an item
dimension (品目), a quantity, a consent flag, and options grouped into families the way
Secure Endpoint groups them by item (第5条第9項, 第15項, 第17項). A family is eligible for one to
three items and has support options, account-bound options, and perhaps a tunnel chain (接続,
機器, 現地作業), a storage option and an agent option with a designation. Its rules are the
kinds Secure Endpoint has (eligibility, prerequisites, applied together, equal accounts, caps,
cascades, exclusions) plus a minimum, a step and exactly-one designation. Rules are local to their
family, except one cross-family rule for every few families (an option that needs another
family's option, a shared cap), so the tariff stays satisfiable by construction and the orders
below can be built without a solver.

Scale k has about k times Secure Endpoint's rules (families are added until there are 35k) and
options; the item dimension grows slowly (9 values, one withdrawn, at 1x; 36 at 1000x). Everything
is drawn from `random.Random` seeded with strings, so a (scale, seed) pair always gives the same
text, and the text's second line records the pair: `valid_order` and `invalid_order` take the
text, its path or the loaded tariff and rebuild the plan from it.

From scale 100 on the text is about or over 2,000,000 bytes, the most `catalog.load(path)` reads
(`parser.MAX_SPEC_BYTES`, error E012); `load(text)` runs the same parse and resolution on the text.

`--time`, seed 0, on the shared 2-CPU machine (Python 3.11; one run, so orders of magnitude):

    scale  rules  instances  options  items  text KB  parse s  resolve s  load s  compile s  check ms  z3 check s
        1     36         73       35      9       19     0.01       0.00    0.02       0.00      0.02        0.09
       10    354        893      465     18      201     0.17       0.24    0.43       0.05      0.14        1.18
      100   3504       8850     4689     27     1991     2.57      32.75       -       0.75      1.14       20.76
     1000  35003      87661    46197     36    19822    29.65    3392.01       -       9.16     18.73           -

parse, resolve: `parse_text`, `resolve`; load: `catalog.load(path)`, both (`-`: over the cap);
compile: `Checker(tariff)`; check: one valid order of 4 contracts, concrete; z3 check: the same
order through Z3, encoding included. Resolution grows with the square of the size: it splits the
whole text once per rule (`resolve._source_lines`) and looks `it` up among the options' official
names (`_Exprs.ref` calls `option("it")` before testing for `it`). Without those two, resolving
takes about 1.5 s at scale 100 and 22 s at 1000.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

# Secure Endpoint at scale 1, as `catalog.load("secure-endpoint")` counts it (tests/test_synthetic.py
# checks that scale 1 stays near these): rules, options of `service`, values of `item` (1 legacy).
SE_RULES = 35  # calibrated before the fidelity rules of issue 13 (42 now); kept so results stay comparable
SE_OPTIONS = 46
SE_ITEMS = 9

FAMILIES_PER_CROSS_RULE = 4  # one cross-family rule for every this many families
FAMILIES_PER_CONTRACT = 8  # an order's contract takes at most this many families, at any scale
COUNT_CAP, SHARED_STORAGE_CAP = 4, 6  # per counted option (SE 第8条第3項, 第5項); two families together
CONNECTIONS_PER_TUNNEL = 10
MIN_LICENCES, LICENCE_STEP = 10, 5
PARENT_ID = "unit-1"

# Words for official names; a family's number keeps every name unique.
PRODUCT_LINES = ["アンチウイルス", "IT 資産管理", "ブラウジング保護", "ネットワーク防御", "データ保護",
                 "ID 管理", "ログ分析", "メール保護", "端末管理"]
FAMILY_AREAS = ["Web アクセス管理", "デバイス制御", "メール管理", "アプリ ID 監査", "リモートコントロール",
                "サーバ監視", "不正 PC 遮断", "ログ運用", "脅威調査", "バックアップ", "証明書管理", "構成管理"]
SUPPORT_NAMES = ["導入支援オプション", "教育支援オプション", "運用支援オプション", "設定代行オプション"]
ACCOUNT_NAMES = ["管理オプション", "管理 for Mac オプション", "監査オプション", "制御オプション",
                 "管理タイプ S オプション", "管理タイプ P オプション"]


# ---- the plan: what a synthetic tariff contains, before it is text ------------------------------

@dataclass(frozen=True)
class Item:
    id: str
    label: str
    legacy: bool = False


@dataclass
class Family:
    """Options that belong to one product area and the rules among them.

    Every rule of a family speaks only of the family's options and the contract, so a family's
    options can be chosen for an order, or broken, without looking at the rest of the tariff.
    """

    number: int
    area: str
    items: tuple[str, ...]  # the item ids whose contracts may have the family's options
    supports: int  # 1-4 options with no condition but the item
    accounts: int  # 2-6 options whose 利用アカウント数 equals the contract's
    exclusive: bool  # the last two account-bound options exclude each other (needs accounts >= 3)
    tunnel: bool  # 接続 (counted, with 接続数), 機器 (needs 接続), 現地作業 (needs 機器, applied together)
    storage: bool  # a counted option, capped, whose removal ends the contract
    agent: bool  # licences (a minimum and a step) and exactly one 代行処理
    link_to: "Family | None" = None  # a `link` option that needs link_to's first support option

    @property
    def article(self) -> int:
        return 10 + self.number

    @property
    def label(self) -> str:
        return f"{self.area} {self.number:04d}"

    def option(self, short: str) -> str:
        return f"f{self.number:04d}_{short}"

    def rule(self, short: str) -> str:
        return f"f{self.number:04d}_{short}"

    def cite(self, paragraph: int, item: int | None = None) -> str:
        return f"@第{self.article}条第{paragraph}項" + (f"({item})" if item is not None else "")

    @property
    def support_ids(self) -> list[str]:
        return [self.option(f"sup{k + 1}") for k in range(self.supports)]

    @property
    def account_ids(self) -> list[str]:
        return [self.option(f"acc{k + 1}") for k in range(self.accounts)]

    @property
    def exclusive_pair(self) -> tuple[str, str] | None:
        return tuple(self.account_ids[-2:]) if self.exclusive else None

    def counted_ids(self) -> list[str]:
        return ([self.option("base")] if self.tunnel else []) + ([self.option("storage")] if self.storage else [])

    def eligible_ids(self) -> list[str]:
        """Options whose one condition on the item is the family's eligibility rule."""
        return (self.support_ids + self.account_ids + self.counted_ids() +
                ([self.option("agent")] if self.agent else []))

    def option_ids(self) -> list[str]:
        chain = [self.option("device"), self.option("onsite")] if self.tunnel else []
        link = [self.option("link")] if self.link_to else []
        return self.eligible_ids() + chain + link

    def rule_count(self) -> int:
        return (2 + self.exclusive + 4 * self.tunnel + bool(self.counted_ids()) + self.storage + 3 * self.agent +
                bool(self.link_to))


@dataclass(frozen=True)
class SharedCap:
    """A cross-family cap: two families' storage options together (a reading SE 第8条第5項 rejected)."""

    first: Family
    second: Family

    @property
    def rule_id(self) -> str:
        return f"x{self.first.number:04d}_{self.second.number:04d}_storage"


@dataclass
class Plan:
    scale: int
    seed: int
    items: list[Item]
    families: list[Family]
    shared_caps: list[SharedCap] = field(default_factory=list)

    @property
    def legacy_item(self) -> Item:
        return next(i for i in self.items if i.legacy)

    def item_label(self, item_id: str) -> str:
        return next(i.label for i in self.items if i.id == item_id)

    def families_of(self, item_id: str) -> list[Family]:
        return [f for f in self.families if item_id in f.items]

    @property
    def cross_rules(self) -> int:
        return len(self.shared_caps) + sum(f.link_to is not None for f in self.families)

    def linked(self) -> set[int]:
        """Families a cross-family rule touches; faults leave them alone so each breaks one rule."""
        out = set()
        for f in self.families:
            if f.link_to is not None:
                out |= {f.number, f.link_to.number}
        for c in self.shared_caps:
            out |= {c.first.number, c.second.number}
        return out


GLOBAL_RULES = 5  # consent, parent, legacy item, no item change, cancellation notice


def plan(scale: int, seed: int = 0) -> Plan:
    """Draw the tariff's items and families until it has SE_RULES * scale rules."""
    if scale < 1:
        raise ValueError("scale must be 1 or more")
    rng = random.Random(f"synthetic:{scale}:{seed}")
    items = _items(scale)
    current = [i.id for i in items if not i.legacy]
    p = Plan(scale, seed, items, [])
    rules = GLOBAL_RULES
    while rules < SE_RULES * scale:
        n = len(p.families) + 1
        partner = rng.choice(p.families) if n % FAMILIES_PER_CROSS_RULE == 0 else None
        f = _family(n, current, rng, partner)
        if partner is not None and partner.storage and rng.random() < 0.5:
            f.storage = True
            p.shared_caps.append(SharedCap(partner, f))
            rules += 1
        elif partner is not None:
            f.link_to = partner
        p.families.append(f)
        rules += f.rule_count()
    return p


def _items(scale: int) -> list[Item]:
    """8 current items at scale 1, three more for each doubling, and one withdrawn item."""
    count = SE_ITEMS - 1 + 3 * int(math.log2(scale))
    out = []
    for k in range(count):
        line = PRODUCT_LINES[k % len(PRODUCT_LINES)]
        out.append(Item(f"item_{k + 1:02d}", f"{line}:タイプ {chr(ord('A') + k % 26)}"))
    out.append(Item("item_withdrawn", "アンチウイルス:旧タイプ", legacy=True))
    return out


def _family(n: int, current: list[str], rng: random.Random, partner: Family | None) -> Family:
    items = set(rng.sample(current, rng.randint(1, min(3, len(current)))))
    if partner is not None and not items & set(partner.items):
        items.add(rng.choice(partner.items))  # a cross-family rule must be satisfiable on some item
    accounts = rng.randint(2, 6)
    return Family(n, FAMILY_AREAS[rng.randrange(len(FAMILY_AREAS))],
                  tuple(sorted(items)), supports=rng.randint(1, 4), accounts=accounts,
                  exclusive=accounts >= 3 and rng.random() < 0.5, tunnel=rng.random() < 0.4,
                  storage=rng.random() < 0.5, agent=rng.random() < 0.4)


# ---- text ---------------------------------------------------------------------------------------

HEADER = re.compile(r"^# synthetic scale=(\d+) seed=(-?\d+)$", re.M)


def generate(scale: int, seed: int = 0) -> str:
    """The text of a synthetic .tariff spec about `scale` times Secure Endpoint's size."""
    return render(plan(scale, seed))


def render(p: Plan) -> str:
    parts = [_header(p), _contracts(p), _global_rules(p)]
    for f in p.families:
        parts.append(_family_rules(p, f))
    parts.extend(_shared_cap_rule(c) for c in p.shared_caps)
    parts.append(_notice_period())
    parts.extend(_family_data(f) for f in p.families)
    return "\n".join(parts)


def _header(p: Plan) -> str:
    return textwrap.dedent(f"""\
        # A synthetic tariff for benchmarks, written by benchmarks/synthetic.py; not a real tariff.
        # synthetic scale={p.scale} seed={p.seed}
        # {len(p.families)} option families on {len(p.items)} items, {p.cross_rules} cross-family rules.

        tariff synthetic_x{p.scale} "合成エンドポイントサービス {p.scale} 倍規模"
          source "synthetic.txt"
          as_of 2025-10-01

        history {{
          version 2025-10-01 "令和7年10月1日施行" @附則(令和7年10月1日施行)
        }}
        """)


def _contracts(p: Plan) -> str:
    lines = ['contract unit "親たる契約" @第4条第1項 {', "}", "",
             'contract service "子たる契約" @第4条第1項 parent unit {',
             '  dimension item "品目" @第1条 {']
    for i in p.items:
        cite = " @附則(令和7年10月1日施行)第2項" if i.legacy else ""
        lines.append(f'    {"legacy " if i.legacy else ""}{i.id} "{i.label}"{cite}')
    lines += ["  }",
              '  quantity accounts "契約アカウント数" @第7条第1項(1)',
              '  flag licensor_consent "ライセンサー等が定める事項への同意" @第5条第1項',
              '  date billing_start "課金開始日" @第3条第1項',
              '  option_date billing_start "課金開始日" @第8条第6項']
    for f in p.families:
        lines += ["", f"  # {f.label}: items {', '.join(f.items)}"]
        lines += [f"  {x}" for x in _family_options(f)]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _family_options(f: Family) -> list[str]:
    """The option declarations of a family, each cited to its item of 第A条第1項."""
    out: list[str] = []
    numbered = iter(range(1, 100))

    def declare(short: str, name: str, extra: str = "", body: list[str] | None = None) -> None:
        head = f'option {f.option(short)} "{f.label} {name}" {f.cite(1, next(numbered))}{extra}'
        out.append(head + (" {" if body else ""))
        if body:
            out.extend(f"  {b}" for b in body)
            out.append("}")

    for k in range(f.supports):
        declare(f"sup{k + 1}", SUPPORT_NAMES[k])
    for k in range(f.accounts):
        declare(f"acc{k + 1}", ACCOUNT_NAMES[k], body=[f'quantity accounts "利用アカウント数" {f.cite(3)}'])
    if f.tunnel:
        declare("base", "接続オプション", " counted", [f'quantity connections "接続数" {f.cite(5)} default 0'])
        declare("device", "機器オプション")
        declare("onsite", "現地作業オプション")
    if f.storage:
        declare("storage", "ストレージ追加オプション", " counted")
    if f.agent:
        declare("agent", "代行オプション", body=[
            f'quantity licences "利用ライセンス数" {f.cite(7)}',
            f'attribute mode "代行処理" {f.cite(7)} {{ lock "ロック処理"  wipe "ワイプ処理" }}'])
    if f.link_to:
        declare("link", f"{f.link_to.label} 連携オプション")
    return out


def _rule(rule_id: str, cite: str, body: str, ja: str, en: str, also: list[str] | None = None,
          scope: str | None = None) -> str:
    """One rule declaration; the DSL requires the clause and both messages (E005, E007)."""
    head = f"rule {rule_id} {cite}" + (" also " + ", ".join(also) if also else "") + (f" in {scope}" if scope else "")
    body_lines = textwrap.wrap(body, 100, initial_indent="  ", subsequent_indent="      ", break_on_hyphens=False)
    return "\n".join([head + " {", *body_lines, f'  ja "{ja}"', f'  en "{en}"', "}", ""])


def _for(option_ids: list[str]) -> str:
    return "for " + ", ".join(option_ids)


def _items_condition(items: tuple[str, ...]) -> str:
    return f"item == {items[0]}" if len(items) == 1 else "item in {" + ", ".join(items) + "}"


def _items_words(p: Plan, items: tuple[str, ...], joiner: str) -> str:
    return joiner.join(p.item_label(i) for i in items)


def _global_rules(p: Plan) -> str:
    legacy = p.legacy_item
    return "\n".join([
        "# ---- rules of the whole contract " + "-" * 60, "",
        _rule("g_consent", "@第5条第1項", "require licensor_consent",
              "本サービスを利用するには、ライセンサー等が定める事項に同意する必要があります。",
              "Using the service requires agreeing to the terms set by the software's licensors."),
        _rule("g_parent", "@第4条第2項", "when is_new require has_parent",
              "子たる契約には、親たる契約が必要です。注文に親たる契約を指定してください。",
              "A child contract needs its parent contract; name it as `parent` in the order.", scope="service"),
        _rule("g_withdrawn_item", "@第1条", f"forbid changed(item) and item == {legacy.id}",
              f"{legacy.label}は第1条の品目ではなく、新たに申し込むことはできません。",
              f"{legacy.label} is not an item of 第1条 and cannot be newly ordered.",
              also=["@附則(令和7年10月1日施行)第2項"]),
        _rule("g_item_change", "@第7条第1項", "when is_change require not changed(item)",
              "契約内容の変更で品目を変更することはできません。", "A change of contract cannot change the item."),
    ])


def _family_rules(p: Plan, f: Family) -> str:
    """A family's rules, in the order Secure Endpoint writes them: eligibility, conditions, caps."""
    items_ja, items_en = _items_words(p, f.items, " 又は "), _items_words(p, f.items, " or ")
    parts = [f"# ---- {f.label} (第{f.article}条)", "",
             _rule(f.rule("eligible"), f.cite(2), f"{_for(f.eligible_ids())} require {_items_condition(f.items)}",
                   f"{{it}}を利用するには、品目を{items_ja}とする契約である必要があります。",
                   f"{{it}} needs a contract whose item is {items_en}.",
                   also=[f.cite(1, 1)]),
             _rule(f.rule("equal_accounts"), f.cite(3), f"{_for(f.account_ids)} require it.accounts == accounts",
                   "{it}の利用アカウント数は、契約アカウント数と同数である必要があります。",
                   "The accounts of {it} must equal the contract's accounts.")]
    if f.exclusive:
        a, b = f.exclusive_pair
        parts.append(_rule(f.rule("exclusive"), f.cite(3), f"require at_most_one({a}, {b})",
                           f"{f.label} の管理タイプ S と管理タイプ P は、同時に利用できません。",
                           f"{f.label}: タイプ S and タイプ P cannot be used together."))
    if f.tunnel:
        parts += _tunnel_rules(f, items_ja, items_en)
    if f.counted_ids():
        parts.append(_rule(f.rule("count_cap"), f.cite(5), f"{_for(f.counted_ids())} require it.count <= {COUNT_CAP}",
                           f"{{it}}の契約可能数の上限は、一の契約あたり {COUNT_CAP} です。",
                           f"At most {COUNT_CAP} {{it}} per contract."))
    if f.storage:
        storage = f.option("storage")
        parts.append(_rule(f.rule("storage_cascade"), f.cite(6), f"require ends_with(contract, {storage})",
                           f"{f.label} ストレージ追加オプションが削除された場合、対応する契約は同日に解除されます。",
                           f"Ending the {f.label} storage option cancels its contract the same day; the request must "
                           "cancel the contract too."))
    if f.agent:
        parts += _agent_rules(f)
    if f.link_to:
        parts.append(_link_rule(p, f))
    return "\n".join(parts)


def _tunnel_rules(f: Family, items_ja: str, items_en: str) -> list[str]:
    base, device, onsite = f.option("base"), f.option("device"), f.option("onsite")
    return [
        _rule(f.rule("device"), f.cite(4), f"for {device} require {_items_condition(f.items)} and {base}",
              f"{{it}}を利用するには、品目を{items_ja}とする契約で、かつ、接続オプションの利用者である必要があります。",
              f"{{it}} needs item {items_en} and the family's 接続オプション."),
        _rule(f.rule("onsite"), f.cite(4), f"for {onsite} require {_items_condition(f.items)} and {device}",
              f"{{it}}を利用するには、品目を{items_ja}とする契約で、かつ、機器オプションの利用者である必要があります。",
              f"{{it}} needs item {items_en} and the family's 機器オプション."),
        _rule(f.rule("applied_together"), f.cite(4), f"for {onsite} require applied_together({onsite}, {device})",
              "{it}と機器オプションは、同時に利用の申込を行う必要があります。",
              "{it} and the 機器オプション must be applied for together, in the same request."),
        _rule(f.rule("connections"), f.cite(5),
              f"for {base} require it.connections <= {CONNECTIONS_PER_TUNNEL} * it.count",
              f"一の{{it}}の接続可能数は {CONNECTIONS_PER_TUNNEL} です。",
              f"Each {{it}} carries at most {CONNECTIONS_PER_TUNNEL} connections."),
    ]


def _agent_rules(f: Family) -> list[str]:
    agent = f.option("agent")
    return [
        _rule(f.rule("one_mode"), f.cite(7), f"for {agent} require exactly_one(it.mode)",
              "{it}では、代行処理としてロック処理又はワイプ処理のいずれか一方を指定する必要があります。",
              "{it} designates exactly one 代行処理: ロック処理 or ワイプ処理."),
        _rule(f.rule("min_licences"), f.cite(7), f"for {agent} require it.licences >= {MIN_LICENCES}",
              f"{{it}}の利用ライセンス数は {MIN_LICENCES} 以上である必要があります。",
              f"{{it}} needs at least {MIN_LICENCES} licences."),
        _rule(f.rule("licence_step"), f.cite(7), f"for {agent} require multiple_of(it.licences, {LICENCE_STEP})",
              f"{{it}}の利用ライセンス数は {LICENCE_STEP} ライセンス単位である必要があります。",
              f"The licences of {{it}} come in steps of {LICENCE_STEP}."),
    ]


def _link_items(f: Family) -> tuple[str, ...]:
    return tuple(sorted(set(f.items) & set(f.link_to.items)))


def _link_rule(p: Plan, f: Family) -> str:
    items = _link_items(f)
    target = f.link_to.support_ids[0]
    return _rule(f.rule("link"), f.cite(8), f"for {f.option('link')} require {_items_condition(items)} and {target}",
                 f"{{it}}を利用するには、品目を{_items_words(p, items, ' 又は ')}とする契約で、かつ、"
                 f"{f.link_to.label} {SUPPORT_NAMES[0]}の利用者である必要があります。",
                 f"{{it}} needs item {_items_words(p, items, ' or ')} and {f.link_to.label} {SUPPORT_NAMES[0]}.",
                 also=[f.link_to.cite(2)])


def _shared_cap_rule(c: SharedCap) -> str:
    a, b = c.first.option("storage"), c.second.option("storage")
    return _rule(c.rule_id, c.second.cite(8), f"require {a}.count + {b}.count <= {SHARED_STORAGE_CAP}",
                 f"{c.first.label} 及び {c.second.label} のストレージ追加オプションの契約可能数の合計の上限は "
                 f"{SHARED_STORAGE_CAP} です。",
                 f"At most {SHARED_STORAGE_CAP} storage options of {c.first.label} and {c.second.label} together.")


def _notice_period() -> str:
    return "\n".join([
        "# ---- cancellation " + "-" * 74, "",
        "derive earliest_cancellation \"解除の効力が生ずる最も早い日\" @第9条第1項 = notice_arrived + 30 days",
        "  when is_cancellation", "",
        _rule("g_notice_period", "@第9条第1項", "when is_cancellation require requested_date >= notice_arrived + 30 days",
              "解除の効力は、解約申込書が到達した日から 30 日を経過する日より前には生じません。"
              "最も早い日は {earliest_cancellation} です。",
              "A cancellation cannot take effect before 30 days have passed since the notice arrived; "
              "the earliest day is {earliest_cancellation}."),
    ])


def _family_data(f: Family) -> str:
    """A quoted monthly fee for the family's options and, as Secure Endpoint has for its counted and
    licensed options only (第8条第6項), a minimum period for those."""
    termed = f.counted_ids() + ([f.option("agent")] if f.agent else [])
    period = [f'period {f.option("min_use")} "最低利用期間" {f.cite(9)} {_for(termed)}',
              "  = 1 month from it.billing_start"] if termed else []
    return "\n".join([
        *period,
        f'fee monthly {f.option("monthly")} "月額費用" @"別紙1 2({f.number})" in service {_for(f.option_ids())} {{',
        "  quoted", "}", ""])


# ---- orders -------------------------------------------------------------------------------------

def plan_of(tariff) -> Plan:
    """The plan behind a synthetic spec: a Plan, its text, a path to it, or the loaded tariff."""
    if isinstance(tariff, Plan):
        return tariff
    text = getattr(tariff, "text", tariff)  # a loaded tariffcheck model keeps its source text
    if isinstance(text, os.PathLike) or (isinstance(text, str) and text.endswith(".tariff") and "\n" not in text):
        text = Path(text).read_text(encoding="utf-8")
    m = HEADER.search(text)
    if m is None:
        raise ValueError("not a synthetic tariff: no `# synthetic scale=K seed=S` line")
    p = plan(int(m.group(1)), int(m.group(2)))
    if render(p) != text:
        raise ValueError("the spec differs from what generate() writes for its scale and seed")
    return p


def valid_order(tariff, seed: int = 0, contracts: int = 3) -> dict:
    """A new order that every rule accepts: a parent and `contracts` service contracts, each with
    up to FAMILIES_PER_CONTRACT of the families its item allows, each family configured validly."""
    p = plan_of(tariff)
    rng = random.Random(f"valid:{seed}")
    with_families = [i.id for i in p.items if not i.legacy and p.families_of(i.id)]
    order = {"request": "new", "application_date": "2025-10-01",
             "contracts": [{"id": PARENT_ID, "contract": "unit"}]}
    for k in range(contracts):
        order["contracts"].append(_service_contract(p, f"svc-{k + 1}", rng.choice(with_families), rng))
    return order


def _service_contract(p: Plan, contract_id: str, item: str, rng: random.Random) -> dict:
    eligible = p.families_of(item)
    chosen = rng.sample(eligible, min(FAMILIES_PER_CONTRACT, len(eligible)))
    accounts = 10 * rng.randint(1, 50)
    options: dict[str, object] = {}
    for f in chosen:
        options.update(_valid_options(f, accounts, rng))
    numbers = {f.number for f in chosen}
    for f in chosen:  # a link option only where its partner family's first support is ordered too
        if f.link_to is not None and f.link_to.number in numbers and item in _link_items(f):
            options[f.option("link")] = True
    # the item by its official name now and then: orders name things either way (docs/orders.md)
    item_name = p.item_label(item) if rng.random() < 0.5 else item
    return {"id": contract_id, "contract": "service", "parent": PARENT_ID, "item": item_name,
            "accounts": accounts, "licensor_consent": True, "options": options}


def _valid_options(f: Family, accounts: int, rng: random.Random) -> dict[str, object]:
    """Options of one family that satisfy all its rules (its first support always: links need it)."""
    out: dict[str, object] = {f.support_ids[0]: True}
    out.update({s: True for s in f.support_ids[1:] if rng.random() < 0.5})
    picked = [a for a in f.account_ids if rng.random() < 0.6]
    if f.exclusive and set(f.exclusive_pair) <= set(picked):
        picked.remove(rng.choice(f.exclusive_pair))
    out.update({a: {"accounts": accounts} for a in picked})
    if f.tunnel and rng.random() < 0.7:
        count = rng.randint(1, COUNT_CAP)
        out[f.option("base")] = {"count": count, "connections": rng.randint(0, CONNECTIONS_PER_TUNNEL * count)}
        if rng.random() < 0.7:
            out[f.option("device")] = True
            if rng.random() < 0.5:
                out[f.option("onsite")] = True
    if f.storage and rng.random() < 0.6:
        out[f.option("storage")] = rng.randint(1, SHARED_STORAGE_CAP // 2)  # two families' sum stays capped
    if f.agent and rng.random() < 0.7:
        out[f.option("agent")] = {"licences": LICENCE_STEP * rng.randint(MIN_LICENCES // LICENCE_STEP, 40),
                                  "mode": rng.choice(["lock", "ワイプ処理"])}
    return out


# ---- faults: each breaks exactly one rule instance ----------------------------------------------
# A fault rewrites one family's options on one contract (or the contract itself) so that one rule
# instance fails and every other instance still holds. Families a cross-family rule touches are
# left alone, and no two faults touch the same (contract, family), so faults do not interact.

Break = tuple[str, str, str | None]  # (rule id, contract id in the order, subject option or None)


def _fault_ineligible(f: Family, c: dict) -> Break:
    c["options"][f.support_ids[0]] = True
    return f.rule("eligible"), c["id"], f.support_ids[0]


def _fault_device_without_base(f: Family, c: dict) -> Break:
    _drop(c, f.option("base"), f.option("onsite"))
    c["options"][f.option("device")] = True
    return f.rule("device"), c["id"], f.option("device")


def _fault_onsite_without_device(f: Family, c: dict) -> Break:
    _drop(c, f.option("device"))
    c["options"][f.option("base")] = {"count": 1, "connections": 0}
    c["options"][f.option("onsite")] = True
    return f.rule("onsite"), c["id"], f.option("onsite")


def _fault_too_many_tunnels(f: Family, c: dict) -> Break:
    c["options"][f.option("base")] = {"count": COUNT_CAP + 1, "connections": 0}
    return f.rule("count_cap"), c["id"], f.option("base")


def _fault_too_many_connections(f: Family, c: dict) -> Break:
    c["options"][f.option("base")] = {"count": 1, "connections": CONNECTIONS_PER_TUNNEL + 1}
    return f.rule("connections"), c["id"], f.option("base")


def _fault_too_much_storage(f: Family, c: dict) -> Break:
    c["options"][f.option("storage")] = COUNT_CAP + 1
    return f.rule("count_cap"), c["id"], f.option("storage")


def _fault_unequal_accounts(f: Family, c: dict) -> Break:
    first = f.account_ids[0]  # never one of the exclusive pair: the pair is the last two of >= 3
    c["options"][first] = {"accounts": c["accounts"] + 1}
    return f.rule("equal_accounts"), c["id"], first


def _fault_both_exclusive(f: Family, c: dict) -> Break:
    for a in f.exclusive_pair:
        c["options"][a] = {"accounts": c["accounts"]}
    return f.rule("exclusive"), c["id"], None


def _fault_two_modes(f: Family, c: dict) -> Break:
    c["options"][f.option("agent")] = {"licences": 5 * LICENCE_STEP, "mode": ["lock", "wipe"]}
    return f.rule("one_mode"), c["id"], f.option("agent")


def _fault_too_few_licences(f: Family, c: dict) -> Break:
    c["options"][f.option("agent")] = {"licences": LICENCE_STEP * (MIN_LICENCES // LICENCE_STEP - 1), "mode": "lock"}
    return f.rule("min_licences"), c["id"], f.option("agent")


def _fault_off_step(f: Family, c: dict) -> Break:
    c["options"][f.option("agent")] = {"licences": MIN_LICENCES + LICENCE_STEP + 1, "mode": "lock"}
    return f.rule("licence_step"), c["id"], f.option("agent")


def _drop(c: dict, *option_ids: str) -> None:
    for o in option_ids:
        c["options"].pop(o, None)


# fault -> what the family needs for it; every fault but the first needs the item to be eligible
FAMILY_FAULTS = {
    _fault_ineligible: lambda f: True,
    _fault_device_without_base: lambda f: f.tunnel,
    _fault_onsite_without_device: lambda f: f.tunnel,
    _fault_too_many_tunnels: lambda f: f.tunnel,
    _fault_too_many_connections: lambda f: f.tunnel,
    _fault_too_much_storage: lambda f: f.storage,
    _fault_unequal_accounts: lambda f: True,
    _fault_both_exclusive: lambda f: f.exclusive,
    _fault_two_modes: lambda f: f.agent,
    _fault_too_few_licences: lambda f: f.agent,
    _fault_off_step: lambda f: f.agent,
}
CONTRACT_FAULTS = ("no_consent", "withdrawn_item", "no_parent")


def invalid_order(tariff, n_violations: int, seed: int = 0) -> dict:
    """valid_order(tariff, seed) with about n faults built in, each breaking one rule instance
    (fewer when a small tariff has no room for more); planned_violations() names them."""
    return _invalid(plan_of(tariff), n_violations, seed)[0]


def planned_violations(tariff, n_violations: int, seed: int = 0) -> set[Break]:
    """The rule instances invalid_order(tariff, n_violations, seed) was built to break."""
    return set(_invalid(plan_of(tariff), n_violations, seed)[1])


def _invalid(p: Plan, n: int, seed: int) -> tuple[dict, list[Break]]:
    order = valid_order(p, seed)
    rng = random.Random(f"invalid:{seed}:{n}")
    services = order["contracts"][1:]
    linked = p.linked()
    free = [f for f in p.families if f.number not in linked]
    kinds = list(FAMILY_FAULTS) + list(CONTRACT_FAULTS)
    rng.shuffle(kinds)
    used: set[tuple[str, object]] = set()
    breaks: list[Break] = []
    for attempt in range(40 * n + 40):
        if len(breaks) >= n:
            break
        kind = kinds[attempt % len(kinds)]
        if kind in CONTRACT_FAULTS:
            b = _contract_fault(kind, p, order, rng, used)
        else:
            b = _family_fault(kind, p, services, free, linked, rng, used)
        if b is not None:
            breaks.append(b)
    order["description"] = f"synthetic order built to break {len(breaks)} rule instances"
    return order, breaks


def _family_fault(fault, p: Plan, services: list[dict], free: list[Family], linked: set[int],
                  rng: random.Random, used: set) -> Break | None:
    c = rng.choice(services)
    item = _item_id(p, c["item"])
    pool = free if fault is _fault_ineligible else [f for f in p.families_of(item) if f.number not in linked]
    if not pool:
        return None
    f = rng.choice(pool)
    eligible = item in f.items
    if (c["id"], f.number) in used or not FAMILY_FAULTS[fault](f) or eligible == (fault is _fault_ineligible):
        return None
    used.add((c["id"], f.number))
    return fault(f, c)


def _contract_fault(kind: str, p: Plan, order: dict, rng: random.Random, used: set) -> Break | None:
    """A fault of a contract's own fields: consent withheld, or one more contract that breaks only
    the withdrawn-item or the parent rule (it has no options)."""
    if kind == "no_consent":
        c = rng.choice(order["contracts"][1:])
        if (c["id"], kind) in used:
            return None
        used.add((c["id"], kind))
        c["licensor_consent"] = False
        return "g_consent", c["id"], None
    if kind in used:
        return None
    used.add(kind)
    extra = {"id": f"svc-{kind}", "contract": "service", "parent": PARENT_ID, "item": p.items[0].id,
             "accounts": 10, "licensor_consent": True}
    if kind == "withdrawn_item":
        extra["item"] = p.legacy_item.id
        rule = "g_withdrawn_item"
    else:
        del extra["parent"]
        rule = "g_parent"
    order["contracts"].append(extra)
    return rule, extra["id"], None


def _item_id(p: Plan, name: str) -> str:
    return next(i.id for i in p.items if name in (i.id, i.label))


# ---- loading and measuring ---------------------------------------------------------------------
# tariffcheck is imported inside these functions, so that writing a spec does not need it.

def load(text: str, name: str = "<synthetic>"):
    """Parse and resolve a spec's text, as `catalog.load` does a file's, but without the loader's
    cap on spec files (2,000,000 bytes, error E012): the text of scale 100 is about that size and
    scale 1000's ten times it, so larger tariffs can only be loaded this way."""
    from tariffcheck import catalog
    from tariffcheck.syntax.parser import parse_text
    from tariffcheck.resolve import resolve

    return resolve(parse_text(text, name), catalog.link_bundled)


def measure(scales: list[int], seed: int = 0, z3_up_to: int = 10, out=sys.stdout) -> list[dict]:
    """Time each stage on the tariff of each scale and print a row per scale: Lark parse, resolution,
    `catalog.load(path)` (both, from a file; `-` where the file is over the loader's cap),
    compiling the concrete validator, and checking one valid order concretely and (up to scale
    `z3_up_to`) through Z3, the first Z3 check including the encoding of its contracts."""
    from tariffcheck import catalog
    from tariffcheck.api import Checker
    from tariffcheck.syntax.parser import MAX_SPEC_BYTES, parse_text
    from tariffcheck.resolve import resolve

    parse_text(generate(1, seed))  # build the Lark parser once, outside the timings
    columns = ("scale  rules  instances  options  items  text KB  parse s  resolve s  load s  compile s"
               "  check ms  z3 check s")
    print(columns, file=out)
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for scale in scales:
            text = generate(scale, seed)
            row = {"scale": scale, "text_kb": len(text.encode()) // 1024}
            t0 = time.perf_counter()
            tree = parse_text(text, f"synthetic_x{scale}")
            t1 = time.perf_counter()
            tariff = resolve(tree, catalog.link_bundled)
            t2 = time.perf_counter()
            row |= {"parse_s": t1 - t0, "resolve_s": t2 - t1, "load_s": None}
            if len(text.encode()) <= MAX_SPEC_BYTES:
                path = Path(d) / f"synthetic_x{scale}.tariff"
                path.write_text(text, encoding="utf-8")
                t2 = time.perf_counter()
                tariff = catalog.load(str(path))
                row["load_s"] = time.perf_counter() - t2
            t3 = time.perf_counter()
            checker = Checker(tariff)
            compiled = time.perf_counter()
            order = checker.decode(valid_order(text, seed))
            t4 = time.perf_counter()
            checker.check(order)
            t5 = time.perf_counter()
            row |= {"compile_s": compiled - t3, "check_ms": 1000 * (t5 - t4), "z3_s": None}
            if scale <= z3_up_to:
                checker.check(order, engine="z3")
                row["z3_s"] = time.perf_counter() - t5
            row |= _size_of(tariff)
            rows.append(row)
            print(_measure_line(row), file=out, flush=True)
    return rows


def _size_of(tariff) -> dict[str, int]:
    kind = tariff.contracts["service"]
    return {"rules": len(tariff.rules), "instances": sum(len(r.subjects) for r in tariff.rules),
            "options": len(kind.options), "items": len(kind.dimensions["item"].values)}


def _measure_line(row: dict) -> str:
    def seconds(x, width):
        return f"{x:{width}.2f}" if x is not None else " " * (width - 1) + "-"

    return (f"{row['scale']:5d}  {row['rules']:5d}  {row['instances']:9d}  {row['options']:7d}  {row['items']:5d}  "
            f"{row['text_kb']:7d}  {seconds(row['parse_s'], 7)}  {seconds(row['resolve_s'], 9)}  "
            f"{seconds(row['load_s'], 6)}  {seconds(row['compile_s'], 9)}  {row['check_ms']:8.2f}  "
            f"{seconds(row['z3_s'], 10)}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write a synthetic tariff about SCALE times Secure Endpoint's size.")
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", help="the .tariff file to write (standard output when not given)")
    ap.add_argument("--valid-order", metavar="PATH", help="also write a valid order for it (JSON)")
    ap.add_argument("--invalid-order", metavar="PATH", help="also write an order built to break --violations rules")
    ap.add_argument("--violations", type=int, default=3)
    ap.add_argument("--time", nargs="*", type=int, metavar="SCALE",
                    help="time loading and compiling at these scales (default 1 10 100 1000) instead")
    ap.add_argument("--z3-up-to", type=int, default=10, help="with --time: check through Z3 up to this scale")
    args = ap.parse_args(argv)
    if args.time is not None:
        measure(args.time or [1, 10, 100, 1000], args.seed, args.z3_up_to)
        return 0
    p = plan(args.scale, args.seed)
    text = render(p)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    for path, order in ((args.valid_order, lambda: valid_order(p, args.seed)),
                        (args.invalid_order, lambda: invalid_order(p, args.violations, args.seed))):
        if path:
            Path(path).write_text(json.dumps(order(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
