"""Secrets out of what leaves the machine.

Before a request goes to a remote backend, every secret in it — API keys and tokens of the
common formats, `password=…`/`token=…` assignments, Authorization headers, private key blocks,
passwords in URLs — is replaced by a placeholder (`CMDAI_SECRET_1`, …). The model writes its
command with the placeholder, and `Redaction.restore` puts the user's own secret back in the
reply on this machine, so the command still works and the server never saw the secret.

Patterns are specific on purpose: a look-alike (a git sha, a UUID, `--password-file`, a path
with `token` in it) must pass unchanged, or the model loses what the user asked about.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from cmdai.backends.base import Message

PLACEHOLDER = "CMDAI_SECRET_{}"

# Whole-token secrets: the match is the secret.
_TOKENS = [
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----.*?(-----END [A-Z0-9 ]*PRIVATE KEY"
    r"( BLOCK)?-----|\Z)",  # PEM / OpenSSH / PGP private keys, closed or cut off
    r"\bsk-(?:proj-|ant-(?:api\d\d-)?|svcacct-)?[A-Za-z0-9_-]{20,}",  # OpenAI, Anthropic
    r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})",  # GitHub
    r"\bglpat-[A-Za-z0-9_-]{20,}",  # GitLab
    r"\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{16}\b",  # AWS access key ids
    r"\bxox[abposr]-[A-Za-z0-9-]{10,}",  # Slack tokens
    r"https://hooks\.slack\.com/services/[A-Za-z0-9/]+",  # Slack webhooks
    r"\bAIza[0-9A-Za-z_-]{35}",  # Google API keys
    r"\bya29\.[0-9A-Za-z_-]{20,}",  # Google OAuth access tokens
    r"\bhf_[A-Za-z0-9]{30,}",  # Hugging Face
    r"\bnpm_[A-Za-z0-9]{36}",  # npm
    r"\b[rs]k_live_[A-Za-z0-9]{20,}",  # Stripe
    r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",  # JWTs
]
_TOKEN = re.compile("|".join(f"(?:{p})" for p in _TOKENS), re.DOTALL)

# Secrets introduced by a word: group "value" is the secret, the rest stays.
_INTRODUCED = re.compile(
    r"""
    (?:
        \b(?:authorization|proxy-authorization)\s*:\s*(?:bearer|basic|token|digest)\s+
      | \b(?:bearer|basic)\s+(?=[A-Za-z0-9._~+/=-]{16,})
      | (?<![\w-])(?:[A-Za-z_]*_)?(?:password|passwd|pwd|passphrase|secret|token|api_?key
            |access_?key|secret_?key|client_?secret|auth_?token)
        (?:\s*=\s*|\s*:\s+|=)
      | (?<![\w-])--(?:password|passwd|token|api-key|secret|client-secret)(?:=|\s+)
    )
    (?P<value>"[^"\n]+"|'[^'\n]+'|[^\s"';&|]+)
    """,
    re.IGNORECASE | re.VERBOSE,
)

# user:password@host in URLs (the user stays, the password goes).
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^\s/:@]+:)(?P<value>[^\s/@]+)(?=@)")


@dataclass
class Redaction:
    secrets: list[str] = field(default_factory=list)

    def mask(self, text: str) -> str:
        text = _TOKEN.sub(lambda m: self._hide(m.group(0)), text)
        text = _URL_PASSWORD.sub(lambda m: m.group("head") + self._hide(m.group("value")), text)
        return _INTRODUCED.sub(self._hide_value, text)

    def messages(self, messages: Sequence[Message]) -> list[Message]:
        return [{"role": m["role"], "content": self.mask(m["content"])} for m in messages]

    def restore(self, text: str) -> str:
        """The model's reply with the user's own secrets back in place of the placeholders."""
        for number in range(len(self.secrets), 0, -1):  # CMDAI_SECRET_10 before _1
            text = text.replace(PLACEHOLDER.format(number), self.secrets[number - 1])
        return text

    def _hide(self, secret: str) -> str:
        if PLACEHOLDER.format("") in secret:  # already a placeholder
            return secret
        if secret not in self.secrets:
            self.secrets.append(secret)
        return PLACEHOLDER.format(self.secrets.index(secret) + 1)

    def _hide_value(self, match: re.Match[str]) -> str:
        value = match.group("value")
        if value.startswith("$") or PLACEHOLDER.format("") in value or len(value) < 4:
            return match.group(0)  # a variable, a placeholder, or too short to be a secret
        quote = value[0] if value[0] in "\"'" else ""
        inner = value[1:-1] if quote else value
        start = match.start("value") - match.start(0)
        return match.group(0)[:start] + quote + self._hide(inner) + quote


def redact(text: str) -> str:
    """`text` with every secret replaced by a placeholder (for tests and the docs)."""
    return Redaction().mask(text)
