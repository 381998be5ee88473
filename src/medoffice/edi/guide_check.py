"""A second opinion on a file: pyx12's implementation-guide validator.

Our readers check what we need to trust a file; pyx12 (an independent
open-source validator, BSD licence) checks it against the implementation
guide's maps: required segments and loops, element lengths, code values,
dates. ``medoffice edi validate`` shows both, and the tests hold every 837P we
write to zero pyx12 findings.

pyx12 has maps for 837P (X222A1), 835 (X221A1), 999 (X231A1) and 277CA/277
(X214/X212), but none for 270/271 (X279A1) or for 837P X222A2; an X222A2
file is checked against the X222A1 map (the addenda changed no structure we
write), and the report says so.
"""

from __future__ import annotations

import io
import json
import logging
import re
from dataclasses import dataclass

#: Versions pyx12 has no map for, and the map that checks them as well as any.
MAP_SUBSTITUTES = {"005010X222A2": "005010X222A1"}


@dataclass(frozen=True)
class GuideFinding:
    """One thing pyx12 found: where (segment number in the file, id, element) and what."""

    segment_number: int | None
    segment_id: str | None
    element: str | None
    code: str
    message: str

    def __str__(self) -> str:
        where = []
        if self.segment_number is not None:
            where.append(f"segment {self.segment_number}")
        if self.segment_id:
            where.append(f"({self.segment_id})")
        place = " ".join(where)
        if self.element:
            place = f"{place}, element {self.element}" if place else f"element {self.element}"
        return f"{place}: {self.message}" if place else self.message


@dataclass(frozen=True)
class GuideReport:
    """pyx12's verdict. ``checked`` is False when pyx12 could not judge the file at all."""

    checked: bool
    findings: tuple[GuideFinding, ...] = ()
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.checked and not self.findings


def validate_with_pyx12(text: str) -> GuideReport:
    """Run pyx12 on X12 ``text`` (which our own reader has already accepted)."""
    try:
        import pyx12.errors
        import pyx12.params
        import pyx12.x12n_document
    except ImportError:  # pragma: no cover - pyx12 is a dependency
        return GuideReport(False, note="pyx12 is not installed")
    text = text.lstrip("\ufeff \t\r\n")
    note = ""
    for version, substitute in MAP_SUBSTITUTES.items():
        if version in text:
            text = text.replace(version, substitute)
            note = f"pyx12 has no {version} map; checked against {substitute}"
    out = io.StringIO()
    # pyx12 logs each finding as well as reporting it: keep that off the operator's screen,
    # but keep the lines, since errors in ISA/GS/ST elements reach only the log.
    logger = logging.getLogger("pyx12")
    captured = _Capture()
    logger.addHandler(captured)
    propagated, logger.propagate = logger.propagate, False
    try:
        valid = pyx12.x12n_document.x12n_document(
            param=pyx12.params.params(),
            src_file=io.StringIO(text),
            fd_997=None,
            fd_html=None,
            fd_json=out,
        )
    except pyx12.errors.EngineError as exc:
        return GuideReport(False, note=f"pyx12 cannot check this file: {exc}")
    except Exception as exc:  # pyx12 is not ours; report what it tripped on, never crash
        return GuideReport(False, note=f"pyx12 failed on this file: {type(exc).__name__}: {exc}")
    finally:
        logger.removeHandler(captured)
        logger.propagate = propagated
    findings = list(_findings(json.loads(out.getvalue() or "{}")))
    findings += captured.findings
    if not valid and not findings:
        findings = [GuideFinding(None, None, None, "", "pyx12 reports the file invalid")]
    findings.sort(key=lambda f: f.segment_number or 0)
    return GuideReport(True, tuple(findings), note)


_ENVELOPE = frozenset({"ISA", "GS", "ST", "SE", "GE", "IEA"})
_LOG_LINE = re.compile(r"Line:(\d+) (?:SEG|ELE|ST|GS|ISA)[^ ]* - (.*)")


class _Capture(logging.Handler):
    """pyx12's error log lines ('Line:3 ELE:10 - Data element ... (ST03) ...') as findings."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.findings: list[GuideFinding] = []

    def emit(self, record: logging.LogRecord) -> None:
        match = _LOG_LINE.match(record.getMessage())
        if match:
            line, message = int(match.group(1)), match.group(2)
            ref = re.search(r"\(([A-Z][A-Z0-9]{1,2}?)(\d{2})(?:-(\d+))?\)", message)
            if ref and ref.group(1) in _ENVELOPE:  # the JSON report has all the others
                element = f"{ref.group(1)}{ref.group(2)}"
                element += f"-{int(ref.group(3))}" if ref.group(3) else ""
                self.findings.append(GuideFinding(line, ref.group(1), element, "", message))


def _findings(doc: dict):
    for isa in doc.get("interchanges", []):
        yield from _level(isa)
        for gs in isa.get("groups", []):
            yield from _level(gs)
            for st in gs.get("transactions", []):
                yield from _level(st)
                for seg in st.get("segments", []):
                    seg_id, line = seg.get("seg_id"), seg.get("cur_line")
                    for err in seg.get("errors", []):
                        yield GuideFinding(line, seg_id, None, err["err_cde"], err["err_str"])
                    for ele in seg.get("elements", []):
                        ref = f"{seg_id}{ele['ele_pos']:02d}"
                        if ele.get("subele_pos"):
                            ref += f"-{ele['subele_pos']}"
                        for err in ele.get("errors", []):
                            yield GuideFinding(line, seg_id, ref, err["err_cde"], err["err_str"])


def _level(node: dict):
    """Errors of a whole interchange, group or transaction (counts, control numbers)."""
    for err in node.get("errors", []):
        yield GuideFinding(node.get("cur_line"), None, None, err["err_cde"], err["err_str"])
