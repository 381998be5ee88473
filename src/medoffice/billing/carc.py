"""Adjustment reason codes (CARC) and remark codes (RARC) of an 835, in plain words.

Payers explain each adjustment with a group (CO, PR, OA, PI, CR), a claim
adjustment reason code (CARC, numeric or a letter and digit) and sometimes
remark codes (RARC: N…, M…, MA…). The official lists are long and terse;
this module keeps short descriptions of the codes an office meets most, in our
own words, each with a hint of what to do next where one is obvious. A code
not listed here is shown as itself ("CARC 275", "RARC N999").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    code: str
    text: str
    hint: str = ""


def _table(rows: list[tuple[str, str, str]]) -> dict[str, Code]:
    return {code: Code(code, text, hint) for code, text, hint in rows}


GROUPS = {
    "CO": "Contractual: the office absorbs it under the payer contract",
    "PR": "Patient responsibility: the patient (or the next payer) owes it",
    "OA": "Other adjustment",
    "PI": "Payer-initiated reduction",
    "CR": "Correction or reversal of an earlier payment",
}

CARC = _table(
    [
        ("1", "The patient's deductible.", "Bill the patient or the secondary payer."),
        ("2", "The patient's coinsurance share.", "Bill the patient or the secondary payer."),
        ("3", "The patient's copay.", "Collect it from the patient (usually at check-in)."),
        (
            "4",
            "The modifier on the service line is wrong or missing for this code.",
            "Check the modifiers against the note, correct the line and resubmit.",
        ),
        (
            "5",
            "The place of service does not fit this procedure code or bill type.",
            "Check the place of service, correct it and resubmit.",
        ),
        (
            "11",
            "The diagnosis does not support the procedure billed.",
            "Review the coding with the provider; correct the pointers or diagnoses and resubmit.",
        ),
        (
            "16",
            "The claim is missing information or has a billing error.",
            "Read the remark codes for what is missing, fix it and resubmit.",
        ),
        (
            "18",
            "A duplicate of a claim or service already sent.",
            "Check whether the first claim was paid; if not, ask the payer about its status.",
        ),
        (
            "22",
            "Another payer may be primary (coordination of benefits).",
            "Confirm the coverage order with the patient, update it and bill the right payer.",
        ),
        (
            "23",
            "Reduced because of what a prior payer paid or allowed.",
            "Usually nothing to do; check the primary's payment was recorded.",
        ),
        (
            "24",
            "Covered by a capitation or managed-care plan instead.",
            "Bill the managed-care plan named on the patient's card.",
        ),
        (
            "27",
            "The service was after the coverage ended.",
            "Check eligibility for the date of service; bill the right payer or the patient.",
        ),
        (
            "29",
            "Sent after the payer's filing deadline.",
            "Appeal only with proof of timely filing; otherwise write it off.",
        ),
        (
            "42",
            "More than the fee schedule or maximum allowed.",
            "Contractual; compare with the contracted amount.",
        ),
        (
            "45",
            "Charge above the contracted or allowed amount.",
            "Contractual write-down; nothing to collect.",
        ),
        (
            "50",
            "The payer does not consider the service medically necessary.",
            "Appeal with the chart notes, or bill the patient if they signed a waiver (ABN).",
        ),
        (
            "59",
            "Reduced under the payer's multiple or concurrent procedure rules.",
            "Contractual; check the modifiers if the services were distinct.",
        ),
        (
            "94",
            "Processed above the amount billed.",
            "Check the charge entered for the line.",
        ),
        (
            "96",
            "The service is not covered by the patient's plan.",
            "Bill the patient if they were told in advance; otherwise appeal or write off.",
        ),
        (
            "97",
            "Paid as part of another service on the claim (bundled).",
            "Check whether a modifier (25, 59, X{EPSU}) applies; if so correct and resubmit.",
        ),
        (
            "109",
            "This payer does not cover the claim; send it to the right one.",
            "Find the correct payer for the date of service and bill it.",
        ),
        (
            "119",
            "The plan's maximum benefit for the period has been reached.",
            "Bill a secondary payer or the patient.",
        ),
        (
            "125",
            "The claim was sent with a submission or billing error.",
            "Read the remark codes, correct the claim and resubmit.",
        ),
        (
            "146",
            "The diagnosis code is not valid for the date of service.",
            "Use a current, complete ICD-10-CM code and resubmit.",
        ),
        (
            "151",
            "The number or frequency of services is more than the payer allows.",
            "Appeal with the notes showing why the service was needed this often.",
        ),
        (
            "167",
            "The diagnosis is not covered by the plan.",
            "Check the coding; appeal or bill the patient.",
        ),
        (
            "170",
            "Not paid when this type of provider bills this service.",
            "Check the rendering provider on the claim and resubmit if it was wrong.",
        ),
        (
            "181",
            "The procedure code was not valid on the date of service.",
            "Correct the code and resubmit.",
        ),
        (
            "182",
            "The procedure modifier was not valid on the date of service.",
            "Correct the modifier and resubmit.",
        ),
        (
            "197",
            "Prior authorization or notification was missing.",
            "Add the authorization number and resubmit, or appeal with proof of it.",
        ),
        (
            "204",
            "The service is not covered under the patient's current benefit plan.",
            "Bill the patient if they agreed in advance; otherwise write off.",
        ),
        (
            "226",
            "The payer asked for information and did not get it (or not all of it).",
            "Send the requested records, then ask for reprocessing.",
        ),
        (
            "234",
            "This procedure is not paid separately.",
            "Usually a write-off; check the coding if the service was distinct.",
        ),
        (
            "242",
            "The provider is out of the payer's network for this service.",
            "Check the network status; bill the patient if the plan allows.",
        ),
        (
            "251",
            "The attachment or other documentation was missing or incomplete.",
            "Send the documentation and ask for reprocessing.",
        ),
        (
            "252",
            "An attachment or other documentation is required to decide the claim.",
            "Send the documentation the remark codes name, then resubmit.",
        ),
        (
            "253",
            "Sequestration: the federal payment cut.",
            "Contractual; nothing to collect.",
        ),
        (
            "A1",
            "The claim or service was denied.",
            "Read the remark codes for the reason.",
        ),
        (
            "A2",
            "Contractual adjustment.",
            "Contractual write-down; nothing to collect.",
        ),
        (
            "A7",
            "Presumptive payment adjustment.",
            "Check the primary payer's payment was recorded.",
        ),
        ("B7", "The provider was not certified or eligible on the date of service.", ""),
        (
            "B15",
            "Paid only together with another service that was not paid.",
            "Resolve the other service first.",
        ),
    ]
)

RARC = _table(
    [
        ("M15", "Separately billed services were bundled into another service.", ""),
        (
            "M20",
            "The HCPCS code is missing or incomplete.",
            "Add the code and resubmit.",
        ),
        (
            "M51",
            "Procedure code missing, incomplete or invalid.",
            "Correct the code and resubmit.",
        ),
        (
            "M76",
            "The diagnosis is missing, incomplete or invalid.",
            "Correct the diagnosis and resubmit.",
        ),
        (
            "M80",
            "Not covered when done on the same day as another service.",
            "Check whether a modifier applies.",
        ),
        (
            "M86",
            "Denied because this service is paid once in a set period.",
            "",
        ),
        (
            "M127",
            "The patient's medical record for this service is missing.",
            "Send the chart notes.",
        ),
        ("MA01", "If you disagree, you may appeal within the payer's time limit.", ""),
        ("MA02", "If you disagree, you may appeal; the notice explains how.", ""),
        (
            "MA04",
            "The secondary payment could not be worked out without the primary's details.",
            "Send the primary payer's remittance with the claim.",
        ),
        (
            "MA18",
            "The claim was forwarded to the patient's supplemental insurer.",
            "Wait for the secondary payer's answer.",
        ),
        (
            "MA130",
            "The claim is incomplete or has invalid information; it cannot be appealed, "
            "only corrected.",
            "Correct the claim and send it as a new claim.",
        ),
        (
            "N14",
            "Payment based on a contractual amount or agreement.",
            "",
        ),
        (
            "N20",
            "Not paid separately when done with another service.",
            "",
        ),
        (
            "N30",
            "The patient was not eligible for this service.",
            "Check eligibility for the date of service.",
        ),
        (
            "N56",
            "The procedure billed does not fit the diagnosis (medical policy).",
            "Review the coding with the provider.",
        ),
        (
            "N115",
            "Decided under a local coverage determination (LCD).",
            "Read the LCD; appeal with supporting notes.",
        ),
        (
            "N130",
            "Look up the plan's benefit and coverage rules for this service.",
            "",
        ),
        (
            "N206",
            "The payer could not match the patient's name or identifier.",
            "Check the member id and name against the insurance card and resubmit.",
        ),
        (
            "N211",
            "This decision cannot be appealed.",
            "Correct and resubmit if there was an error; otherwise write off or bill the patient.",
        ),
        (
            "N290",
            "The rendering provider's identifier is missing or invalid.",
            "Check the rendering provider's NPI and resubmit.",
        ),
        (
            "N362",
            "The number of units is more than the payer allows for this service.",
            "Check the units; appeal with notes if they were right.",
        ),
        (
            "N386",
            "Decided under a national coverage determination (NCD).",
            "Read the NCD; appeal with supporting notes.",
        ),
        (
            "N479",
            "Missing the explanation of benefits from the other payer.",
            "Send the other payer's remittance.",
        ),
        (
            "N522",
            "A duplicate of a claim already being processed.",
            "Wait for the first claim's decision.",
        ),
    ]
)


def carc(code: str) -> Code:
    """The reason code in plain words; an unknown one reads as "CARC nnn"."""
    code = (code or "").strip().upper()
    return CARC.get(code) or Code(code, f"CARC {code}" if code else "No reason given")


def rarc(code: str) -> Code:
    code = (code or "").strip().upper()
    return RARC.get(code) or Code(code, f"RARC {code}")


def group_label(group: str) -> str:
    group = (group or "").strip().upper()
    return GROUPS.get(group, group)


def remark_list(codes: str) -> list[Code]:
    """The remark codes of a field such as ``"N130,M15"`` (commas or spaces)."""
    return [rarc(c) for c in codes.replace(",", " ").split() if c]


def describe(group: str, reason: str, remarks: str = "") -> str:
    """One line for a person: the reason in words, then any remarks."""
    text = carc(reason).text
    notes = [r.text for r in remark_list(remarks)]
    return " ".join([text, *notes]) if notes else text
