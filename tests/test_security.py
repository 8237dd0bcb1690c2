"""The repository tells people how to report a problem, and holds no secrets."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "password in a URL": re.compile(r"\b[a-z+]+://[^\s/:@'\"]+:(?!\{)[^\s/@'\"]{3,}@(?!\.)"),
    "assigned secret": re.compile(
        r"(?i)\b(?:KB_SECRET_KEY|KB_ADMIN_TOKEN|KB_AGENT_TOKEN)\s*=\s*['\"]?[A-Za-z0-9_\-]{12,}"
    ),
}
# test fixtures use obviously fake credentials; they are the only allowed matches
ALLOWED = ("hunter2-db-password",)


def test_security_policy_has_a_threat_model_and_a_way_to_report() -> None:
    policy = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    assert "## Reporting a problem" in policy and "security@" in policy
    assert "## Threat model" in policy
    for topic in ("XSS", "CSRF", "rate limit", "Personal data", "Faults"):
        assert topic.lower() in policy.lower(), topic


def test_no_secret_is_committed() -> None:
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    found = []
    for name in files:
        path = ROOT / name
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for kind, pattern in SECRET_PATTERNS.items():
            for match in pattern.finditer(text):
                if not any(allowed in match.group() for allowed in ALLOWED):
                    found.append(f"{name}: {kind}: {match.group()[:40]}")
    assert found == []
