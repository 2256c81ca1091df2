"""The first issuing key (python -m signing.keygen): to an encrypted file, or generated on a PKCS#11 token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from signing.errors import KeySourceError
from signing.keygen import create_first_key
from signing.keys import EncryptedPKCS8FileKeySource, PKCS11KeySource, Signer
from tests.signing.test_keys import SOFTHSM_MODULE, softhsm_token  # noqa: F401 - the token fixture

ROOT = Path(__file__).resolve().parents[2]


def test_the_first_key_is_an_encrypted_file_the_application_opens(tmp_path: Path) -> None:
    target = tmp_path / "keys" / "issuing.p8"
    env = os.environ | {"REGISTRY_SIGNING_KEY_PASSPHRASE": "a long passphrase for the test"}
    done = subprocess.run(  # noqa: S603 - our interpreter, our module
        [sys.executable, "-m", "signing.keygen", str(target)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    assert b"ENCRYPTED PRIVATE KEY" in target.read_bytes()
    signer = Signer.from_key_source(EncryptedPKCS8FileKeySource(target, b"a long passphrase for the test"))
    assert signer.kid in done.stdout and f"REGISTRY_SIGNING_KEY_PATH={target}" in done.stdout
    again = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "signing.keygen", str(target)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert again.returncode == 1 and "never overwritten" in again.stderr
    with pytest.raises(KeySourceError, match="REGISTRY_SIGNING_KEY_PASSPHRASE"):
        create_first_key(str(tmp_path / "other.p8"), "")


def test_the_first_key_can_be_generated_on_a_pkcs11_token(softhsm_token: str) -> None:  # noqa: F811
    uri = f"pkcs11:module={SOFTHSM_MODULE};token={softhsm_token};key=issuing-first"
    kid = create_first_key(uri, "1234")
    private = PKCS11KeySource(SOFTHSM_MODULE, softhsm_token, "1234", "issuing-first").load_private_key()
    assert Signer.from_private_key(private).kid == kid
    private.close()  # type: ignore[attr-defined]
    with pytest.raises(KeySourceError, match="already holds"):
        create_first_key(uri, "1234")
    with pytest.raises(KeySourceError, match="needs key"):
        create_first_key(f"pkcs11:module={SOFTHSM_MODULE};token={softhsm_token}", "1234")
