"""The school's own rules where the regulations differ, each default citing its article.

The five regulations in /shared/regulations divide authority alike in the main, but not in
everything: who may enter marks for a teacher, when corrections close, until when supplementary
results may change, who operates the school's seal. Each such point is a rule of `RULES`, whose
default is the strictest reading (the article is named); a school moves it only by the
principal's decision (003 Điều 3.2–3.3: the principal manages the accounts, decides the locks
and the procedures after them; 004 Điều 9.1: the admin advises the principal on the school's
rules), so `set_rule` takes the principal acting, or an admin naming the principal who decided
(`decided_by`, a staff code, as `hocba close --decided-by`). Every change is audited with the
decision and the executor; the row keeps them too (core.models.SchoolRule).

Services ask `school_rules(school_id)` for the school's `Rules` when they apply one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from core import audit, clock
from core.errors import InvalidValue, NotFound, PermissionDenied
from core.i18n import _
from core.models import Role, SchoolRule, Staff
from core.services.access import Actor
from core.text import hidden_character


@dataclass(frozen=True)
class Rules:
    """A school's rules, as services apply them (the defaults are the regulations')."""

    admin_enters_marks: bool = False  # 001 Điều 17.2: teachers enter their own marks
    correction_cutoff: str = "lock"  # "lock": 000 Điều 8; "exam": 003 Điều 8.3
    supplementary_end: str = "001"  # 15/8 (001 Điều 25.2); "000": 20/8; "002": 25/8
    seal_operator: str = "clerk"  # 001 Điều 24.5d; "admin": 004 Điều 9.4, 9.6

    @property
    def supplementary_day(self) -> tuple[int, int]:
        """(month, day) the supplementary results end by default (the calendar's
        `supplementary.end`, unless the school set that date itself)."""
        return SUPPLEMENTARY_DAYS[self.supplementary_end]


# The end of supplementary results by each regulation: 001 Điều 25.2 (15/8), 000 Điều 6 (the
# sync to the ministry's database by 20/8), 002 mục II.2 (the supplementary package by 25/8).
SUPPLEMENTARY_DAYS = {"001": (8, 15), "000": (8, 20), "002": (8, 25)}
SHOWN = 32  # characters of a mistyped key, value or code a refusal repeats
CODE_LENGTH = 32  # the longest staff code (Staff.code)


@dataclass(frozen=True)
class Choice:
    """One allowed value of a rule: what it means and the article it follows."""

    value: str
    meaning: Callable[[], str]  # translated when read: a message is in its reader's language
    article: str


@dataclass(frozen=True)
class RuleSpec:
    """A rule: its key, label, allowed values (the first is the default)."""

    key: str
    label: Callable[[], str]
    choices: tuple[Choice, ...]

    @property
    def default(self) -> Choice:
        return self.choices[0]

    def choice(self, value: str) -> Choice | None:
        return next((c for c in self.choices if c.value == value), None)

    def allowed(self) -> str:
        """The allowed values with their meaning, one per line, for a refusal or a listing."""
        return "\n".join(f"  {c.value}: {c.meaning()} ({c.article})" for c in self.choices)


RULES: dict[str, RuleSpec] = {
    spec.key: spec
    for spec in (
        RuleSpec(
            "admin_enters_marks",
            lambda: _("Quản trị nhập điểm hộ giáo viên"),
            (
                Choice(
                    "no",
                    lambda: _("không: chỉ giáo viên được phân công dạy môn nhập điểm môn đó"),
                    "001 Điều 17.2",
                ),
                Choice(
                    "yes",
                    lambda: _(
                        "có: quản trị được nhập điểm hộ, mỗi lần ghi nhật ký kèm quyết định của "
                        "trường"
                    ),
                    "001 Điều 17.2; 003 Điều 3.3",
                ),
            ),
        ),
        RuleSpec(
            "correction_cutoff",
            lambda: _("Hạn cuối đề nghị sửa điểm"),
            (
                Choice("lock", lambda: _("01 tuần trước thời điểm khóa sổ"), "000 Điều 8"),
                Choice(
                    "exam", lambda: _("01 tuần trước ngày kiểm tra cuối học kỳ"), "003 Điều 8.3"
                ),
            ),
        ),
        RuleSpec(
            "supplementary_end",
            lambda: _("Hạn cập nhật kết quả đánh giá bổ sung (sau đó khóa hẳn)"),
            (
                Choice("001", lambda: _("ngày 15/8"), "001 Điều 25.2"),
                Choice("000", lambda: _("ngày 20/8"), "000 Điều 6"),
                Choice("002", lambda: _("ngày 25/8"), "002 mục II.2"),
            ),
        ),
        RuleSpec(
            "seal_operator",
            lambda: _("Người ký bằng chứng thư số của trường (con dấu)"),
            (
                Choice("clerk", lambda: _("văn thư"), "001 Điều 24.5d"),
                Choice("admin", lambda: _("quản trị, khi trường phân công"), "004 Điều 9.4, 9.6"),
            ),
        ),
    )
}


@dataclass(frozen=True)
class RuleState:
    """A rule as the school has it now: its value and, when set, who decided and when."""

    spec: RuleSpec
    value: Choice
    decided_by: str | None = None  # None: the regulations' default, never set
    executed_by: str | None = None
    updated_at: dt.datetime | None = None
    changed: bool = True  # False: set_rule found the value already in force

    def line(self) -> str:
        """One line for a listing: key, label, value and meaning, default, article."""
        default = self.spec.default
        mark = (
            _("mặc định")
            if self.value == default
            else _("mặc định: {value}").format(value=default.value)
        )
        text = _("{key} — {label}: {value} ({meaning}; {mark}; {article})").format(
            key=self.spec.key,
            label=self.spec.label(),
            value=self.value.value,
            meaning=self.value.meaning(),
            mark=mark,
            article=self.value.article,
        )
        if self.decided_by:
            text += " — " + _("quyết định: {who}").format(who=self.decided_by)
        return text


def _as_value(spec: RuleSpec, value: str) -> bool | str:
    return value == "yes" if spec.key == "admin_enters_marks" else value


async def _stored(school_id: int) -> dict[str, SchoolRule]:
    """The school's rows by key (`_state` reads a value no longer allowed as the default)."""
    return {row.key: row for row in await SchoolRule.filter(school_id=school_id)}


