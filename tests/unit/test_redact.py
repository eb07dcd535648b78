"""The redactor: what leaves the machine for a remote backend holds no secret, look-alikes pass
unchanged, and the user's own secrets come back in the command."""

from __future__ import annotations

import pytest

from cmdai.prompting import Context, build_messages
from cmdai.redact import Redaction, redact

# Test values only: every "secret" here is made up for this table.
SECRETS = [
    (
        "curl -H 'Authorization: Bearer sk-proj-abcDEF1234567890abcdefGHIJ' api",
        "sk-proj-abcDEF1234567890abcdefGHIJ",
    ),
    (
        "use key sk-abcdefghijklmnopqrstuvwxyz012345 for openai",
        "sk-abcdefghijklmnopqrstuvwxyz012345",
    ),
    (
        "anthropic key sk-ant-api03-abcdefghijklmnopqrstuv_wxyz",
        "sk-ant-api03-abcdefghijklmnopqrstuv_wxyz",
    ),
    (
        "clone with ghp_abcdefghijklmnopqrstuvwxyz0123456789AB",
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789AB",
    ),
    (
        "token gho_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ab",
        "gho_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ab",
    ),
    (
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ",
    ),
    ("push with glpat-abcdefghij0123456789", "glpat-abcdefghij0123456789"),
    ("export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    (
        "set aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ),
    ("temporary key ASIAY34FZKBOKMUTVV7A in the env", "ASIAY34FZKBOKMUTVV7A"),
    ("post to slack with xoxb-123456789012-abcdefghijkl", "xoxb-123456789012-abcdefghijkl"),
    ("user token xoxp-1234-5678-abcdef0123", "xoxp-1234-5678-abcdef0123"),
    (
        "curl -d hi https://hooks.slack.com/services/T000/B000/XXXXXXXX",
        "https://hooks.slack.com/services/T000/B000/XXXXXXXX",
    ),
    ("maps key AIzaSyA1234567890abcdefghijklmnopqrstuv", "AIzaSyA1234567890abcdefghijklmnopqrstuv"),
    ("gcloud token ya29.a0AfH6SMBexampleexampleexample", "ya29.a0AfH6SMBexampleexampleexample"),
    (
        "decode eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ),
    ("login to hf with hf_abcdefghijklmnopqrstuvwxyzABCDEF", "hf_abcdefghijklmnopqrstuvwxyzABCDEF"),
    (
        "publish with npm_abcdefghijklmnopqrstuvwxyz0123456789",
        "npm_abcdefghijklmnopqrstuvwxyz0123456789",
    ),
    ("charge with sk_live_abcdefghijklmnopqrstuvwx", "sk_live_abcdefghijklmnopqrstuvwx"),
    ("connect with password=hunter2secret", "hunter2secret"),
    ("run it with PASSWORD='correct horse battery'", "correct horse battery"),
    ('set DB_PASSWORD="s3cr3t-Pa55"', "s3cr3t-Pa55"),
    ("api_key=abcd1234efgh5678 in the config", "abcd1234efgh5678"),
    ("token: f00dfeedcafe1234 for the bot", "f00dfeedcafe1234"),
    ("client_secret=Zm9vYmFyYmF6cXV4 to get a token", "Zm9vYmFyYmF6cXV4"),
    ("mysql --password=Tr0ub4dor&3 -u root", "Tr0ub4dor"),
    ("login --token 0123456789abcdef0123", "0123456789abcdef0123"),
    ("curl -H 'Authorization: Basic dXNlcjpwYXNzd29yZA==' host", "dXNlcjpwYXNzd29yZA=="),
    ("curl -H 'Authorization: Bearer abc.def.ghi-jkl_mno' host", "abc.def.ghi-jkl_mno"),
    ("send header bearer 0123456789abcdefABCDEF", "0123456789abcdefABCDEF"),
    ("clone https://ana:MyGitPass99@git.example.com/repo.git", "MyGitPass99"),
    ("psql postgres://admin:pa55w0rd@db.local:5432/app", "pa55w0rd"),
    (
        "save -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY----- to a file",
        "b3BlbnNzaC1rZXktdjEAAAAA",
    ),
    ("key -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7", "MIIEowIBAAKCAQEA7"),
]

LOOK_ALIKES = [
    "git show 3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f",
    "docker rm 0123456789abcdef0123456789abcdef",
    "find files named 550e8400-e29b-41d4-a716-446655440000",
    "mysql --password-file ~/.mylogin.cnf -u root",
    "ls ~/tokens/ and count them",
    "grep -r 'password' src/",
    "find the word token in README.md",
    "show the api_key setting in config.yaml",
    "set password for user ana",
    "passwd ana",
    "change my password",
    "export TOKEN=$GITHUB_TOKEN",
    'curl -H "Authorization: Bearer $API_TOKEN" https://api.example.com',
    "git clone https://github.com/ana/repo.git",
    "ssh ana@example.com",
    "scp file.txt ana@host:/tmp/",
    "echo sk-short",
    "task-runner --skip-tests",
    "kill -9 12345",
    "list files in /usr/share/keyrings",
    "openssl genrsa -out private.key 2048",
    "ssh-keygen -t ed25519 -f ~/.ssh/id_ed25519",
    "cat ~/.ssh/id_rsa.pub",
    "find . -name '*.pem'",
    "aws s3 ls s3://my-bucket",
    "kubectl get secret my-secret -o yaml",
    "gh auth login",
    "echo basic usage",
    "sort -k2 tokens.txt",
    "pip install huggingface_hub",
    "rg 'AKIA' .",
    "jq .token response.json",
    "git log --author=ana",
    "curl https://example.com/path?page=2&sort=asc",
    "tar czf secrets-backup.tgz secrets/",
]


@pytest.mark.parametrize(("text", "secret"), SECRETS)
def test_secrets_are_masked(text: str, secret: str) -> None:
    masked = redact(text)
    assert secret not in masked
    assert "CMDAI_SECRET_1" in masked


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_look_alikes_pass_unchanged(text: str) -> None:
    assert redact(text) == text


def test_tables_are_big_enough() -> None:
    assert len(SECRETS) >= 30 and len(LOOK_ALIKES) >= 30


def test_the_constant_prompt_prefix_passes_unchanged() -> None:
    messages = build_messages("list files", Context("bash", "Linux", "/home/ana"))
    assert Redaction().messages(messages) == messages


def test_the_command_gets_the_users_secret_back() -> None:
    redaction = Redaction()
    sent = redaction.mask(
        "clone with ghp_abcdefghijklmnopqrstuvwxyz0123456789AB and password=hunter2secret"
    )
    assert sent == "clone with CMDAI_SECRET_1 and password=CMDAI_SECRET_2"
    reply = "GITHUB_TOKEN=CMDAI_SECRET_1 git clone x && login -p CMDAI_SECRET_2"
    restored = redaction.restore(reply)
    assert restored == (
        "GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789AB git clone x && login -p hunter2secret"
    )


def test_the_same_secret_twice_is_one_placeholder() -> None:
    text = "use sk-abcdefghijklmnopqrstuvwxyz012345 then sk-abcdefghijklmnopqrstuvwxyz012345"
    assert redact(text) == "use CMDAI_SECRET_1 then CMDAI_SECRET_1"
