"""jobs.rerender's command line: options, refusals, the progress bar and the summary line."""

from __future__ import annotations

import io

import pytest

from jobs.rerender import BATCH_SIZE, Progress, Summary, parse_args


def test_defaults():
    args = parse_args([])
    assert (args.dry_run, args.limit, args.products, args.no_cleanup, args.cleanup_only,
            args.batch_size) == (False, None, None, False, False, BATCH_SIZE)


def test_options():
    args = parse_args(["--dry-run", "--limit", "5", "--product", "3", "41", "--no-cleanup",
                       "--batch-size", "2"])
    assert (args.dry_run, args.limit, args.products, args.no_cleanup, args.batch_size) == (
        True, 5, [3, 41], True, 2)
    assert parse_args(["--cleanup-only"]).cleanup_only


@pytest.mark.parametrize("argv", [
    ["--limit", "0"], ["--limit", "-3"], ["--limit", "many"], ["--product"],
    ["--product", "x"], ["--product", "0"], ["--batch-size", "0"],
    ["--no-cleanup", "--cleanup-only"], ["--cleanup-only", "--limit", "3"],
    ["--cleanup-only", "--product", "1"], ["stray"],
])
def test_refused(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        parse_args(argv)
    assert exit_.value.code == 2
    assert "python -m jobs.rerender" in capsys.readouterr().err


def test_summary_line():
    assert Summary("r0123456789ab", False, images=7, products=3, removed=2).line() == (
        "rerender: queued 7 image(s) of 3 product(s) for revision r0123456789ab;"
        " 2 retired object(s) removed")
    assert Summary("rx", True, images=7, products=3, removed=None).line() == (
        "rerender: would queue 7 image(s) of 3 product(s) for revision rx")
    assert Summary("rx", True, removed=4).line().endswith("; 4 retired object(s) due for removal")


def test_progress_bar():
    stream = io.StringIO()
    bar = Progress(4, stream)
    bar.show(1)
    bar.show(4)
    bar.close()
    assert stream.getvalue() == (f"\r[{'#' * 7}{'.' * 23}] 1/4 images"
                                 f"\r[{'#' * 30}] 4/4 images\n")
    empty = io.StringIO()
    Progress(0, empty).close()  # never shown: nothing written
    assert empty.getvalue() == ""
