"""How PostgreSQL runs the batch save a busy helpline sends most (SAVE_TURNS).

A plan, not a time: with a few thousand callers stored, the planner used to read
the whole callers table for each batch (its guess for the batch's rows is 100),
and a turn's cost grew with the table until it held about ten thousand."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import text

from helpline.engine.conversation import Conversation
from helpline.storage.database import make_engine
from helpline.storage.turn_statements import SAVE_TURNS, WholeTurn, caller_values, receipt_values, turns_values

NOW = datetime(2026, 11, 28, 10, tzinfo=timezone.utc)


def _turn(number: str, values: dict[str, object], key: str) -> WholeTurn:
    values = {
        **values, **caller_values(Conversation(state="dispute"), 2, NOW),
        **receipt_values(key, "text/xml", "<Response/>", NOW),
    }
    return WholeTurn(number, values, [], replace_reminders=False)


async def test_a_batch_save_finds_its_callers_by_key_in_a_table_of_thousands(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(
                "INSERT INTO callers (number, language, state, answers, history, reprompts, turns, opted_out, version,"
                " created_at, updated_at) SELECT '+4474000' || lpad(n::text, 5, '0'), 'en-GB', 'dispute', '{}', '[]',"
                " 0, 1, false, 0, now(), now() FROM generate_series(1, 6000) AS n"
            ))
            await connection.execute(text("ANALYZE callers"))
            batch = [
                _turn("+447400000001", {"id_": 1, "seen": 0}, "SM1"),
                _turn("+447400000002", {"id_": 2, "seen": 0}, "SM2"),
                _turn("+447400099999", {"number": "+447400099999", "language": "en-GB"}, "SM3"),
            ]
            save = SAVE_TURNS.compile(dialect=connection.dialect)
            values = save.construct_params(turns_values(batch))
            driver = (await connection.get_raw_connection()).driver_connection
            rows = await driver.fetch(f"EXPLAIN {save}", *(values[name] for name in save.positiontup))
    finally:
        await engine.dispose()
    plan = "\n".join(row[0] for row in rows)
    assert "Index Scan using callers_pkey on callers" in plan and "Seq Scan on callers" not in plan, plan
