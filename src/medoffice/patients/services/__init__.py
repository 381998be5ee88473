"""Every write to patient records: one module per thing the office does.

- ``patients``: register and edit a patient.
- ``coverages``: add, change and end an insurance coverage.
- ``documents``: store a scanned card or ID.
- ``merges``: fold a duplicate record into the surviving one, and undo it.

Each service checks the office's rules (raising ``patients.errors.FieldErrors``
or another ``DomainError``) and writes the PHI access log itself, so the page,
the API and any command line get the same behaviour.
"""
