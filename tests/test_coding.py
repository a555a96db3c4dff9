"""How rumours are coded: who is speaking, and how much further reports of one claim add."""

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest
from conftest import DATA

from forecast.data.scenario import Scenario
from forecast.data.store import add_rumour
from forecast.errors import RumourRefusedError
from forecast.features.arrays import model_data
from forecast.features.inputs import build_inputs
from forecast.features.propositions import SPEAKER_UNITS
from forecast.features.ranks import term_ranks
from forecast.model.track_record import events_of


@pytest.fixture(scope="module")
def default_inputs():
    return build_inputs(Scenario.load())


def test_quoted_words_are_the_speakers_claim_and_count_once(default_inputs):
    items = {e.rumour_id: e for e in default_inputs.coding}
    # Ancelotti's own words, relayed by three outlets, are one claim of the "coach" unit.
    assert {items[r].unit for r in ("r006", "r013", "r023")} == {SPEAKER_UNITS["coach"]}
    assert [items[r].status for r in ("r006", "r013", "r023")] == ["counted", "repeat", "repeat"]
    assert items["r018"].unit == SPEAKER_UNITS["club_official"]
    # The outlet's own information keeps the outlet (or the outlet it cites) as its unit.
    assert items["r016c"].unit == "Relevo"


def test_a_statement_about_the_contract_is_not_counted(default_inputs):
    assert "r004" not in {e.rumour_id for e in default_inputs.coding if e.status == "counted"}


def test_further_reports_of_a_claim_rank_by_reliability(default_inputs):
    post = next(p for p in default_inputs.posts if p.club == "Bayer Leverkusen")
    counted = post.term_weight > 0
    # Several outlets say Alonso leaves in summer 2025: one group, ranks 0, 1, 2, ... by score.
    for g in np.unique(post.term_group[counted]):
        members = np.flatnonzero((post.term_group == g) & counted)
        ranks = post.term_rank[members]
        assert sorted(ranks) == list(range(len(members)))
        by_rank = post.term_score[members][np.argsort(ranks)]
        assert np.all(np.diff(by_rank) <= 0)
    assert post.term_rank[counted].max() >= 2


def test_leaving_out_the_strongest_report_moves_the_next_one_up():
    group = np.array([0, 0, 1, 0, -1])
    score = np.array([1.0, 3.0, 0.0, 2.0, 0.0])
    weight = np.array([1.0, 1.0, 1.0, 1.0, 0.0])
    assert term_ranks(group, score, weight).tolist() == [2, 0, 0, 1, 0]
    weight[1] = 0.0
    assert term_ranks(group, score, weight).tolist() == [1, 0, 0, 0, 0]


def test_track_record_events_group_copies_and_rank_them():
    day = dt.date(2024, 1, 1)
    claims = pd.DataFrame({
        "subject": ["A", "A", "A", "A", "B"], "club": ["X"] * 5,
        "claim": ["joins", "agreement", "denial", "joins", "joins"],
        "came_true": [1, 1, 0, 1, 1],
        "resolution_date": [day + dt.timedelta(days=200)] * 5,
        "claim_date": [day, day + dt.timedelta(days=10), day, day + dt.timedelta(days=150), day],
    })
    event, rank, top = events_of(claims, np.array([0.0, 1.0, 0.0, 5.0, 0.0]))
    # Claims 0 and 1 are one event (the stronger ranks first); the denial, the claim made
    # 150 days later and the claim about B are events of their own.
    assert event[0] == event[1] and len(set(event)) == 4
    assert rank[1] == 0 and rank[0] == 1
    assert top[event[0]] == 1


def test_speaker_needs_a_column_to_be_stored(scenario_copy):
    path = scenario_copy.parent.parent / "rumours" / "real-madrid-2024.csv"
    fields = dict(date="2024-11-15", source="Marca", subject="Carlo Ancelotti", claim="stays",
                  club="Real Madrid", url="https://example.org/s", summary="He says he stays.",
                  speaker="coach")
    added = add_rumour(Scenario.load(scenario_copy), fields)
    assert added.speaker == "coach" and path.read_text().splitlines()[-1].count(",coach,") == 1
    # A file without the column would silently drop it: refused, file untouched.
    text = path.read_text()
    lines = [line.replace(",speaker,", ",", 1) if i == 0 else line
             for i, line in enumerate(text.splitlines())]
    stripped = "\n".join([lines[0]] + [_drop_column(line, 10) for line in lines[1:]]) + "\n"
    path.write_text(stripped)
    with pytest.raises(RumourRefusedError, match="speaker"):
        add_rumour(Scenario.load(scenario_copy), {**fields, "url": "https://example.org/t"})
    assert path.read_text() == stripped


def _drop_column(line: str, index: int) -> str:
    import csv
    import io

    row = next(csv.reader(io.StringIO(line)))
    del row[index]
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(row)
    return out.getvalue()


