"""X12 5010 readers and writers: pure functions on text, no Django imports.

What travels between the office, the clearinghouse and the payers:

- ``segments`` / ``envelope``: cut any X12 file into segments and check its
  ISA/GS/ST envelopes (``read_x12``).
- ``x837p``: the claim file dataclasses (``model``) and ``write_837p``.
- ``x999`` (``read_999``): implementation acknowledgments, per batch.
- ``x277`` (``read_277``): 277CA claim acknowledgments (and 277 status), per claim.
- ``x835`` (``read_835``): remittance advice: payments, adjustments, remarks, PLB.
- ``guide_check``: pyx12's implementation-guide validator as a second opinion.
- ``validate`` (``validate_x12``): all of the above for one file, as
  ``medoffice edi validate FILE`` prints it.
- ``values`` / ``writing``: element spellings and the checked segment writer.
- ``errors``: ``X12Error`` (a fault in a file we read, with segment and
  position) and ``EdiInputError`` (data we cannot write, with the field).

Billing maps its models onto these dataclasses and calls these functions; this
package never touches the database.
"""

from medoffice.edi.envelope import X12Document, read_x12
from medoffice.edi.errors import EdiInputError, X12Error

__all__ = ["EdiInputError", "X12Document", "X12Error", "read_x12"]