def _rules(rows: Iterable[SchoolRule]) -> Rules:
    """Rules from a school's rows; a key or value no longer in `RULES` reads as the default."""
    values = {
        row.key: _as_value(RULES[row.key], row.value)
        for row in rows
        if row.key in RULES and RULES[row.key].choice(row.value) is not None
    }
    return Rules(**values)  # type: ignore[arg-type]


async def school_rules(school_id: int) -> Rules:
    """The school's rules: what it set, else the regulations' defaults."""
    return _rules(await SchoolRule.filter(school_id=school_id))


async def rules_of(school_ids: Iterable[int]) -> dict[int, Rules]:
    """The rules of several schools in one query (the calendars of a write's years)."""
    by_school: dict[int, list[SchoolRule]] = {school_id: [] for school_id in school_ids}
    for row in await SchoolRule.filter(school_id__in=list(by_school)):
        by_school[row.school_id].append(row)  # type: ignore[attr-defined]
    return {school_id: _rules(rows) for school_id, rows in by_school.items()}


def _state(spec: RuleSpec, row: SchoolRule | None, changed: bool = True) -> RuleState:
    if row is None:
        return RuleState(spec, spec.default)
    value = spec.choice(row.value) or spec.default
    return RuleState(spec, value, row.decided_by, row.executed_by, row.updated_at, changed)


async def rule_states(school_id: int) -> list[RuleState]:
    """Every rule of the school, in `RULES` order (a listing, the bot's or the console's)."""
    stored = await _stored(school_id)
    return [_state(spec, stored.get(key)) for key, spec in RULES.items()]


def _shown(text: str) -> str:
    """What a refusal echoes of a typed word: its start only (a pasted page stays out)."""
    return text if len(text) <= SHOWN else text[:SHOWN] + "…"


