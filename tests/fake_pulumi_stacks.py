"""A stand-in ``pulumi`` that keeps stacks in a DIY backend the way the Pulumi CLI does.

For the README's first deploy and the pipeline's deploy step, where what matters is the order of
``login``, ``stack init``/``stack select --create``, ``config set`` and ``up``, and which secrets
provider each stack ends up with. Each rule is Pulumi's own (pulumi/pulumi, pkg/cmd/pulumi):

- Stacks live in the backend you are logged in to (``login``); a fresh machine is logged in to
  none (non-interactive, Pulumi Cloud without a token: an error).
- ``stack init --secrets-provider P`` creates the stack with P: an ``awskms://`` provider writes
  ``secretsprovider:`` and ``encryptedkey:`` into ``Pulumi.<stack>.yaml`` (kept when the file
  already names P; since 3.135.1) and, since 3.135, records P in the stack's state. Without it a DIY backend's
  default is the passphrase provider (stack/secrets.go, createSecretsManagerForNewStack).
- ``stack select --create`` creates the stack only when it does not exist; for an existing stack
  ``--secrets-provider`` is ignored (stack/stack_select.go).
- ``config set`` needs the stack to exist (no prompt to create one when non-interactive) and the
  secrets provider only for ``--secret`` (config/config_set.go).
- ``up`` decrypts the configuration: the provider named in the stack file, else — only with
  ``PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER=true`` — the one the state records (then written into
  the file), else the passphrase provider, which stops without ``PULUMI_CONFIG_PASSPHRASE``
  (stack/secrets.go, SecretsManagerLoader.GetSecretsManager).

Environment: ``FAKE_PULUMI_LOG`` (one JSON line per call: argv, cwd, PULUMI_*/MUON_* variables),
``FAKE_PULUMI_BACKENDS`` (where the backends' stacks are kept), ``PULUMI_HOME`` (the machine's
login), ``FAKE_PULUMI_OUTPUTS`` (what ``stack output --json`` prints). Anything else exits 3.
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

SCRIPT = r'''
import hashlib, json, os, re, sys
from pathlib import Path
from urllib.parse import quote
import yaml

PASSPHRASE = ("error: getting stack configuration: get stack secrets manager: passphrase must be set with "
              "PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables")
VALUED = {"--stack", "-s", "--secrets-provider", "--cwd", "-C"}

def fail(message, code=255):
    sys.stderr.write(message + "\n")
    sys.exit(code)

args = sys.argv[1:]
with open(os.environ["FAKE_PULUMI_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps({"args": args, "cwd": os.getcwd(), "env": {
        k: v for k, v in os.environ.items() if k.startswith(("PULUMI_", "MUON_"))}}) + "\n")
words, options, index = [], {}, 0
while index < len(args):
    arg = args[index]
    if arg in VALUED:
        options[arg.lstrip("-")[:1] if arg == "-s" else arg.lstrip("-")] = args[index + 1]; index += 2; continue
    if arg.startswith("--") and "=" in arg:
        key, value = arg[2:].split("=", 1); options[key] = value
    elif arg.startswith("-"):
        options[arg.lstrip("-")] = True
    else:
        words.append(arg)
    index += 1
stack_name = options.get("stack") or options.get("s")
home = Path(os.environ["PULUMI_HOME"]); home.mkdir(parents=True, exist_ok=True)
credentials = home / "credentials.json"

def backend():
    if not credentials.exists():
        fail("error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions")
    url = json.loads(credentials.read_text())["current"]
    folder = Path(os.environ["FAKE_PULUMI_BACKENDS"]) / quote(url, safe="")
    folder.mkdir(parents=True, exist_ok=True)
    return folder

def project():
    if not Path("Pulumi.yaml").exists():
        fail("error: no Pulumi.yaml project file found")

def state_path(name):
    return backend() / f"{name}.json"

def load_file(name):
    path = Path(f"Pulumi.{name}.yaml")
    data = (yaml.safe_load(path.read_text()) if path.exists() else None) or {}
    return path, data

def save_file(path, data):
    path.write_text(yaml.safe_dump(data, sort_keys=False))

def require_stack(name):
    project()
    if not name:
        fail("error: no stack selected; use --stack")
    path = state_path(name)
    if not path.exists():
        fail(f"error: no stack named '{name}' found")
    return path

def passphrase_or_fail():
    if not (os.environ.get("PULUMI_CONFIG_PASSPHRASE") or os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE")):
        fail(PASSPHRASE)

def create(name, provider):
    project()
    path = state_path(name)
    if path.exists():
        fail(f"error: stack '{name}' already exists")
    file, data = load_file(name)
    if provider in ("default", "passphrase"):
        passphrase_or_fail()
        data.setdefault("encryptionsalt", "v1:fake-salt")
    elif data.get("secretsprovider") != provider or not data.get("encryptedkey"):
        data["secretsprovider"] = provider
        data["encryptedkey"] = "fake-data-key-" + hashlib.sha256(f"{name}{provider}".encode()).hexdigest()[:12]
    save_file(file, data)
    path.write_text(json.dumps({"secretsProvider": provider, "encryptedkey": data.get("encryptedkey"),
                                "updates": 0, "config": {}}))

def secrets_manager(name, state):
    file, data = load_file(name)
    provider = data.get("secretsprovider")
    if provider and provider not in ("passphrase", "default"):
        return provider
    if data.get("encryptionsalt"):
        passphrase_or_fail(); return "passphrase"
    recorded = state.get("secretsProvider")
    if os.environ.get("PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER") == "true" and recorded:
        if recorded not in ("default", "passphrase"):
            data["secretsprovider"], data["encryptedkey"] = recorded, state["encryptedkey"]
            save_file(file, data)
        return recorded
    passphrase_or_fail(); return "passphrase"

def set_path(config, key, value, path):
    """`config set --path`: `a:b.c` and `a:b[0].c` address into maps and lists."""
    parts = re.findall(r"[^.\[\]]+|\[\d+\]", key) if path else [key]
    keys = [int(p[1:-1]) if p.startswith("[") else p for p in parts]
    node = config
    for here, after in zip(keys, keys[1:]):
        if isinstance(node, list):
            node.extend([None] * (here + 1 - len(node)))
        if not isinstance(node[here] if isinstance(node, list) else node.get(here), (dict, list)):
            node[here] = [] if isinstance(after, int) else {}
        node = node[here]
    if isinstance(node, list):
        node.extend([None] * (keys[-1] + 1 - len(node)))
    node[keys[-1]] = value

if words[:1] == ["version"]:
    print("v3.272.0")
elif words[:1] == ["login"]:
    credentials.write_text(json.dumps({"current": words[1]}))
elif words[:2] == ["stack", "init"]:
    create(words[2] if len(words) > 2 else stack_name, options.get("secrets-provider", "default"))
elif words[:2] == ["stack", "select"]:
    name = words[2] if len(words) > 2 else stack_name
    project()
    if not state_path(name).exists():
        if not (options.get("create") or options.get("c")):
            fail(f"error: no stack named '{name}' found")
        create(name, options.get("secrets-provider", "default"))
elif words[:2] == ["config", "set"]:
    path = require_stack(stack_name)
    if options.get("secret"):
        secrets_manager(stack_name, json.loads(path.read_text()))
    file, data = load_file(stack_name)
    set_path(data.setdefault("config", {}), words[2], words[3], bool(options.get("path")))
    save_file(file, data)
elif words[:1] == ["up"]:
    path = require_stack(stack_name)
    state = json.loads(path.read_text())
    secrets_manager(stack_name, state)
    state["updates"] += 1
    state["config"] = (load_file(stack_name)[1].get("config") or {})
    path.write_text(json.dumps(state))
    print(f"Updating ({stack_name}): done")
elif words[:2] == ["stack", "output"]:
    require_stack(stack_name)
    outputs = os.environ.get("FAKE_PULUMI_OUTPUTS")
    print(Path(outputs).read_text() if outputs else "{}")
elif words[:2] == ["stack", "export"]:
    print(json.dumps({"version": 3, "deployment": json.loads(require_stack(stack_name).read_text())}))
else:
    fail("fake pulumi: not modeled: " + " ".join(args), 3)
'''


def install(directory: Path) -> Path:
    """Write ``directory/pulumi`` (put ``directory`` first on PATH); return it."""
    directory.mkdir(parents=True, exist_ok=True)
    binary = directory / "pulumi"
    binary.write_text(f"#!{sys.executable}\n{SCRIPT}", encoding="utf-8")
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return directory


def calls(log: Path) -> list[dict]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def stack_state(backends: Path, backend: str, stack: str) -> dict | None:
    """What the backend ``backend`` (its URL) holds for ``stack``, or None."""
    from urllib.parse import quote

    path = backends / quote(backend, safe="") / f"{stack}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
