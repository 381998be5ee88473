"""Fee schedules in and out as CSV: preview, apply (all or nothing), export.

Two kinds of file, told apart by their header:

- the service list: ``code, modifiers, description, standard_charge[, rvus][, active]``
- contracted amounts: ``payer, code, modifiers, allowed_amount, effective_date[, end_date]``
  (``payer`` is the payer's name or its EDI payer id; the code and modifiers must
  be on the service list).

:func:`preview_import` reads the whole file and says, without writing, what
it would add and change and every line it refuses (line number, column,
reason). :func:`apply_import` does the same inside one transaction and writes
only when no line is refused; a row that matches what is stored counts as
unchanged, so the same file applied twice changes nothing the second time.
Exports write the same columns, so an export imports back as all-unchanged; text a
spreadsheet would run as a formula is exported with a leading apostrophe
(:mod:`medoffice.core.csvsafe`), which the import takes off again.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from medoffice.billing import codes
from medoffice.billing.errors import IMPORT_REJECTED, FieldErrors
from medoffice.billing.models import PayerFee, Service
from medoffice.billing.services.fee_schedules import clean_service_fields
from medoffice.core import csvsafe
from medoffice.patients.models import Payer

SERVICES = "services"
PAYER_FEES = "payer_fees"
KINDS = {SERVICES: "service list", PAYER_FEES: "contracted amounts"}
COLUMNS = {
    SERVICES: (["code", "modifiers", "description", "standard_charge"], ["rvus", "active"]),
    PAYER_FEES: (
        ["payer", "code", "modifiers", "allowed_amount", "effective_date"],
        ["end_date"],
    ),
}
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 20_000
TRUE_WORDS = {"", "1", "y", "yes", "true", "active"}
FALSE_WORDS = {"0", "n", "no", "false", "inactive"}


@dataclass(frozen=True)
class RowProblem:
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.reason}"


@dataclass
class ImportPlan:
    """What a file would do: rows added, changed, unchanged, and every refused line."""

    kind: str
    rows: int = 0
    added: list[dict] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)


def detect_kind(text: str) -> str | None:
    try:
        first = next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error:
        return None
    header = {h.strip().lower() for h in first}
    if "payer" in header:
        return PAYER_FEES
    if "standard_charge" in header:
        return SERVICES
    return None


def decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise FieldErrors({"file": ["The file is larger than 2 MB; split it."]})
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FieldErrors(
            {"file": ["The file is not UTF-8 text; save it as CSV (UTF-8)."]}
        ) from None


def _parse_date(raw: str) -> dt.date:
    text = raw.strip()
    for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a date, no time
        except ValueError:
            continue
    raise ValueError(f"“{raw}” is not a date: use YYYY-MM-DD or MM/DD/YYYY.")


def _rows(text: str, kind: str, plan: ImportPlan):
    """Yield (line number, {column: value}) after checking the header; a line the CSV
    reader cannot read ends the file with a problem on that line."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        yield from _read_rows(reader, kind, plan)
    except csv.Error as exc:
        plan.problems.append(
            RowProblem(reader.line_num or 1, "", f"This line is not valid CSV ({exc}).")
        )


def _read_rows(reader, kind: str, plan: ImportPlan):
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        plan.problems.append(RowProblem(1, "", "The file is empty."))
        return
    required, optional = COLUMNS[kind]
    missing = [c for c in required if c not in header]
    unknown = [h for h in header if h and h not in required + optional]
    if missing:
        plan.problems.append(RowProblem(1, ", ".join(missing), "Required column missing."))
    if unknown:
        plan.problems.append(
            RowProblem(
                1, ", ".join(unknown), f"Unknown column; use {', '.join(required + optional)}."
            )
        )
    if len(set(header)) != len(header):
        plan.problems.append(RowProblem(1, "", "A column is named twice."))
    if missing or unknown or len(set(header)) != len(header):
        return
    line = reader.line_num
    for cells in reader:
        start, line = line + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            plan.problems.append(
                RowProblem(start, "", f"Expected {len(header)} values, found {len(cells)}.")
            )
            continue
        plan.rows += 1
        if plan.rows > MAX_ROWS:
            plan.problems.append(RowProblem(start, "", f"More than {MAX_ROWS:,} rows; split it."))
            return
        yield start, {h: csvsafe.uncell(c.strip()) for h, c in zip(header, cells, strict=True)}


