import pytest

from sparklytics.enrich.utm import MAX_VALUE_CHARS, Utm, utm_from

NONE = Utm(None, None, None, None, None)


@pytest.mark.parametrize(
    ("url", "explicit", "expected"),
    [
        ("https://example.com/", {}, NONE),
        ("/pricing", {}, NONE),
        (
            "https://example.com/?utm_source=news&utm_medium=email&utm_campaign=launch"
            "&utm_term=shoes&utm_content=hero",
            {},
            Utm("news", "email", "launch", "shoes", "hero"),
        ),
        ("/?utm_campaign=spring+sale", {}, Utm(None, None, "spring sale", None, None)),
        ("/?utm_campaign=spring%20sale%21", {}, Utm(None, None, "spring sale!", None, None)),
        ("/?utm_source=caf%C3%A9", {}, Utm("café", None, None, None, None)),
        ("/?utm_source=first&utm_source=second", {}, Utm("first", None, None, None, None)),
        ("/?utm_source=&utm_medium=cpc", {}, Utm(None, "cpc", None, None, None)),
        ("/?utm_source=%20%20&utm_medium=+cpc+", {}, Utm(None, "cpc", None, None, None)),
        ("/?utm_source", {}, NONE),
        ("/?UTM_SOURCE=x&utm_sourcex=y&xutm_source=z", {}, NONE),
        ("/?a=1&utm_source=x#utm_medium=in-fragment", {}, Utm("x", None, None, None, None)),
        ("/#frag?utm_source=x", {}, NONE),
        (
            "/?utm_source=url&utm_medium=url",
            {"utm_source": "payload", "utm_medium": ""},
            Utm("payload", "url", None, None, None),
        ),
        (
            "/",
            {"utm_source": " spaced ", "utm_term": None, "utm_content": "   "},
            Utm("spaced", None, None, None, None),
        ),
        ("/", {"utm_source": 42, "website_id": "site_x"}, NONE),
        ("/", {"utm_source": "", "utm_medium": "  ", "utm_campaign": None}, NONE),
        ("/", {"utm_campaign": "already%20decoded"}, Utm(None, None, "already%20decoded", None, None)),
    ],
)
def test_utm_from(url, explicit, expected):
    assert utm_from(url, explicit) == expected


def test_values_are_capped():
    long = "x" * (MAX_VALUE_CHARS + 10)
    assert utm_from(f"/?utm_source={long}", {}).source == "x" * MAX_VALUE_CHARS
    assert utm_from("/", {"utm_medium": long}).medium == "x" * MAX_VALUE_CHARS
