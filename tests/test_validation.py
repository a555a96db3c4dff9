"""Every validation path, each with a deliberately broken file."""

import csv
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forecast.cli import main
from forecast.data.scenario import Scenario
from forecast.data.schemas import RumourRow, SourceRow, parse_window
from forecast.errors import DataValidationError, ScenarioNotFoundError
from forecast.io.tables import read_rows, read_table, rows_to_frame
from forecast.priors import resolve_priors


def _edit_csv(path, row_index, **changes):
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0].keys())
    rows[row_index].update(changes)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)


def _problems(path):
    with pytest.raises(DataValidationError) as exc:
        Scenario.load(path)
    return exc.value.problems


def _rumours(scenario_path):
    return scenario_path.parent.parent / "rumours" / "real-madrid-2024.csv"


def test_default_scenario_loads():
    s = Scenario.load()
    assert s.id == "real-madrid-2024"
    assert len(s.rumours) > 20 and len(s.sources) > 20 and len(s.results) > 100


def test_validate_command_says_ok(capsys):
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok: real-madrid-2024") and "rumours" in out


def test_unknown_outlet_suggests_closest_name(scenario_copy):
    _edit_csv(_rumours(scenario_copy), 3, source="Marka")
    (p,) = _problems(scenario_copy)
    assert p.field == "source" and p.line == 5 and "Marka" in p.message
    assert "Marca" in p.hint and p.file.endswith("real-madrid-2024.csv")


def test_all_problems_reported_at_once(scenario_copy):
    _edit_csv(_rumours(scenario_copy), 0, subject="Xabi Alonzo", club="Real Madird")
    _edit_csv(_rumours(scenario_copy), 1, date="2024-13-45")
    problems = _problems(scenario_copy)
    fields = {(p.line, p.field) for p in problems}
    assert {(2, "subject"), (2, "club"), (3, "date")} <= fields
    hints = " ".join(p.hint or "" for p in problems)
    assert "Xabi Alonso" in hints and "Real Madrid" in hints


def test_future_date_refused(scenario_copy):
    _edit_csv(_rumours(scenario_copy), 2, date=(dt.date.today() + dt.timedelta(days=3)).isoformat())
    (p,) = _problems(scenario_copy)
    assert p.field == "date" and "future" in p.message


def test_duplicate_ids(scenario_copy):
    _edit_csv(_rumours(scenario_copy), 1, id="r001")
    problems = _problems(scenario_copy)
    assert {p.field for p in problems} == {"id"} and len(problems) == 2


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [("claim", "rumoured", "claim"), ("window", "summer", "window"),
     ("strength", "huge", "strength"), ("cites", "r999", "cites"), ("url", "", "url")],
)
def test_bad_rumour_fields(scenario_copy, field, value, needle):
    _edit_csv(_rumours(scenario_copy), 4, **{field: value})
    problems = _problems(scenario_copy)
    assert any(p.field == needle and p.line == 6 for p in problems), problems


def test_missing_required_column(scenario_copy):
    path = _rumours(scenario_copy)
    text = path.read_text().replace("subject,", "who,", 1)
    path.write_text(text)
    problems = _problems(scenario_copy)
    assert problems[0].field == "subject" and problems[0].line == 1


def test_yaml_error_has_line(scenario_copy):
    text = scenario_copy.read_text().replace("contract_end: 2026-06-30\n    appointed: 2021",
                                             "contract_end: soon\n    appointed: 2021")
    scenario_copy.write_text(text)
    (p,) = _problems(scenario_copy)
    assert p.field == "posts.0.contract_end" and p.line is not None
    assert scenario_copy.read_text().splitlines()[p.line - 1].strip().startswith("contract_end")


def test_successor_question_must_be_tracked(scenario_copy):
    text = scenario_copy.read_text().replace("kind: successor\n    club: Real Madrid",
                                             "kind: successor\n    club: Real Madrir")
    scenario_copy.write_text(text)
    problems = _problems(scenario_copy)
    assert any("not a tracked post" in p.message and "Real Madrid" in (p.hint or "") for p in problems)


