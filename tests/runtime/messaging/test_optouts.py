"""Opt-outs in the records database, on SQLite and PostgreSQL: STOP until START."""

from __future__ import annotations

import threading

from alembic import command
from sqlalchemy import func, inspect, select

from runtime.messaging.optouts import OptOuts
from runtime.records import RecordsDatabase, open_engine, upgrade
from runtime.records.database import alembic_config
from runtime.records.schema import deliveries, opt_outs


def test_an_address_that_never_sent_stop_may_be_sent_to(records_url):
    records = RecordsDatabase(records_url)
    try:
        assert OptOuts(records.engine).opted_out("sms", "+4915112345678") is None
    finally:
        records.close()


def test_stop_opts_out_until_start_and_stop_again_opts_out_again(records_url):
    records = RecordsDatabase(records_url)
    try:
        optouts = OptOuts(records.engine)
        optouts.opt_out("sms", "+4915112345678", "СТОП", now=1_700_000_000)
        opted = optouts.opted_out("sms", "+4915112345678")
        assert (opted.keyword, opted.at) == ("СТОП", 1_700_000_000)
        assert opted.reason() == (
            "opted out: +4915112345678 sent СТОП on sms at 2023-11-14T22:13:20Z; nothing is "
            "sent to it until it sends START")
        assert optouts.opted_out("sms", "+4915199999999") is None  # another number
        assert optouts.opted_out("webhook", "+4915112345678") is None  # another channel
        optouts.opt_in("sms", "+4915112345678", "START")
        assert optouts.opted_out("sms", "+4915112345678") is None
        optouts.opt_out("sms", "+4915112345678", "STOP")
        optouts.opt_out("sms", "+4915112345678", "STOP")  # twice is once
        assert optouts.opted_out("sms", "+4915112345678").keyword == "STOP"
    finally:
        records.close()


def test_stops_from_one_number_at_once_leave_one_row(records_url):
    records = RecordsDatabase(records_url)
    try:
        optouts = OptOuts(records.engine)
        barrier = threading.Barrier(6)

        def stop() -> None:
            """Send STOP together with the other threads."""
            barrier.wait(timeout=10)
            optouts.opt_out("sms", "+4915112345678", "STOP")
        threads = [threading.Thread(target=stop) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        with records.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(opt_outs)).scalar() == 1
        assert optouts.opted_out("sms", "+4915112345678") is not None
    finally:
        records.close()


def test_the_migration_adds_opt_outs_and_keeps_the_deliveries_it_finds(records_url):
    engine = open_engine(records_url)
    try:
        upgrade(engine, "0002")
        assert "opt_outs" not in inspect(engine).get_table_names()
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO deliveries (key, channel, payload, state, attempts, created_at, "
                "updated_at, due_at) VALUES ('k1', 'sms', '{}', 'delivered', 1, 1, 1, 1)")
        upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(select(deliveries.c.key, deliveries.c.segments)).all() == [
                ("k1", None)]
        OptOuts(engine).opt_out("sms", "+4915112345678", "STOP")
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0002")
        assert "opt_outs" not in inspect(engine).get_table_names()
        assert "segments" not in {c["name"] for c in inspect(engine).get_columns("deliveries")}
    finally:
        engine.dispose()
