"""Comments in the reader's language: a translator client and the job (#18 item 6)."""