def test_extension_fact_needs_end_date(scenario_copy):
    facts = scenario_copy.parent.parent / "facts.csv"
    with facts.open() as fh:
        rows = list(csv.DictReader(fh))
    idx = next(i for i, r in enumerate(rows) if r["kind"] == "extended")
    _edit_csv(facts, idx, value="")
    (p,) = _problems(scenario_copy)
    assert p.field == "value"


def _add_fact(scenario_copy, row: str) -> None:
    with (scenario_copy.parent.parent / "facts.csv").open("a", encoding="utf-8") as fh:
        fh.write(row + "\n")


def _real_madrid(scenario_copy):
    from forecast.features.inputs import build_inputs

    inputs = build_inputs(Scenario.load(scenario_copy))
    post = next(p for p in inputs.posts if p.club == "Real Madrid")
    return post, *post.states(inputs.T), inputs.T


def test_departure_after_the_horizon_means_he_stays(scenario_copy):
    _add_fact(scenario_copy, "f999,2024-11-01,left,Carlo Ancelotti,Real Madrid,2027-01-01,0,"
                             "https://example.org/f,leaves in 2027")
    post, dep, _, T = _real_madrid(scenario_copy)
    assert (post.mask > 0).any() and (dep[post.mask > 0] == T).all()


def test_an_announced_successor_means_the_incumbent_leaves(scenario_copy):
    _add_fact(scenario_copy, "f999,2024-11-01,appointed,Xabi Alonso,Real Madrid,2025-06-01,0,"
                             "https://example.org/f,Alonso named")
    post, dep, succ, T = _real_madrid(scenario_copy)
    allowed = post.mask > 0
    assert allowed.any() and (dep[allowed] < T).all()
    assert (succ[allowed] == post.candidates.index("Xabi Alonso")).all()


def test_bad_result_row(scenario_copy):
    path = scenario_copy.parent.parent / "results" / "matches.csv"
    _edit_csv(path, 0, FTHG="two")
    (p,) = _problems(scenario_copy)
    assert p.field == "FTHG" and p.line == 2


def test_unknown_prior_override():
    from forecast.data.spec import PriorOverride

    with pytest.raises(DataValidationError) as exc:
        resolve_priors({"sack_bass": PriorOverride(mu=0, sigma=1)})
    assert "sack_base" in exc.value.problems[0].hint


def test_unknown_scenario_id():
    with pytest.raises(ScenarioNotFoundError, match="real-madrid-2024"):
        Scenario.load("real-madrid-2042")


def test_cli_exits_2_and_changes_nothing(scenario_copy, capsys):
    path = _rumours(scenario_copy)
    _edit_csv(path, 3, source="Marka")
    before = path.read_bytes()
    assert main(["validate", str(scenario_copy)]) == 2
    err = capsys.readouterr().err
    assert "real-madrid-2024.csv:5 [source]" in err and "did you mean 'Marca'" in err
    assert "Traceback" not in err
    assert path.read_bytes() == before


def test_round_trip_of_a_table(tmp_path):
    from conftest import DATA

    frame = read_table(DATA / "sources.csv", SourceRow)
    out = tmp_path / "sources.csv"
    frame.drop(columns="line").to_csv(out, index=False)
    again = read_table(out, SourceRow)
    assert again.drop(columns="line").equals(frame.drop(columns="line"))


def test_rumour_rows_round_trip(tmp_path):
    from conftest import DATA

    rows, problems = read_rows(DATA / "rumours" / "real-madrid-2024.csv", RumourRow)
    assert not problems
    frame = rows_to_frame(rows, RumourRow)
    out = tmp_path / "r.csv"
    frame.drop(columns="line").to_csv(out, index=False)
    rows2, problems2 = read_rows(out, RumourRow)
    assert not problems2 and [r for _, r in rows2] == [r for _, r in rows]


