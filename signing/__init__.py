"""Brand authenticity: issuing keys, signed records, signed label URLs, serials, status lists, verification.

The public surface is small and named by verbs; everything here is Flask-free (the Flask side lives in
``signing.views``, ``signing.cli`` and ``signing.models``).  Verifiers return ``None`` or raise
:class:`VerificationError`.
"""

from signing.errors import (
    InvalidGTIN,
    KeySourceError,
    LabelURLError,
    Reason,
    RecordFormatError,
    SigningError,
    Verdict,
    VerificationError,
)
from signing.gtin import normalize_gtin
from signing.keys import (
    EncryptedPKCS8FileKeySource,
    KeyRing,
    KeySource,
    KeyStatus,
    PKCS11KeySource,
    PublishedKey,
    Signer,
    UnsafeDevelopmentKeySource,
    UnsafeKeyWarning,
    compute_key_id,
)
from signing.labels import (
    LabelURL,
    issue_label_url,
    issue_label_urls,
    issue_product_url,
    parse_label_url,
    verify_label_url,
)
from signing.records import (
    AuthenticityRecord,
    Certificate,
    LicenceStatus,
    SignedRecord,
    sign_record,
    verify_record,
)
from signing.serials import SerialPermutation, derive_serial, encode_batch_prefix, locate_serial
from signing.status import StatusList, StatusSnapshot, StatusValue, load_status_list, sign_status_list

__all__ = [
    "AuthenticityRecord",
    "Certificate",
    "EncryptedPKCS8FileKeySource",
    "InvalidGTIN",
    "KeyRing",
    "KeySource",
    "KeySourceError",
    "KeyStatus",
    "LabelURL",
    "LabelURLError",
    "LicenceStatus",
    "PKCS11KeySource",
    "PublishedKey",
    "Reason",
    "RecordFormatError",
    "SerialPermutation",
    "SignedRecord",
    "Signer",
    "SigningError",
    "StatusList",
    "StatusSnapshot",
    "StatusValue",
    "UnsafeDevelopmentKeySource",
    "UnsafeKeyWarning",
    "Verdict",
    "VerificationError",
    "compute_key_id",
    "derive_serial",
    "encode_batch_prefix",
    "issue_label_url",
    "issue_label_urls",
    "issue_product_url",
    "load_status_list",
    "locate_serial",
    "normalize_gtin",
    "parse_label_url",
    "sign_record",
    "sign_status_list",
    "verify_label_url",
    "verify_record",
]
