"""X12 5010 readers and writers: pure functions on text, no Django imports."""
