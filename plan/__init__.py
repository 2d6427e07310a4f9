"""The offline plan: the real program rendered under Pulumi mocks (``offline``, ``mocks``), with its
cost (``cost*``, ``prices``) and modeled first-deploy time (``timeline``); ``python -m muon.plan``."""
