from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import orjson
import pytest
from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex

from adapters.fast_json import Transcoder
from adapters.transcodings import TRANSCODINGS
from domain.model.facts import SessionFacts
from domain.ports import LineItem

STATE = {
    "timestamp": datetime(2026, 11, 22, 15, 0, 1, 123456, tzinfo=UTC),
    "facts": SessionFacts(session_id="cs_1", mode="payment", status="complete",
                          payment_status="paid", amount_total=2500,
                          metadata=(("k", "v"), ("_type_", "x"), ("_data_", "y"))),
    "line_items": [LineItem("price_1", 2, "Sticker pack", 1000, "usd")],
    "nested": {"list": [1, "two", {"three": 3.0}], "none": None, "price": Decimal("9.99")},
    "payload": '{\n  "id": "evt_1",\n  "note": "caf\\u00e9 \\"quoted\\""\n}',
}


def with_transcodings(transcoder: JSONTranscoder) -> JSONTranscoder:
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), *TRANSCODINGS):
        transcoder.register(transcoding)
    return transcoder


def test_what_it_writes_it_reads_back_unchanged() -> None:
    fast = with_transcodings(Transcoder())

    assert fast.decode(fast.encode(STATE)) == STATE


def test_it_reads_what_the_library_transcoder_wrote_and_the_other_way_round() -> None:
    fast, standard = with_transcodings(Transcoder()), with_transcodings(JSONTranscoder())

    assert fast.decode(standard.encode(STATE)) == STATE
    assert standard.decode(fast.encode(STATE)) == STATE


def test_metadata_that_looks_like_an_encoded_type_comes_back_exactly_as_sent() -> None:
    hostile = (("_type_", "session_facts"), ("_data_", "{}"))
    facts = SessionFacts(session_id="cs_1", mode="payment", status="complete",
                         payment_status="paid", metadata=hostile)
    fast, standard = with_transcodings(Transcoder()), with_transcodings(JSONTranscoder())

    for transcoder in (fast, standard):
        assert transcoder.decode(transcoder.encode({"facts": facts})) == {"facts": facts}


def test_a_stored_dict_with_an_unknown_type_name_stays_plain_data() -> None:
    fast = with_transcodings(Transcoder())
    written = b'{"facts": {"_type_": "x", "_data_": "y"}, "more": {"_type_": ["a"], "_data_": 1}}'

    assert fast.decode(written) == {"facts": {"_type_": "x", "_data_": "y"},
                                    "more": {"_type_": ["a"], "_data_": 1}}


def test_metadata_stored_as_a_dict_before_it_became_pairs_is_still_read() -> None:
    fast = with_transcodings(Transcoder())
    written = (b'{"_type_": "session_facts", "_data_": {"session_id": "cs_1", "mode": "payment",'
               b' "status": null, "payment_status": null, "metadata": {"plan": "pro"}}}')

    assert fast.decode(written).metadata == (("plan", "pro"),)


def test_times_are_written_as_their_isoformat_text_in_every_zone() -> None:
    times = [datetime(2026, 11, 22, 15, 0, 1, 123456, tzinfo=UTC),
             datetime(2026, 11, 22, 15, 0, 1, tzinfo=UTC),
             datetime(1, 1, 1, tzinfo=UTC),
             datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=5, minutes=30))),
             datetime(2026, 1, 2, 3, 4, 5)]
    transcoder = with_transcodings(Transcoder())

    for time in times:
        written = orjson.loads(transcoder.encode({"at": time}))
        assert written == {"at": {"_type_": "datetime_iso", "_data_": time.isoformat()}}
        assert transcoder.decode(transcoder.encode({"at": time})) == {"at": time}


def test_a_time_is_not_written_without_a_transcoding_for_it() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        Transcoder().encode({"at": datetime(2026, 1, 2, tzinfo=UTC)})
