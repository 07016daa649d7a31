"""``revcli remind``: a real SMTP server on loopback (aiosmtpd) and the once-only reminder log."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from revcli.checks import load_dataset
from revcli.renewals.log import HEADER, log_path
from revcli.renewals.runner import run_reminders
from tests.conftest import ROOT, SETTINGS, MakeDir, Run
from tests.full_disk import fill_disk, free_disk

CUSTOMERS = """\
customer_id,name,owner
A,Acme AS,kari@example.no
B,[Bergen] <b>AS</b>,ola@example.no
C,Cirrus AS,
"""
# As of 2026-11-01, one reminder each is due on time:
#   N1 (kari): notice deadline 2026-12-31 − 30 d = 2026-12-01, 30 days away → 30-day lead.
#   N2 (ola):  notice deadline 2027-03-01 − 30 d = 2027-01-30, 90 days away → 90-day lead.
#   E1 (kari): expires 2026-11-08, 7 days away → 7-day lead before the term end.
#   Z1 (no owner → fallback): expires 2027-01-30, 90 days away → 90-day lead.
#   R1: auto-renews with decision "renew": nothing to do, no reminder.
#   K1: cancelled: no reminder.
CONTRACTS = """\
contract_id,customer_id,start_date,end_date,auto_renew,notice_days,cancelled_on,renewal_decision
N1,A,2026-01-01,2026-12-31,true,30,,
N2,B,2026-03-02,2027-03-01,true,30,,
E1,A,2025-11-09,2026-11-08,false,,,
Z1,C,2026-01-31,2027-01-30,false,,,
R1,A,2026-01-01,2026-12-31,true,30,,renew
K1,A,2026-01-01,2026-12-31,true,30,2026-12-31,
"""
LINES = """\
contract_id,product,unit_price
N1,LIC,1000
N2,LIC,2000
E1,LIC,300
Z1,LIC,50
R1,LIC,10
K1,LIC,10
"""


def free_port() -> int:
    """A port that is free right now (aiosmtpd's Controller cannot take port 0)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class Capture:
    """An SMTP handler that keeps what it receives and can refuse after N messages."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.close_after: int | None = None
        self.unknown: set[str] = set()
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_RCPT(  # noqa: N802 (aiosmtpd hook)
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.unknown:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd hook)
        if self.close_after is not None and len(self.envelopes) >= self.close_after:
            return "421 4.3.2 Service shutting down, closing transmission channel"
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login, data.password))
        ok = data.password == b"s3cret"
        return AuthResult(success=ok, handled=False)  # not handled: the server answers 535

    @property
    def messages(self) -> list[EmailMessage]:
        out = []
        for env in self.envelopes:
            msg = email.message_from_bytes(env.content, policy=email.policy.default)
            assert isinstance(msg, EmailMessage)
            out.append(msg)
        return out


class Server:
    def __init__(self, handler: Capture, port: int) -> None:
        self.handler = handler
        self.port = port


@pytest.fixture
def smtp() -> Iterator[Server]:
    handler = Capture()
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        auth_require_tls=False,
        authenticator=handler.authenticate,
    )
    controller.start()
    try:
        yield Server(handler, port)
    finally:
        controller.stop()


def settings_for(port: int, extra: str = "", fallback: bool = True) -> str:
    return (
        SETTINGS
        + "reminders:\n"
        + "  from: revenue@fjordsoft.example\n"
        + ("  fallback_to: finance@fjordsoft.example\n" if fallback else "")
        + extra
        + f"  smtp:\n    host: 127.0.0.1\n    port: {port}\n    security: none\n"
    )


def data_dir(
    make_data_dir: MakeDir,
    port: int,
    *,
    extra: str = "",
    fallback: bool = True,
    files: dict[str, str] | None = None,
) -> Path:
    base = {"customers.csv": CUSTOMERS, "contracts.csv": CONTRACTS, "contract_lines.csv": LINES}
    return make_data_dir({**base, **(files or {})}, settings_for(port, extra, fallback))


def log_rows(root: Path) -> list[tuple[str, ...]]:
    """(contract_id, kind, deadline, lead_days, late_days, recipient) of each log line."""
    path = log_path(root)
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(HEADER)
    return [tuple(line.split(",")[2:8]) for line in lines[1:]]


def text_of(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def html_of(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def test_one_email_per_owner_with_plain_text_and_html(
    run: Run, make_data_dir: MakeDir, smtp: Server
) -> None:
    root = data_dir(make_data_dir, smtp.port)
    result = run("remind", "--data", root, "--as-of", "2026-11-01")
    assert result.exit_code == 0, result.stderr
    messages = smtp.handler.messages
    assert [m["To"] for m in messages] == [
        "finance@fjordsoft.example",
        "kari@example.no",
        "ola@example.no",
    ]
    kari = messages[1]
    assert kari["From"] == "revenue@fjordsoft.example"
    assert kari["Subject"] == "Renewals: 2 contracts need attention (next deadline 2026-11-08)"
    assert kari.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in kari.iter_parts()] == ["text/plain", "text/html"]
    text = text_of(kari)
    # E1 first (deadline 2026-11-08), then N1 (2026-12-01); ARR 12 × 300 and 12 × 1,000.
    assert text.index("E1") < text.index("N1")
    assert "* E1 · Acme AS · ARR 3,600.00 NOK\n  Term ends: 2026-11-08, in 7 days.\n" in text
    assert (
        "* N1 · Acme AS · ARR 12,000.00 NOK\n"
        "  Notice deadline: 2026-12-01, in 30 days (notice: 30 days).\n"
        "  Renews automatically on 2027-01-01 unless notice is given by 2026-12-01.\n"
    ) in text
    assert "late" not in text
    assert "R1" not in text and "K1" not in text
    envelope = smtp.handler.envelopes[1]
    assert envelope.mail_from == "revenue@fjordsoft.example"
    assert envelope.rcpt_tos == ["kari@example.no"]
    assert (
        "sent to kari@example.no: E1 (term end 2026-11-08, 7-day reminder), N1 (notice deadline 2026-12-01, 30-day reminder)"
        in result.stdout
    )


def test_both_parts_state_the_notice_deadline_not_the_renewal_day(
    run: Run, make_data_dir: MakeDir, smtp: Server
) -> None:
    # N1 renews on 2027-01-01; notice must reach the seller by 2026-12-31 − 30 days =
    # 2026-12-01. The sentence that names the renewal day names that deadline, in the
    # plain-text part and in the HTML part alike.
    root = data_dir(make_data_dir, smtp.port)
    run("remind", "--data", root, "--as-of", "2026-11-01")
    kari = next(m for m in smtp.handler.messages if m["To"] == "kari@example.no")
    sentence = re.compile(r"Renews automatically on (\S+) unless notice.*? is given by (\S+?)\.")
    for part in (text_of(kari), html_of(kari)):
        assert sentence.findall(part) == [("2027-01-01", "2026-12-01")]


def test_a_deadline_today_reads_today_and_one_tomorrow_in_1_day(
    run: Run, make_data_dir: MakeDir, smtp: Server
) -> None:
    # As of 2026-12-01, with reminders 1 day before and on the day:
    #   N0: notice deadline 2026-12-31 − 30 d = 2026-12-01, the as-of day → "today".
    #   N1: notice deadline 2027-01-01 − 30 d = 2026-12-02, 1 day away → "in 1 day".
    #   T0: expires 2026-12-01 → "today"; T1: expires 2026-12-02 → "in 1 day".
    files = {
        "contracts.csv": """\
            contract_id,customer_id,start_date,end_date,auto_renew,notice_days
            N0,A,2026-01-01,2026-12-31,true,30
            N1,A,2026-01-02,2027-01-01,true,30
            T0,A,2025-12-02,2026-12-01,false,
            T1,A,2025-12-03,2026-12-02,false,
        """,
        "contract_lines.csv": """\
            contract_id,product,unit_price
            N0,LIC,100
            N1,LIC,100
            T0,LIC,100
            T1,LIC,100
        """,
    }
    extra = "  lead_days: [1, 0]\n  expiry_lead_days: [1, 0]\n"
    root = data_dir(make_data_dir, smtp.port, extra=extra, files=files)
    result = run("remind", "--data", root, "--as-of", "2026-12-01")
    assert result.exit_code == 0, result.stderr
    [kari] = smtp.handler.messages
    text = text_of(kari)
    assert "Notice deadline: 2026-12-01, today (notice: 30 days).\n" in text
    assert "Term ends: 2026-12-01, today.\n" in text
    assert "Notice deadline: 2026-12-02, in 1 day (notice: 30 days).\n" in text
    assert "Term ends: 2026-12-02, in 1 day.\n" in text
    assert "in 0 days" not in text and "in 1 days" not in text


def test_html_part_escapes_customer_names(run: Run, make_data_dir: MakeDir, smtp: Server) -> None:
    root = data_dir(make_data_dir, smtp.port)
    run("remind", "--data", root, "--as-of", "2026-11-01")
    ola = next(m for m in smtp.handler.messages if m["To"] == "ola@example.no")
    assert "[Bergen] &lt;b&gt;AS&lt;/b&gt;" in html_of(ola)
    assert "[Bergen] <b>AS</b>" in text_of(ola)


@pytest.mark.parametrize(
    "owner",
    [
        "kari@example.no,postmaster",  # a list: smtplib took every address of the To header
        "<mallory@evil.example>kari.example.no",  # the To header parsed to mallory alone
        "kari@example.no\r\nBcc: mallory@evil.example",
        "Kari <kari@example.no>",
    ],
)
def test_an_owner_that_is_no_single_address_is_mailed_to_the_fallback_only(
    run: Run, make_data_dir: MakeDir, smtp: Server, owner: str
) -> None:
    quoted = owner.replace('"', '""')
    customers = CUSTOMERS.replace("A,Acme AS,kari@example.no", f'A,Acme AS,"{quoted}"')
    root = data_dir(make_data_dir, smtp.port, files={"customers.csv": customers})
    result = run("remind", "--data", root, "--as-of", "2026-11-01")
    assert result.exit_code == 0, result.stderr
    # E1 and N1 (Acme's) go to the fallback with Z1; N2 to ola as before.
    assert [e.rcpt_tos for e in smtp.handler.envelopes] == [
        ["finance@fjordsoft.example"],
        ["ola@example.no"],
    ]
    assert [m["To"] for m in smtp.handler.messages] == [
        "finance@fjordsoft.example",
        "ola@example.no",
    ]
    assert all(m["Bcc"] is None and m["Cc"] is None for m in smtp.handler.messages)
    assert "sent to finance@fjordsoft.example: E1 " in result.stdout
    assert [(r[0], r[5]) for r in log_rows(root)] == [
        ("E1", "finance@fjordsoft.example"),
        ("N1", "finance@fjordsoft.example"),
        ("Z1", "finance@fjordsoft.example"),
        ("N2", "ola@example.no"),
    ]


@pytest.mark.parametrize(
    ("name", "template"),
    [
        ("reminder.txt.liquid", "{% if false %}Hei{% endif %}\n  \n"),
        (
            "reminder.html.liquid",
            "<html><head><style>p {}</style></head><body> <!-- {{ count }} --> </body></html>\n",
        ),
    ],
)
def test_a_template_that_gives_an_empty_body_sends_and_logs_nothing(
    run: Run, make_data_dir: MakeDir, smtp: Server, name: str, template: str
) -> None:
    root = data_dir(make_data_dir, smtp.port, files={f"templates/{name}": template})
    for args in (("--dry-run",), ()):
        result = run("remind", "--data", root, "--as-of", "2026-11-01", *args)
        assert result.exit_code == 1
        assert result.stderr == (
            f"error: {root}/templates/{name}: gave an empty e-mail body (for "
            "finance@fjordsoft.example); a reminder that says nothing would be logged as "
            "sent, so none is sent\n"
        )
    assert smtp.handler.envelopes == []
    assert log_rows(root) == []


def test_every_sent_reminder_is_logged_and_a_second_run_sends_nothing(
    run: Run, make_data_dir: MakeDir, smtp: Server
) -> None:
    root = data_dir(make_data_dir, smtp.port)
    assert run("remind", "--data", root, "--as-of", "2026-11-01").exit_code == 0
    assert log_rows(root) == [
        ("Z1", "term-end", "2027-01-30", "90", "0", "finance@fjordsoft.example"),
        ("E1", "term-end", "2026-11-08", "7", "0", "kari@example.no"),
        ("N1", "notice", "2026-12-01", "30", "0", "kari@example.no"),
        ("N2", "notice", "2027-01-30", "90", "0", "ola@example.no"),
    ]
    again = run("remind", "--data", root, "--as-of", "2026-11-01")
    assert again.exit_code == 0
    assert "no reminders due on 2026-11-01" in again.stderr
    assert len(smtp.handler.envelopes) == 3
    assert len(log_rows(root)) == 4


HOLD_THE_LOG = """\
import shutil, sys, time
from pathlib import Path
from revcli.renewals.log import ReminderLog, log_path

root, sent = Path(sys.argv[1]), Path(sys.argv[2])
with ReminderLog(root).locked():
    root.with_name("held").touch()
    deadline = time.monotonic() + 60
    while not root.with_name("go").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    shutil.copyfile(sent, log_path(root))  # what a run that sent them would have logged
"""
"""Another `remind` run, in its own process: it holds the reminder log's lock until the
file ``go`` exists beside the data dir, then logs the reminders as sent."""


def test_a_run_that_waited_for_another_sends_only_what_that_one_did_not(
    run: Run, make_data_dir: MakeDir, smtp: Server
) -> None:
    root = data_dir(make_data_dir, smtp.port)
    other = root.with_name("other")
    shutil.copytree(root, other)
    assert run("remind", "--data", other, "--as-of", "2026-11-01").exit_code == 0
    assert len(smtp.handler.envelopes) == 3  # the other run's three e-mails
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LOG, root, log_path(other)], env=env, text=True
    )
    try:
        held = root.with_name("held")
        while not held.exists() and holder.poll() is None:
            time.sleep(0.01)
        assert held.exists()
        # A report reads the data dir meanwhile, without waiting: the lock is the log's.
        report = run("mrr", "--data", root, "--month", "2026-11")
        assert (report.exit_code, report.stderr) == (0, "")
        sender = subprocess.Popen(
            [sys.executable, "-m", "revcli", "remind", "--data", root, "--as-of", "2026-11-01"],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert sender.stderr is not None
        told = sender.stderr.readline()
        assert told == f"waiting for another revcli run to release {root / '.revcli'} …\n"
    finally:
        root.with_name("go").touch()
    assert holder.wait(timeout=120) == 0
    _, rest = sender.communicate(timeout=120)
    # Composed again under the lock: everything due was sent by the other run.
    assert sender.returncode == 0, rest
    assert "no reminders due on 2026-11-01" in rest
    assert len(smtp.handler.envelopes) == 3
    assert log_path(root).read_bytes() == log_path(other).read_bytes()


def test_daily_runs_send_each_lead_time_exactly_once(make_data_dir: MakeDir, smtp: Server) -> None:
    root = data_dir(make_data_dir, smtp.port)
    data = load_dataset(root)
    clock = lambda: dt.datetime(2026, 11, 1, 6, tzinfo=dt.UTC)  # noqa: E731
    day = dt.date(2026, 11, 1)
    while day <= dt.date(2027, 1, 31):
        for _ in range(2):  # the job runs twice a day
            run_reminders(data, day, dry_run=False, clock=clock, environ={})
        day += dt.timedelta(days=1)
    # Lead times 90/30/7 before notice deadlines, 90/30/7/0 before term ends of expiring ones:
    assert sorted(r[:4] for r in log_rows(root)) == sorted(
        [
            ("N1", "notice", "2026-12-01", "30"),  # 90 days before (2026-09-02) is before the runs
            ("N1", "notice", "2026-12-01", "7"),
            ("N2", "notice", "2027-01-30", "90"),
            ("N2", "notice", "2027-01-30", "30"),
            ("N2", "notice", "2027-01-30", "7"),
            ("E1", "term-end", "2026-11-08", "7"),
            ("E1", "term-end", "2026-11-08", "0"),
            ("Z1", "term-end", "2027-01-30", "90"),
            ("Z1", "term-end", "2027-01-30", "30"),
            ("Z1", "term-end", "2027-01-30", "7"),
            ("Z1", "term-end", "2027-01-30", "0"),
        ]
    )
    assert all(r[4] == "0" for r in log_rows(root))  # nothing late
    assert sum(len(e.rcpt_tos) for e in smtp.handler.envelopes) == len(
        {(r[5], d) for r, d in zip(log_rows(root), _sent_days(root), strict=True)}
    )


def _sent_days(root: Path) -> list[str]:
    return [line.split(",")[1] for line in log_path(root).read_text().splitlines()[1:]]


def test_skipped_lead_time_is_sent_late_and_says_so(
    run: Run, make_data_dir: MakeDir, smtp: Server
) -> None:
    root = data_dir(make_data_dir, smtp.port)
    run("remind", "--data", root, "--as-of", "2026-11-01")
    # The job did not run from 2026-11-02 to 2026-11-27. N1's 7-day reminder was due on
    # 2026-11-24 (2026-12-01 − 7): sent 4 days late. N2 (62 days away) had its 90-day one.
    result = run("remind", "--data", root, "--as-of", "2026-11-28")
    assert result.exit_code == 0, result.stderr
    kari = smtp.handler.messages[-1]
    assert kari["To"] == "kari@example.no"
    assert "Sent late: the 7-day reminder was due on 2026-11-24, 4 days ago." in text_of(kari)
    assert "Sent late: the 7-day reminder was due on 2026-11-24, 4 days ago." in html_of(kari)
    assert "N1 (notice deadline 2026-12-01, 7-day reminder, 4 days late)" in result.stdout
    assert log_rows(root)[-1] == ("N1", "notice", "2026-12-01", "7", "4", "kari@example.no")
    # E1 expired on 2026-11-08 while nobody ran the job: a passed deadline is not reminded.
    assert [r[0] for r in log_rows(root)].count("E1") == 1
    before = len(smtp.handler.envelopes)
    assert run("remind", "--data", root, "--as-of", "2026-11-29").exit_code == 0
    assert len(smtp.handler.envelopes) == before


def test_first_run_past_two_lead_times_sends_only_the_latest(
    run: Run, make_data_dir: MakeDir, smtp: Server
) -> None:
    # On 2026-11-28 N1's 30-day (2026-11-01) and 7-day (2026-11-24) reminders are both due;
    # one reminder — the 7-day one, 4 days late — supersedes the older one.
    root = data_dir(make_data_dir, smtp.port)
    run("remind", "--data", root, "--as-of", "2026-11-28")
    assert [r[:5] for r in log_rows(root) if r[0] == "N1"] == [
        ("N1", "notice", "2026-12-01", "7", "4")
    ]


def test_connection_lost_half_way_logs_only_what_was_sent(
    run: Run, make_data_dir: MakeDir, smtp: Server
) -> None:
    # The server accepts the first e-mail (finance@, for Z1), then shuts down (421): the run
    # stops, exit 1, and the log holds Z1 only.
    root = data_dir(make_data_dir, smtp.port)
    smtp.handler.close_after = 1
    result = run("remind", "--data", root, "--as-of", "2026-11-01")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: sending stopped at the reminder e-mail to kari@example.no: the SMTP server "
        f"127.0.0.1:{smtp.port} answered 421 4.3.2 Service shutting down, closing transmission "
        "channel; 1 of 3 e-mails were sent and logged; run again to send the rest\n"
    )
    assert [r[0] for r in log_rows(root)] == ["Z1"]
    # The next run (server back) sends what is missing, and Z1 not again.
    smtp.handler.close_after = None
    assert run("remind", "--data", root, "--as-of", "2026-11-01").exit_code == 0
    assert [m["To"] for m in smtp.handler.messages] == [
        "finance@fjordsoft.example",
        "kari@example.no",
        "ola@example.no",
    ]
    assert [r[0] for r in log_rows(root)] == ["Z1", "E1", "N1", "N2"]


def test_refused_recipient_does_not_block_the_others(
    run: Run, make_data_dir: MakeDir, smtp: Server
) -> None:
    root = data_dir(make_data_dir, smtp.port)
    smtp.handler.unknown = {"kari@example.no"}
    result = run("remind", "--data", root, "--as-of", "2026-11-01")
    assert result.exit_code == 1
    assert (
        f"the SMTP server 127.0.0.1:{smtp.port} refused 1 of 3 reminder e-mails (to "
        "kari@example.no: kari@example.no: 550 5.1.1 No such user here); 2 of 3 were sent and "
        "logged; run again to retry the refused ones"
    ) in result.stderr
    assert [m["To"] for m in smtp.handler.messages] == [
        "finance@fjordsoft.example",
        "ola@example.no",
    ]
    assert [r[0] for r in log_rows(root)] == ["Z1", "N2"]
    smtp.handler.unknown = set()
    assert run("remind", "--data", root, "--as-of", "2026-11-01").exit_code == 0
    assert [m["To"] for m in smtp.handler.messages][-1] == "kari@example.no"
    assert [r[0] for r in log_rows(root)] == ["Z1", "N2", "E1", "N1"]


def test_an_address_the_server_cannot_take_does_not_block_the_others(
    run: Run, make_data_dir: MakeDir
) -> None:
    # A server without SMTPUTF8 cannot take a non-ASCII address: smtplib refuses the
    # message before sending it. That is a refusal of this one e-mail, like a 550: kåri's
    # e-mail (sorted between finance's and ola's) is skipped, ola's is still sent.
    handler = Capture()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, enable_SMTPUTF8=False)
    controller.start()
    try:
        customers = CUSTOMERS.replace("kari@example.no", "kåri@example.no")
        root = data_dir(make_data_dir, port, files={"customers.csv": customers})
        result = run("remind", "--data", root, "--as-of", "2026-11-01")
        assert [m["To"] for m in handler.messages] == [
            "finance@fjordsoft.example",
            "ola@example.no",
        ]
        assert [r[0] for r in log_rows(root)] == ["Z1", "N2"]
        assert result.exit_code == 1
        assert (
            f"the SMTP server 127.0.0.1:{port} refused 1 of 3 reminder e-mails (to "
            "kåri@example.no: the address is not plain ASCII and the server does not offer "
            "SMTPUTF8); 2 of 3 were sent and logged; run again to retry the refused ones"
        ) in result.stderr
        # The run after it sends nothing new and still names the refused address.
        again = run("remind", "--data", root, "--as-of", "2026-11-01")
        assert again.exit_code == 1
        assert len(handler.messages) == 2
        assert "refused 1 of 1 reminder e-mails (to kåri@example.no" in again.stderr
    finally:
        controller.stop()


def test_read_only_log_sends_nothing(
    run: Run, make_data_dir: MakeDir, smtp: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A read-only checkout (os.access says no; tests may run as root, where chmod does not
    # bind) must not send reminders it could not record.
    root = data_dir(make_data_dir, smtp.port)
    monkeypatch.setattr("revcli.renewals.runner.writable", lambda path: False)
    result = run("remind", "--data", root, "--as-of", "2026-11-01")
    assert result.exit_code == 1
    assert "cannot write the reminder log" in result.stderr
    assert smtp.handler.envelopes == []


def _link_to_nothing(folder: Path) -> None:
    folder.symlink_to(folder.parent / "nowhere")


def _link_elsewhere(folder: Path) -> None:
    elsewhere = folder.parent.parent / "elsewhere"
    elsewhere.mkdir()
    folder.symlink_to(elsewhere)


def _a_file(folder: Path) -> None:
    folder.write_text("")


LINKED = "is a symbolic link; the reminder log is kept in the data dir: make it a folder"


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (_link_to_nothing, LINKED),  # the run looped for ever making it
        (_link_elsewhere, LINKED),  # the log would be written there
        # every run sent its e-mails and could not record them
        (_a_file, "is not a folder; the reminder log is kept in it: remove it or move it away"),
    ],
)
def test_a_log_folder_that_is_no_folder_of_the_data_dir_sends_nothing(
    run: Run, make_data_dir: MakeDir, smtp: Server, make: Callable[[Path], None], problem: str
) -> None:
    root = data_dir(make_data_dir, smtp.port)
    make(root / ".revcli")
    for command in (["validate"], ["remind", "--as-of", "2026-11-01"]):
        result = run(*command, "--data", root)
        assert result.exit_code == 1
        assert f"{root / '.revcli'}: {problem}" in result.stdout + result.stderr
    assert smtp.handler.envelopes == []
    assert not (root.parent / "nowhere").exists()


@pytest.mark.parametrize(
    ("as_of", "skipped"),
    [
        ("2026-11-01", 0),
        # A first run as of 2026-11-24 would send N1's 7-day reminder (due today) and skip
        # the 90-day ones of N2 and Z1 (due 2026-11-01, 23 days late; N1's 30-day one is
        # overtaken by its 7-day one): it records no skipped reminder either, so the next
        # run is still a first run.
        ("2026-11-24", 2),
    ],
)
def test_unreachable_server_names_host_and_port_and_logs_nothing(
    run: Run, make_data_dir: MakeDir, as_of: str, skipped: int
) -> None:
    port = free_port()  # nothing listens here
    root = data_dir(make_data_dir, port)
    result = run("remind", "--data", root, "--as-of", as_of)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: cannot reach the SMTP server 127.0.0.1:{port}: ")
    assert not (root / ".revcli").exists()
    if skipped:
        dry = run("remind", "--data", root, "--as-of", as_of, "--dry-run")
        assert f"would skip {skipped} reminders due over 7 days before this first run" in (
            dry.stdout
        )


def test_dry_run_prints_and_changes_nothing(run: Run, make_data_dir: MakeDir, smtp: Server) -> None:
    root = data_dir(make_data_dir, smtp.port)
    result = run("remind", "--data", root, "--as-of", "2026-11-01", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert (
        "--- e-mail 2 of 3 ---\nTo: kari@example.no\nSubject: Renewals: 2 contracts need attention"
        in result.stdout
    )
    assert (
        "dry run: would send 3 e-mails with 4 reminders; nothing was sent or logged."
        in result.stderr
    )
    assert smtp.handler.envelopes == []
    assert not (root / ".revcli").exists()


def test_dry_run_needs_no_smtp_settings(run: Run, make_data_dir: MakeDir) -> None:
    files = {"customers.csv": CUSTOMERS, "contracts.csv": CONTRACTS, "contract_lines.csv": LINES}
    root = make_data_dir(files)
    result = run("remind", "--data", root, "--as-of", "2026-11-01", "--dry-run")
    # No fallback address: Z1 has no recipient, which fails the run after printing the rest.
    assert result.exit_code == 1
    assert "To: kari@example.no" in result.stdout
    assert "1 reminder has no recipient (Z1)" in result.stderr


def test_sending_needs_from_and_host(run: Run, make_data_dir: MakeDir) -> None:
    files = {"customers.csv": CUSTOMERS, "contracts.csv": CONTRACTS, "contract_lines.csv": LINES}
    root = make_data_dir(files)
    result = run("remind", "--data", root, "--as-of", "2026-11-01")
    assert result.exit_code == 1
    lines = [line.replace(f"{root}/", "") for line in result.stderr.splitlines()]
    assert lines[:2] == [
        "revcli.yaml: reminders.from: is required to send reminders (e.g. from: revenue@example.no)",
        "revcli.yaml: reminders.smtp.host: is required to send reminders (e.g. host: smtp.example.no)",
    ]


def test_reminder_without_recipient_fails_the_run_but_the_rest_is_sent(
    run: Run, make_data_dir: MakeDir, smtp: Server
) -> None:
    root = data_dir(make_data_dir, smtp.port, fallback=False)
    result = run("remind", "--data", root, "--as-of", "2026-11-01")
    assert result.exit_code == 1
    assert "check failed: 1 reminder has no recipient (Z1): set an owner e-mail" in result.stderr
    assert [m["To"] for m in smtp.handler.messages] == ["kari@example.no", "ola@example.no"]
    assert "Z1" not in [r[0] for r in log_rows(root)]


def test_password_comes_from_the_named_environment_variable(
    run: Run, make_data_dir: MakeDir, smtp: Server
) -> None:
    extra_smtp = "    user: revenue@fjordsoft.example\n    password_env: TEST_SMTP_PASSWORD\n"
    root = make_data_dir(
        {"customers.csv": CUSTOMERS, "contracts.csv": CONTRACTS, "contract_lines.csv": LINES},
        settings_for(smtp.port) + extra_smtp,
    )
    missing = run("remind", "--data", root, "--as-of", "2026-11-01", env={"TEST_SMTP_PASSWORD": ""})
    assert missing.exit_code == 1
    assert "environment variable TEST_SMTP_PASSWORD is not set" in missing.stderr
    wrong = run(
        "remind", "--data", root, "--as-of", "2026-11-01", env={"TEST_SMTP_PASSWORD": "nope"}
    )
    assert wrong.exit_code == 1
    assert f"the SMTP server 127.0.0.1:{smtp.port} refused the session: 535" in wrong.stderr
    assert not (root / ".revcli").exists()
    ok = run(
        "remind", "--data", root, "--as-of", "2026-11-01", env={"TEST_SMTP_PASSWORD": "s3cret"}
    )
    assert ok.exit_code == 0, ok.stderr
    assert smtp.handler.logins[-1] == (b"revenue@fjordsoft.example", b"s3cret")
    assert len(smtp.handler.envelopes) == 3


def test_a_hand_edited_log_stops_the_run(run: Run, make_data_dir: MakeDir, smtp: Server) -> None:
    root = data_dir(make_data_dir, smtp.port)
    run("remind", "--data", root, "--as-of", "2026-11-01")
    path = log_path(root)
    text = path.read_text()
    path.write_text(text.replace("kari@example.no", "per@example.no", 1))
    result = run("remind", "--data", root, "--as-of", "2026-11-02", "--dry-run")
    assert result.exit_code == 1
    assert f"{path}:3: check: does not follow from the line before" in result.stderr


def test_a_removed_log_line_stops_the_run(run: Run, make_data_dir: MakeDir, smtp: Server) -> None:
    root = data_dir(make_data_dir, smtp.port)
    run("remind", "--data", root, "--as-of", "2026-11-01")
    path = log_path(root)
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:2] + lines[3:]))  # drop the second reminder
    result = run("remind", "--data", root, "--as-of", "2026-11-02")
    assert result.exit_code == 1
    assert f"{path}:3: check: does not follow" in result.stderr
    assert "nothing was done" in result.stderr


def test_a_duplicated_log_line_is_reported(run: Run, make_data_dir: MakeDir, smtp: Server) -> None:
    root = data_dir(make_data_dir, smtp.port)
    run("remind", "--data", root, "--as-of", "2026-11-01")
    path = log_path(root)
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join([*lines, lines[1]]))
    result = run("remind", "--data", root, "--as-of", "2026-11-02")
    assert result.exit_code == 1
    assert (
        f"{path}:6: contract_id: reminder Z1 term-end 2027-01-30 at 90 days is logged twice; first at line 2"
        in result.stderr
    )


def test_an_incomplete_last_line_names_the_line_and_the_repair(
    run: Run, make_data_dir: MakeDir, smtp: Server
) -> None:
    # A power cut or kill -9 mid-write leaves a line without its newline (a failed write
    # is cut back). Deleting that line is the repair: it was never recorded, and the
    # reminder it was to record is sent again by the rerun.
    root = data_dir(make_data_dir, smtp.port)
    run("remind", "--data", root, "--as-of", "2026-11-01")
    path = log_path(root)
    whole = path.read_text()
    path.write_text(whole + "2026-11-01T07:00:00Z,2026-11-01,N9,noti")
    result = run("remind", "--data", root, "--as-of", "2026-11-02")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"{path}:6: the last line is incomplete (a write was interrupted); delete this line, "
        "then run `revcli remind` again\n"
    )
    path.write_text(whole)  # the advice, followed
    assert run("remind", "--data", root, "--as-of", "2026-11-02").exit_code == 0


def test_a_full_disk_while_logging_leaves_the_log_whole_and_the_email_is_sent_again(
    run: Run, make_data_dir: MakeDir, smtp: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    measured = data_dir(make_data_dir, smtp.port)
    assert run("remind", "--data", measured, "--as-of", "2026-11-01").exit_code == 0
    header, z1 = log_path(measured).read_bytes().splitlines(keepends=True)[:2]
    smtp.handler.envelopes.clear()

    root = data_dir(make_data_dir, smtp.port)
    # The header and Z1's line (finance@'s e-mail) fit; kari@'s lines (E1, N1) do not.
    fill_disk(monkeypatch, room=len(header + z1) + 30)
    result = run("remind", "--data", root, "--as-of", "2026-11-01")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: the reminder e-mail to kari@example.no was sent but could not be recorded in "
        f"{log_path(root)} (No space left on device); it will be sent again on the next run\n"
    )
    text = log_path(root).read_bytes()  # Z1's line, and no half line after it
    assert (len(text), text.count(b"\n")) == (len(header + z1), 2)
    assert [r[0] for r in log_rows(root)] == ["Z1"]
    free_disk(monkeypatch)
    result = run("remind", "--data", root, "--as-of", "2026-11-01")
    assert result.exit_code == 0, result.stderr
    assert [m["To"] for m in smtp.handler.messages] == [
        "finance@fjordsoft.example",
        "kari@example.no",  # recorded by no line: sent again, as promised
        "kari@example.no",
        "ola@example.no",
    ]
    assert [r[0] for r in log_rows(root)] == ["Z1", "E1", "N1", "N2"]


TERM_WHILE_LOGGING = """
import os, signal, sys
import revcli.state.log
from revcli.cli import main
from tests.full_disk import FullDisk

class Slow(FullDisk):  # 20 bytes a write; a real SIGTERM during the log's first write
    def write(self, fd, data):
        self.room -= 1
        if self.room == 0:
            os.kill(os.getpid(), signal.SIGTERM)
        return os.write(fd, bytes(memoryview(data)[:20]))

revcli.state.log.os = Slow(1)
sys.argv = ["revcli", *sys.argv[1:]]
main()
"""


def test_sigterm_while_an_accepted_email_is_logged_logs_it_and_it_is_never_sent_again(
    run: Run, make_data_dir: MakeDir, smtp: Server
) -> None:
    # finance@'s e-mail (Z1) is the first the server accepts; a CI job cancelled (SIGTERM)
    # while its line is being written. Before the fix the line was cut back as an
    # interrupted write is, and the next run sent finance@ the same reminder again.
    root = data_dir(make_data_dir, smtp.port)
    args = ["remind", "--data", str(root), "--as-of", "2026-11-01"]
    stopped = subprocess.run(
        [sys.executable, "-c", TERM_WHILE_LOGGING, *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (stopped.returncode, stopped.stderr) == (143, "interrupted (SIGTERM)\n")
    assert [m["To"] for m in smtp.handler.messages] == ["finance@fjordsoft.example"]
    assert log_rows(root) == [
        ("Z1", "term-end", "2027-01-30", "90", "0", "finance@fjordsoft.example")
    ]
    result = run("remind", "--data", root, "--as-of", "2026-11-01")
    assert result.exit_code == 0, result.stderr
    assert [m["To"] for m in smtp.handler.messages] == [
        "finance@fjordsoft.example",
        "kari@example.no",
        "ola@example.no",
    ]
    assert [r[0] for r in log_rows(root)] == ["Z1", "E1", "N1", "N2"]


def test_users_own_templates_are_used(run: Run, make_data_dir: MakeDir, smtp: Server) -> None:
    root = data_dir(
        make_data_dir,
        smtp.port,
        files={
            "templates/reminder.txt.liquid": "{% for r in reminders %}{{ r.contract_id }}:{{ r.deadline }} {% endfor %}for {{ recipient }}\n",
            "mail/html.liquid": "<p>{{ count }}</p>\n",
        },
        extra="  template_html: mail/html.liquid\n",
    )
    assert run("remind", "--data", root, "--as-of", "2026-11-01").exit_code == 0
    kari = smtp.handler.messages[1]
    assert text_of(kari).strip() == "E1:2026-11-08 N1:2026-12-01 for kari@example.no"
    assert html_of(kari).strip() == "<p>2</p>"


def test_template_errors_name_the_file_and_send_nothing(
    run: Run, make_data_dir: MakeDir, smtp: Server
) -> None:
    root = data_dir(
        make_data_dir,
        smtp.port,
        files={"templates/reminder.txt.liquid": "{{ reminders[0].arr_total }}\n"},
    )
    result = run("remind", "--data", root, "--as-of", "2026-11-01")
    assert result.exit_code == 1
    # FILE:LINE:COLUMN, as for invoice templates (one shared template module); the
    # message is python-liquid's.
    assert result.stderr == (
        f"error: {root}/templates/reminder.txt.liquid:1:4: reminders.arr_total is undefined\n"
    )
    assert smtp.handler.envelopes == []


def test_reminder_template_syntax_error_names_line_and_column(
    run: Run, make_data_dir: MakeDir
) -> None:
    root = data_dir(
        make_data_dir, 25, files={"templates/reminder.html.liquid": "ok\n{% if %}x{% endif %}\n"}
    )
    result = run("remind", "--data", root, "--as-of", "2026-11-01", "--dry-run")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {root}/templates/reminder.html.liquid:2:4: missing expression\n"
    )


def test_reminder_template_that_is_not_utf8_names_the_file_and_sends_nothing(
    run: Run, make_data_dir: MakeDir, smtp: Server
) -> None:
    root = data_dir(make_data_dir, smtp.port)
    path = root / "templates" / "reminder.txt.liquid"
    path.parent.mkdir()
    path.write_bytes("Hei {{ recipient }},\n{{ count }} avtaler går ut.\n".encode("latin-1"))
    result = run("remind", "--data", root, "--as-of", "2026-11-01")
    # "å" in Latin-1 is the single byte 0xe5, on line 2.
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: {path}:2: the template is not UTF-8 text (byte 0xe5); save it as UTF-8\n",
    )
    assert smtp.handler.envelopes == []
    assert log_rows(root) == []


def test_configured_template_that_is_missing_is_an_error(
    run: Run, make_data_dir: MakeDir, smtp: Server
) -> None:
    root = data_dir(make_data_dir, smtp.port, extra="  template_text: mail/nope.liquid\n")
    result = run("remind", "--data", root, "--as-of", "2026-11-01", "--dry-run")
    assert result.exit_code == 1
    # A settings error at the key's line (checked when the settings are read, so
    # validate refuses it too), before any reminder is composed.
    line = next(
        n
        for n, t in enumerate((root / "revcli.yaml").read_text().splitlines(), 1)
        if "template_text" in t
    )
    assert (
        f"revcli.yaml:{line}: reminders.template_text: 'mail/nope.liquid' not found"
        in result.stderr
    )
    assert run("validate", "--data", root).exit_code == 1


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_and_starttls_verify_the_server(
    run: Run, make_data_dir: MakeDir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, security: str
) -> None:
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler, port = Capture(), free_port()
    options: dict[str, Any] = (
        {"tls_context": context, "require_starttls": True}
        if security == "starttls"
        else {"ssl_context": context}
    )
    if security == "tls":
        controller = Controller(
            handler, hostname="127.0.0.1", port=port, server_hostname="127.0.0.1", **options
        )
    else:
        controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test certificate
    controller.start()
    try:
        settings = settings_for(port).replace("security: none", f"security: {security}")
        root = make_data_dir(
            {"customers.csv": CUSTOMERS, "contracts.csv": CONTRACTS, "contract_lines.csv": LINES},
            settings,
        )
        result = run("remind", "--data", root, "--as-of", "2026-11-01")
        assert result.exit_code == 0, result.stderr
        assert len(handler.envelopes) == 3
        # Without trusting the certificate, the run fails before anything is sent.
        monkeypatch.delenv("SSL_CERT_FILE")
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "none.pem"))
        fresh = make_data_dir(
            {"customers.csv": CUSTOMERS, "contracts.csv": CONTRACTS, "contract_lines.csv": LINES},
            settings,
        )
        result = run("remind", "--data", fresh, "--as-of", "2026-11-01")
        assert result.exit_code == 1
        assert not (fresh / ".revcli").exists()
        assert f"127.0.0.1:{port}" in result.stderr
        assert "CERTIFICATE_VERIFY_FAILED" in result.stderr
    finally:
        controller.stop()


def test_first_run_skips_reminders_whose_lead_day_is_long_past(
    run: Run, make_data_dir: MakeDir, smtp: Server
) -> None:
    # First run, as of 2026-11-20, no log yet. Due lead times:
    #   N1 notice 2026-12-01: 30-day reminder due 2026-11-01, 19 days late;
    #   N2 notice 2027-01-30: 90-day reminder due 2026-11-01, 19 days late;
    #   Z1 term end 2027-01-30: 90-day reminder due 2026-11-01, 19 days late;
    #   E1's term end 2026-11-08 has passed: nothing.
    # All three are more than catch_up_days (7) late: recorded as skipped, none sent.
    root = data_dir(make_data_dir, smtp.port)
    result = run("remind", "--data", root, "--as-of", "2026-11-20")
    assert result.exit_code == 0, result.stderr
    assert smtp.handler.messages == []
    assert "skipped 3 reminders due over 7 days before this first run" in result.stdout
    assert "  N1: 30-day reminder of the notice deadline 2026-12-01, due 19 days ago\n" in (
        result.stdout
    )
    lines = log_path(root).read_text(encoding="utf-8").splitlines()[1:]
    assert sorted(line.split(",")[0] for line in lines) == ["skipped"] * 3
    assert sorted(r[:5] for r in log_rows(root)) == [
        ("N1", "notice", "2026-12-01", "30", "19"),
        ("N2", "notice", "2027-01-30", "90", "19"),
        ("Z1", "term-end", "2027-01-30", "90", "19"),
    ]
    # On 2026-11-24 N1's 7-day reminder falls due (on time) and is sent; the skipped ones
    # stay skipped, and no run after the first skips anything.
    later = run("remind", "--data", root, "--as-of", "2026-11-24")
    assert later.exit_code == 0, later.stderr
    assert [m["To"] for m in smtp.handler.messages] == ["kari@example.no"]
    assert "N1" in text_of(smtp.handler.messages[0])
    assert "skip" not in later.stdout


def test_catch_up_days_widens_what_a_first_run_sends(
    run: Run, make_data_dir: MakeDir, smtp: Server
) -> None:
    # With catch_up_days 30 the same three reminders (19 days late) are sent, late.
    root = data_dir(make_data_dir, smtp.port, extra="  catch_up_days: 30\n")
    result = run("remind", "--data", root, "--as-of", "2026-11-20")
    assert result.exit_code == 0, result.stderr
    assert "skip" not in result.stdout
    assert sorted(m["To"] for m in smtp.handler.messages) == [
        "finance@fjordsoft.example",
        "kari@example.no",
        "ola@example.no",
    ]


def test_dry_run_shows_what_a_first_run_would_skip_and_writes_nothing(
    run: Run, make_data_dir: MakeDir, smtp: Server
) -> None:
    root = data_dir(make_data_dir, smtp.port)
    result = run("remind", "--data", root, "--as-of", "2026-11-20", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "would skip 3 reminders" in result.stdout
    assert not log_path(root).exists()
    assert smtp.handler.messages == []


def first_run_data_dir(make_data_dir: MakeDir, port: int) -> Path:
    """The data dir plus X1 (Bergen, expires 2026-12-01), so that a first run as of
    2026-11-24 has two e-mails to send and two reminders to skip:
      kari: N1 notice 2026-12-01, 7 days away → 7-day reminder, due today;
      ola:  X1 term end 2026-12-01, 7 days away → 7-day reminder, due today;
      skip: N2 notice 2027-01-30 and Z1 term end 2027-01-30, 67 days away → 90-day
            reminders due 2026-11-01, 23 days late (over catch_up_days 7).
    E1's term end (2026-11-08) has passed. Skipped lines follow the plan's order
    (recipient, then deadline): Z1 (finance@, the fallback), then N2 (ola)."""
    return data_dir(
        make_data_dir,
        port,
        files={
            "contracts.csv": CONTRACTS + "X1,B,2025-12-02,2026-12-01,false,,,\n",
            "contract_lines.csv": LINES + "X1,LIC,100\n",
        },
    )


SKIPPED_Z1_N2 = [
    ("Z1", "term-end", "2027-01-30", "90", "23", "finance@fjordsoft.example"),
    ("N2", "notice", "2027-01-30", "90", "23", "ola@example.no"),
]
SENT_N1 = ("N1", "notice", "2026-12-01", "7", "0", "kari@example.no")
SENT_X1 = ("X1", "term-end", "2026-12-01", "7", "0", "ola@example.no")


def test_first_run_records_its_skips_with_the_first_email_delivered(
    run: Run, make_data_dir: MakeDir, smtp: Server
) -> None:
    root = first_run_data_dir(make_data_dir, smtp.port)
    # Both e-mails refused: nothing was delivered, so the log stays untouched and the
    # next run is still a first run.
    smtp.handler.unknown = {"kari@example.no", "ola@example.no"}
    assert run("remind", "--data", root, "--as-of", "2026-11-24").exit_code == 1
    assert not (root / ".revcli").exists()
    # kari's e-mail refused, ola's delivered: the skips go into the log with ola's
    # reminder, although the run fails (exit 1) for kari.
    smtp.handler.unknown = {"kari@example.no"}
    result = run("remind", "--data", root, "--as-of", "2026-11-24")
    assert result.exit_code == 1
    assert "refused 1 of 2 reminder e-mails" in result.stderr
    assert result.stdout == (
        "sent to ola@example.no: X1 (term end 2026-12-01, 7-day reminder)\n"
        "skipped 2 reminders due over 7 days before this first run "
        "(reminders.catch_up_days):\n"
        "  Z1: 90-day reminder of the term end 2027-01-30, due 23 days ago\n"
        "  N2: 90-day reminder of the notice deadline 2027-01-30, due 23 days ago\n"
    )
    assert log_rows(root) == [SENT_X1, *SKIPPED_Z1_N2]
    # The retry sends kari's reminder only: N2 and Z1 stay skipped, not sent late.
    smtp.handler.unknown = set()
    again = run("remind", "--data", root, "--as-of", "2026-11-24")
    assert again.exit_code == 0, again.stderr
    assert (
        again.stdout == "sent to kari@example.no: N1 (notice deadline 2026-12-01, 7-day reminder)\n"
    )
    assert [m["To"] for m in smtp.handler.messages] == ["ola@example.no", "kari@example.no"]
    assert log_rows(root) == [SENT_X1, *SKIPPED_Z1_N2, SENT_N1]


KILLED_AFTER_FIRST_EMAIL = """\
import datetime as dt, os, signal, sys
from pathlib import Path
from revcli.checks import load_dataset
from revcli.renewals.runner import run_reminders
run_reminders(
    load_dataset(Path(sys.argv[1])),
    dt.date(2026, 11, 24),
    dry_run=False,
    clock=lambda: dt.datetime(2026, 11, 24, 6, tzinfo=dt.UTC),
    environ={},
    progress=lambda email: os.kill(os.getpid(), signal.SIGKILL),
)
"""


def test_first_run_killed_after_its_first_email_keeps_its_skips(
    run: Run, make_data_dir: MakeDir, smtp: Server
) -> None:
    # The run is killed (SIGKILL) right after kari's e-mail, the first, is logged: the
    # skips were written with it, so the next run sends ola's reminder and no late one.
    root = first_run_data_dir(make_data_dir, smtp.port)
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_AFTER_FIRST_EMAIL, str(root)],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert log_rows(root) == [SENT_N1, *SKIPPED_Z1_N2]
    result = run("remind", "--data", root, "--as-of", "2026-11-24")
    assert result.exit_code == 0, result.stderr
    assert [m["To"] for m in smtp.handler.messages] == ["kari@example.no", "ola@example.no"]
    assert log_rows(root) == [SENT_N1, *SKIPPED_Z1_N2, SENT_X1]
