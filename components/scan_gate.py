"""The Image stage's gate on ECR's scan of each pushed image.

It waits for the scan, reads its findings and stops the pipeline on findings of the chosen severity
or worse — and on every scan status that leaves the image unscanned, each with what it means and
what to do. ECR reports these statuses (Amazon ECR API reference, ``ImageScanStatus``; botocore's
ecr model, ``ScanStatus``); a status this module does not name stops the gate too:

- ``COMPLETE``: a basic scan finished; ``findingSeverityCounts`` holds its findings.
- ``ACTIVE``: enhanced scanning (Amazon Inspector) scanned the image and keeps its findings current;
  they come as ``enhancedFindings``, one per vulnerability with its ``severity`` (reading them
  needs ``inspector2:ListFindings``: ECR user guide, "IAM permissions required for enhanced
  scanning").
- ``IN_PROGRESS``, ``PENDING``: not yet; the gate waits (and so while ECR has no scan of the image
  yet: ``ScanNotFoundException`` right after the push).
- ``FAILED``, ``UNSUPPORTED_IMAGE``, ``FINDINGS_UNAVAILABLE``, ``SCAN_ELIGIBILITY_EXPIRED``,
  ``LIMIT_EXCEEDED``, ``IMAGE_ARCHIVED``: no current findings to judge; the image is not promoted.

The script is bash over the AWS CLI (what a CodeBuild standard image has), held in a buildspec
variable and run as ``bash -c "$MUON_SCAN_GATE" muon-scan-gate REPOSITORY TAG``.
"""

from __future__ import annotations

SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW")
GATE_VARIABLE = "MUON_SCAN_GATE"
JUDGED = ("COMPLETE", "ACTIVE")
WAITING = ("IN_PROGRESS", "PENDING")
NOT_FOUND = "NO_SCAN"
"""The gate's own name for ``ScanNotFoundException``: ECR has not started a scan of the image."""

_UNPROMOTED = "not promoted unscanned"
REFUSED: dict[str, str] = {
    "FAILED": f"ECR could not scan the image ($DESCRIPTION): {_UNPROMOTED}; run the stage again",
    "UNSUPPORTED_IMAGE": (
        "ECR cannot scan the image: its media type, operating system or package manager is not "
        f"supported ($DESCRIPTION): {_UNPROMOTED}; build it from a base image the scanner supports, or "
        "set pipeline.imageScan.failOn: none"
    ),
    "FINDINGS_UNAVAILABLE": (
        f"ECR has no findings for the image ($DESCRIPTION): {_UNPROMOTED}; run the stage again, or see "
        "the image in Amazon Inspector"
    ),
    "SCAN_ELIGIBILITY_EXPIRED": (
        "the image is past the rescan duration of enhanced scanning: its findings are no longer kept "
        "current ($DESCRIPTION): not promoted on stale findings; build it again (a new commit) or "
        "lengthen the ECR rescan duration in Amazon Inspector"
    ),
    "LIMIT_EXCEEDED": (
        f"the scan quota for the image is used up ($DESCRIPTION): {_UNPROMOTED}; run the stage again "
        "later (basic scanning scans an image once a day)"
    ),
    "IMAGE_ARCHIVED": (
        f"the image is archived and archived images are not scanned ($DESCRIPTION): {_UNPROMOTED}; "
        "restore it, or build it again (a new commit)"
    ),
}
TIMED_OUT = (
    "the scan is still $STATUS after $ATTEMPTS checks $INTERVAL s apart ($DESCRIPTION): not promoted; "
    "run the stage again once ECR has scanned it"
)
NEVER_SCANNED = (
    "ECR has not scanned the image after $ATTEMPTS checks $INTERVAL s apart: not promoted; turn on scan "
    "on push for the repository, or make an enhanced scanning filter of the registry cover it"
)
UNKNOWN = "ECR reports scan status $STATUS ($DESCRIPTION), which this gate does not know: not promoted"


def _counts_query(blocking: tuple[str, ...]) -> str:
    """Per blocking severity: the basic scan's count and the enhanced findings not suppressed or
    closed (Inspector's finding statuses). Backtick literals: the query sits in single quotes."""
    parts = []
    for severity in blocking:
        parts.append(f"imageScanFindings.findingSeverityCounts.{severity}")
        parts.append(
            f'length(imageScanFindings.enhancedFindings[?severity==`"{severity}"` && '
            'status!=`"SUPPRESSED"` && status!=`"CLOSED"`] || `[]`)'
        )
    return "[" + ", ".join(parts) + "]"


def gate_script(fail_on: str) -> str:
    """The gate: exit 0 only for a judged scan with no finding of ``fail_on`` or worse."""
    blocking = SEVERITIES[: SEVERITIES.index(fail_on) + 1]
    refused = "\n".join(
        f'  {status}) echo "$IMAGE: {message}"; exit 1 ;;' for status, message in REFUSED.items()
    )
    return f"""set -u
REPOSITORY="$1"; TAG="$2"; IMAGE="$REPOSITORY:$TAG"
ATTEMPTS="${{MUON_SCAN_ATTEMPTS:-120}}"; INTERVAL="${{MUON_SCAN_INTERVAL:-15}}"
ERRORS="$(mktemp)"; ATTEMPT=0
while :; do
  ATTEMPT=$((ATTEMPT + 1))
  if SCAN="$(aws ecr describe-image-scan-findings --repository-name "$REPOSITORY" \\
      --image-id "imageTag=$TAG" --no-paginate --query 'imageScanStatus.[status,description]' \\
      --output text 2>"$ERRORS")"; then
    STATUS="$(printf '%s' "$SCAN" | cut -f1)"; DESCRIPTION="$(printf '%s' "$SCAN" | cut -f2-)"
  elif grep -q ScanNotFoundException "$ERRORS"; then
    STATUS={NOT_FOUND}; DESCRIPTION="no scan yet"
  else
    cat "$ERRORS" >&2; echo "$IMAGE: the scan gate could not read the scan: not promoted"; exit 1
  fi
  case "$STATUS" in
  {"|".join(JUDGED)}) break ;;
  {"|".join((*WAITING, NOT_FOUND))})
    if [ "$ATTEMPT" -lt "$ATTEMPTS" ]; then sleep "$INTERVAL"; continue; fi
    if [ "$STATUS" = {NOT_FOUND} ]; then echo "$IMAGE: {NEVER_SCANNED}"; else echo "$IMAGE: {TIMED_OUT}"; fi
    exit 1 ;;
{refused}
  *) echo "$IMAGE: {UNKNOWN}"; exit 1 ;;
  esac
done
COUNTS="$(aws ecr describe-image-scan-findings --repository-name "$REPOSITORY" --image-id "imageTag=$TAG" \\
  --query '{_counts_query(blocking)}' --output text)" || exit 1
for COUNT in $COUNTS; do
  if [ "$COUNT" != None ] && [ "$COUNT" -gt 0 ]; then
    echo "$IMAGE has {"/".join(blocking)} findings ($STATUS scan; counts $COUNTS): not promoted"; exit 1
  fi
done
echo "$IMAGE: $STATUS scan, no {"/".join(blocking)} findings"
"""


def gate_command(repository: str) -> str:
    """The buildspec command running the gate on the image just pushed (or reused) as ``$TAG``."""
    return f'bash -c "${GATE_VARIABLE}" muon-scan-gate "{repository}" "$TAG"'
