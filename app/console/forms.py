"""Console forms: what staff type, parsed to the JSON API's types and checked by its schemas.

Each form field names the schema key it fills. Text becomes the JSON type the schema expects
(yuan -> fen, percent -> probability, Shanghai wall-clock -> RFC 3339); text that does not
convert is passed on as typed, so the schema itself refuses it. Messages from the schema, or
from the service (InvalidRequest's fields), come back per field, in Chinese and English.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from marshmallow import ValidationError

from app.console.display import SHANGHAI
from app.extensions import db
from app.schemas.loading import flatten_messages
from app.services.errors import InvalidRequest, ServiceError

FORM_ERROR = "_form"


@dataclass(frozen=True)
class Field:
    """One input: its schema key, labels, and how its text converts (`kind`)."""

    name: str
    zh: str
    en: str
    kind: str = "text"  # text, password, int, float, yuan, percent, when, ids, lines, choice(_id), textarea, flag
    required: bool = True
    help: str = ""
    attrs: dict = field(default_factory=dict)


class Form:
    """The fields of one form, what was typed into them, and a message per field."""

    def __init__(self, fields, raw=None, errors=None, choices=None, alias=None, groups=None):
        self.fields = {f.name: f for f in fields}
        self.groups = groups or {}  # names of messages about several inputs (a list), with their kind
        self.raw = raw if raw is not None else {}
        self.errors = dict(errors or {})
        self.choices = choices or {}
        self.alias = alias or (lambda key: key)

    def value(self, name: str) -> str:
        value = self.raw.get(name, "")
        return value[0] if isinstance(value, list) and value else (value if isinstance(value, str) else "")

    def values(self, name: str) -> list[str]:
        value = self.raw.get(name, [])
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]

    def error(self, name: str) -> str | None:
        return self.errors.get(name)

    @property
    def form_error(self) -> str | None:
        return self.errors.get(FORM_ERROR)

    def read(self, formdata) -> dict:
        """Keep what was typed (to show it again) and return it converted for the schema."""
        data = {}
        for f in self.fields.values():
            if f.kind == "flag":  # a checkbox: sent when ticked, absent otherwise
                self.raw[f.name] = formdata.get(f.name, "")
                data[f.name] = bool(self.raw[f.name])
                continue
            if f.kind == "ids":
                self.raw[f.name] = formdata.getlist(f.name)
                data[f.name] = [to_int(v) for v in self.raw[f.name] if v.strip()]
                continue
            text = formdata.get(f.name, "")
            self.raw[f.name] = text
            converted = convert(f.kind, text)
            if converted is not MISSING:
                data[f.name] = converted
            elif not f.required:
                data[f.name] = [] if f.kind == "lines" else None
        return data

    def refuse(self, messages: dict[str, str]) -> None:
        """Put each message next to its field (or above the form when no field matches)."""
        for key, message in messages.items():
            name = self.alias(key)
            if name not in self.fields and re.fullmatch(r".+\.\d+", name):
                name = name.rsplit(".", 1)[0]  # "compound_ids.0": the list's own field
            target = name if name in self.fields or name in self.groups else FORM_ERROR
            kind = self.fields[name].kind if name in self.fields else self.groups.get(name, "text")
            self.errors.setdefault(target, humanize(kind, message))


MISSING = object()


def convert(kind: str, text: str):
    """The schema-typed value of one input, MISSING when blank, or the text when it does not convert."""
    if kind != "password":
        text = text.strip()
    if text == "":
        return MISSING
    if kind in ("int", "choice_id"):
        return to_int(text)
    if kind == "float":
        return float(text) if re.fullmatch(r"[+-]?\d{1,4}(\.\d{1,12})?", text) else text
    if kind == "yuan":
        return to_fen(text)
    if kind == "percent":
        return to_probability(text)
    if kind == "when":
        return to_rfc3339(text)
    if kind == "lines":
        return [part.strip() for part in re.split(r"[\n,，、]", text) if part.strip()]
    return text


def to_int(text: str):
    return int(text) if re.fullmatch(r"[+-]?\d{1,19}", text.strip()) else text


def to_fen(text: str):
    if not re.fullmatch(r"\d{1,9}(\.\d{1,2})?", text):
        return text
    return int(Decimal(text) * 100)


def to_probability(text: str):
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    return float(number / 100) if number.is_finite() else text


def to_rfc3339(text: str):
    """A datetime-local value ("2025-06-01T10:00"), read as Shanghai time."""
    try:
        local = datetime.fromisoformat(text)
    except ValueError:
        return text
    if local.tzinfo is None:
        local = local.replace(tzinfo=SHANGHAI)
    return local.isoformat()


def load(form: Form, schema, formdata) -> dict | None:
    """The body `schema` loads from the form, or None with the form's errors filled in."""
    return load_data(form, schema, form.read(formdata))