def test_a_summer_move_includes_the_may_the_season_ends_in(default_inputs):
    from forecast.features.periods import MonthGrid
    from forecast.features.propositions import _with_season_end

    grid = MonthGrid((2025, 1), (2025, 12))
    june_to_august = (5, 6, 7)  # grid indices of 2025-06..2025-08
    assert _with_season_end(june_to_august, grid, (5, 6)) == (4, 5, 6, 7)
    assert _with_season_end((4, 5, 6, 7), grid, (5, 6)) == (4, 5, 6, 7)  # from May: unchanged
    assert _with_season_end((1, 2), grid, (5, 6)) == (1, 2)  # not after a season end
    # In the default scenario a "stays" claim keeps its own window.
    items = {e.rumour_id: e for e in default_inputs.coding}
    r018 = items["r018"].proposition  # Alonso stays 2025-07/2026-06
    assert default_inputs.grid.labels[r018.months[0]] == "2025-07"


@pytest.mark.parametrize("lag", [0, 2])
def test_an_appointment_months_after_the_vacancy_widens_joins_and_denials_alike(lag):
    """A state records the vacancy month, so "appointed in W" holds when the post fell vacant in
    W or up to ``lag`` months before; a denial of the same window is its exact negation."""
    from types import SimpleNamespace

    from forecast.features.arrays import PostInputs
    from forecast.features.periods import MonthGrid
    from forecast.features.propositions import CodingContext, _proposition

    grid = MonthGrid((2025, 1), (2025, 12))
    ctx = CodingContext(clubs=["Brazil"], post_of_incumbent={"Dorival Junior": 0},
                        successor_post={"Brazil": 0}, candidates={0: ["Carlo Ancelotti"]},
                        source_alias={}, journalists=set(), appointment_lag={0: lag})
    post = PostInputs("Brazil", "Dorival Junior", dt.date(2026, 7, 31), ["Carlo Ancelotti"],
                      np.zeros(12), np.zeros(12), 0.0, 0, asks_successor=True)
    dep, succ = post.states(grid.size)
    truth = {}
    for claim in ("joins", "denial"):
        row = SimpleNamespace(claim=claim, window="2025-05/2025-06", subject="Carlo Ancelotti",
                              club="Brazil")
        prop, _ = _proposition(row, ctx, grid)
        assert [grid.labels[m] for m in prop.months] == [
            f"2025-{m:02d}" for m in range(5 - lag, 7)]
        truth[claim] = prop.truth(dep, succ)
    np.testing.assert_array_equal(truth["joins"] + truth["denial"], 1.0)
    vacant_march = (dep == grid.labels.index("2025-03")) & (succ == 0)
    assert truth["joins"][vacant_march].item() == (lag == 2)


def test_a_strong_shortlist_is_read_as_a_medium_one():
    # Sky's "clear number one on Bayern's list" (leverkusen-2024, x06) ranks Alonso on the list;
    # it weighs as a medium shortlist, in the reliability offset and the surprise alike.
    scenario = Scenario.load(DATA / "cases" / "leverkusen-2024" / "scenario.yaml")
    inputs = build_inputs(scenario)
    x06 = next(e for e in inputs.coding if e.rumour_id == "x06")
    assert (x06.strength, x06.status) == ("medium", "counted")
    assert "read as medium" in x06.note
    rumours = scenario.rumours.copy()
    rumours.loc[rumours["id"] == "x06", "strength"] = "medium"
    as_medium = build_inputs(dataclasses.replace(scenario, rumours=rumours))
    for key, value in model_data(inputs).items():
        np.testing.assert_array_equal(value, model_data(as_medium)[key], err_msg=key)
    rumours.loc[rumours["id"] == "x06", "strength"] = "weak"
    as_weak = build_inputs(dataclasses.replace(scenario, rumours=rumours))
    assert any(not np.array_equal(v, model_data(as_weak)[k]) for k, v in model_data(inputs).items())


def test_a_claim_about_the_next_weeks_takes_the_learned_offset(default_inputs):
    """A window ending by the end of the month after the claim's reads as "within weeks", and
    such a report's reliability logit gains the offset the track record learned."""
    import pytensor.tensor as pt

    from forecast.data.readings import is_soon
    from forecast.model.likelihood import evidence_loglik

    assert is_soon(dt.date(2019, 11, 25), "2019-11/2019-12")
    assert is_soon(dt.date(2024, 5, 31), "2024-06")
    assert not is_soon(dt.date(2021, 11, 18), "2021-11/2022-06")
    assert not is_soon(dt.date(2024, 5, 17), "2024-05/2024-08")
    assert not is_soon(dt.date(2024, 5, 17), "") and not is_soon(dt.date(2024, 5, 17), None)
    inputs = dataclasses.replace(default_inputs, soon_offset=1.3)
    data = model_data(inputs)
    assert data["soon_offset"] == 1.3
    i = next(i for i, p in enumerate(inputs.posts) if p.term_weight.any())
    psi = pt.zeros(len(inputs.units))
    soon = dict(data, **{f"soon_{i}": np.eye(len(data[f"soon_{i}"]))[0]})
    shifted = dict(data, **{f"surprise_{i}": data[f"surprise_{i}"] + 1.3 * soon[f"soon_{i}"]})
    got, want, plain = (evidence_loglik({}, d, i, psi).eval() for d in (soon, shifted, data))
    np.testing.assert_allclose(got, want)
    assert not np.allclose(got, plain)
