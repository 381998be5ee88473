"""Small hand-made X12 files for tests: correct envelopes around the segments given."""

from __future__ import annotations


def isa(control: str = "000000001", *, sep: str = "*", rep: str = "^", comp: str = ":") -> str:
    fields = [
        "ISA", "00", " " * 10, "00", " " * 10, "ZZ", "SENDER".ljust(15), "ZZ",
        "RECEIVER".ljust(15), "240105", "1230", rep, "00501", control, "0", "T", comp,
    ]  # fmt: skip
    return sep.join(fields)


def interchange(
    body: list[str],
    *,
    st: str = "837",
    version: str = "005010X222A1",
    functional_id: str = "HC",
    control: str = "000000001",
    sep: str = "*",
    term: str = "~",
    newline: str = "",
    st03: bool = True,
) -> str:
    """ISA/GS/ST ... SE/GE/IEA around ``body`` (segments written with '*', no terminators)."""
    body = [s.replace("*", sep) for s in body]
    segments = [
        isa(control, sep=sep),
        sep.join(
            ["GS", functional_id, "SENDER", "RECEIVER", "20240105", "1230", "7", "X", version]
        ),
        sep.join(["ST", st, "0001", version] if st03 else ["ST", st, "0001"]),
        *body,
        sep.join(["SE", str(len(body) + 2), "0001"]),
        sep.join(["GE", "1", "7"]),
        sep.join(["IEA", "1", control]),
    ]
    return "".join(s + term + newline for s in segments)
