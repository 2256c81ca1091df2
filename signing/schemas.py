"""The API contract of the signing routes: request bodies and queries the ``api.route`` decorator validates,
and the answers it serialises (the OpenAPI document comes from these models only).

Answers are read from the rows (``from_attributes``); times and days are written as ``isoformat()`` writes
them, as the API always has. The verification verdict is not here: ``/api/v1/verify`` is the hot path and keeps
its plain dictionary (``signing.verification.outcome_to_dict``, cached per product and day), which the log's
hooks extend.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_serializer,
    model_validator,
)

from core.validators import check_line, check_text, read_text_field
from labels.errors import LabelDataError
from labels.schemas import get_layout
from labels.services import FORMATS
from signing.recalls import TEXT_LIMITS, RecallText


def label_output(body: dict[str, Any]) -> tuple[str, str]:
    """The format and layout a label request names, checked in labels' own words (a batch of labels is one
    file: no single SVG or PNG)."""
    fmt = str(body.get("format", "pdf"))
    if fmt not in FORMATS or fmt in ("svg", "png"):
        batch_formats = [f for f in FORMATS if f not in ("svg", "png")]
        raise LabelDataError(
            f"unknown format {fmt!r}", [{"field": "format", "reason": f"one of {batch_formats}"}]
        )
    layout = str(body.get("layout", "a4"))
    get_layout(layout)  # raises UnknownLayoutError (422) with the field
    return fmt, layout


IsoDateTime = Annotated[datetime, PlainSerializer(lambda v: v.isoformat(), return_type=str)]
IsoDate = Annotated[date, PlainSerializer(lambda v: v.isoformat(), return_type=str)]


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# ---- batches and units


class BatchCreate(BaseModel):
    count: int = Field(
        ge=1, le=1_000_000, strict=True, description="how many serials (one row, up to 1,000,000)"
    )


class BatchStatusChange(BaseModel):
    status: Literal["active", "suspended", "revoked"]
    reason: str = Field(max_length=500, description="why (audited)")

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        value = check_text(value.strip())
        if not value:
            raise ValueError("say why the batch is withdrawn")
        return value


class BatchLinks(BaseModel):
    self: str
    urls: str


class BatchOut(Out):
    id: int
    product_id: int
    gtin: str
    prefix: str
    count: int
    serial_length: int
    issued_on: IsoDate
    status: str
    status_reason: str | None
    created_at: IsoDateTime


class LinkedBatchOut(BatchOut):
    links: BatchLinks

    @classmethod
    def of(cls, batch: Any) -> LinkedBatchOut:
        links = BatchLinks(self=f"/api/v1/batches/{batch.id}", urls=f"/api/v1/batches/{batch.id}/urls")
        return cls.model_validate(BatchOut.model_validate(batch).model_dump() | {"links": links})


class BatchList(BaseModel):
    items: list[LinkedBatchOut]


class BatchUrlsQuery(BaseModel):
    start: int | None = Field(default=None, ge=0, description="the first unit index (default 0)")
    stop: int | None = Field(default=None, ge=0, description="after the last unit index (default: the count)")
    format: Literal["txt", "csv"] = "txt"


class UnitOut(Out):
    gtin: str
    serial: str
    batch_id: int | None
    first_seen_at: IsoDateTime | None
    first_district: str | None
    scan_count: int
    flags: list[Any]
    flagged_at: IsoDateTime | None
    recalled_at: IsoDateTime | None
    recall_reason: str | None
    flags_cleared_at: IsoDateTime | None

    @field_validator("flags", mode="before")
    @classmethod
    def _flags(cls, value: Any) -> list[Any]:
        return list(value or [])


class UnitList(BaseModel):
    items: list[UnitOut]


class UnitsQuery(BaseModel):
    flagged: str | None = Field(default=None, description="true: possible copies only")

    @property
    def only_flagged(self) -> bool:
        return self.flagged in ("1", "true", "yes")


class UnitLabel(BaseModel):
    url: str = Field(description="a unit's label URL (with /21/<serial>)")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_line(value.strip())


class ClearFlags(UnitLabel):
    reason: str = Field(max_length=500, description="what was checked and why the flag is false (audited)")

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        value = check_text(value.strip())
        if not value:
            raise ValueError("say what was checked and why the flag is false")
        return value


# ---- recalls


class RecallBody(BaseModel):
    """What owners are told, in both languages. ``signing.recalls.RecallText`` checks it first and names the
    first bad field in its own words (the older ``reason`` stands for ``reason_en``)."""

    reason_en: str = Field(max_length=TEXT_LIMITS["reason"], description="why, in English")
    reason_bn: str = Field(max_length=TEXT_LIMITS["reason"], description="why, in Bangla")
    instructions_en: str = Field(
        max_length=TEXT_LIMITS["instructions"], description="what owners should do (English)"
    )
    instructions_bn: str = Field(
        max_length=TEXT_LIMITS["instructions"], description="what owners should do (Bangla)"
    )
    contact: str = Field(max_length=TEXT_LIMITS["contact"], description="phone, e-mail or address for owners")

    @model_validator(mode="before")
    @classmethod
    def _checked(cls, data: Any) -> Any:
        return _recall_fields(data)

    @property
    def text(self) -> RecallText:
        return RecallText(
            reason_en=self.reason_en,
            reason_bn=self.reason_bn,
            instructions_en=self.instructions_en,
            instructions_bn=self.instructions_bn,
            contact=self.contact,
        )


class UnitRecallBody(RecallBody):
    url: str = Field(description="the unit's label URL (with /21/<serial>)")

    @model_validator(mode="before")
    @classmethod
    def _checked(cls, data: Any) -> Any:  # the URL first, then the words (as this route always answered)
        if isinstance(data, dict):
            data = {**data, "url": read_text_field(data, "url", single_line=True)}
        return _recall_fields(data)


def _recall_fields(data: Any) -> Any:
    """``RecallText``'s checks, in its own words: a ``RecallError`` (422 naming the field) is no ``ValueError``,
    so it passes through pydantic unchanged."""
    text = RecallText.from_json(data)
    return {**data, **asdict(text)}


class RecallOut(Out):
    id: int
    product_id: int
    batch_id: int | None
    gtin: str
    serial: str | None
    scope: str
    reason_en: str
    reason_bn: str
    instructions_en: str
    instructions_bn: str
    contact: str
    recalled_at: IsoDateTime


class RecallList(BaseModel):
    items: list[RecallOut]


# ---- labels


class LabelOptions(BaseModel):
    format: Literal["pdf", "zip-svg", "zip-png", "csv"] = Field(
        default="pdf", description="the file to answer"
    )
    layout: str = Field(default="a4", description="a label layout (labels.schemas), e.g. a4, roll-50x30")

    @model_validator(mode="before")
    @classmethod
    def _known(cls, data: Any) -> Any:
        if isinstance(data, dict):
            label_output(data)  # LabelDataError / UnknownLayoutError: 422 naming the field, in labels' words
        return data


class UrlLabels(LabelOptions):
    """Labels for given label URLs, with one product's names (e.g. URLs exported earlier)."""

    urls: list[str] = Field(min_length=1, description="label URLs (at most LABELS_DIRECT_LIMIT)")
    name_en: str = Field(min_length=1)
    name_bn: str = Field(min_length=1)
    batch: str | None = None

    @field_validator("name_en", "name_bn", "batch")
    @classmethod
    def _line(cls, value: str | None) -> str | None:
        return None if value is None else check_line(value.strip())


