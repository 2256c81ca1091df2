"""Brand authenticity: issuing keys, signed records, signed label URLs, serials, status lists, verification.

The public surface is small and named by verbs; everything here is Flask-free (the Flask side lives in
``signing.views``, ``signing.cli`` and ``signing.models``).  Verifiers return ``None`` or raise
:class:`VerificationError`.
"""

import atexit
from typing import Any

from config import settings_of
from core.blobs import get_blobs
from core.blobs_cli import register_importer
from registry.products import licence_changed
from signing import reports
from signing.cli import signing_cli
from signing.errors import KeySourceError, Reason, RecordFormatError, SigningError, Verdict, VerificationError
from signing.extension import SigningExtension
from signing.hooks import sign_on_licence_change
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
from signing.keystore import configured_key_source
from signing.label_cli import labels_cli
from signing.label_views import init_views as init_label_views
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
from signing.scans import BufferedScanRecorder, build_scan_recorder
from signing.serials import SerialPermutation, derive_serial, encode_batch_prefix, locate_serial
from signing.settings import SigningSettings
from signing.status import StatusList, StatusSnapshot, StatusValue, load_status_list, sign_status_list
from signing.views import bp

__all__ = [
    "AuthenticityRecord",
    "init_app",
    "Certificate",
    "EncryptedPKCS8FileKeySource",
    "KeyRing",
    "KeySource",
    "KeySourceError",
    "KeyStatus",
    "LabelURL",
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
    "parse_label_url",
    "sign_record",
    "sign_status_list",
    "verify_label_url",
    "verify_record",
]


def init_app(app: Any) -> None:
    """Wire signing into the Flask app: extension, blueprint, ``flask signing`` commands, licence hook."""

    settings = SigningSettings.from_settings(settings_of(app))
    configured_key_source(settings)  # production without SIGNING_KEY_PATH stops here
    database = app.extensions["core.db"]
    ext = SigningExtension(settings, lambda: database.session(write=True))
    ext.scans = build_scan_recorder(settings, database, settings.scan_flush_ms)
    if isinstance(ext.scans, BufferedScanRecorder):
        atexit.register(ext.scans.close)  # an orderly worker exit writes the buffered scans
    app.extensions["signing"] = ext
    app.register_blueprint(bp)
    app.cli.add_command(signing_cli)
    register_importer(app, reports.report_photo_importer(app.extensions["core.db"], get_blobs(app)))
    licence_changed.connect(sign_on_licence_change)
    init_label_views(app)  # the label API and its job queue
    app.cli.add_command(labels_cli)
