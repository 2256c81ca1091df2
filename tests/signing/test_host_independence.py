"""A label is verified on the registry's public host (PUBLIC_BASE_URL), whatever Host or X-Forwarded-Host the
request arrived with: behind nginx's default ``proxy_set_header Host $proxy_host`` gunicorn sees
``127.0.0.1:8000``, on a laptop ``localhost:5000``. And a client cannot pick its own rate-limit bucket."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from config import ConfigError, load_settings, settings_of
from signing import parse_label_url
from tests.factories import CertificateFactory, ProductFactory, licensed, make_party

JSON = {"Accept": "application/json"}
ARRIVALS = [
    pytest.param("http://localhost:5000", {}, id="localhost"),
    pytest.param("http://127.0.0.1:8000", {}, id="gunicorn-upstream"),
    pytest.param("https://verify.example.gov.bd", {"X-Forwarded-Host": "evil.example"}, id="forwarded-host"),
    pytest.param("http://127.0.0.1:8000", {"X-Forwarded-Host": "127.0.0.1:9999"}, id="both"),
    pytest.param("https://VERIFY.EXAMPLE.GOV.BD.evil.example", {}, id="lookalike-host"),
]


@pytest.fixture()
def label_url(sclient: Any, ssession: Any) -> str:
    maker = make_party(ssession, "manufacturer")
    product = ProductFactory(manufacturer_id=maker.manufacturer.id, **licensed())
    product.certificates.append(CertificateFactory(manufacturer_id=maker.manufacturer.id))
    ssession.commit()
    batch = sclient.post(f"/api/v1/products/{product.id}/batches", json={"count": 5}, headers=maker.headers)
    assert batch.status_code == 201, batch.get_json()
    urls = sclient.get(f"{batch.get_json()['links']['urls']}?stop=1", headers=maker.headers)
    url: str = urls.get_data(as_text=True).split()[0]
    assert urlsplit(url).hostname == "verify.example.gov.bd"  # signed for the public host
    return url


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def tampered(url: str) -> str:
    serial = parse_label_url(url).serial
    assert serial is not None
    return url.replace(f"/21/{serial}", f"/21/{serial[:-1]}{'A' if serial[-1] != 'A' else 'B'}")


@pytest.mark.parametrize(("base_url", "headers"), ARRIVALS)
def test_a_genuine_label_is_genuine_however_the_request_reached_us(
    sclient: Any, label_url: str, base_url: str, headers: dict[str, str]
) -> None:
    resp = sclient.get(path_of(label_url), base_url=base_url, headers=JSON | headers)
    assert resp.status_code == 200
    assert resp.get_json()["verdict"] == "genuine", resp.get_json()


@pytest.mark.parametrize(("base_url", "headers"), ARRIVALS)
def test_a_tampered_label_stays_not_genuine_however_the_request_reached_us(
    sclient: Any, label_url: str, base_url: str, headers: dict[str, str]
) -> None:
    resp = sclient.get(path_of(tampered(label_url)), base_url=base_url, headers=JSON | headers)
    body = resp.get_json()
    assert (body["verdict"], body["reasons"][0]["code"]) == ("not_genuine", "bad_signature"), body


def test_a_label_signed_for_another_host_is_not_genuine_through_the_api(sclient: Any, label_url: str) -> None:
    """The API takes the full URL a phone decoded: a label printed for another host is a forgery."""
    other = label_url.replace("VERIFY.EXAMPLE.GOV.BD", "VERIFY.EXAMPLE.GOV.BD.EVIL.EXAMPLE")
    assert sclient.get("/api/v1/verify", query_string={"url": label_url}).get_json()["verdict"] == "genuine"
    assert sclient.get("/api/v1/verify", query_string={"url": other}).get_json()["verdict"] == "not_genuine"


def test_without_trusted_proxies_a_forged_forwarded_for_does_not_change_the_bucket(
    sclient: Any, sapp: Any, label_url: str, monkeypatch: Any
) -> None:
    monkeypatch.setattr(settings_of(sapp).ratelimit, "verify", "3/minute")
    assert settings_of(sapp).core.trusted_proxy_hops == 0
    codes = [
        sclient.get(path_of(label_url), headers=JSON | {"X-Forwarded-For": f"203.0.113.{n}"}).status_code
        for n in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]


@pytest.mark.parametrize("hops", ["-1", "6", "one", "1.5"])
def test_nonsense_trusted_proxy_hops_refuse_to_start(hops: str) -> None:
    with pytest.raises(ConfigError, match="REGISTRY_TRUSTED_PROXY_HOPS"):
        load_settings(environ={"REGISTRY_TRUSTED_PROXY_HOPS": hops})


def test_trusted_proxy_hops_come_from_the_environment() -> None:
    assert load_settings(environ={}).core.trusted_proxy_hops == 0
    assert load_settings(environ={"REGISTRY_TRUSTED_PROXY_HOPS": "2"}).core.trusted_proxy_hops == 2
