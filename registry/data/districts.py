"""The 64 districts (zila) of Bangladesh with their Bangla names and divisions.

Codes are lower-case ASCII slugs of the English names in current official spelling
(Chattogram, Cumilla, Barishal, Jashore, Bogura), which is what the API accepts.
"""

from __future__ import annotations

from typing import NamedTuple


class District(NamedTuple):
    code: str
    name_en: str
    name_bn: str
    division: str


_DATA = """
dhaka|Dhaka|ঢাকা|Dhaka
faridpur|Faridpur|ফরিদপুর|Dhaka
gazipur|Gazipur|গাজীপুর|Dhaka
gopalganj|Gopalganj|গোপালগঞ্জ|Dhaka
kishoreganj|Kishoreganj|কিশোরগঞ্জ|Dhaka
madaripur|Madaripur|মাদারীপুর|Dhaka
manikganj|Manikganj|মানিকগঞ্জ|Dhaka
munshiganj|Munshiganj|মুন্সীগঞ্জ|Dhaka
narayanganj|Narayanganj|নারায়ণগঞ্জ|Dhaka
narsingdi|Narsingdi|নরসিংদী|Dhaka
rajbari|Rajbari|রাজবাড়ী|Dhaka
shariatpur|Shariatpur|শরীয়তপুর|Dhaka
tangail|Tangail|টাঙ্গাইল|Dhaka
bandarban|Bandarban|বান্দরবান|Chattogram
brahmanbaria|Brahmanbaria|ব্রাহ্মণবাড়িয়া|Chattogram
chandpur|Chandpur|চাঁদপুর|Chattogram
chattogram|Chattogram|চট্টগ্রাম|Chattogram
cumilla|Cumilla|কুমিল্লা|Chattogram
coxs-bazar|Cox's Bazar|কক্সবাজার|Chattogram
feni|Feni|ফেনী|Chattogram
khagrachhari|Khagrachhari|খাগড়াছড়ি|Chattogram
lakshmipur|Lakshmipur|লক্ষ্মীপুর|Chattogram
noakhali|Noakhali|নোয়াখালী|Chattogram
rangamati|Rangamati|রাঙ্গামাটি|Chattogram
bogura|Bogura|বগুড়া|Rajshahi
chapainawabganj|Chapainawabganj|চাঁপাইনবাবগঞ্জ|Rajshahi
joypurhat|Joypurhat|জয়পুরহাট|Rajshahi
naogaon|Naogaon|নওগাঁ|Rajshahi
natore|Natore|নাটোর|Rajshahi
pabna|Pabna|পাবনা|Rajshahi
rajshahi|Rajshahi|রাজশাহী|Rajshahi
sirajganj|Sirajganj|সিরাজগঞ্জ|Rajshahi
bagerhat|Bagerhat|বাগেরহাট|Khulna
chuadanga|Chuadanga|চুয়াডাঙ্গা|Khulna
jashore|Jashore|যশোর|Khulna
jhenaidah|Jhenaidah|ঝিনাইদহ|Khulna
khulna|Khulna|খুলনা|Khulna
kushtia|Kushtia|কুষ্টিয়া|Khulna
magura|Magura|মাগুরা|Khulna
meherpur|Meherpur|মেহেরপুর|Khulna
narail|Narail|নড়াইল|Khulna
satkhira|Satkhira|সাতক্ষীরা|Khulna
barguna|Barguna|বরগুনা|Barishal
barishal|Barishal|বরিশাল|Barishal
bhola|Bhola|ভোলা|Barishal
jhalokati|Jhalokati|ঝালকাঠি|Barishal
patuakhali|Patuakhali|পটুয়াখালী|Barishal
pirojpur|Pirojpur|পিরোজপুর|Barishal
habiganj|Habiganj|হবিগঞ্জ|Sylhet
moulvibazar|Moulvibazar|মৌলভীবাজার|Sylhet
sunamganj|Sunamganj|সুনামগঞ্জ|Sylhet
sylhet|Sylhet|সিলেট|Sylhet
dinajpur|Dinajpur|দিনাজপুর|Rangpur
gaibandha|Gaibandha|গাইবান্ধা|Rangpur
kurigram|Kurigram|কুড়িগ্রাম|Rangpur
lalmonirhat|Lalmonirhat|লালমনিরহাট|Rangpur
nilphamari|Nilphamari|নীলফামারী|Rangpur
panchagarh|Panchagarh|পঞ্চগড়|Rangpur
rangpur|Rangpur|রংপুর|Rangpur
thakurgaon|Thakurgaon|ঠাকুরগাঁও|Rangpur
jamalpur|Jamalpur|জামালপুর|Mymensingh
mymensingh|Mymensingh|ময়মনসিংহ|Mymensingh
netrokona|Netrokona|নেত্রকোণা|Mymensingh
sherpur|Sherpur|শেরপুর|Mymensingh
"""

DISTRICTS: dict[str, District] = {
    d.code: d for d in (District(*line.split("|")) for line in _DATA.strip().splitlines())
}
assert len(DISTRICTS) == 64, "Bangladesh has 64 districts"  # noqa: S101 - guards the shipped data


def find_district(value: str) -> District | None:
    """Accept a code, or an English or Bangla name, in any case."""
    key = value.strip()
    if key.lower() in DISTRICTS:
        return DISTRICTS[key.lower()]
    for d in DISTRICTS.values():
        if key.lower() == d.name_en.lower() or key == d.name_bn:
            return d
    return None


# The eight divisions (bibhag), English name as in ``District.division`` -> Bangla name.
DIVISIONS: dict[str, str] = {
    "Dhaka": "ঢাকা",
    "Chattogram": "চট্টগ্রাম",
    "Rajshahi": "রাজশাহী",
    "Khulna": "খুলনা",
    "Barishal": "বরিশাল",
    "Sylhet": "সিলেট",
    "Rangpur": "রংপুর",
    "Mymensingh": "ময়মনসিংহ",
}
assert set(DIVISIONS) == {d.division for d in DISTRICTS.values()}  # noqa: S101 - guards the shipped data
