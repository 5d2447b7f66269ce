"""The store: tables, engines and sessions, migrations, change counters, lease, backup, erasure."""
