"""The store: tables, engines, migrations, change counters, lease, backup, tombstones."""
