"""config.json: our format, the old bot's format, and start-up errors that name the field."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.profiles import load_config, parse_config

ROOT = Path(__file__).resolve().parent.parent


def test_shipped_config_loads():
    config = load_config(ROOT / "config.json")
    assert config.profiles
    for profile in config.profiles.values():
        assert profile.categories


def test_profile_defaults():
    profile = parse_config({"profiles": {"p": {"categories": ["cs.lg"]}}}).profiles["p"]
    assert profile.categories == ["cs.LG"]  # canonical spelling
    assert profile.announce_types == ["new", "cross"]
    assert profile.days == 7 and profile.max_items == 50 and profile.min_score == 0


def test_keywords_as_strings_or_objects():
    profile = parse_config({"profiles": {"p": {"categories": ["cs.AI"], "keywords": [
        "agent", {"term": "large language model", "weight": 2, "aliases": ["LLM"]}]}}}).profiles["p"]
    terms = profile.terms()
    assert [(t.text, t.weight, t.aliases) for t in terms] == [("agent", 1.0, []), ("large language model", 2.0, ["LLM"])]


def test_old_bot_config_loads_as_profile_default():
    old = {
        "categories": ["cs.AI", "cs.CL"],
        "keywords": ["LLM", "agent"],
        "exclude_keywords": ["survey"],
        "max_papers": 30,
        "days_back": 3,
        "min_score": 1,
        "ai_summary": {"enabled": True, "model": "qwen-long", "api_key_env": "DASHSCOPE_API_KEY", "api_key": "sk-secret"},
    }
    config = parse_config(old)
    profile = config.profiles["default"]
    assert profile.categories == ["cs.AI", "cs.CL"]
    assert profile.exclude == ["survey"]
    assert (profile.max_items, profile.days, profile.min_score) == (30, 3, 1)
    assert profile.summaries.enabled
    public = json.dumps(config.public())
    assert "sk-secret" not in public
    assert "DASHSCOPE_API_KEY" in public  # the name of the variable is not a secret
    assert '"keywords"' in public


def test_old_bot_keywords_with_weights():
    config = parse_config({"categories": ["cs.AI"], "keywords": {"LLM": 3, "agent": 1}})
    assert [(t.text, t.weight) for t in config.profiles["default"].terms()] == [("LLM", 3), ("agent", 1)]


@pytest.mark.parametrize(
    "data,field",
    [
        ({"profiles": {"p": {"categories": ["cs.XX"]}}}, "profiles.p.categories"),
        ({"profiles": {"p": {"categories": []}}}, "profiles.p.categories"),
        ({"profiles": {"p": {"categories": ["cs.AI"], "max_items": 0}}}, "profiles.p.max_items"),
        ({"profiles": {"p": {"categories": ["cs.AI"], "days": 99}}}, "profiles.p.days"),
        ({"profiles": {"p": {"categories": ["cs.AI"], "announce_types": ["old"]}}}, "profiles.p.announce_types"),
        ({"profiles": {"p": {"categories": ["cs.AI"], "keywords": [{"term": "x", "wieght": 2}]}}}, "wieght"),
        ({"profiles": {"p": {"categories": ["cs.AI"], "keywords": [""]}}}, "profiles.p.keywords"),
        ({"profiles": {"Bad Name": {"categories": ["cs.AI"]}}}, "profile name 'Bad Name'"),
        ({"profiles": {"query": {"categories": ["cs.AI"]}}}, "profile name 'query' is reserved for the ad-hoc feed"),
        ({"profiles": {"p": {"categories": ["cs.AI"], "colour": "red"}}}, "profiles.p.colour"),
        ({"profiles": {}}, "profiles"),
    ],
)
def test_bad_config_names_the_field(data, field):
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    assert field in str(info.value)


def test_unreadable_or_invalid_json_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.json")
    broken = tmp_path / "config.json"
    broken.write_text('{"profiles": {')
    with pytest.raises(ConfigError, match="not valid JSON .*line 1"):
        load_config(broken)


def test_bad_config_stops_the_server_at_start_up_with_the_message(tmp_path):
    bad = tmp_path / "config.json"
    bad.write_text(json.dumps({"profiles": {"p": {"categories": ["cs.XX"]}}}))
    result = subprocess.run(
        [sys.executable, "-c", "import api.index"],
        cwd=ROOT, env={"ARXIV_FEEDS_CONFIG": str(bad), "KV_BACKEND": "memory", "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "profiles.p.categories: unknown arXiv category 'cs.XX'" in result.stderr


def test_keywords_can_ask_for_an_exact_form():
    import datetime as dt

    from core.matching import Matcher
    from core.papers import Paper
    from core.profiles import Profile

    profile = Profile(categories=["cs.RO"], keywords=["=robot", {"term": "grasp", "exact": True}, "navigation"])
    assert [t.exact for t in profile.terms()] == [True, True, False]
    matcher = Matcher(profile.terms())

    def found(title: str) -> bool:
        return matcher.score(Paper(id="2604.00001", title=title, abstract="", categories=["cs.RO"], announced=dt.date(2026, 4, 21))) is not None

    assert found("A robot") and found("Grasp it") and found("Navigating crowds")
    assert not found("Robotics and robots") and not found("grasping")
