"""The CLI's errors, each with its exit code, and the mapping of AWS and Pulumi failures onto them."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

EXIT_OK = 0
EXIT_REFUSED = 1
"""The command ran and said no: out of bounds, nothing to approve, a managed password."""
EXIT_USAGE = 2
"""Unknown names, bad arguments, unreadable files (typer uses 2 for usage errors too)."""
EXIT_AWS = 3
"""AWS said no or could not be reached: credentials, access denied, throttling, network."""
EXIT_PULUMI = 4
"""The Pulumi side: CLI missing, stack locked, update failed."""
EXIT_INTERRUPTED = 130


class CliError(Exception):
    exit_code = EXIT_REFUSED


class RefusedError(CliError):
    exit_code = EXIT_REFUSED


class UsageError(CliError):
    exit_code = EXIT_USAGE


class NotFoundError(UsageError):
    pass


class AwsError(CliError):
    exit_code = EXIT_AWS


class PulumiError(CliError):
    exit_code = EXIT_PULUMI


THROTTLING = {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"}


def translate(call: Callable[[], T]) -> T:
    """Run ``call``; turn botocore and Automation API failures into one-line CliErrors."""
    from muon.stacks.errors import MuonError

    try:
        return call()
    except MuonError as error:
        raise _muon_error(error) from None
    except Exception as error:
        mapped = _aws_error(error)
        if mapped is None:
            raise
        raise mapped from None


def _muon_error(error: Exception) -> CliError:
    # The Automation API's errors exist only once its module is loaded (it loads Pulumi): a
    # command that never drove Pulumi (`muon init`, `muon plan`) never pays for the import.
    library = sys.modules.get("muon.automation.errors")
    if library is not None and isinstance(
        error, (library.PulumiNotInstalledError, library.StackLockedError, library.OperationFailedError)
    ):
        return PulumiError(str(error))
    return UsageError(str(error))  # InvalidConfigError, UnknownStackError, StackFileNotFoundError...


def _aws_error(error: Exception) -> CliError | None:
    """The CliError for a botocore failure, or None. botocore's exceptions exist only once it is
    loaded: a command that never called AWS never imports it here."""
    if "botocore" not in sys.modules:
        return None
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
    )

    if isinstance(error, (NoCredentialsError, PartialCredentialsError)):
        return AwsError(
            "no AWS credentials: set AWS_PROFILE (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), "
            "or run `aws sso login`"
        )
    if isinstance(error, NoRegionError):
        return AwsError("no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION)")
    if isinstance(error, EndpointConnectionError):
        return AwsError(f"cannot reach AWS at {error.kwargs.get('endpoint_url', 'its endpoint')}")
    if isinstance(error, ClientError):
        return AwsError(describe_client_error(error))
    return None


def describe_client_error(error: Any) -> str:
    """One line for an AWS error, also when the body was not what the protocol promised (XML or HTML
    from a proxy or an emulator instead of JSON): then the code is read out of it, or the status."""
    details = error.response.get("Error", {})
    code = str(details.get("Code", "Unknown"))
    message = str(details.get("Message", "") or error)
    embedded = re.search(r"<Code>([^<]+)</Code>", message)
    if embedded:
        code = embedded.group(1)
        found = re.search(r"<Message>([^<]*)</Message>", message)
        message = found.group(1) if found else ""
    elif message.lstrip().startswith("<"):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", code)
        message = f"HTTP {status} with a non-AWS body"
    message = " ".join(message.split())[:300]
    operation = getattr(error, "operation_name", "the request")
    if code in THROTTLING:
        return f"AWS is throttling {operation}; wait a moment and try again"
    if "AccessDenied" in code or code in ("UnauthorizedOperation", "UnrecognizedClientException"):
        return f"access denied to {operation}: {message}"
    return f"{operation} failed: {code}: {message}"