def _parse(key: str, value: str) -> tuple[RuleSpec, Choice]:
    """The rule and the value asked for, or a refusal that lists what is allowed."""
    spec = RULES.get(key.strip().lower())
    if spec is None:
        raise InvalidValue(
            _("Không có quy định «{key}». Các quy định của trường: {keys}.").format(
                key=_shown(key), keys=", ".join(RULES)
            )
        )
    choice = spec.choice(value.strip().lower())
    if choice is None:
        raise InvalidValue(
            _("«{value}» không phải giá trị của «{label}». Chọn một trong:\n{allowed}").format(
                value=_shown(value), label=spec.label(), allowed=spec.allowed()
            )
        )
    return spec, choice


def _not_principal(name: str) -> PermissionDenied:
    return PermissionDenied(
        _(
            "{name} không phải Hiệu trưởng của trường: chỉ Hiệu trưởng quyết định quy định "
            "của trường."
        ).format(name=name)
    )


async def _decider(actor: Actor, decided_by: str | None) -> Staff:
    """The principal whose decision this is: the actor, or, for an admin, the one named."""
    if decided_by is None:
        if actor.has(Role.PRINCIPAL) and actor.staff_id is not None:
            return await Staff.get(id=actor.staff_id)
        if actor.has(Role.ADMIN):
            raise InvalidValue(
                _(
                    "Quản trị thực hiện theo quyết định của Hiệu trưởng: hãy nêu người quyết "
                    "định (hocba rules set QUY_ĐỊNH GIÁ_TRỊ --decided-by MÃ_CÁN_BỘ)."
                )
            )
        raise PermissionDenied(
            _(
                "Chỉ Hiệu trưởng quyết định quy định của trường; quản trị học bạ số thực hiện "
                "theo quyết định đó. Hãy đề nghị Hiệu trưởng."
            )
        )
    code = decided_by.strip()
    staff = None
    if len(code) <= CODE_LENGTH and hidden_character(code) is None:  # never a staff code
        staff = await Staff.get_or_none(school_id=actor.school_id, code=code)
    if staff is None:
        raise NotFound(
            _("Không có cán bộ mã «{code}» trong trường: kiểm tra lại mã của Hiệu trưởng.").format(
                code=_shown(code)
            )
        )
    if staff.id != actor.staff_id and not actor.has(Role.ADMIN):
        raise PermissionDenied(
            _(
                "Chỉ quản trị học bạ số thực hiện quy định theo quyết định của người khác; "
                "Hiệu trưởng tự đặt quy định của mình."
            )
        )
    if not staff.active or not await staff.roles.filter(role=Role.PRINCIPAL).exists():
        raise _not_principal(staff.full_name)
    return staff


async def set_rule(actor: Actor, key: str, value: str, decided_by: str | None = None) -> RuleState:
    """Set one rule on the principal's decision (the principal, or an admin naming them by
    staff code). A value already in force writes nothing (`changed` False)."""
    spec, choice = _parse(key, value)
    principal = await _decider(actor, decided_by)
    decision = _("Hiệu trưởng {name}").format(name=principal.full_name)
    async with in_transaction():
        row = await SchoolRule.get_or_none(school_id=actor.school_id, key=spec.key)
        before = spec.default.value if row is None else row.value
        if before == choice.value:
            return _state(spec, row, changed=False)
        if row is None:
            row = SchoolRule(school_id=actor.school_id, key=spec.key)
        row.value, row.decided_by, row.decided_by_staff_id = choice.value, decision, principal.id
        row.executed_by, row.updated_at = actor.label, clock.now()
        await row.save()
        await audit.record(
            audit.Event(
                actor.label,
                "school.rule",
                f"school:{actor.school_id}",
                before={"key": spec.key, "value": before},
                after={
                    "key": spec.key,
                    "value": choice.value,
                    "article": choice.article,
                    "decided_by": decision,
                    "decided_by_staff": principal.id,
                    "executed_by": actor.label,
                },
            )
        )
    return _state(spec, row)
