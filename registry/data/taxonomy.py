"""The ICT product taxonomy: categories, their groups, Bangla names and the certificates they require."""

from __future__ import annotations

from typing import NamedTuple


class Category(NamedTuple):
    code: str
    name_en: str
    name_bn: str
    group: str
    hs_hint: str
    # A product in this category needs a currently valid certificate of one of these schemes;
    # otherwise it is flagged. Radio equipment needs BTRC type approval; mains chargers and
    # power products need BSTI certification.
    required_schemes: tuple[str, ...] = ()


CATEGORIES: dict[str, Category] = {
    c.code: c
    for c in [
        Category("phones", "Mobile phones", "মোবাইল ফোন", "devices", "8517.13", ("BTRC",)),
        Category("laptops", "Laptops", "ল্যাপটপ", "computers", "8471.30"),
        Category("tablets", "Tablets", "ট্যাবলেট", "devices", "8471.30", ("BTRC",)),
        Category("desktops", "Desktop computers", "ডেস্কটপ কম্পিউটার", "computers", "8471.41"),
        Category("servers", "Servers", "সার্ভার", "computers", "8471.50"),
        Category("monitors", "Monitors", "মনিটর", "displays", "8528.52"),
        Category("tvs", "Televisions", "টেলিভিশন", "displays", "8528.72"),
        Category("network-equipment", "Network equipment", "নেটওয়ার্ক সরঞ্জাম", "network", "8517.62", ("BTRC",)),
        Category("pos-terminals", "POS terminals", "পিওএস টার্মিনাল", "devices", "8470.50", ("BTRC",)),
        Category("cctv", "CCTV cameras", "সিসিটিভি ক্যামেরা", "security", "8525.89"),
        Category("ups", "UPS", "ইউপিএস", "power", "8504.40", ("BSTI",)),
        Category("power-banks", "Power banks", "পাওয়ার ব্যাংক", "power", "8507.60", ("BSTI",)),
        Category("motherboards", "Motherboards", "মাদারবোর্ড", "components", "8473.30"),
        Category("ssds", "SSDs", "এসএসডি", "components", "8523.51"),
        Category("chargers", "Chargers", "চার্জার", "components", "8504.40", ("BSTI",)),
        Category("cables", "Cables", "ক্যাবল", "components", "8544.42"),
        Category("iot-devices", "IoT devices", "আইওটি ডিভাইস", "devices", "8517.62", ("BTRC",)),
        Category("software-services", "Software and services", "সফটওয়্যার ও সেবা", "software", "8523.49"),
    ]
}

GROUPS: dict[str, tuple[str, str]] = {
    "devices": ("Devices", "ডিভাইস"),
    "computers": ("Computers", "কম্পিউটার"),
    "displays": ("Displays", "ডিসপ্লে"),
    "network": ("Network", "নেটওয়ার্ক"),
    "security": ("Security", "নিরাপত্তা"),
    "power": ("Power", "পাওয়ার"),
    "components": ("Components", "যন্ত্রাংশ"),
    "software": ("Software", "সফটওয়্যার"),
}

CERTIFICATE_SCHEMES: dict[str, tuple[str, str]] = {
    "BSTI": ("BSTI certification", "বিএসটিআই সনদ"),
    "BTRC": ("BTRC type approval", "বিটিআরসি টাইপ অনুমোদন"),
    "ISO_9001": ("ISO 9001", "আইএসও ৯০০১"),
    "ISO_14001": ("ISO 14001", "আইএসও ১৪০০১"),
    "IEC_62368_1": ("IEC 62368-1", "আইইসি ৬২৩৬৮-১"),
    "CE": ("CE", "সিই"),
    "FCC": ("FCC", "এফসিসি"),
    "ROHS": ("RoHS", "রোএইচএস"),
    "OTHER": ("Other", "অন্যান্য"),
}
