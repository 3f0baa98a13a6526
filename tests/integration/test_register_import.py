"""Import of the state business register: valid rows land, bad rows are reported, bad files change nothing."""

import datetime as dt

import psycopg
import pytest

from api.domain.participants.register import import_register
from api.domain.participants.rules import check_digit
from api.faults import InvalidInput
from api.i18n import translate
from warehouse.database import Database

HEADER = "bin;name_kk;name_ru;status;registration_date;kato\n"


def bin_with_check(first_eleven: str) -> str:
    digit = check_digit(first_eleven)
    assert digit is not None, first_eleven
    return first_eleven + str(digit)


GOOD_A = bin_with_check("08034042445")
GOOD_B = bin_with_check("15024051750")
GOOD_IIN = bin_with_check("85051230012")


@pytest.fixture
def api_db(ref_db_urls):
    db = Database.for_role(ref_db_urls, "api", pool_size=1)
    yield db
    db.dispose()


def run(db: Database, name: str, content: str | bytes):
    with db.session() as session:
        return import_register(session, name, content.encode() if isinstance(content, str) else content)


def count(urls, table: str) -> int:
    with psycopg.connect(urls.owner) as conn:
        return conn.execute(f"SELECT count(*) FROM ops.{table}").fetchone()[0]


def test_valid_rows_land_and_reimport_changes_nothing(api_db, ref_db_urls):
    content = HEADER + (
        f"{GOOD_A};«Алматы Аяқ киім» ЖШС;ТОО «Алматы Обувь»;ACTIVE;2008-03-15;710000000\n"
        f"{GOOD_B};;ТОО «Астана Фарм»;Действующий;15.02.2015;711110000\n"
        f"{GOOD_IIN};ЖК Сейітов;ИП Сеитов;active;2019-03-01;751410000\n"
    )
    first = run(api_db, "register.csv", content)
    assert (first.total, first.inserted, first.updated, first.unchanged, first.rejected) == (3, 3, 0, 0, [])
    second = run(api_db, "register.csv", content)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 3)
    changed = content.replace("ТОО «Астана Фарм»", "ТОО «Астана Фарм Плюс»")
    third = run(api_db, "register.csv", changed)
    assert (third.inserted, third.updated, third.unchanged) == (0, 1, 2)
    assert count(ref_db_urls, "business_register_entry") == 3
    with psycopg.connect(ref_db_urls.owner) as conn:
        status, date = conn.execute(
            "SELECT status, registration_date FROM ops.business_register_entry WHERE bin = %s", (GOOD_B,)
        ).fetchone()
    assert (status, date) == ("ACTIVE", dt.date(2015, 2, 15))


def test_bad_rows_are_rejected_with_field_and_rule(api_db, ref_db_urls):
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    content = HEADER + (
        f"{GOOD_A};;ТОО «Один»;ACTIVE;2008-03-15;710000000\n"
        f"{GOOD_A[:-1]}{(int(GOOD_A[-1]) + 1) % 10};;ТОО «Неверная контрольная»;ACTIVE;2008-03-15;710000000\n"
        f"{GOOD_B};;;ACTIVE;2015-02-15;711110000\n"
        f"{GOOD_IIN};;ИП Тест;EXISTS;2019-03-01;751410000\n"
        f"{bin_with_check('10104051234')};;ТОО «Дата»;ACTIVE;31.02.2019;751410000\n"
        f"{bin_with_check('10104051235')};;ТОО «Будущее»;ACTIVE;{future};751410000\n"
        f"{bin_with_check('10104051236')};;ТОО «Като»;ACTIVE;2019-01-01;7514100\n"
        f"{bin_with_check('10104051237')};;ТОО «Регион»;ACTIVE;2019-01-01;990000000\n"
        f"{GOOD_A};;ТОО «Повтор»;ACTIVE;2008-03-15;710000000\n"
    )
    report = run(api_db, "register.csv", content)
    assert report.total == 9 and report.inserted == 1
    reasons = {r.row: [(f.path, f.code) for f in r.faults] for r in report.rejected}
    assert reasons == {
        2: [("bin", "bin.check_digit")],
        3: [("name_ru", "register.name_required")],
        4: [("status", "register.unknown_status")],
        5: [("registration_date", "register.bad_date")],
        6: [("registration_date", "register.future_date")],
        7: [("kato", "register.bad_kato")],
        8: [("kato", "register.unknown_region")],
        9: [("bin", "register.duplicate")],
    }
    assert count(ref_db_urls, "business_register_entry") == 1
    with psycopg.connect(ref_db_urls.owner) as conn:
        (rejections,) = conn.execute("SELECT rejections FROM ops.register_import").fetchone()
    assert len(rejections) == 8
    message = translate("register.duplicate", "kk", report.rejected[-1].faults[0].params)
    assert GOOD_A in message and "жолында" in message


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("register.xlsx", b"PK\x03\x04", "register.unknown_format"),
        ("register.csv", b"\xff\xfe\x00b\x00i", "register.file_unreadable"),
        ("register.csv", HEADER.encode(), "register.file_empty"),
        ("register.csv", b"bin;name;status\n1;2;3\n", "register.missing_columns"),
        ("register.jsonl", b'{"bin": "1"}\nnot json\n', "register.bad_line"),
        ("register.jsonl", b"", "register.file_empty"),
    ],
)
def test_malformed_file_is_refused_and_changes_nothing(api_db, ref_db_urls, name, content, code):
    with pytest.raises(InvalidInput) as info:
        run(api_db, name, content)
    assert info.value.faults[0].code == code
    assert count(ref_db_urls, "register_import") == 0
    assert count(ref_db_urls, "business_register_entry") == 0


def test_json_lines_and_comma_csv_are_accepted(api_db):
    jsonl = (
        f'{{"bin": "{GOOD_A}", "name_ru": "ТОО «А»", "status": "ACTIVE", '
        f'"registration_date": "2008-03-15", "kato": "710000000"}}\n'
    )
    assert run(api_db, "register.jsonl", jsonl).inserted == 1
    csv_comma = f"BIN,NAME_RU,STATUS,REGISTRATION_DATE,KATO\n{GOOD_B},ТОО Б,ACTIVE,2015-02-15,711110000\n"
    assert run(api_db, "register.csv", csv_comma).inserted == 1
