"""Which address is the client: the socket peer, or X-Forwarded-For only behind a trusted proxy."""

from api.security.gateway import client_address, parse_networks


def scope(peer: str) -> dict:
    return {"client": (peer, 40000)}


def test_socket_address_without_trusted_proxies():
    headers = {b"x-forwarded-for": b"203.0.113.9"}
    assert client_address(scope("198.51.100.7"), headers, []) == "198.51.100.7"


def test_forwarded_header_from_an_untrusted_peer_is_ignored():
    trusted = parse_networks(["10.0.0.0/8"])
    headers = {b"x-forwarded-for": b"203.0.113.9"}
    assert client_address(scope("198.51.100.7"), headers, trusted) == "198.51.100.7"


def test_trusted_proxy_chain_gives_the_nearest_untrusted_hop():
    trusted = parse_networks(["10.0.0.0/8", "192.168.1.0/24"])
    headers = {b"x-forwarded-for": b"1.2.3.4, 203.0.113.9, 192.168.1.5"}
    # the client may have forged "1.2.3.4"; the last untrusted hop is what our proxies saw
    assert client_address(scope("10.1.1.1"), headers, trusted) == "203.0.113.9"


def test_garbage_in_forwarded_header_falls_back_to_the_peer():
    trusted = parse_networks(["10.0.0.0/8"])
    headers = {b"x-forwarded-for": b"not-an-ip"}
    assert client_address(scope("10.1.1.1"), headers, trusted) == "10.1.1.1"


def test_ipv6_peers():
    trusted = parse_networks(["::1/128"])
    headers = {b"x-forwarded-for": b"2001:db8::1"}
    assert client_address(scope("::1"), headers, trusted) == "2001:db8::1"
