"""The first issuing key: ``python -m signing.keygen`` (docs/operations.md, "First key and first admin").

Production refuses to start without ``REGISTRY_SIGNING_KEY_PATH``, and ``flask signing rotate-key`` needs a
running configuration, so the first key is made here, without the application:

    REGISTRY_SIGNING_KEY_PASSPHRASE=... python -m signing.keygen /etc/registry/issuing-key.p8
    REGISTRY_SIGNING_KEY_PASSPHRASE=<PIN> python -m signing.keygen \\
        'pkcs11:module=/usr/lib/softhsm/libsofthsm2.so;token=registry;key=issuing-2026'

The target is what ``REGISTRY_SIGNING_KEY_PATH`` will name: a file gets a new Ed25519 key as encrypted PKCS#8
(mode 0600, never overwritten); a PKCS#11 URI gets a new Ed25519 key pair generated *on the token* (the
private key never leaves it). The passphrase or PIN is read from ``REGISTRY_SIGNING_KEY_PASSPHRASE``, never
from the command line (it would show in ``ps`` and the shell history). It prints the key id, which the
application registers as current when it first starts (``/.well-known/jwks.json`` then lists it).
"""

from __future__ import annotations

import argparse
import os
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from signing.errors import KeySourceError
from signing.keys import PKCS11KeySource, Signer, write_encrypted_pkcs8

PASSPHRASE_VARIABLE = "REGISTRY_SIGNING_KEY_PASSPHRASE"  # noqa: S105 - the variable's name, not a secret
ED25519_OID = "1.3.101.112"


def create_first_key(target: str, passphrase: str) -> str:
    """Create the issuing key that ``target`` (a file path or a ``pkcs11:`` URI) will name; its key id."""
    if not passphrase:
        raise KeySourceError(f"set {PASSPHRASE_VARIABLE} (the key file's passphrase, or the token's PIN)")
    if target.startswith("pkcs11:"):
        parts = dict(item.split("=", 1) for item in target.removeprefix("pkcs11:").split(";") if "=" in item)
        missing = [name for name in ("module", "token", "key") if not parts.get(name)]
        if missing:
            raise KeySourceError(
                f"the PKCS#11 URI needs {', '.join(missing)}: pkcs11:module=...;token=...;key=..."
            )
        source = PKCS11KeySource(parts["module"], parts["token"], passphrase, parts["key"])
        generate_token_keypair(source)
        private = source.load_private_key()
        try:
            return Signer.from_private_key(private).kid
        finally:
            private.close()  # type: ignore[attr-defined]  # the token's session: the service opens its own
    if os.path.exists(target):
        raise KeySourceError(
            f"{target} exists: the first key is never overwritten (rotate with flask signing)"
        )
    private_key = Ed25519PrivateKey.generate()
    write_encrypted_pkcs8(private_key, target, passphrase.encode())
    return Signer.from_private_key(private_key).kid


def generate_token_keypair(source: PKCS11KeySource) -> None:
    """A new Ed25519 key pair on the token, labelled ``source.key_label`` (refused if the label is taken)."""
    import pkcs11  # the HSM library loads only where a token is used
    from pkcs11.util.ec import encode_named_curve_parameters

    try:
        token = pkcs11.lib(source.module).get_token(token_label=source.token_label)
        with token.open(user_pin=source.pin, rw=True) as session:
            taken = list(session.get_objects({pkcs11.Attribute.LABEL: source.key_label}))
            if taken:
                raise KeySourceError(f"the token already holds a key labelled {source.key_label!r}")
            parameters = session.create_domain_parameters(
                pkcs11.KeyType.EC_EDWARDS,
                {pkcs11.Attribute.EC_PARAMS: encode_named_curve_parameters(ED25519_OID)},
                local=True,
            )
            parameters.generate_keypair(
                mechanism=pkcs11.Mechanism.EC_EDWARDS_KEY_PAIR_GEN, store=True, label=source.key_label
            )
    except (pkcs11.PKCS11Error, RuntimeError, OSError) as exc:
        raise KeySourceError(
            f"cannot create the key on PKCS#11 token {source.token_label!r}: {exc!r}"
        ) from exc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m signing.keygen",
        description=f"Create the first issuing key (passphrase or PIN from {PASSPHRASE_VARIABLE}).",
    )
    parser.add_argument("target", help="a key file path, or pkcs11:module=...;token=...;key=LABEL")
    args = parser.parse_args(argv)
    try:
        kid = create_first_key(args.target, os.environ.get(PASSPHRASE_VARIABLE, ""))
    except KeySourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"created issuing key {kid}; set REGISTRY_SIGNING_KEY_PATH={args.target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
