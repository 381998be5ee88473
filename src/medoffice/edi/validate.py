"""Checking any X12 file the office sends or receives: what ``medoffice edi validate`` runs.

Three layers, each reported with the segment number and id of every fault:

1. the envelopes (``read_x12``): delimiters, segment ids, ISA/GS/ST counts and
   control numbers;
2. our reader for the transaction (837P, 835, 999, 277CA/277): everything
   billing relies on, plus what it tolerated (warnings) and, for an 835,
   every place the money does not balance;
3. for 837P, 835, 999 and 277CA, pyx12's implementation-guide validator
   (``guide_check``), an independent second opinion.

Findings are errors (the file is wrong), warnings (tolerated, but the guide
is broken) or details (a segment our model has no field for, read but not
kept -- nothing wrong with the file).

The result is data (``ValidationReport``); the command prints it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from medoffice.edi.envelope import X12Document, read_x12
from medoffice.edi.errors import X12Error
from medoffice.edi.guide_check import validate_with_pyx12
from medoffice.edi.segments import decode
from medoffice.edi.x277 import read_277
from medoffice.edi.x835 import read_835
from medoffice.edi.x837p import parse_837p
from medoffice.edi.x999 import read_999

GUIDE_CHECKED = frozenset({"837P", "835", "999", "277CA"})


@dataclass(frozen=True)
class Finding:
    """One line of the report: ``level`` error, warning or detail; ``source`` medoffice or pyx12."""

    level: str
    source: str
    text: str

    def __str__(self) -> str:
        by = " (pyx12)" if self.source == "pyx12" else ""
        return f"{self.level}{by}: {self.text}"


@dataclass
class ValidationReport:
    kinds: list[str] = field(default_factory=list)  # "837P 005010X222A1", one per transaction
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    counts: str = ""  # "3 claims", "2 claim payments", ...

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]

    @property
    def details(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "detail"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, level: str, text: str, source: str = "medoffice") -> None:
        self.findings.append(Finding(level, source, text))


def kind_of(transaction_id: str, implementation: str) -> str:
    """'837P', '835', '999', '277CA', '277', or the transaction set id for the rest."""
    if transaction_id == "837":
        return "837P" if implementation.startswith("005010X222") else "837"
    if transaction_id == "277" and implementation == "005010X214":
        return "277CA"
    return transaction_id


def validate_x12(data: bytes | str, *, guide: bool = True) -> ValidationReport:
    """Everything we can say about a file; never raises for its content."""
    report = ValidationReport()
    try:
        text = decode(data)
        doc = read_x12(text)
    except X12Error as exc:
        report.add("error", exc.describe())
        return report
    report.findings.extend(Finding("warning", "medoffice", w) for w in doc.warnings)
    kinds = {kind_of(t.id, t.implementation) for t in doc.transactions()}
    report.kinds = [
        f"{kind_of(t.id, t.implementation)} {t.implementation}" for t in doc.transactions()
    ]
    if len(kinds) != 1:
        report.notes.append(
            "several kinds of transaction in one file: only the envelopes were checked"
        )
        return report
    (kind,) = kinds
    _read(kind, text, doc, report)
    if guide and kind in GUIDE_CHECKED:
        guide_report = validate_with_pyx12(text)
        if guide_report.note:
            report.notes.append(guide_report.note)
        for found in guide_report.findings:
            report.add("error", str(found), "pyx12")
    elif guide:
        report.notes.append(f"pyx12 has no map for a {kind}: our checks only")
    return report


def _read(kind: str, text: str, doc: X12Document, report: ValidationReport) -> None:
    try:
        if kind == "837P":
            claim_file = parse_837p(text)
            report.counts = f"{len(claim_file.claims())} claim(s)"
            warnings = list(claim_file.warnings)
        elif kind == "835":
            remittances = read_835(text)
            report.counts = f"{sum(len(r.claims) for r in remittances)} claim payment(s)"
            warnings = [w for r in remittances for w in r.warnings]
            for r in remittances:
                for problem in r.imbalances():
                    report.add("error", f"remittance {r.control_number}: {problem}")
        elif kind == "999":
            acks = read_999(text)
            results = [r for a in acks for r in a.results]
            rejected = sum(not r.accepted for r in results)
            report.counts = f"{len(results)} transaction set(s) acknowledged, {rejected} rejected"
            warnings = []
        elif kind in ("277CA", "277"):
            acks = read_277(text)
            claims = [c for a in acks for c in a.claims]
            rejected = sum(c.rejected for c in claims)
            report.counts = f"{len(claims)} claim status(es), {rejected} rejected"
            warnings = [w for a in acks for w in a.warnings]
        else:
            transactions = len(list(doc.transactions()))
            report.notes.append(f"no reader for {kind} here: only the envelopes were checked")
            report.counts = f"{transactions} transaction set(s)"
            warnings = []
    except X12Error as exc:
        report.add("error", exc.describe())
        return
    _reader_notes(report, warnings)


def _reader_notes(report: ValidationReport, notes) -> None:
    for note in notes:
        level = "detail" if " not kept: " in note else "warning"
        report.add(level, note)