def _plan_services(text: str, plan: ImportPlan) -> list[tuple[Service | None, dict]]:
    existing = {(s.code, s.modifiers): s for s in Service.objects.all()}
    seen: dict[tuple[str, str], int] = {}
    writes = []
    for line, row in _rows(text, SERVICES, plan):
        values, problems = clean_service_fields(
            code=row["code"],
            modifiers=row["modifiers"],
            description=row["description"],
            standard_charge=row["standard_charge"],
            rvus=row.get("rvus"),
        )
        active_word = row.get("active", "").lower()
        if active_word in TRUE_WORDS:
            values["active"] = True
        elif active_word in FALSE_WORDS:
            values["active"] = False
        else:
            problems["active"] = ["Write yes or no."]
        for column, reasons in problems.items():
            plan.problems.extend(RowProblem(line, column, r) for r in reasons)
        if problems:
            continue
        key = (values["code"], values["modifiers"])
        if key in seen:
            plan.problems.append(
                RowProblem(line, "code", f"The same code and modifiers are on line {seen[key]}.")
            )
            continue
        seen[key] = line
        current = existing.get(key)
        summary = {"line": line, "key": " ".join(filter(None, key)), **values}
        if current is None:
            plan.added.append(summary)
            writes.append((None, values))
        elif any(getattr(current, k) != v for k, v in values.items()):
            plan.changed.append(summary)
            writes.append((current, values))
        else:
            plan.unchanged += 1
    return writes


def _find_payer(raw: str, payers: list[Payer]) -> Payer:
    text = raw.strip().lower()
    for p in payers:
        if p.name.lower() == text:
            return p
    for p in payers:
        if p.payer_id and p.payer_id.lower() == text:
            return p
    raise ValueError(f"No payer is named “{raw}” (or has that EDI payer id).")


def _plan_payer_fees(text: str, plan: ImportPlan) -> list[tuple[PayerFee | None, dict]]:
    payers = list(Payer.objects.all())
    services = {(s.code, s.modifiers): s for s in Service.objects.all()}
    stored: dict[tuple[int, int], list[PayerFee]] = {}
    for fee in PayerFee.objects.all():
        stored.setdefault((fee.payer_id, fee.service_id), []).append(fee)
    # Per payer+service: effective date -> (start, end, line number or None for stored rows).
    ranges: dict[tuple[int, int], dict[dt.date, tuple[dt.date, dt.date | None, int | None]]] = {}
    writes = []
    for line, row in _rows(text, PAYER_FEES, plan):
        problems: list[RowProblem] = []
        values: dict = {}

        def check(column, fn, values=values, problems=problems, line=line):
            try:
                values[column] = fn()
            except ValueError as exc:
                problems.append(RowProblem(line, column, str(exc)))

        check("payer", lambda row=row: _find_payer(row["payer"], payers))
        check("code", lambda row=row: codes.parse_procedure_code(row["code"]))
        check(
            "modifiers",
            lambda row=row: codes.join_modifiers(codes.parse_modifiers(row["modifiers"])),
        )
        check(
            "allowed_amount",
            lambda row=row: codes.parse_money(row["allowed_amount"], label="allowed amount"),
        )
        check("effective_date", lambda row=row: _parse_date(row["effective_date"]))
        end_raw = row.get("end_date", "")
        if end_raw:
            check("end_date", lambda end_raw=end_raw: _parse_date(end_raw))
        else:
            values["end_date"] = None
        payer = values.get("payer")
        if payer is not None and payer.kind == Payer.SELF_PAY:
            problems.append(RowProblem(line, "payer", "Self-pay has no contracted amounts."))
        service = None
        if "code" in values and "modifiers" in values:
            service = services.get((values["code"], values["modifiers"]))
            if service is None:
                problems.append(
                    RowProblem(
                        line,
                        "code",
                        f"{values['code']} {values['modifiers']}".strip()
                        + " is not on the service list; import it there first.",
                    )
                )
        start, end = values.get("effective_date"), values.get("end_date")
        if start and end and end < start:
            problems.append(
                RowProblem(line, "end_date", "The end date cannot be before the effective date.")
            )
        if problems:
            plan.problems.extend(problems)
            continue
        pair = (payer.pk, service.pk)
        spans = ranges.get(pair)
        if spans is None:
            spans = ranges[pair] = {
                f.effective_date: (f.effective_date, f.end_date, None) for f in stored.get(pair, [])
            }
        if start in spans and spans[start][2] is not None:
            plan.problems.append(
                RowProblem(
                    line,
                    "effective_date",
                    f"Line {spans[start][2]} has the same payer, code and start date.",
                )
            )
            continue
        clash = next(
            (
                s
                for key, s in spans.items()
                if key != start and s[0] <= (end or dt.date.max) and start <= (s[1] or dt.date.max)
            ),
            None,
        )
        if clash is not None:
            where = f"line {clash[2]}" if clash[2] else "an amount already stored"
            until = clash[1].isoformat() if clash[1] else "open-ended"
            plan.problems.append(
                RowProblem(
                    line,
                    "effective_date",
                    f"Overlaps {where} for the same payer and service "
                    f"({clash[0].isoformat()} to {until}).",
                )
            )
            continue
        spans[start] = (start, end, line)
        current = next((f for f in stored.get(pair, []) if f.effective_date == start), None)
        data = {
            "payer": payer,
            "service": service,
            "allowed_amount": values["allowed_amount"],
            "effective_date": start,
            "end_date": end,
        }
        summary = {
            "line": line,
            "key": f"{payer.name} · {service.label} from {start.isoformat()}",
            "allowed_amount": values["allowed_amount"],
            "end_date": end,
        }
        if current is None:
            plan.added.append(summary)
            writes.append((None, data))
        elif current.allowed_amount != data["allowed_amount"] or current.end_date != end:
            plan.changed.append(summary)
            writes.append((current, data))
        else:
            plan.unchanged += 1
    return writes