@pytest.fixture
def validations(monkeypatch):
    """A list that gains an item each time a team-names row is validated."""
    from forecast.data.schemas import TeamNameRow

    calls = []
    original = TeamNameRow.model_validate.__func__
    monkeypatch.setattr(TeamNameRow, "model_validate",
                        classmethod(lambda cls, record: calls.append(1) or original(cls, record)))
    return calls


def test_a_valid_files_rows_are_validated_once_per_content(tmp_path, validations):
    """Same content, same schema: no second validation; an edit or a problem: validated again."""
    from forecast.data.schemas import TeamNameRow

    calls = validations
    path = tmp_path / "names.csv"
    path.write_text("name,canonical\nMan United,Manchester United\nSpurs,Tottenham\n")
    first, _ = read_rows(path, TeamNameRow)
    again, problems = read_rows(path, TeamNameRow)
    assert len(calls) == 2 and not problems and again == first
    path.write_text("name,canonical\nMan United,Manchester United\nWolves,Wolverhampton\n")
    edited, _ = read_rows(path, TeamNameRow)
    assert len(calls) == 4 and edited[1][1].name == "Wolves"
    path.write_text("name,canonical\nMan United,\n")
    for _ in range(2):  # a file with a problem says so every time
        rows, problems = read_rows(path, TeamNameRow)
        assert not rows and [p.field for p in problems] == ["canonical"]
    assert len(calls) == 6


def test_a_cached_frame_is_a_copy_and_an_edit_is_read_afresh(tmp_path):
    from forecast.data.schemas import TeamNameRow
    from forecast.io.tables import read_frame

    path = tmp_path / "names.csv"
    path.write_text("name,canonical\nMan United,Manchester United\nSpurs,Tottenham\n")
    first, _ = read_frame(path, TeamNameRow)
    first.loc[0, "canonical"] = "changed by the caller"
    again, problems = read_frame(path, TeamNameRow)
    assert not problems and again["canonical"].tolist() == ["Manchester United", "Tottenham"]
    path.write_text("name,canonical\nWolves,Wolverhampton\n")
    assert read_frame(path, TeamNameRow)[0]["name"].tolist() == ["Wolves"]


def test_a_table_read_for_every_case_stays_cached_while_others_come_and_go(tmp_path, validations):
    """The shared tables (sources, track record, results) are read between every case's own
    files: the cache keeps what was used last, not what was read first."""
    from forecast.data.schemas import TeamNameRow
    from forecast.io import tables

    shared = tmp_path / "shared.csv"
    shared.write_text("name,canonical\nSpurs,Tottenham\n")
    for k in range(3 * tables._VALID_MAX):
        own = tmp_path / f"case{k}.csv"
        own.write_text(f"name,canonical\nTeam {k},Club {k}\n")
        tables.read_frame(own, TeamNameRow)
        tables.read_frame(shared, TeamNameRow)
    assert len(validations) == 3 * tables._VALID_MAX + 1


def test_parse_date_reads_iso_and_football_data_forms():
    from forecast.data.schemas import parse_date

    assert {parse_date(t) for t in ("2024-01-05", " 2024-01-05 ", "2024-1-5", "05/01/2024",
                                     "05/01/24")} == {dt.date(2024, 1, 5)}
    for bad in ("2024-02-30", "2024-13-01", "5 January 2024"):
        with pytest.raises(ValueError, match="not a date"):
            parse_date(bad)


@given(st.integers(2000, 2100), st.integers(1, 12), st.integers(0, 30))
def test_parse_window_ranges(year, month, span):
    end_year, end_month = year + (month - 1 + span) // 12, (month - 1 + span) % 12 + 1
    text = f"{year}-{month:02d}/{end_year}-{end_month:02d}"
    assert parse_window(text) == ((year, month), (end_year, end_month))
    if span:
        with pytest.raises(ValueError):
            parse_window(f"{end_year}-{end_month:02d}/{year}-{month:02d}")


