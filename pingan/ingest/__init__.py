"""The importer, by job: read (bytes to text cells) and parse (values) ← catalog (what the snapshot knows)
← headers (map a sheet to a template) ← validate (every check, the Report) ← load (a new snapshot, rollback);
worker runs validate in a bounded child process. pingan.importer is the public face and the command line."""
