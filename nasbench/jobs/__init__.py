"""One function per job; the CLI builds their frozen config dataclasses."""
