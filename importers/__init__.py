"""Importing another tool's definition as a ``muon.yaml``: ``mu`` (Stelligent mu's ``mu.yml``)."""