def _plan(kind: str, text: str) -> tuple[ImportPlan, list]:
    if kind not in KINDS:
        raise FieldErrors({"kind": ["Choose the service list or contracted amounts."]})
    plan = ImportPlan(kind=kind)
    writes = _plan_services(text, plan) if kind == SERVICES else _plan_payer_fees(text, plan)
    return plan, writes


def preview_import(*, kind: str, text: str) -> ImportPlan:
    """What importing ``text`` would do; writes nothing."""
    plan, _ = _plan(kind, text)
    return plan


@transaction.atomic
def apply_import(*, kind: str, text: str) -> ImportPlan:
    """Import the file whole, or nothing: raises FieldErrors (code import_rejected) listing
    every refused line when any line is refused."""
    if kind == PAYER_FEES:
        # One payer-fee import at a time (PostgreSQL): the overlap check reads then writes.
        list(Payer.objects.select_for_update().values_list("pk", flat=True))
    else:
        list(Service.objects.select_for_update().values_list("pk", flat=True))
    plan, writes = _plan(kind, text)
    if plan.problems:
        raise ImportRejected(plan)
    model = Service if kind == SERVICES else PayerFee
    for current, values in writes:
        target = current or model()
        for name, value in values.items():
            setattr(target, name, value)
        target.save()
    plan.applied = True
    return plan


class ImportRejected(FieldErrors):
    """The file was refused whole; ``plan.problems`` lists every refused line."""

    def __init__(self, plan: ImportPlan):
        super().__init__(
            {"file": [f"{len(plan.problems)} line(s) refused; nothing was imported."]},
            code=IMPORT_REJECTED,
        )
        self.plan = plan


def _money(value) -> Decimal | str:
    """Money as a number with cents (written as such, never quoted as text), or empty."""
    return "" if value is None else Decimal(value).quantize(Decimal("0.01"))


def export_services() -> str:
    out = io.StringIO()
    writer = csvsafe.writer(out, lineterminator="\n")
    writer.writerow(["code", "modifiers", "description", "standard_charge", "rvus", "active"])
    for s in Service.objects.order_by("code", "modifiers"):
        writer.writerow(
            [
                s.code,
                s.modifiers,
                s.description,
                _money(s.standard_charge),
                _money(s.rvus),
                "yes" if s.active else "no",
            ]
        )
    return out.getvalue()


def export_payer_fees(*, payer: Payer | None = None) -> str:
    out = io.StringIO()
    writer = csvsafe.writer(out, lineterminator="\n")
    writer.writerow(["payer", "code", "modifiers", "allowed_amount", "effective_date", "end_date"])
    qs = PayerFee.objects.select_related("payer", "service").order_by(
        "payer__name", "service__code", "service__modifiers", "effective_date"
    )
    if payer is not None:
        qs = qs.filter(payer=payer)
    for f in qs:
        writer.writerow(
            [
                f.payer.name,
                f.service.code,
                f.service.modifiers,
                _money(f.allowed_amount),
                f.effective_date.isoformat(),
                f.end_date.isoformat() if f.end_date else "",
            ]
        )
    return out.getvalue()


STARTER_FILE = "starter_services.csv"


def starter_services_text() -> str:
    """The starter service list shipped with medoffice (codes with the office's own wording)."""
    from importlib.resources import files

    return files("medoffice.billing").joinpath("data", STARTER_FILE).read_text("utf-8")


def load_starter_services() -> ImportPlan:
    """Add the starter list's services the practice does not have yet (same rules as a file)."""
    return apply_import(kind=SERVICES, text=starter_services_text())
