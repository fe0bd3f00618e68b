"""The typed shapes of the service's answers, for its OpenAPI document.

The answers themselves are built by the same report modules as the CLI's `--format json`
(report/*_report.py, docs/results.md), so the service and the CLI say the same thing byte for
byte; these models describe that format for the clients' code generators, and Schemathesis
checks every answer against them. Every model allows fields it does not name: the result
format grows by adding fields (docs/results.md), and an old client must keep working.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class TariffRef(Open):
    id: str
    title: str
    version: str = Field(description="the spec's `as_of` date (YYYY-MM-DD), or `undated`")
    content_hash: str = Field(description="SHA-256 of the spec file: the same hash, the same rules")


class Clause(Open):
    text: str = Field(description="the citation as the tariff writes it, e.g. 第5条第19項")
    article: int | None = None
    paragraph: int | None = None
    item: int | None = None


class Message(Open):
    ja: str
    en: str


class Named(Open):
    id: str
    name: str


class FieldValue(Open):
    path: str = Field(description="the order field, e.g. contracts[1].options.tunnel.count")
    value: Any = None


class Source(Open):
    file: str
    line: int


class Violation(Open):
    rule: str
    kind: str
    clause: Clause
    also: list[Clause]
    contract: str | None
    subject: Named | None
    message: Message
    fields: list[FieldValue]
    source: Source


class Effective(Open):
    id: str
    label: str
    clause: Clause | None
    contract: str | None
    subject: Named | None
    day: str | None
    requested: str | None
    moved: bool


class CheckResult(Open):
    format: int
    tariff: TariffRef
    request: str
    verdict: Literal["valid", "invalid", "unknown"]
    violations: list[Violation]
    notes: list[Any]
    effective: list[Effective] | None = None


class Tie(Open):
    rule: str
    clause: Clause
    also: list[Clause]
    contract: str | None
    subject: Named | None
    message: Message
    fields: list[FieldValue]
    source: Source


class Conflict(Open):
    choices: list[FieldValue]
    rules: list[Tie]


class ExplainResult(Open):
    format: int
    tariff: TariffRef
    request: str
    status: str = Field(description="valid, invalid, or unknown (the solver ran out of time: never a guess)")
    complete: bool
    reason: str | None
    question: dict[str, Any] | None = Field(description="for why-not: the option asked about")
    conflicts: list[Conflict]
    notes: list[Any]


class Change(Open):
    path: str
    before: Any = None
    after: Any = None
    weight: int
    distance: int
    satisfies: list[dict[str, Any]]


class Repair(Open):
    cost: int
    distance: int
    changes: list[Change]
    notes: list[Any]
    order: dict[str, Any] | None = Field(description="the repaired order, in the order format")


class RepairResult(Open):
    format: int
    tariff: TariffRef
    request: str
    status: str = Field(description="valid, repaired, none, or unknown")
    complete: bool
    reason: str | None
    locked: list[str]
    repairs: list[Repair]
    notes: list[Any]


class OptionsResult(Open):
    format: int
    tariff: TariffRef
    status: str = Field(description="open, conflict, or unknown")
    complete: bool
    reason: str | None
    conflict: Conflict | None
    fields: list[dict[str, Any]] = Field(description="each open field: what it may still be, and why not the rest")
    not_analysed: list[str]
    notes: list[Any]


class Day(Open):
    id: str
    label: str
    what: str
    contract: str | None
    subject: str | None
    clause: Clause | None
    day: str | None


class DatesResult(Open):
    format: int
    tariff: TariffRef
    request: str
    days: list[Day]
    notes: list[Any]


class QuoteLine(Open):
    fee: str
    label: str
    kind: str
    contract: str | None
    subject: str | None
    clause: Clause | None
    amount: int | None
    basis: str | None


class QuoteResult(Open):
    format: int
    tariff: TariffRef
    request: str
    lines: list[QuoteLine]
    totals: dict[str, dict[str, Any]]
    notes: list[Any]


class BatchItem(Open):
    index: int = Field(description="the order's place in the request, from 0")
    result: CheckResult | None = Field(None, description="the check result, when the order could be read")
    problem: Problem | None = Field(None, description="why the order has no result (a malformed order)")


class BatchResult(Open):
    format: int
    tariff: TariffRef
    counts: dict[str, int] = Field(description="results per verdict, and `error` for malformed orders")
    results: list[BatchItem]


class DiagnosticModel(Open):
    code: str = Field(description="the stable code of docs/errors.md, e.g. O003")
    severity: str
    message: str
    field: str | None = Field(None, description="the order field, e.g. contracts[0].item")
    help: str | None = None


class Problem(Open):
    """An error, as RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    code: str | None = None
    errors: list[DiagnosticModel] | None = None


class Choice(Open):
    id: str
    name: str = Field(description="the official name (正式名称) in the tariff")


class DimensionInfo(Open):
    id: str
    name: str
    values: list[Choice] = Field(description="the values an order may choose (品目 and the like)")


class ContractKindInfo(Open):
    id: str
    name: str
    dimensions: list[DimensionInfo]
    options: list[Choice]


class TariffSummary(Open):
    name: str = Field(description="the name in URLs")
    id: str
    title: str
    version: str
    content_hash: str


class TariffDetail(TariffSummary):
    rules: int
    contracts: list[ContractKindInfo]


class TariffList(Open):
    tariffs: list[TariffSummary]


class ReloadResult(Open):
    loaded: list[str]
    unchanged: list[str]
    removed: list[str]
    failed: list[dict[str, Any]]
    serving: dict[str, dict[str, str]]


BatchItem.model_rebuild()


class ReviewRequest(BaseModel):
    """The body of `POST /v1/review`: two versions of a tariff, as the texts of their .tariff files."""

    model_config = ConfigDict(extra="forbid")
    old: str = Field(description="the old version: the text of its .tariff file")
    new: str = Field(description="the new version: the text of its .tariff file")
    old_name: str = Field("old.tariff", min_length=1, max_length=200,
                          description="the file name the page and the errors give the old version")
    new_name: str = Field("new.tariff", min_length=1, max_length=200,
                          description="the file name the page and the errors give the new version")
