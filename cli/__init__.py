"""The `muon` command: day-2 operations on what muon deployed (see cli/main.py)."""