class BatchLabels(LabelOptions):
    start: int | None = Field(default=None, ge=0, description="the first unit index (default 0)")
    stop: int | None = Field(default=None, ge=1, description="after the last unit index (default: the count)")


class JobProgress(BaseModel):
    done: int
    total: int


class JobLinks(BaseModel):
    self: str
    download: str | None = None  # once the job is done

    @model_serializer(mode="wrap")
    def _present(self, handler: Any) -> Any:
        return {key: value for key, value in handler(self).items() if value is not None}


class LabelJobOut(BaseModel):
    id: str
    status: str
    format: str
    layout: str
    progress: JobProgress
    error: str | None
    error_code: str | None
    filename: str | None
    links: JobLinks

    @classmethod
    def of(cls, job: Any) -> LabelJobOut:
        links = JobLinks(self=f"/api/v1/label-jobs/{job.id}")
        if job.status == "done":
            links.download = f"/api/v1/label-jobs/{job.id}/download"
        return cls(
            id=job.id,
            status=job.status,
            format=job.fmt,
            layout=job.layout,
            progress=JobProgress(done=job.done, total=job.total),
            error=job.error,
            error_code=job.error_code,
            filename=job.filename,
            links=links,
        )


# ---- reports


class ReportCreate(BaseModel):
    """A consumer's report of a suspected fake (JSON, or a multipart form with ``photo`` besides)."""

    text: str
    url: str | None = None
    district: str | None = None


class ReportCreated(BaseModel):
    id: int
    status: str
    verdict: str | None


class ReportOut(Out):
    id: int
    gtin: str | None
    serial: str | None
    product_id: int | None
    label_url: str | None
    verdict: str | None
    text: str
    district: str | None
    has_photo: bool
    status: str
    created_at: IsoDateTime

    @model_validator(mode="before")
    @classmethod
    def _photo(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return data
        return {
            **{name: getattr(data, name) for name in cls.model_fields if name != "has_photo"},
            "has_photo": data.photo_blob is not None or data.photo is not None,
        }


class ReportList(BaseModel):
    items: list[ReportOut]


class VerifyQuery(BaseModel):
    url: str = Field(description="the label URL as scanned")
