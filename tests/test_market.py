"""Bookmakers' odds: read and checked at the boundary, de-vigged, and entered as a successor prior."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from forecast.cli import main
from forecast.data.scenario import Scenario
from forecast.errors import DataValidationError
from forecast.features.arrays import model_data
from forecast.features.inputs import build_inputs
from forecast.features.market import Market, implied_probabilities, latest_market, market_shift

HEADER = "snapshot,date,bookmaker,club,name,price,url,note\n"
ROWS = [
    "s1,2024-11-01,Sky Bet,Real Madrid,Xabi Alonso,2.5,https://example.org/odds-1,",
    "s1,2024-11-01,Sky Bet,Real Madrid,Jurgen Klopp,4.0,https://example.org/odds-1,",
    "s1,2024-11-01,Sky Bet,Real Madrid,Zinedine Zidane,6.0,https://example.org/odds-1,",
    "s1,2024-11-01,Sky Bet,Real Madrid,Raul Gonzalez,8.0,https://example.org/odds-1,",
    "s1,2024-11-01,Sky Bet,Real Madrid,Andoni Iraola,10.0,https://example.org/odds-1,",
]


def _with_odds(scenario_copy, rows):
    (scenario_copy.parent.parent / "odds.csv").write_text(HEADER + "\n".join(rows) + "\n")
    text = scenario_copy.read_text()
    if "odds:" not in text:
        scenario_copy.write_text(text.replace("  track_record: ../track_record.csv",
                                              "  track_record: ../track_record.csv\n  odds: ../odds.csv"))
    return scenario_copy


def test_shin_removes_the_margin_and_the_long_shot_bias():
    prices = [2.0, 3.5, 6.0, 9.0, 13.0, 17.0, 26.0]
    q = implied_probabilities(prices)
    assert q.sum() == pytest.approx(1.0) and np.all(np.diff(q) < 0)
    proportional = (1 / np.array(prices)) / (1 / np.array(prices)).sum()
    # Shin takes more off long shots than proportional scaling does, less off the favourite.
    assert q[0] > proportional[0] and q[-1] < proportional[-1]
    assert implied_probabilities([3.0, 3.0, 3.0]) == pytest.approx([1 / 3] * 3)
    # A partial book (inverse prices below 1): the rest is left to the unquoted names.
    assert implied_probabilities([4.0, 5.0]) == pytest.approx([0.25, 0.2])


def test_weight_one_reproduces_the_market_in_the_choice():
    """With weight 1 and every other choice term at zero the model's choice is the market."""
    market = Market("X", dt.date(2024, 1, 1), "b", "https://example.org", ("A", "B", "Z"),
                    (0.5, 0.3, 0.2))
    candidates = ["A", "B", "C"]  # C is not quoted; Z is quoted but not a candidate
    shift = market_shift(market, candidates, 1.0)
    assert shift[2] == 0.0
    logits = np.concatenate([shift, [np.log(len(candidates))]])  # "not listed": log K
    p = np.exp(logits) / np.exp(logits).sum()
    assert p[0] == pytest.approx(0.5) and p[1] == pytest.approx(0.3)
    assert p[2] + p[3] == pytest.approx(0.2)  # the field: C, and everyone not listed
    assert market_shift(market, candidates, 0.5) == pytest.approx(0.5 * shift)


def test_latest_snapshot_before_the_as_of_date_only():
    odds = pd.DataFrame({
        "snapshot": ["a", "a", "b", "b", "c", "c"],
        "date": [dt.date(2024, 1, 1)] * 2 + [dt.date(2024, 2, 1)] * 2 + [dt.date(2024, 3, 1)] * 2,
        "bookmaker": ["x"] * 6, "club": ["X"] * 6, "name": ["A", "B"] * 3,
        "price": [2.0, 3.0, 5.0, 1.5, 1.1, 20.0], "url": ["https://example.org"] * 6,
    })
    assert latest_market(odds, "X", dt.date(2024, 2, 15)).names == ("B", "A")
    assert latest_market(odds, "X", dt.date(2023, 12, 31)) is None
    assert latest_market(odds, "X", dt.date(2024, 6, 1)) is None  # too old by then
    assert latest_market(odds, "Y", dt.date(2024, 3, 1)) is None


def test_odds_shift_the_prior_as_data_not_structure(scenario_copy):
    plain = build_inputs(Scenario.load(scenario_copy))
    path = _with_odds(scenario_copy, ROWS)
    inputs = build_inputs(Scenario.load(path))
    (market,) = inputs.markets
    assert market.names[0] == "Xabi Alonso" and market.bookmaker == "Sky Bet"
    assert market.describe().startswith("Bookmakers on the next Real Madrid coach, given a change")
    post = next(p for p in inputs.posts if p.has_successor)
    shift = dict(zip(post.candidates, post.market_shift, strict=True))
    assert shift["Xabi Alonso"] > shift["Jurgen Klopp"] > shift["Zinedine Zidane"] > 0
    assert shift["Vincent Kompany"] == 0.0  # not quoted
    # Same compiled model: the shift is data, the structure is unchanged.
    assert inputs.structure_key() == plain.structure_key()
    data = model_data(inputs)
    i = inputs.posts.index(post)
    assert np.allclose(data[f"appeal_shift_{i}"], post.market_shift)
    # Odds dated after the as-of date are not used (no look-ahead).
    later = [r.replace("2024-11-01", "2024-11-20") for r in ROWS]
    assert build_inputs(Scenario.load(_with_odds(scenario_copy, later)),
                        dt.date(2024, 11, 15)).markets == []


@pytest.mark.parametrize("line, field, words", [
    (0, "price", "greater than 1"),
    (1, "date", "another date"),
    (0, "club", "no successor question"),
    (3, "name", "priced twice"),
])
def test_bad_odds_name_file_line_and_field(scenario_copy, capsys, line, field, words):
    rows = list(ROWS)
    if field == "price":
        rows[line] = rows[line].replace(",2.5,", ",0.9,")
    elif field == "date":
        rows[line] = rows[line].replace("2024-11-01", "2024-10-30")
    elif field == "club":
        rows = [r.replace("Real Madrid", "Real Madird") for r in rows]
    else:
        rows[line] = rows[line].replace("Raul Gonzalez", "Xabi Alonso")
    path = _with_odds(scenario_copy, rows)
    with pytest.raises(DataValidationError) as exc:
        Scenario.load(path)
    problems = [p for p in exc.value.problems if p.field == field]
    assert problems and words in problems[0].message, exc.value.problems
    assert problems[0].file.endswith("odds.csv") and problems[0].line == line + 2
    assert main(["validate", str(path)]) == 2
    assert "odds.csv" in capsys.readouterr().err


def test_a_price_on_the_incumbent_is_the_market_saying_no_change():
    """England, October 2024: the interim Carsley was priced to get the job for good; given a
    change the market's view is the rest, renormalised."""
    odds = pd.DataFrame({"snapshot": ["s"] * 3, "date": [dt.date(2024, 10, 12)] * 3,
                         "bookmaker": ["b"] * 3, "club": ["England"] * 3,
                         "name": ["Lee Carsley", "Thomas Tuchel", "Graham Potter"],
                         "price": [2.25, 3.5, 8.0], "url": ["https://example.org"] * 3})
    market = latest_market(odds, "England", dt.date(2024, 10, 12), "Lee Carsley")
    assert market.names == ("Thomas Tuchel", "Graham Potter")
    rest = np.array([1 / 3.5, 1 / 8.0]) / (1 - 1 / 2.25)  # a partial book: plain inverse prices
    assert market.probabilities == pytest.approx(rest)
