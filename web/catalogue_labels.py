"""What the public catalogue pages show for the codes a product carries: certificate schemes, issuers,
specification keys and units, the local value addition basis. Every code has a label in both languages;
free text a manufacturer entered in one language is shown as it is, marked with that language."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from registry.data.taxonomy import CERTIFICATE_SCHEMES
from web.helpers import to_local_digits
from web.language import current_lang

# The bodies that issue the certificates the taxonomy knows, by the names manufacturers type.
ISSUERS = {
    "bsti": _l("Bangladesh Standards and Testing Institution (BSTI)"),
    "bangladesh standards and testing institution": _l("Bangladesh Standards and Testing Institution (BSTI)"),
    "btrc": _l("Bangladesh Telecommunication Regulatory Commission (BTRC)"),
    "bangladesh telecommunication regulatory commission": _l(
        "Bangladesh Telecommunication Regulatory Commission (BTRC)"
    ),
}

SPEC_KEYS = {
    "ram": _l("RAM"),
    "storage": _l("Storage"),
    "display": _l("Display"),
    "battery": _l("Battery"),
    "cpu": _l("Processor"),
    "processor": _l("Processor"),
    "warranty": _l("Warranty"),
    "camera": _l("Camera"),
    "sim": _l("SIM"),
    "network": _l("Network"),
    "os": _l("Operating system"),
    "weight": _l("Weight"),
    "resolution": _l("Resolution"),
    "screen": _l("Screen size"),
    "screen size": _l("Screen size"),
    "panel": _l("Panel"),
    "refresh rate": _l("Refresh rate"),
    "ports": _l("Ports"),
    "capacity": _l("Capacity"),
    "output": _l("Output"),
    "input": _l("Input"),
    "backup": _l("Backup time"),
    "backup time": _l("Backup time"),
    "wi-fi": _l("Wi-Fi"),
    "wifi": _l("Wi-Fi"),
    "bands": _l("Bands"),
    "speed": _l("Speed"),
    "length": _l("Length"),
    "interface": _l("Interface"),
    "form factor": _l("Form factor"),
    "socket": _l("Socket"),
    "chipset": _l("Chipset"),
    "memory slots": _l("Memory slots"),
    "read speed": _l("Read speed"),
    "write speed": _l("Write speed"),
    "lens": _l("Lens"),
    "night vision": _l("Night vision"),
    "connectivity": _l("Connectivity"),
    "printer": _l("Printer"),
    "payment": _l("Payments accepted"),
    "users": _l("Users"),
    "deployment": _l("Deployment"),
    "language": _l("Language"),
    "support": _l("Support"),
    "gpu": _l("Graphics"),
    "graphics": _l("Graphics"),
    "power": _l("Power"),
    "smart os": _l("Operating system"),
    "tariff": _l("Tariff"),
    "rack units": _l("Rack units"),
    "drive bays": _l("Drive bays"),
    "fast charging": _l("Fast charging"),
    "cable type": _l("Cable type"),
    "ip rating": _l("Ingress protection"),
    "protocol": _l("Protocol"),
}

# Units and words in specification values, with their Bangla form (numbers get Bangla digits).
_UNITS_BN = {
    "GB": "জিবি",
    "TB": "টিবি",
    "MB": "এমবি",
    "mAh": "এমএএইচ",
    "inch": "ইঞ্চি",
    "inches": "ইঞ্চি",
    "year": "বছর",
    "years": "বছর",
    "month": "মাস",
    "months": "মাস",
    "W": "ওয়াট",
    "VA": "ভিএ",
    "kVA": "কেভিএ",
    "minutes": "মিনিট",
    "min": "মিনিট",
    "m": "মিটার",
    "Hz": "হার্জ",
    "MP": "মেগাপিক্সেল",
    "g": "গ্রাম",
    "kg": "কেজি",
    "Mbps": "এমবিপিএস",
    "Gbps": "জিবিপিএস",
    "MB/s": "এমবি/সেকেন্ড",
    "ports": "পোর্ট",
    "port": "পোর্ট",
    "users": "ব্যবহারকারী",
    "Yes": "হ্যাঁ",
    "No": "না",
    "Dual": "ডুয়াল",
    "cores": "কোর",
}
_UNIT_RE = re.compile(
    r"(?<![\w/])(" + "|".join(sorted(map(re.escape, _UNITS_BN), key=len, reverse=True)) + r")(?![\w/])"
)

# The bases of local value addition the registry's guidance names.
LVA_BASES = {
    "ex-factory price less imported inputs": _l("Ex-factory price less imported inputs"),
    "ex-factory price less imported inputs, audited": _l("Ex-factory price less imported inputs, audited"),
    "bill of materials sourced in bangladesh": _l("Share of the bill of materials sourced in Bangladesh"),
    "assembly and testing labour in bangladesh": _l("Assembly, testing and labour in Bangladesh"),
    "software development hours in bangladesh": _l("Development hours worked in Bangladesh"),
}


def scheme_label(code: Any) -> str:
    """A certificate scheme in the page's language (``ISO_9001`` → ISO 9001 / আইএসও ৯০০১)."""
    names = CERTIFICATE_SCHEMES.get(str(code))
    if names is None:
        return str(code)
    return names[1] if current_lang() == "bn" else names[0]


def _text_language(text: str) -> str:
    return "bn" if re.search(r"[\u0980-\u09ff]", text) else "en"


def free_text(text: Any) -> Markup:
    """Text as entered, marked with its language when that is not the page's (screen readers switch voice,
    and the reader sees it was not translated)."""
    value = "" if text is None else str(text)
    if not value:
        return Markup("")
    lang = _text_language(value)
    if lang == current_lang():
        return escape(value)
    return Markup('<span lang="{}">{}</span>').format(lang, value)


def issuer_label(text: Any) -> Markup:
    key = str(text or "").strip().lower()
    label = ISSUERS.get(key)
    return escape(str(label)) if label is not None else free_text(text)


def spec_key_label(key: Any) -> Markup:
    label = SPEC_KEYS.get(str(key).strip().lower())
    return escape(str(label)) if label is not None else free_text(key)


def spec_value(value: Any) -> Markup:
    """A specification value: on Bangla pages with Bangla digits and units; other words stay marked."""
    text = "" if value is None else str(value)
    if current_lang() != "bn" or _text_language(text) == "bn":
        return free_text(text)
    localised = _UNIT_RE.sub(lambda m: _UNITS_BN[m.group(1)], text)
    localised = to_local_digits(localised)
    if re.search(r"[A-Za-z]", localised):
        return Markup('<span lang="en">{}</span>').format(text)  # a model name or a word we do not know
    return escape(localised)


def lva_basis_label(text: Any) -> Markup:
    key = str(text or "").strip().rstrip(".").lower()
    key = re.sub(r",? (audited )?\d{4}$", lambda m: ", audited" if m.group(1) else "", key)
    label = LVA_BASES.get(key)
    return escape(str(label)) if label is not None else free_text(text)


def init_app(app: Any) -> None:
    for fn in (scheme_label, free_text, issuer_label, spec_key_label, spec_value, lva_basis_label):
        app.jinja_env.globals[fn.__name__] = fn
    app.jinja_env.filters["scheme_label"] = scheme_label
