"""Pre-filling a rumour from a saved news page or a URL (``forecast rumour add --from-url``)."""

import datetime as dt
from pathlib import Path

import pytest

from forecast.cli import main
from forecast.data.intake import MAX_PAGE_BYTES, from_url, prefill
from forecast.data.scenario import Scenario
from forecast.errors import DataValidationError

PAGE = Path(__file__).resolve().parent / "fixtures" / "pages" / "marca_article.html"


@pytest.fixture(scope="module")
def lookup():
    scenario = Scenario.load("real-madrid-2024")
    return scenario.source_names(), scenario.source_hosts()


def test_saved_page_fills_date_outlet_author_address_and_headline(lookup):
    fields, page = prefill(str(PAGE), *lookup)
    assert fields == {
        "date": "2024-11-20", "source": "Marca", "journalist": "José Félix Díaz",
        "url": "https://www.marca.com/futbol/real-madrid/2024/11/20/alonso-claves.html",
        "summary": "Alonso y el Madrid: las claves del relevo",
    }
    assert page.found["date"] == "JSON-LD" and page.found["source"] == "host marca.com"


def test_meta_tags_alone_and_a_site_name_without_a_known_host(tmp_path, lookup):
    page = tmp_path / "page.html"
    page.write_text(
        '<html><head><title>Ignored | Site</title>'
        '<meta property="og:site_name" content="Diario AS">'
        '<meta property="og:title" content="Kompany, alternative">'
        '<meta name="date" content="2025-03-02">'
        '<meta property="og:url" content="javascript:alert(1)">'
        '</head><body><time datetime="2020-01-01">old</time></body></html>')
    fields, found = prefill(str(page), *lookup)
    # The script address is dropped; the outlet comes from the site name (an alias of AS).
    assert fields == {"date": "2025-03-02", "source": "AS", "summary": "Kompany, alternative"}
    assert found.found["source"] == "site name in og:site_name"


@pytest.mark.parametrize(("url", "date", "source", "title"), [
    ("https://www.theguardian.com/football/2024/nov/20/xabi-alonso-real-madrid-ancelotti",
     dt.date(2024, 11, 20), "The Guardian", "Xabi alonso real madrid ancelotti"),
    ("https://www.nytimes.com/athletic/5934123/2024/11/21/alonso-madrid-summer/",
     dt.date(2024, 11, 21), "The Athletic", "Alonso madrid summer"),
    ("https://en.as.com/soccer/kompany-on-madrid-list-n-20250302/",
     dt.date(2025, 3, 2), "AS", "Kompany on madrid list"),
    ("https://unknown.example/news/story", None, None, None),
])
def test_a_url_alone_gives_what_its_host_and_path_say(lookup, url, date, source, title):
    page = from_url(url)
    assert page.date == date and page.title == title
    fields, _ = prefill(url, *lookup)
    assert fields.get("source") == source and fields["url"] == url


@pytest.mark.parametrize(("content", "needle"), [
    (b"date,source\n2024-01-01,Marca\n", "not an HTML page"),
    (b"<html>" + b" " * (MAX_PAGE_BYTES + 1), "larger than"),
])
def test_a_file_that_is_not_a_news_page_is_refused(tmp_path, content, needle):
    page = tmp_path / "page.html"
    page.write_bytes(content)
    with pytest.raises(DataValidationError, match=needle):
        prefill(str(page), {}, {})


def test_missing_page_and_non_web_address_are_refused():
    with pytest.raises(DataValidationError, match="cannot read"):
        prefill("/nonexistent/page.html", {}, {})
    with pytest.raises(DataValidationError, match="not an http"):
        prefill("ftp://example.org/page", {}, {})


def test_cli_adds_the_rumour_from_a_saved_page_and_flags_win(scenario_copy, capsys):
    args = ["rumour", "add", "--scenario", str(scenario_copy), "--from-url", str(PAGE),
            "--subject", "Xabi Alonso", "--claim", "agreement", "--club", "Real Madrid",
            "--window", "2025-05/2025-08", "--summary", "Marca says Madrid and Alonso agree.",
            "--no-refresh"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "source: Marca  (host marca.com)" in out
    row = Scenario.load(scenario_copy).rumours.iloc[-1]
    assert (row["date"], row["source"], row["journalist"]) == (
        dt.date(2024, 11, 20), "Marca", "José Félix Díaz")
    assert row["url"].startswith("https://www.marca.com/") and row["summary"].startswith("Marca says")


def test_cli_names_an_unknown_outlet_and_refuses_before_writing(scenario_copy, capsys):
    path = scenario_copy.parent.parent / "rumours" / "real-madrid-2024.csv"
    before = path.read_bytes()
    args = ["rumour", "add", "--scenario", str(scenario_copy), "--no-refresh",
            "--from-url", "https://unknown.example/2024/11/20/alonso-to-madrid",
            "--subject", "Xabi Alonso", "--claim", "joins", "--club", "Real Madrid"]
    assert main(args) == 2
    captured = capsys.readouterr()
    assert "unknown.example is not in sources.csv" in captured.out
    assert "source" in captured.err
    assert path.read_bytes() == before


def test_on_a_terminal_the_page_values_are_the_defaults_offered(scenario_copy, monkeypatch):
    answers = {"subject": "Xabi Alonso", "claim": "talks", "club": "Real Madrid"}
    asked = []

    def fake_input(prompt):
        asked.append(prompt)
        return answers.get(prompt.split(" ")[0].rstrip(":"), "")

    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", fake_input)
    assert main(["rumour", "add", "--scenario", str(scenario_copy), "--from-url", str(PAGE),
                 "--no-refresh"]) == 0
    assert any(p.startswith("date") and "(default 2024-11-20)" in p for p in asked)
    row = Scenario.load(scenario_copy).rumours.iloc[-1]
    assert (row["source"], row["claim"], row["date"]) == ("Marca", "talks", dt.date(2024, 11, 20))
