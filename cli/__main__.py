from muon.cli.main import entry

entry()
