"""`callwright serve --smtp`: the example workspace acknowledges a mail sent to it over SMTP."""

from __future__ import annotations

import re
import smtplib
import time
from pathlib import Path

import pytest
from mail_relay import Relay, mail, send
from serving import START_TIMEOUT_S, running_serve

SUPPORT = "support@bank.example"


@pytest.fixture
def relay() -> Relay:
    relay = Relay().start()
    yield relay
    relay.stop()


def smtp_port(log: Path) -> int:
    """Return the SMTP port the banner names, once the receiver answers on it."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while (found := re.search(r"SMTP on tcp:127\.0\.0\.1:(\d+)", log.read_text())) is None:
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)
    port = int(found[1])
    while True:  # the receiver is a child process: it listens a moment after the banner
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
                smtp.noop()
            return port
        except OSError:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)


def test_serve_with_smtp_port_0_receives_mail_and_its_worker_sends_the_acknowledgement(
        example_workspace: Path, relay: Relay, monkeypatch) -> None:
    monkeypatch.setenv("CALLWRIGHT_EMAIL_RELAY", relay.address)
    log = example_workspace.parent / "serve.log"
    with running_serve(example_workspace, "--smtp", "127.0.0.1:0", log=log):
        port = smtp_port(log)
        assert port != 0
        message = mail("Where is my new card?", subject="New card")
        message.replace_header("To", SUPPORT)
        send(port, message, to=SUPPORT)
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            send(port, mail(), to="nobody@bank.example")
        [answer] = relay.wait_for(1, timeout=60)
    assert answer["Subject"] == "Re: New card"
    assert answer["In-Reply-To"] == "<c1@customer.test>"
    text = answer.get_body(preferencelist=("plain",)).get_content()
    assert "A person from our team will answer you by " in text
    assert "{{" not in text


@pytest.mark.parametrize(("now", "promise"), [
    ("2026-12-05T10:00:00Z", "Monday at 13:00"),   # Saturday: four open hours from Monday 09:00
    ("2026-12-03T08:00:00Z", "today at 13:00"),    # Thursday 09:00 in Berlin
    # Thursday 24 December, 17:00 in Berlin: one hour that day, the 25th a holiday, the
    # weekend closed, three hours on Monday the 28th
    ("2026-12-24T16:00:00Z", "Monday at 12:00"),
])
def test_the_example_acknowledgement_promises_an_answer_within_opening_hours(
        example_workspace: Path, now: str, promise: str) -> None:
    from click.testing import CliRunner

    from builder.cli import main

    flow = example_workspace / "flows" / "mail-acknowledgement.json"
    result = CliRunner().invoke(main, ["simulate", str(flow), "--channel", "email", "--now", now,
                                       "--workspace", str(example_workspace)])
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert f"answer you by {promise}." in first
    assert f"<strong>{promise}</strong>" in first and '"subject": "We have your message"' in first


def test_an_smtp_address_in_use_stops_serve_before_it_starts_anything(
        example_workspace: Path) -> None:
    import socket
    import subprocess

    from serving import callwright_command

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            callwright_command("serve", "--workspace", str(example_workspace), "--port", "0",
                               "--sip", "127.0.0.1:0", "--smtp", f"127.0.0.1:{port}"),
            capture_output=True, text=True, timeout=START_TIMEOUT_S)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}: the address is already in use" in result.stderr
    assert "choose another --smtp" in result.stderr


def test_the_mail_receiver_needs_a_relay_and_a_from_address(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from builder.cli import main

    (tmp_path / "callwright.toml").write_text('[email]\nrelay = "127.0.0.1:1"\n', "utf-8")
    result = CliRunner().invoke(main, ["mail", "--workspace", str(tmp_path), "--smtp",
                                       "127.0.0.1:0"])
    assert result.exit_code == 2
    assert "needs [email] from in callwright.toml (or CALLWRIGHT_EMAIL_FROM)" in result.output
