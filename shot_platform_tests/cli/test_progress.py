"""Progress on long CLI steps: a bar on a terminal, nothing when the stream is not one (logs, pipes, CI)."""

from __future__ import annotations

import io

import pytest

from shot_platform.cli import main


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("stream", "drawn"), [(Terminal(), True), (io.StringIO(), False)])
def test_progress_bar_draws_on_a_terminal_only(stream: io.StringIO, drawn: bool) -> None:
    with main.progress_bar("exporting", total=1000, unit="rows", stream=stream) as advance:
        for done in (250, 500, 1000):
            advance(done)
    text = stream.getvalue()
    assert ("exporting" in text and "100%" in text and "1.00k/1.00k" in text) is drawn, text
    if not drawn:
        assert text == ""


def test_progress_printer_follows_done_and_total_and_closes_at_the_end(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = Terminal()
    monkeypatch.setattr(main.sys, "stderr", terminal)
    show = main.progress_printer("inserted")
    for done in (10, 20, 40):
        show(done, 40)
    text = terminal.getvalue()
    assert "inserted" in text and "100%" in text and "40.0/40.0" in text, text
