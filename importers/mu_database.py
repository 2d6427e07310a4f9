"""mu's ``service.database`` as muon's ``services.<name>.database``: the defaults are mu's
``templates/assets/cloudformation/database.yml`` parameters (engine aurora, provisioned, Serverless
auto-pause after 300 s with 2 to 256 capacity units, 100 GiB for an RDS instance)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from muon.importers.mu_service import ENGINES

if TYPE_CHECKING:
    from muon.importers.mu import Conversion

DATABASE_KEYS = {
    "name", "engine", "engineMode", "instanceClass", "iamAuthentication", "masterUsername",
    "masterPasswordSSMParam", "minSize", "maxSize", "secondsUntilAutoPause", "environmentConfig",
    "allocatedStorage", "kmsKey",
}  # fmt: skip
KMS_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/(?:[0-9a-f-]{36}|mrk-[0-9a-f]{32})$")
CAPACITY_KEYS = {"instanceClass", "minSize", "maxSize", "engineMode", "secondsUntilAutoPause"}
RDS_ENGINES = {"mysql", "postgres", "mariadb"}


def key_arn(value: str, path: str, purpose: str, out: Conversion) -> None:
    if KMS_ARN.match(value):
        out.definition.setdefault("keys", {})[purpose] = value
    else:
        out.lose(path, f"'{value}' is not a KMS key ARN: set keys.{purpose} to the key's ARN")


def database(config: dict[str, Any], out: Conversion) -> dict[str, Any]:
    path = "service.database"
    name = re.sub(r"[^A-Za-z0-9_]", "_", str(config.get("name") or "app"))
    result: dict[str, Any] = {"name": name, **_config(config, path, out, top=True)}
    overrides: dict[str, Any] = {}
    for env, settings in (config.get("environmentConfig") or {}).items():
        where = f"{path}.environmentConfig.{env}"
        merged = {**{k: v for k, v in config.items() if k != "environmentConfig"}, **(settings or {})}
        override = _config(merged, where, out, top=False)
        capacity = {k: v for k, v in override.items() if k in ("instanceClass", "serverless")}
        for key in sorted(
            set(settings or {})
            - {"instanceClass", "minSize", "maxSize", "engineMode", "secondsUntilAutoPause"}
        ):
            out.drop(f"{where}.{key}", "per environment muon varies only capacity")
        if (settings or {}).get("engineMode", config.get("engineMode")) != config.get("engineMode") and (
            not capacity
        ):
            out.drop(f"{where}.engineMode", "give this environment's instanceClass (or serverless) too")
        if capacity and capacity != {k: result[k] for k in capacity if k in result}:
            overrides[str(env)] = {"database": capacity}
    converted: dict[str, Any] = {"database": result}
    if overrides:
        converted["environments"] = overrides
    return converted


def _config(config: dict[str, Any], path: str, out: Conversion, top: bool) -> dict[str, Any]:
    result: dict[str, Any] = {}
    engine = str(config.get("engine") or "aurora")
    if engine not in ENGINES:
        if top:
            out.drop(
                f"{path}.engine",
                f"{engine}: muon runs Aurora MySQL/PostgreSQL, MySQL, PostgreSQL, "
                "MariaDB; aurora-mysql written",
            )
        engine = "aurora"
    if top:
        result["engine"] = ENGINES[engine]
    mode = str(config.get("engineMode") or "provisioned")
    if mode == "serverless":
        result["serverless"] = _serverless(config, path, out if top else None)
    elif mode != "provisioned" and top:
        out.drop(f"{path}.engineMode", f"{mode}: muon runs provisioned or Serverless v2")
    if config.get("instanceClass") and mode != "serverless":
        result["instanceClass"] = config["instanceClass"]
    if not top:
        return result
    if engine in RDS_ENGINES:
        result["allocatedStorage"] = max(20, int(config.get("allocatedStorage") or 100))  # DatabaseStorage
    if str(config.get("iamAuthentication", "")).lower() == "true":
        result["iamAuthentication"] = True
    if config.get("masterUsername"):
        result["masterUsername"] = config["masterUsername"]
    if config.get("masterPasswordSSMParam"):
        result["passwordParameter"] = config["masterPasswordSSMParam"]
    if config.get("kmsKey"):
        key_arn(str(config["kmsKey"]), f"{path}.kmsKey", "data", out)
    for key in config:
        if key not in DATABASE_KEYS:
            out.drop(f"{path}.{key}")
    return result


def _serverless(config: dict[str, Any], path: str, out: Conversion | None) -> dict[str, Any]:
    """mu's Serverless (v1) paused after SecondsUntilAutoPause (300 unless 0); muon's Serverless v2
    pauses at minCapacity 0 after autoPauseAfter (300 s at least)."""
    given = config.get("secondsUntilAutoPause")
    try:
        pause = 300 if given is None else int(given)
    except (TypeError, ValueError):  # mu read it as a number; anything else: mu's default, said
        pause = 300
        if out is not None:
            out.lose(
                f"{path}.secondsUntilAutoPause", f"'{given}' is not a number of seconds; paused after 300"
            )
    maximum = float(config.get("maxSize") or 256)
    if pause == 0:
        return {"minCapacity": float(config.get("minSize") or 2), "maxCapacity": maximum}
    if config.get("minSize") is not None and out is not None:
        out.lose(
            f"{path}.minSize",
            f"{config['minSize']}: muon's Serverless v2 pauses at minCapacity 0 and "
            "sizes itself when awake; set serverless.minCapacity (and lose the pause) to keep a floor",
        )
    return {"minCapacity": 0.0, "maxCapacity": maximum, "autoPauseAfter": max(300, pause)}
