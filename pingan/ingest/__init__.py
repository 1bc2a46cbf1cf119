"""The importer, by job: problems, read (bytes to text cells) and parse (values) ← catalog (what the snapshot
knows) ← headers (map a sheet to a template) ← overlaps ← validate (every check, the Report) ← load (a new snapshot,
rollback); worker runs validate in a bounded child process. pingan.importer is the public face and the command line.
tests/test_ingest_layers.py holds this order."""