def load_data(form: Form, schema, data: dict) -> dict | None:
    """The body `schema` loads from data read off `form`, or None with the form's errors filled in."""
    try:
        return schema().load(data)
    except ValidationError as error:
        form.refuse(flatten_messages(error.messages))
        return None


def run(form: Form, action, conflict_field: str = FORM_ERROR):
    """Run a change and commit it; a refusal rolls back and is shown on the form (returns None)."""
    try:
        result = action()
        db.session.commit()
        return result
    except InvalidRequest as refusal:
        db.session.rollback()
        form.refuse(refusal.extra.get("fields") or {FORM_ERROR: refusal.message})
    except ServiceError as refusal:
        db.session.rollback()
        form.errors.setdefault(conflict_field, refusal.message)
    return None


MESSAGES = {
    "Missing data for required field.": "必填 · Required",
    "Field may not be null.": "必填 · Required",
    "Not a valid integer.": "请输入整数 · Enter a whole number",
    "Not a valid number.": "请输入数字 · Enter a number",
    "Not a valid datetime.": "请输入日期和时间 · Enter a date and time",
    "Not a valid string.": "请输入文字 · Enter text",
    "must be after starts_at": "须晚于开始时间 · Must be after the start",
    "must be after valid_from": "须晚于生效时间 · Must be after the start of validity",
    "must be below threshold_fen": "须低于使用门槛 · Must be below the threshold",
    "a deal cannot cost more than the list price":
        "特价不能高于原价 · A deal cannot cost more than the list price",
}
KIND_MESSAGES = {
    "yuan": {"Not a valid integer.": "请输入金额，如 29.90 · Enter an amount in yuan, like 29.90"},
    "percent": {"Not a valid number.": "请输入百分比，如 5 · Enter a percentage, like 5"},
    "ids": {"Shorter than minimum length 1.": "至少选择一项 · Choose at least one",
            "Length must be between 1 and 500.": "至少选择一项 · Choose at least one"},
    "pool": {"Shorter than minimum length 1.": "至少添加一个奖品 · Add at least one prize",
             "Length must be between 1 and 20.":
                 "须有 1 到 20 个奖品 · Add at least one prize and at most 20"},
}
COMPARISONS = (("greater than or equal to", "≥"), ("less than or equal to", "≤"),
               ("greater than", ">"), ("less than", "<"))


def humanize(kind: str, message: str) -> str:
    """A schema or service message as staff read it: Chinese first, numbers in the form's units."""
    known = KIND_MESSAGES.get(kind, {}).get(message) or MESSAGES.get(message)
    if known:
        return known
    if message.startswith("Must be one of"):
        return "请从选项中选择 · Choose one of the options"
    if message.startswith("Must be ") and any(words in message for words, _ in COMPARISONS):
        return range_message(kind, message)
    if message.startswith("Shorter than minimum length 1"):
        return "必填 · Required"
    if length := re.fullmatch(r"Length must be between (\d+) and (\d+)\.", message):
        return f"长度须在 {length.group(1)} 到 {length.group(2)} 之间 · {message}"
    if length := re.fullmatch(r"Longer than maximum length (\d+)\.", message):
        return f"最多 {length.group(1)} 个字符 · {message}"
    return message


def range_message(kind: str, message: str) -> str:
    """marshmallow's Range message with yuan or percentages for money and odds."""
    def unit(match: re.Match) -> str:
        number = Decimal(match.group(0))
        if kind == "yuan":
            return f"¥{number / 100:.2f}"
        if kind == "percent":
            return f"{number * 100:g}%"
        return match.group(0)

    english = re.sub(r"-?\d+(\.\d+)?", unit, message)
    chinese = english.removeprefix("Must be ").rstrip(".")
    for words, symbol in COMPARISONS:
        chinese = chinese.replace(words, symbol)
    return f"须{chinese.replace(' and ', '，且')} · {english}"