@given(st.text(max_size=12))
def test_parse_window_rejects_garbage_cleanly(text):
    try:
        parse_window(text)
    except ValueError:
        pass


def test_a_reversal_needs_a_departure_to_reverse(scenario_copy):
    _add_fact(scenario_copy, "F99,2024-11-01,reversed,Carlo Ancelotti,Real Madrid,,0,"
                             "https://example.org/r,He stays after all.")
    (p,) = _problems(scenario_copy)
    assert p.field == "kind" and "no earlier departure" in p.message and p.file.endswith("facts.csv")


@pytest.mark.parametrize(("line", "needle"), [
    ("    appointment_months: 7", "less than or equal to 6"),
    ("    appointment_months: -1", "greater than or equal to 0"),
])
def test_appointment_months_is_checked(scenario_copy, line, needle):
    text = scenario_copy.read_text()
    scenario_copy.write_text(text.replace("club: Real Madrid\n    candidates:",
                                          f"club: Real Madrid\n{line}\n    candidates:"))
    (p,) = _problems(scenario_copy)
    assert "appointment_months" in p.field and needle in p.message and p.line is not None


def test_appointment_months_belongs_to_a_successor_question():
    from pydantic import ValidationError

    from forecast.data.spec import QuestionSpec

    with pytest.raises(ValidationError, match="belongs to a successor question"):
        QuestionSpec(kind="departure", coach="Pep Guardiola", appointment_months=2)
    assert QuestionSpec(kind="successor", club="Brazil", appointment_months=2).appointment_months == 2


def test_own_staff_has_no_other_clubs_contract(scenario_copy):
    text = scenario_copy.read_text().replace(
        "club: Real Madrid Castilla\n        own_staff: true\n",
        "club: Real Madrid Castilla\n        own_staff: true\n        contract_end: 2026-06-30\n")
    scenario_copy.write_text(text)
    (p,) = _problems(scenario_copy)
    assert "own staff" in p.message and p.line is not None


def test_a_kind_of_tie_is_listed_once(scenario_copy):
    """A repeated kind would count its weight twice."""
    text = scenario_copy.read_text().replace("ties: [former_player]\n",
                                             "ties: [former_player, former_player]\n", 1)
    scenario_copy.write_text(text)
    (p,) = _problems(scenario_copy)
    assert "former_player listed twice" in p.message and p.line is not None
    assert p.field.endswith("ties")


def test_own_staff_is_not_a_free_agent_nor_a_tracked_posts_coach(scenario_copy):
    base = scenario_copy.read_text()
    scenario_copy.write_text(base.replace(
        "club: Real Madrid Castilla\n        own_staff: true\n",
        "club: Real Madrid Castilla\n        own_staff: true\n        buyout: true\n"))
    (p,) = _problems(scenario_copy)
    assert "own staff" in p.message
    scenario_copy.write_text(base.replace(
        "      - name: Xabi Alonso\n        club: Bayer Leverkusen\n        contract_end: 2026-06-30\n",
        "      - name: Xabi Alonso\n        club: Bayer Leverkusen\n        own_staff: true\n"))
    problems = _problems(scenario_copy)
    assert any(p.field == "own_staff" and "tracked post" in p.message for p in problems), problems


@pytest.mark.parametrize("value", ["=HYPERLINK(1)", "Calendar", "<b>x</b>"])
def test_case_set_is_a_plain_label(scenario_copy, value):
    """A case set is shown in the backtest's HTML and CSV: only a lower-case label is accepted."""
    text = scenario_copy.read_text()
    scenario_copy.write_text(text.replace("\nhorizon:", f"\ncase_set: '{value}'\nhorizon:", 1))
    (p,) = _problems(scenario_copy)
    assert p.field == "case_set" and p.line is not None
