from app.core.http.net import client_address, forwarded_scheme

PROXIES = ("10.0.0.0/8",)


def test_forwarded_for_is_ignored_from_an_untrusted_peer() -> None:
    assert client_address("203.0.113.9", "1.2.3.4", PROXIES) == "203.0.113.9"


def test_forwarded_for_is_used_from_a_trusted_proxy() -> None:
    assert client_address("10.0.0.5", "198.51.100.7", PROXIES) == "198.51.100.7"


def test_a_forged_left_entry_is_skipped() -> None:
    assert client_address("10.0.0.5", "6.6.6.6, 198.51.100.7, 10.0.0.9", PROXIES) == (
        "198.51.100.7"
    )


def test_no_proxies_configured_means_the_peer() -> None:
    assert client_address("10.0.0.5", "198.51.100.7", ()) == "10.0.0.5"


def test_forwarded_proto_is_believed_only_from_a_trusted_proxy() -> None:
    assert forwarded_scheme("10.0.0.5", "https", PROXIES) == "https"
    assert forwarded_scheme("10.0.0.5", " HTTPS ", PROXIES) == "https"
    assert forwarded_scheme("203.0.113.9", "https", PROXIES) is None
    assert forwarded_scheme("10.0.0.5", "https", ()) is None
    assert forwarded_scheme("10.0.0.5", "javascript", PROXIES) is None
    assert forwarded_scheme(None, "https", PROXIES) is None
