"""The hot verification route reads its query exactly as the general parser does."""

import urllib.parse

from hypothesis import given
from hypothesis import strategies as st

from api.domain.codes.public_controllers import query_params


def general(query: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(query, keep_blank_values=True, errors="surrogateescape"))


def test_usual_and_unusual_queries():
    for query in ["code=0104600000000015215ABC%1D91BNCH%1D92ab%2Bc%2F%3D%3D", "code=a+b%2Bc", "code=", "code=%E8%1D01",
                  "code=%zz%1", "code=x;y", "code=1&lat=43.2&lon=76.9", "lat=1&code=2", "code=1&code=2", "",
                  "code", "code==", "CODE=1"]:
        assert query_params(query) == general(query), query


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E)))
def test_any_printable_query_after_code(rest):
    query = "code=" + rest
    assert query_params(query) == general(query)


ESCAPES = st.builds(lambda a, b: f"%{a}{b}", st.sampled_from("0123456789abcdefABCDEFgz%\\"),
                    st.sampled_from("0123456789abcdefABCDEF+ &=%\\"))
LATIN_1 = st.characters(min_codepoint=0x00, max_codepoint=0xFF)  # the gateway reads the raw query as latin-1


@given(st.lists(st.one_of(ESCAPES, st.text(LATIN_1, max_size=3), st.sampled_from(["\\x41", "\\", "%", "+"])),
                max_size=40))
def test_escapes_and_raw_bytes_read_as_the_general_parser_reads_them(pieces):
    query = "code=" + "".join(pieces)
    assert query_params(query) == general(query)
