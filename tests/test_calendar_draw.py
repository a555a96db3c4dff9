"""The calendar set's draw (scripts/calendar_draw.py) keeps away from what was already taken."""

import importlib.util
from datetime import date

from conftest import ROOT

SPEC = importlib.util.spec_from_file_location("calendar_draw", ROOT / "scripts" / "calendar_draw.py")
draw = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(draw)


def test_the_frame_is_every_first_of_march_and_november_of_every_club():
    pairs = draw.frame(date(2015, 11, 1), date(2016, 11, 1))
    assert len(pairs) == 21 * 3
    assert {d for _, _, d in pairs} == {date(2015, 11, 1), date(2016, 3, 1), date(2016, 11, 1)}


def test_the_draw_leaves_out_cases_and_skipped_pairs_and_is_fixed_by_its_seed(capsys):
    draw.main(["20261208", "2015-11-01", "2022-11-01"])
    first = capsys.readouterr().out
    draw.main(["20261208", "2015-11-01", "2022-11-01"])
    assert capsys.readouterr().out == first
    drawn = {(line.split(": ")[0], p) for line in first.splitlines()
             for p in line.split(": ", 1)[1].split("; ")}
    taken = draw.taken()
    for _, pair in drawn:
        club, month = pair.rsplit(" ", 1)
        cutoff = date.fromisoformat(f"{month}-01")
        assert all(abs((cutoff - t).days) > draw.NEAR_DAYS for t in taken.get(club, []))
    assert ("Serie A", "AC Milan 2018-11") not in drawn  # a calendar case already in the set
