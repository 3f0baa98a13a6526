"""Which address is the client: the socket peer, or X-Forwarded-For only behind a trusted proxy; and whose
request id is kept: a trusted proxy's X-Request-Id only."""

import uuid

import pytest

from api.security.gateway import client_address, parse_networks, request_id_for


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


def test_a_trusted_proxys_request_id_is_kept():
    trusted = parse_networks(["10.0.0.0/8"])
    assert request_id_for(scope("10.1.1.1"), {b"x-request-id": b"lb-7f3a-0001"}, trusted) == "lb-7f3a-0001"


@pytest.mark.parametrize(("peer", "networks", "sent"), [
    ("198.51.100.7", ["10.0.0.0/8"], b"my-own-id"),  # a client: its id could collide with another's audit rows
    ("10.1.1.1", [], b"my-own-id"),  # no proxy is trusted at all
    ("10.1.1.1", ["10.0.0.0/8"], b"x" * 65),  # too long
    ("10.1.1.1", ["10.0.0.0/8"], b"id with spaces"),
    ("10.1.1.1", ["10.0.0.0/8"], "идент".encode()),  # not ASCII
    ("10.1.1.1", ["10.0.0.0/8"], b""),
])
def test_any_other_request_id_is_replaced_by_a_new_one(peer, networks, sent):
    request_id = request_id_for(scope(peer), {b"x-request-id": sent}, parse_networks(networks))
    assert request_id != sent.decode("latin-1") and uuid.UUID(request_id).version == 4
