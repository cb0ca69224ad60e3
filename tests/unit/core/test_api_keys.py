"""API keys, minted and hashed below both the API and the seeding command."""

from __future__ import annotations

import subprocess
import sys

from core.api_keys import KEY_PREFIX, hash_api_key, new_api_key


def test_keys_are_fresh_and_prefixed():
    first, second = new_api_key(), new_api_key()
    assert first != second
    assert first.startswith(KEY_PREFIX) and len(first) > len(KEY_PREFIX) + 40


def test_the_hash_depends_on_the_key_and_the_secret():
    key = new_api_key()
    assert hash_api_key(key, "secret") == hash_api_key(key, "secret")
    assert hash_api_key(key, "secret") != hash_api_key(key, "other secret")
    assert hash_api_key(key, "secret") != hash_api_key(new_api_key(), "secret")


def test_the_seeding_command_does_not_import_the_api_package():
    # A fresh interpreter: this test process may have imported the API already.
    script = (
        "import sys, loadtests.seed\n"
        "print(sorted(m for m in sys.modules if m == 'api' or m.startswith('api.')))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
